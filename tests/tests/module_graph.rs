//! No circles in the file-level import graph of every crate of the workspace with a `src/`
//! (each of its roots: `lib.rs`, `main.rs`, `bin/*.rs`).
//!
//! Nodes are source files. `a.rs -> b.rs` when `a.rs` names an item defined in `b.rs`: in a `use`
//! tree, or in a code path of two or more segments (`crate::x::Y`, `super::Y`, `self::m::Y`,
//! `module::Y` with `module` in scope, also inside macro calls other than `quote!`-like ones).
//! Re-exports are followed to the file that defines the item (`crate::Client` through
//! `pub use client::Client` is an edge to `client.rs`); naming a module alone, and `mod child;`,
//! are no edges. Skipped: every item marked `#[cfg(test)]` (unit-test modules, test-only `mod`
//! files and `use`s). A glob import (`use m::*`) is an edge to every item `m` binds, its own and
//! those it imports. Visibility is not checked: a path is taken to name what it would name if
//! it compiled.

mod file_graph;

use std::path::Path;

use file_graph::Graph;

/// Crate roots with many files: a graph of a handful would mean the tree was not read.
const LARGE: &[&str] = &[
    "cheqpoint/src/lib.rs",
    "cheqpoint-emulator/src/lib.rs",
    "cheqpoint-cli/src/lib.rs",
];

/// Every crate root of the workspace, relative to it: `src/lib.rs`, `src/main.rs` and
/// `src/bin/*.rs` of each folder with a `Cargo.toml` and a `src/`.
fn roots(workspace: &Path) -> Vec<String> {
    let mut roots = Vec::new();
    let folders = std::fs::read_dir(workspace).expect("the workspace is read");
    for folder in folders.filter_map(Result::ok).map(|entry| entry.path()) {
        if !folder.join("Cargo.toml").is_file() || !folder.join("src").is_dir() {
            continue;
        }
        let name = folder
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        for root in ["src/lib.rs", "src/main.rs"] {
            if folder.join(root).is_file() {
                roots.push(format!("{name}/{root}"));
            }
        }
        if let Ok(bins) = std::fs::read_dir(folder.join("src/bin")) {
            for bin in bins.filter_map(Result::ok).map(|entry| entry.file_name()) {
                let bin = bin.to_string_lossy();
                if bin.ends_with(".rs") {
                    roots.push(format!("{name}/src/bin/{bin}"));
                }
            }
        }
    }
    roots.sort();
    roots
}

