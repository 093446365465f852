//! Each example run as a user would, with each `--auto` mode, its printed outcome checked down to
//! its last line; and the flags it refuses, refused in words.
//!
//! `cargo test` builds the examples before it runs tests; these tests run those binaries.

use std::{
    path::PathBuf,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

/// Runs `target/<profile>/examples/<name>` with `args` and returns its stdout.
fn run_example(name: &str, args: &[&str]) -> String {
    let output = start_example(name, args, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Runs the example with `args` and the environment `env` added (without the caller's
/// `CHEQPOINT_*` keys), and waits at most 60 s for it to end.
fn start_example(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
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
    let mut child = Command::new(&binary)
        .args(args)
        .env_remove("CHEQPOINT_API_KEY")
        .env_remove("CHEQPOINT_CONNECTION_KEY")
        .env_remove("CHEQPOINT_BASE_URL")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let deadline = started + Duration::from_secs(60);
    while child
        .try_wait()
        .expect("the example can be waited for")
        .is_none()
    {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{name} {args:?} did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("{name} {args:?} took {:?}", started.elapsed());
    child.wait_with_output().expect("the example's output")
}

/// The last line the example printed that is not blank.
fn last_line(out: &str) -> &str {
    out.lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
}

/// Every example with every `--auto` mode: it names the service it talks to, its last line says
/// how it ended, and the lines before it show the decision took effect.
#[test]
fn every_example_ends_as_its_auto_mode_decides() {
    let cases: [(&str, &str, &str, &[&str]); 15] = [
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
        (
            "durable",
            "approve",
            "requests created: 1 (the agent was started 3 times)",
            &[
                "agent 2: refunded 12000 cents",
                "agent 3: not run again: it already ran",
            ],
        ),
        (
            "durable",
            "reject",
            "requests created: 1 (the agent was started 3 times)",
            &[
                "agent 2: refused: approval req_",
                "agent 3: refused: approval req_",
            ],
        ),
        (
            "durable",
            "edit",
            "requests created: 1 (the agent was started 3 times)",
            &[
                "agent 2: refunded 6000 cents",
                "agent 3: not run again: it already ran",
            ],
        ),
    ];
    for (example, mode, last, before) in cases {
        let out = run_example(example, &["--auto", mode]);
        assert!(
            out.contains(&format!("deciding automatically: --auto {mode}"))
                || out.contains(&format!("(--auto {mode})")),
            "{example} --auto {mode} does not say it decides automatically:\n{out}"
        );
        assert!(
            last_line(&out).ends_with(last),
            "{example} --auto {mode}: the last line is not `…{last}`:\n{out}"
        );
        assert!(
            out.contains("talking to http://127.0.0.1:")
                && out.contains("(an emulator in this process)")
                && out.contains("review inbox: http://127.0.0.1:"),
            "{example} --auto {mode} does not name the service it talks to:\n{out}"
        );
        for line in before {
            assert!(
                out.contains(line),
                "{example} --auto {mode}: no `{line}` in:\n{out}"
            );
        }
        assert!(
            !out.contains("edit: none"),
            "{example} --auto {mode} prints an edit that is not there:\n{out}"
        );
    }
}

#[test]
fn every_example_refuses_flags_it_does_not_take_in_words() {
    for example in [
        "quickstart",
        "tool_agent",
        "callbacks",
        "blocking",
        "durable",
    ] {
        for (args, says) in [
            (&["--auto"][..], "--auto takes approve, reject or edit"),
            (
                &["--auto", "maybe"][..],
                r#"--auto takes approve, reject or edit, not "maybe""#,
            ),
            (
                &["--verbose"][..],
                "unknown arguments [\"--verbose\"]; use --auto approve|reject|edit",
            ),
        ] {
            let output = start_example(example, args, &[]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{example} {args:?} ran");
            assert!(stderr.contains(says), "{example} {args:?}:\n{stderr}");
        }
    }
}

/// With `CHEQPOINT_API_KEY` set, the examples talk to the service the environment names, which
/// this process cannot decide for: `--auto` is refused, naming that service; the durable
/// example, which runs its own service, says it does not use it.
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
