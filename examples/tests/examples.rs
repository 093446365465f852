//! Each example run as a user would, deciding with `--auto`, and its printed outcome checked.
//!
//! `cargo test` builds the examples before it runs tests; these tests run those binaries.

use std::{path::PathBuf, process::Command, time::Instant};

/// Runs `target/<profile>/examples/<name>` with `args` and returns its stdout.
fn run_example(name: &str, args: &[&str]) -> String {
    let deps = std::env::current_exe().expect("the test binary has a path");
    let binary: PathBuf = deps
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join(name))
        .expect("the test binary lives in target/<profile>/deps");
    assert!(
        binary.exists(),
        "{} is not built: run `cargo test --workspace` (or `cargo build --examples`) first",
        binary.display()
    );
    let started = Instant::now();
    let output = Command::new(&binary)
        .args(args)
        .env_remove("CHEQPOINT_API_KEY")
        .env_remove("CHEQPOINT_CONNECTION_KEY")
        .output()
        .expect("the example starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{name} {args:?} took {:?}", started.elapsed());
    stdout
}

#[test]
fn quickstart_runs_every_action_when_approved() {
    let out = run_example("quickstart", &["--auto", "approve"]);
    assert!(
        out.contains("ran      send_email: sent \"Weekly report\" to team@example.com"),
        "{out}"
    );
    assert!(
        out.contains("ran      process_refund: refunded 12000 cents on order 8842"),
        "{out}"
    );
    assert!(
        out.contains("ran      delete_user: deleted user 42"),
        "{out}"
    );
    assert!(!out.contains("refused"), "{out}");
}

#[test]
fn quickstart_runs_nothing_when_rejected() {
    let out = run_example("quickstart", &["--auto", "reject"]);
    assert_eq!(out.matches("refused  ").count(), 3, "{out}");
    assert!(
        out.contains("was rejected by a reviewer: declined by --auto reject"),
        "{out}"
    );
    assert!(!out.contains("ran  "), "{out}");
}

#[test]
fn quickstart_runs_with_the_edited_values() {
    let out = run_example("quickstart", &["--auto", "edit"]);
    assert!(out.contains("sent \"Weekly report (final)\""), "{out}");
    assert!(out.contains("refunded 6000 cents on order 8842"), "{out}");
}

#[test]
fn the_tool_agent_reads_a_refusal_and_does_not_retry() {
    let out = run_example("tool_agent", &["--auto", "reject"]);
    assert!(
        out.contains("tool result: a human declined: declined by --auto reject"),
        "{out}"
    );
    assert!(out.contains("I will not try again"), "{out}");
    assert!(out.contains("approval requests made: 1"), "{out}");
}

#[test]
fn the_tool_agent_uses_the_approved_arguments() {
    let out = run_example("tool_agent", &["--auto", "edit"]);
    assert!(
        out.contains(r#"tool result: {"customer":"ada@example.com","refunded_cents":2000}"#),
        "{out}"
    );
}

#[test]
fn callbacks_decide_inline_and_by_a_verified_callback() {
    let out = run_example("callbacks", &["--auto", "edit"]);
    assert!(
        out.contains(
            r#"reviewer's edit: {"service":"billing","version":"2.3.0","window":"22:00 UTC"}"#
        ),
        "{out}"
    );
    assert!(out.contains("(signature verified)"), "{out}");
    assert!(out.contains("callback: approved"), "{out}");
}

#[test]
fn the_blocking_example_waits_without_a_runtime() {
    let out = run_example("blocking", &["--auto", "edit"]);
    assert!(
        out.contains("ran: dropped analytics.sessions_archive"),
        "{out}"
    );
    let out = run_example("blocking", &["--auto", "reject"]);
    assert!(out.contains("refused: approval"), "{out}");
}

#[test]
fn the_durable_agent_reattaches_after_a_kill_and_runs_once() {
    let out = run_example("durable", &["--auto"]);
    assert!(out.contains("killing it (SIGKILL)"), "{out}");
    assert!(out.contains("agent 2: found req_"), "{out}");
    assert!(out.contains("agent 2: refunded 12000 cents"), "{out}");
    assert!(
        out.contains("agent 3: not run again: it already ran"),
        "{out}"
    );
    assert!(out.contains("requests created: 1 "), "{out}");
}
