//! Each example run as a user would, with each `--auto` mode, its printed outcome checked down to
//! its last line; and the flags it refuses, refused in words. The durable example, built with
//! SQLite, has its own file (`durable.rs`).
//!
//! `cargo test` builds the examples before it runs tests; these tests run those binaries.

mod support;

use support::{check_auto_run, check_refuses_flags, start_example};

/// Every example with every `--auto` mode: it names the service it talks to, its last line says
/// how it ended, and the lines before it show the decision took effect.
#[test]
fn every_example_ends_as_its_auto_mode_decides() {
    let cases: [(&str, &str, &str, &[&str]); 12] = [
        (
            "quickstart",
            "approve",
            "ran      delete_user: deleted user 42",
            &[
                "ran      send_email: sent \"Weekly report\" to team@example.com",
                "ran      process_refund: refunded 12000 cents on order 8842",
            ],
        ),
        (
            "quickstart",
            "reject",
            "was rejected by a reviewer: declined by --auto reject",
            &[
                "refused  send_email:",
                "refused  process_refund:",
                "refused  delete_user:",
            ],
        ),
        (
            "quickstart",
            "edit",
            "ran      delete_user: deleted user 42",
            &[
                "sent \"Weekly report (final)\"",
                "refunded 6000 cents on order 8842",
            ],
        ),
        (
            "tool_agent",
            "approve",
            "approval requests made: 1",
            &[r#"tool result: {"customer":"ada@example.com","refunded_cents":4500}"#],
        ),
        (
            "tool_agent",
            "reject",
            "approval requests made: 1",
            &[
                "tool result: A reviewer declined this call to issue_refund (approval ",
                "The note: \"declined by --auto reject\".",
                "I will not try again",
            ],
        ),
        (
            "tool_agent",
            "edit",
            "approval requests made: 1",
            &[r#"tool result: {"customer":"ada@example.com","refunded_cents":2000}"#],
        ),
        (
            "callbacks",
            "approve",
            "(as sent)",
            &["callback (signature verified): approved req_"],
        ),
        (
            "callbacks",
            "reject",
            "(declined by --auto reject)",
            &[
                "  rejected req_",
                "callback (signature verified): rejected req_",
            ],
        ),
        (
            "callbacks",
            "edit",
            r#"(reviewer's edit: {"service":"billing","version":"2.3.0","window":"22:00 UTC"})"#,
            &["callback (signature verified): approved req_"],
        ),
        (
            "blocking",
            "approve",
            "ran: dropped analytics.sessions",
            &[],
        ),
        (
            "blocking",
            "reject",
            "was rejected by a reviewer: declined by --auto reject",
            &["refused: approval req_"],
        ),
        (
            "blocking",
            "edit",
            "ran: dropped analytics.sessions_archive",
            &[],
        ),
    ];
    for (example, mode, last, before) in cases {
        check_auto_run(example, mode, last, before);
    }
}

#[test]
fn every_example_refuses_flags_it_does_not_take_in_words() {
    for example in ["quickstart", "tool_agent", "callbacks", "blocking"] {
        check_refuses_flags(example);
    }
}

/// With `CHEQPOINT_API_KEY` set, the examples talk to the service the environment names, which
/// this process cannot decide for: `--auto` is refused, naming that service.
#[test]
fn auto_is_refused_in_words_when_the_environment_names_a_service() {
    let env = [
        ("CHEQPOINT_API_KEY", "cq_test_elsewhere"),
        ("CHEQPOINT_BASE_URL", "http://127.0.0.1:9"),
    ];
    for example in ["quickstart", "tool_agent", "callbacks", "blocking"] {
        let output = start_example(example, &["--auto", "approve"], &env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{example} ran with --auto and a service of the environment"
        );
        assert!(
            stderr.contains("but CHEQPOINT_API_KEY is set, so this example talks to http://127.0.0.1:9, where a person decides"),
            "{example}:\n{stderr}"
        );
    }
}
