//! Name resolution over a crate's module tree: what a path written in a module names, following
//! `use`s and re-export chains to the module or to the file that defines the item.

use std::collections::BTreeSet;

use super::tree::{FileId, ModId, ROOT, Tree, UsePath};

/// What a path resolves to.
pub(super) enum Target {
    Module(ModId),
    Item {
        file: FileId,
        name: String,
        is_type: bool,
    },
}

/// What `path`, written in `module`, names; nothing when it leaves the crate.
pub(super) fn path(tree: &Tree, module: ModId, path: &UsePath) -> Vec<Target> {
    resolve_path(tree, module, path, &mut Vec::new())
}

/// What `name` names as seen from inside `module`.
pub(super) fn name(tree: &Tree, module: ModId, name: &str) -> Vec<Target> {
    resolve_name(tree, module, name, &mut Vec::new())
}

/// Every name `module` binds, through its globs too: what `use module::*` brings in.
pub(super) fn every_name(tree: &Tree, module: ModId) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect_names(tree, module, &mut BTreeSet::new(), &mut names);
    names
}

/// The (module, name) pairs being resolved, so a `use` chain that comes back to itself ends.
type Stack = Vec<(ModId, String)>;

/// Resolves `name` as seen from inside `module`: its own items and child modules, its `use`s,
/// then (when nothing else binds the name) its glob imports.
fn resolve_name(tree: &Tree, module: ModId, name: &str, stack: &mut Stack) -> Vec<Target> {
    if stack.iter().any(|(m, n)| *m == module && n == name) {
        return Vec::new();
    }
    stack.push((module, name.to_string()));
    let m = &tree.modules[module];
    let defs = m.defs.get(name).into_iter().flatten();
    let mut out: Vec<Target> = defs
        .map(|d| Target::Item {
            file: d.file,
            name: name.to_string(),
            is_type: d.is_type,
        })
        .collect();
    out.extend(m.children.get(name).map(|&child| Target::Module(child)));
    for import in m.imports.get(name).into_iter().flatten() {
        out.extend(resolve_path(tree, module, import, stack));
    }
    if out.is_empty() {
        for glob in &m.globs {
            for target in resolve_path(tree, module, glob, stack) {
                if let Target::Module(from) = target {
                    out.extend(resolve_name(tree, from, name, stack));
                }
            }
        }
    }
    stack.pop();
    out
}

/// Resolves a path written in `module`; a path that leaves the crate resolves to nothing.
fn resolve_path(tree: &Tree, module: ModId, path: &UsePath, stack: &mut Stack) -> Vec<Target> {
    let Some((first, rest)) = path.segments.split_first() else {
        return Vec::new();
    };
    if path.leading_colon {
        return Vec::new();
    }
    let mut current = match first.as_str() {
        "crate" => vec![Target::Module(ROOT)],
        other => step(tree, module, other, stack),
    };
    for segment in rest {
        let mut next = Vec::new();
        for target in current {
            match target {
                Target::Module(m) => next.extend(step(tree, m, segment, stack)),
                // `Verdict::Approved`, `Claim::new`: the rest names a part of the item.
                Target::Item { is_type: true, .. } => next.push(target),
                Target::Item { .. } => {}
            }
        }
        current = next;
    }
    current
}

/// One segment after a module: `self`, `super` or a name in it.
fn step(tree: &Tree, module: ModId, segment: &str, stack: &mut Stack) -> Vec<Target> {
    match segment {
        "self" => vec![Target::Module(module)],
        "super" => tree.modules[module]
            .parent
            .map(Target::Module)
            .into_iter()
            .collect(),
        other => resolve_name(tree, module, other, stack),
    }
}

fn collect_names(
    tree: &Tree,
    module: ModId,
    seen: &mut BTreeSet<ModId>,
    out: &mut BTreeSet<String>,
) {
    if !seen.insert(module) {
        return;
    }
    let m = &tree.modules[module];
    out.extend(
        m.defs
            .keys()
            .chain(m.children.keys())
            .chain(m.imports.keys())
            .cloned(),
    );
    for glob in &m.globs {
        for target in resolve_path(tree, module, glob, &mut Vec::new()) {
            if let Target::Module(from) = target {
                collect_names(tree, from, seen, out);
            }
        }
    }
}