#[test]
fn the_crates_have_no_circles() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let roots = roots(&workspace);
    for large in LARGE {
        assert!(
            roots.iter().any(|root| root == large),
            "{large} is not read: {roots:?}"
        );
    }
    let mut found = Vec::new();
    for root in &roots {
        let name = root;
        let read = |path: &Path| std::fs::read_to_string(path).ok();
        let graph = file_graph::graph(&workspace.join(root), &read)
            .unwrap_or_else(|error| panic!("{root}: {error}"));
        println!(
            "{name}: {} files, {} edges",
            graph.files.len(),
            graph.edges.len()
        );
        if LARGE.contains(&root.as_str()) {
            assert!(
                graph.files.len() > 5 && graph.edges.len() > 5,
                "{root}: the module tree was not read"
            );
        }
        found.extend(
            graph
                .circles()
                .into_iter()
                .map(|circle| format!("{name}: {circle}")),
        );
    }
    assert!(
        found.is_empty(),
        "{} circles in the import graph:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The graph of a crate given as (path, source) pairs, rooted at `lib.rs`.
fn graph_of(files: &[(&str, &str)]) -> Result<Graph, String> {
    let read = |path: &Path| {
        let file = files.iter().find(|(name, _)| Path::new(name) == path);
        file.map(|(_, text)| text.to_string())
    };
    file_graph::graph(Path::new("lib.rs"), &read)
}

fn edges(files: &[(&str, &str)]) -> Vec<String> {
    graph_of(files).expect("the sources load").edge_lines()
}

fn circles(files: &[(&str, &str)]) -> Vec<String> {
    graph_of(files).expect("the sources load").circles()
}

#[test]
fn a_circle_is_printed_with_what_each_file_takes() {
    let files = [
        ("lib.rs", "mod a; mod b; mod c;"),
        ("a.rs", "use crate::b::B; pub struct A;"),
        (
            "b.rs",
            "pub struct B; fn f() -> super::a::A { todo!() } fn g(_: crate::c::C) {}",
        ),
        ("c.rs", "pub struct C;"),
    ];
    assert_eq!(circles(&files), ["a.rs -> b.rs (B) -> a.rs (A)"]);
}

#[test]
fn mod_declarations_are_no_edges() {
    let files = [
        ("lib.rs", "mod a; pub struct Root;"),
        ("a.rs", "pub fn f(_: crate::Root) {}"),
    ];
    assert_eq!(edges(&files), ["a.rs -> lib.rs (Root)"]);
    assert!(circles(&files).is_empty());
}

#[test]
fn re_exports_resolve_to_the_file_that_defines_the_item() {
    let files = [
        (
            "lib.rs",
            "mod client; mod moved; mod wait; pub use client::Client; pub(crate) use moved::Moved;",
        ),
        (
            "client.rs",
            "pub(crate) use crate::wait as waiting; pub struct Client; fn f() { waiting::poll(); }",
        ),
        ("moved.rs", "pub(crate) use crate::wait::Deadline as Moved;"),
        (
            "wait.rs",
            "pub fn poll(_: &crate::Client) {} pub struct Deadline; fn g() { crate::Moved::new(); }",
        ),
    ];
    assert_eq!(
        edges(&files),
        [
            "client.rs -> wait.rs (poll)",
            "lib.rs -> client.rs (Client)",
            "lib.rs -> wait.rs (Deadline)",
            "moved.rs -> wait.rs (Deadline)",
            "wait.rs -> client.rs (Client)",
        ]
    );
    assert_eq!(
        circles(&files),
        ["client.rs -> wait.rs (poll) -> client.rs (Client)"]
    );
}

#[test]
fn modules_map_to_files_as_rustc_maps_them() {
    let files = [
        (
            "lib.rs",
            r#"mod a; mod m; #[path = "elsewhere/d.rs"] mod d; #[cfg(feature = "x")] mod e;
               mod inline { mod deep; }"#,
        ),
        ("a.rs", "mod b; use b::B;"),
        ("a/b.rs", "pub struct B;"),
        ("m/mod.rs", "mod n; pub struct M;"),
        (
            "m/n.rs",
            "fn f() -> super::M { todo!() } fn g(_: crate::a::b::B) {}",
        ),
        ("elsewhere/d.rs", "mod beside; fn f(_: beside::Beside) {}"),
        ("elsewhere/beside.rs", "pub struct Beside; use crate::e::E;"),
        ("e.rs", "pub struct E;"),
        ("inline/deep.rs", "pub struct Deep; fn f(_: crate::m::M) {}"),
    ];
    assert_eq!(
        edges(&files),
        [
            "a.rs -> a/b.rs (B)",
            "elsewhere/beside.rs -> e.rs (E)",
            "elsewhere/d.rs -> elsewhere/beside.rs (Beside)",
            "inline/deep.rs -> m/mod.rs (M)",
            "m/n.rs -> a/b.rs (B)",
            "m/n.rs -> m/mod.rs (M)",
        ]
    );
}

#[test]
fn code_paths_resolve_through_self_super_and_renamed_uses() {
    let files = [
        ("lib.rs", "mod g;"),
        ("g/mod.rs", "mod p; mod v; #[derive(Default)] pub struct G;"),
        ("g/v.rs", "pub enum Verdict { Yes } pub fn check() {}"),
        (
            "g/p.rs",
            "use super::{self as up, v as verdicts};
             struct Own;
             fn f() -> self::Own { let _ = verdicts::Verdict::Yes; up::v::check(); Own }
             fn h() { use crate::g::G as Gee; let _ = Gee::default(); }",
        ),
    ];
    assert_eq!(
        edges(&files),
        [
            "g/p.rs -> g/mod.rs (G)",
            "g/p.rs -> g/v.rs (Verdict, check)"
        ]
    );
}

#[test]
fn macro_calls_count_but_generated_code_and_tests_do_not() {
    let files = [
        ("lib.rs", "mod a; mod b;"),
        (
            "a.rs",
            "fn f(x: u8) -> bool { matches!(x, crate::b::LOW) }
             fn g() { let _ = quote::quote! { crate::b::B }; }
             #[cfg(test)] use crate::b::B;
             #[cfg(test)] mod tests { use super::super::b::*; }",
        ),
        ("b.rs", "pub struct B; pub const LOW: u8 = 0;"),
    ];
    assert_eq!(edges(&files), ["a.rs -> b.rs (LOW)"]);
}

#[test]
fn a_glob_is_an_edge_to_every_item_it_brings_in() {
    let files = [
        ("lib.rs", "mod a; mod b; mod c;"),
        ("a.rs", "use crate::b::*;"),
        ("b.rs", "pub struct B; pub use crate::c::C;"),
        ("c.rs", "pub struct C;"),
    ];
    assert_eq!(
        edges(&files),
        ["a.rs -> b.rs (B)", "a.rs -> c.rs (C)", "b.rs -> c.rs (C)"]
    );
}

#[test]
fn a_module_without_its_file_is_an_error() {
    let error = graph_of(&[("lib.rs", "mod gone;")]).expect_err("there is no gone.rs");
    assert!(error.contains("mod gone"), "{error}");
}
