//! The durable example, run as a user would: built only with SQLite (`cheqpoint/sqlite`, see
//! the examples' `Cargo.toml`), so this test is built with it too.
//!
//! `cargo test` builds the examples before it runs tests; these tests run those binaries.

mod support;

use support::{check_auto_run, check_refuses_flags, last_line, start_example};

/// Each `--auto` mode: the agent is killed while it waits, re-attaches and runs once.
#[test]
fn durable_ends_as_its_auto_mode_decides() {
    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "approve",
            "requests created: 1 (the agent was started 3 times)",
            &[
                "agent 2: refunded 12000 cents",
                "agent 3: not run again: it already ran",
            ],
        ),
        (
            "reject",
            "requests created: 1 (the agent was started 3 times)",
            &[
                "agent 2: refused: approval req_",
                "agent 3: refused: approval req_",
            ],
        ),
        (
            "edit",
            "requests created: 1 (the agent was started 3 times)",
            &[
                "agent 2: refunded 6000 cents",
                "agent 3: not run again: it already ran",
            ],
        ),
    ];
    for (mode, last, before) in cases {
        check_auto_run("durable", mode, last, before);
    }
}

#[test]
fn durable_refuses_flags_it_does_not_take_in_words() {
    check_refuses_flags("durable");
}

/// With `CHEQPOINT_API_KEY` set, the durable example, which runs its own service, says it does
/// not use the one the environment names.
#[test]
fn durable_says_it_does_not_use_the_service_of_the_environment() {
    let env = [
        ("CHEQPOINT_API_KEY", "cq_test_elsewhere"),
        ("CHEQPOINT_BASE_URL", "http://127.0.0.1:9"),
    ];
    let output = start_example("durable", &["--auto", "approve"], &env);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("so it does not talk to http://127.0.0.1:9"),
        "{stdout}"
    );
    assert!(
        last_line(&stdout).ends_with("requests created: 1 (the agent was started 3 times)"),
        "{stdout}"
    );
}
