//! A property of grants near their edges: a reviewer's edit that [`Grant::narrowed_by`] accepts
//! never covers more than what was asked. Edits are made by mutating the asked grant's JSON at
//! its boundaries (uses and duration ±1, a bound's max and min ±1, a command pattern shortened,
//! lengthened, opened, closed or swapped, a pattern added, a scope moved), and each accepted
//! edit is checked against calls made near the same boundaries, and calls its own patterns
//! match: every call the edit covers, the
//! asked grant covers too, and its uses, duration and scope are no larger.
//!
//! It prints the share of edits accepted, refused because some call showed them wider, and
//! refused though no sampled call did (the check's caution), and fails when no edit was accepted
//! or none shown wider. `CHEQPOINT_PROP_CASES` sets the number of cases (default 600: each case decides 126 calls).

use std::{cell::RefCell, collections::BTreeMap, path::Path};

use cheqpoint::policy::grants::{Grant, GrantScope};
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{Value, json};

fn asked_grant() -> Grant {
    Grant::new("claude_code.Bash")
        .command(["npm test *", "git diff *", "cargo build --release"])
        .conditions(json!({"timeout": {"min": 1, "max": 600000}}))
        .lasting(std::time::Duration::from_secs(3600))
        .uses(50)
        .scope(GrantScope::Agent("claude_code".into()))
}

/// A command pattern near the asked ones.
fn pattern() -> impl Strategy<Value = String> {
    let asked = prop_oneof![
        Just("npm test *"),
        Just("git diff *"),
        Just("cargo build --release")
    ];
    (asked, 0..8usize, "[a-z-]{1,6}").prop_map(|(base, how, word)| {
        let words: Vec<&str> = base.split(' ').collect();
        match how {
            0 => base.to_owned(),
            1 => words[..words.len() - 1].join(" "),
            2 => format!("{base} {word}"),
            3 => format!("{} {word} *", words[..words.len() - 1].join(" ")),
            4 => format!("{} *", words[0]),
            5 => format!("{} * {}", words[0], words[words.len() - 1]),
            6 => format!("{word} *"),
            _ => base.replace('*', &word),
        }
    })
}

/// An edit of the asked grant's JSON, near its edges: one part (`which`) mutated either way,
/// the others kept or narrowed, so that accepted and refused edits both come often.
fn edit() -> impl Strategy<Value = Value> {
    (
        0..6usize,
        -1i64..=1,
        prop::collection::vec(pattern(), 1..4),
        prop::collection::vec(0..3usize, 1..4),
        0..4usize,
        any::<bool>(),
    )
        .prop_map(|(which, step, patterns, kept, scope, narrow)| {
            // `step` as given for the part mutated, else only in the narrowing direction.
            let toward = |part: usize, narrowing: i64| {
                if part == which {
                    step
                } else if narrow {
                    narrowing
                } else {
                    0
                }
            };
            let asked = ["npm test *", "git diff *", "cargo build --release"];
            let mut edit = serde_json::to_value(asked_grant()).unwrap();
            edit["uses"] = json!(50 + toward(0, -1));
            edit["for_seconds"] = json!(3600 + toward(1, -1));
            edit["where"] =
                json!({"timeout": {"min": 1 + toward(2, 1), "max": 600000 + toward(3, -1)}});
            edit["command"] = if which == 4 {
                json!(patterns)
            } else {
                json!(kept.iter().map(|&i| asked[i]).collect::<Vec<_>>())
            };
            if which == 5 {
                edit["scope"] = match scope {
                    0 => json!({"agent": "codex"}),
                    1 => json!({"session": "s1"}),
                    2 => json!("everywhere"),
                    _ => json!({"agent": "claude_code"}),
                };
                if step == 0 {
                    edit.as_object_mut().unwrap().remove("where");
                }
            }
            edit
        })
}

