//! A crate's file-level import graph, read from its sources with `syn`: the module tree
//! (`tree`), the paths each file names resolved to the files defining them (`resolve`), and the
//! circles in the result (`circles`).

mod circles;
mod resolve;
mod tree;

pub(crate) use circles::Graph;
pub(crate) use resolve::graph;
