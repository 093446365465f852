//! Properties of rules near their edges, against oracles that share no code with them.
//!
//! Numbers: amounts mutated around a `where` rule's bounds (±1, ±0.5, ±1e-9, as strings, as
//! huge integers) are allowed exactly when the value is a number within the bounds.
//!
//! Paths: relative paths made of steps in and out of a project (`..`, `.`, a link to inside, a
//! link to outside, a dangling link, a sibling named like the project) are allowed by an
//! `under = "{cwd}"` rule exactly when the operating system, asked to create the file, puts it
//! inside the project (the oracle creates the file, asks `realpath`, and removes it).
//!
//! Each test prints the share of cases that reached each branch, and fails when a branch was
//! never reached. `CHEQPOINT_PROP_CASES` sets the number of cases (default 2000).

use std::{
    cell::RefCell,
    collections::BTreeMap,
    path::PathBuf,
    sync::atomic::{AtomicUsize, Ordering::SeqCst},
};

use cheqpoint::policy::rules::{Decide, Rules};
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("CHEQPOINT_PROP_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

fn runner() -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

/// Counts the branches reached and prints their shares; fails when one was never reached.
fn report(name: &str, counts: &BTreeMap<&'static str, u32>, branches: &[&'static str]) {
    let total: u32 = counts.values().sum();
    let shares: Vec<String> = counts
        .iter()
        .map(|(branch, n)| format!("{branch} {:.1}%", f64::from(*n) * 100.0 / f64::from(total)))
        .collect();
    eprintln!("{name}: {total} cases: {}", shares.join(", "));
    for branch in branches {
        assert!(
            counts.contains_key(branch),
            "{name}: no case reached `{branch}`"
        );
    }
}

const MIN: i64 = 100;
const MAX: i64 = 20_000;

/// An amount near a bound, in one of the forms a model might send.
fn amount() -> impl Strategy<Value = Value> {
    let bound = prop_oneof![Just(MIN), Just(MAX)];
    let near_int = (bound.clone(), -2i64..=2).prop_map(|(b, d)| json!(b + d));
    let near_float = (
        bound.clone(),
        prop_oneof![Just(-0.5), Just(0.5), Just(-1e-9), Just(1e-9), Just(0.0)],
    )
        .prop_map(|(b, d)| json!(b as f64 + d));
    let odd = prop_oneof![
        bound.clone().prop_map(|b| json!(b.to_string())),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(null)),
        Just(json!(true)),
        Just(json!([MAX])),
    ];
    prop_oneof![4 => near_int, 4 => near_float, 1 => odd]
}

/// The oracle: a JSON number within the bounds, compared as the number it reads as.
fn within(value: &Value) -> bool {
    let Some(number) = value.as_number() else {
        return false;
    };
    if let Some(whole) = number.as_i64() {
        return (MIN..=MAX).contains(&whole);
    }
    if number.as_u64().is_some() {
        return false; // above i64::MAX
    }
    number
        .as_f64()
        .is_some_and(|f| (MIN as f64..=MAX as f64).contains(&f))
}

#[test]
fn numeric_bounds_hold_at_their_edges() {
    let rules: Rules = toml::from_str(&format!(
        "[[rule]]\ntool = \"refund\"\nwhere = {{ amount_cents = {{ min = {MIN}, max = {MAX} }} }}\ndecide = \"allow\"\n"
    ))
    .unwrap();
    let counts = RefCell::new(BTreeMap::new());
    runner()
        .run(&amount(), |amount| {
            let ruling = rules.decide(
                "refund",
                &json!({ "amount_cents": amount }),
                std::path::Path::new("/"),
            );
            let expected = within(&amount);
            *counts
                .borrow_mut()
                .entry(if expected { "allowed" } else { "asked" })
                .or_insert(0) += 1;
            prop_assert_eq!(ruling.decide == Decide::Allow, expected, "{}", amount);
            Ok(())
        })
        .unwrap();
    report("bounds", &counts.borrow(), &["allowed", "asked"]);
}

/// A project with links in and out of it, in a fresh temporary folder.
struct Tree {
    root: PathBuf,
    project: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        // One folder a tree: the tests of a file run at once.
        static TREES: AtomicUsize = AtomicUsize::new(0);
        let n = TREES.fetch_add(1, SeqCst);
        let root =
            std::env::temp_dir().join(format!("cheqpoint-rules-props-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // Deep enough that three `..` from the project stay inside `root`.
        let project = root.join("a/b/project");
        let outside = root.join("a/b/outside");
        for dir in [
            project.join("src"),
            outside.clone(),
            root.join("a/b/project-old"),
        ] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let link = |target: PathBuf, name: &str| {
            std::os::unix::fs::symlink(target, project.join(name)).unwrap()
        };
        link(outside.clone(), "out");
        link(project.join("src"), "in");
        link(outside.join("landing"), "dangling");
        Tree { root, project }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Steps through the tree; at most three `..`, so nothing is written above the tree's root.
fn relative_path() -> impl Strategy<Value = String> {
    let step = prop_oneof![
        3 => Just(".."),
        1 => Just("."),
        2 => Just("src"),
        2 => Just("in"),
        2 => Just("out"),
        1 => Just("project"),
        1 => Just("project-old"),
    ];
    let last = prop_oneof![3 => Just("new-file"), 1 => Just("dangling")];
    (prop::collection::vec(step, 0..6), last).prop_filter_map(
        "at most three ..",
        |(steps, last)| {
            (steps.iter().filter(|s| **s == "..").count() <= 3).then(|| {
                let mut path: Vec<&str> = steps;
                path.push(last);
                path.join("/")
            })
        },
    )
}

#[test]
fn under_the_project_means_where_the_system_writes() {
    let tree = Tree::new();
    let rules: Rules = toml::from_str(
        "[[rule]]\ntool = \"Write\"\npath = { under = \"{cwd}\" }\ndecide = \"allow\"\n",
    )
    .unwrap();
    let project = std::fs::canonicalize(&tree.project).unwrap();
    let counts = RefCell::new(BTreeMap::new());
    runner()
        .run(&relative_path(), |path| {
            let ruling = rules.decide("Write", &json!({ "file_path": path }), &tree.project);
            // The oracle: create it, and ask the system where it is.
            let full = tree.project.join(&path);
            let landed = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&full)
                .ok()
                .and_then(|_| std::fs::canonicalize(&full).ok());
            let Some(landed) = landed else {
                // Nothing can be written there (a missing folder on the way): either answer is
                // safe, since the write would fail.
                *counts.borrow_mut().entry("no write possible").or_insert(0) += 1;
                return Ok(());
            };
            std::fs::remove_file(&landed).unwrap();
            let inside = landed.starts_with(&project);
            *counts
                .borrow_mut()
                .entry(if inside { "inside" } else { "outside" })
                .or_insert(0) += 1;
            prop_assert_eq!(
                ruling.decide == Decide::Allow,
                inside,
                "{} landed at {}",
                path,
                landed.display()
            );
            Ok(())
        })
        .unwrap();
    report("paths", &counts.borrow(), &["inside", "outside"]);
}
