//! The file graph and the circles in it: strongly connected groups of files, and each simple
//! circle through one written `a.rs -> b.rs (names) -> a.rs (names)`, where the names after a
//! file are those the file before it takes from it.

use std::collections::{BTreeMap, BTreeSet};

/// More circles than this through one group of files are summed up in one line.
const MOST_PER_GROUP: usize = 64;

/// Files, and for each edge `from -> to` the names `from` takes from `to`.
#[derive(Debug)]
pub(crate) struct Graph {
    pub(crate) files: Vec<String>,
    pub(crate) edges: BTreeMap<(usize, usize), BTreeSet<String>>,
}

impl Graph {
    /// Every edge, `a.rs -> b.rs (X, Y)`, sorted.
    pub(crate) fn edge_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .edges
            .iter()
            .map(|(&(from, to), names)| {
                format!("{} -> {}", self.files[from], self.labelled(to, names))
            })
            .collect();
        lines.sort();
        lines
    }

    /// Every simple circle, each starting at its alphabetically first file, sorted.
    pub(crate) fn circles(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for group in self.groups() {
            let mut found = Vec::new();
            for &start in &group {
                let mut path = vec![start];
                self.circles_from(start, &group, &mut path, &mut found);
            }
            lines.extend(
                found
                    .iter()
                    .take(MOST_PER_GROUP)
                    .map(|circle| self.circle_line(circle)),
            );
            if found.len() > MOST_PER_GROUP {
                let files: Vec<&str> = group.iter().map(|&f| self.files[f].as_str()).collect();
                lines.push(format!("… and more circles through {}", files.join(", ")));
            }
        }
        lines.sort();
        lines
    }

    fn labelled(&self, file: usize, names: &BTreeSet<String>) -> String {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        format!("{} ({})", self.files[file], names.join(", "))
    }

    fn successors(&self, file: usize) -> impl Iterator<Item = usize> + '_ {
        self.edges
            .range((file, 0)..(file + 1, 0))
            .map(|(&(_, to), _)| to)
    }

    /// Simple paths from `path[0]` through files of `group` greater than it, back to it.
    fn circles_from(
        &self,
        start: usize,
        group: &BTreeSet<usize>,
        path: &mut Vec<usize>,
        found: &mut Vec<Vec<usize>>,
    ) {
        let Some(&last) = path.last() else { return };
        for next in self.successors(last) {
            if found.len() > MOST_PER_GROUP {
                return;
            }
            if next == start {
                found.push(path.clone());
            } else if next > start && group.contains(&next) && !path.contains(&next) {
                path.push(next);
                self.circles_from(start, group, path, found);
                path.pop();
            }
        }
    }

    fn circle_line(&self, circle: &[usize]) -> String {
        let first = (0..circle.len())
            .min_by_key(|&i| &self.files[circle[i]])
            .unwrap_or(0);
        let mut order = circle.to_vec();
        order.rotate_left(first);
        order.push(order[0]);
        let mut line = self.files[order[0]].clone();
        for pair in order.windows(2) {
            line.push_str(" -> ");
            line.push_str(&self.labelled(pair[1], &self.edges[&(pair[0], pair[1])]));
        }
        line
    }

    /// Strongly connected groups of two or more files (Tarjan's algorithm).
    fn groups(&self) -> Vec<BTreeSet<usize>> {
        let mut state = Tarjan {
            index: vec![None; self.files.len()],
            ..Tarjan::default()
        };
        for file in 0..self.files.len() {
            if state.index[file].is_none() {
                state.visit(self, file);
            }
        }
        state.groups
    }
}

#[derive(Default)]
struct Tarjan {
    next: usize,
    index: Vec<Option<usize>>,
    low: BTreeMap<usize, usize>,
    stack: Vec<usize>,
    groups: Vec<BTreeSet<usize>>,
}

impl Tarjan {
    fn visit(&mut self, graph: &Graph, file: usize) {
        self.index[file] = Some(self.next);
        self.low.insert(file, self.next);
        self.next += 1;
        self.stack.push(file);
        for to in graph.successors(file) {
            match self.index[to] {
                None => {
                    self.visit(graph, to);
                    let low = self.low[&file].min(self.low[&to]);
                    self.low.insert(file, low);
                }
                Some(index) if self.stack.contains(&to) => {
                    let low = self.low[&file].min(index);
                    self.low.insert(file, low);
                }
                Some(_) => {}
            }
        }
        if Some(self.low[&file]) == self.index[file] {
            let mut group = BTreeSet::new();
            while let Some(top) = self.stack.pop() {
                group.insert(top);
                if top == file {
                    break;
                }
            }
            if group.len() > 1 {
                self.groups.push(group);
            }
        }
    }
}
