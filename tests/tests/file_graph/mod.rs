//! A crate's file-level import graph, read from its sources with `syn`: the module tree
//! (`tree`), name resolution over it (`resolve`), the walk of each file for the paths it names
//! (`walk`), and the circles in the result (`circles`).

mod circles;
mod resolve;
mod tree;
mod walk;

pub(crate) use circles::Graph;
pub(crate) use walk::graph;