/// Calls an edit's own patterns match: each with its wildcards filled in, without its last `*`,
/// and with a word more.
fn calls_of(edit: &Value) -> Vec<Value> {
    let patterns = edit["command"].as_array().cloned().unwrap_or_default();
    patterns
        .iter()
        .filter_map(Value::as_str)
        .flat_map(|p| {
            [
                p.replace('*', "a"),
                p.trim_end_matches(" *").to_owned(),
                format!("{} zz", p.replace('*', "a")),
            ]
        })
        .map(|line| json!({"command": line, "timeout": 5}))
        .collect()
}

/// Calls near the same edges: the asked commands and their mutations, timeouts at the bounds.
fn calls() -> Vec<Value> {
    let lines = [
        "npm test",
        "npm test -- unit",
        "npm",
        "npm run build",
        "git diff",
        "git diff --stat",
        "git status",
        "git",
        "cargo build --release",
        "cargo build",
        "cargo build --release --locked",
        "rm -rf target",
        "npm test && git diff",
        "npm test; rm -rf /",
        "a",
        "npm a",
        "git a",
        "cargo a --release",
        "npm test a",
        "git diff a",
    ];
    let timeouts = [
        json!(0),
        json!(1),
        json!(2),
        json!(599999),
        json!(600000),
        json!(600001),
    ];
    let mut calls = Vec::new();
    for line in lines {
        for timeout in &timeouts {
            calls.push(json!({"command": line, "timeout": timeout}));
        }
        calls.push(json!({"command": line}));
    }
    calls
}

#[test]
fn an_accepted_edit_never_covers_more_than_was_asked() {
    let cases = std::env::var("CHEQPOINT_PROP_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(600);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let wide = asked_grant();
    let wide_covers = wide.checked().unwrap();
    let cwd = Path::new("/work/project");
    let calls = calls();
    let counts: RefCell<BTreeMap<&'static str, u32>> = RefCell::default();
    runner
        .run(&edit(), |edit| {
            let narrower = match wide.narrowed_by(&edit) {
                Ok(narrower) => narrower,
                Err(_) => {
                    let Ok(as_given) = serde_json::from_value::<Grant>(edit.clone()) else {
                        *counts.borrow_mut().entry("refused: no grant").or_default() += 1;
                        return Ok(());
                    };
                    let own = calls_of(&edit);
                    let wider = as_given.uses > wide.uses
                        || as_given.for_seconds > wide.for_seconds
                        || as_given.scope != wide.scope
                        || as_given.checked().is_ok_and(|covering| {
                            calls.iter().chain(&own).any(|call| {
                                covering.covers(&wide.tool, call, cwd)
                                    && !wide_covers.covers(&wide.tool, call, cwd)
                            })
                        });
                    *counts
                        .borrow_mut()
                        .entry(if wider {
                            "refused: shown wider"
                        } else {
                            "refused: caution"
                        })
                        .or_default() += 1;
                    return Ok(());
                }
            };
            *counts.borrow_mut().entry("accepted").or_default() += 1;
            prop_assert!(narrower.uses <= wide.uses && narrower.for_seconds <= wide.for_seconds);
            prop_assert!(
                narrower.scope == wide.scope || matches!(wide.scope, GrantScope::Everywhere)
            );
            let covering = narrower.checked().unwrap();
            for call in calls.iter().chain(&calls_of(&edit)) {
                prop_assert!(
                    !covering.covers(&wide.tool, call, cwd)
                        || wide_covers.covers(&wide.tool, call, cwd),
                    "{edit} covers {call}, which the asked grant does not"
                );
            }
            Ok(())
        })
        .unwrap();
    let counts = counts.into_inner();
    let total: u32 = counts.values().sum();
    let shares: Vec<String> = counts
        .iter()
        .map(|(branch, n)| format!("{branch} {:.1}%", f64::from(*n) * 100.0 / f64::from(total)))
        .collect();
    eprintln!("narrowing: {total} edits: {}", shares.join(", "));
    // "refused: caution" (refused, though no sampled call shows the edit wider) is reported,
    // not required: the fewer, the better.
    for branch in ["accepted", "refused: shown wider"] {
        assert!(counts.contains_key(branch), "no edit reached `{branch}`");
    }
}
