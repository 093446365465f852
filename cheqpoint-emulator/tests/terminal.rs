//! The terminal reviewer, driven through its input as a person would type.

mod common;

use std::time::Duration;

use cheqpoint_emulator::{ApprovalRecord, Emulator, Status, TerminalReviewer};
use serde_json::{Value, json};

/// Sends one request through the API, lets the reviewer answer `typed`, and returns the
/// record and what the reviewer printed.
async fn review(typed: &str, editor: Option<&str>) -> (ApprovalRecord, String) {
    let request = json!({"action": "process_refund", "summary": "Refund 120.00",
                         "details": {"amount": 12000}, "riskScore": 0.8,
                         "justification": "charged twice"});
    review_request(&request, typed, editor).await
}

/// Sends `request` through the API, lets the reviewer answer `typed`, and returns the record and
/// what the reviewer printed.
async fn review_request(
    request: &Value,
    typed: &str,
    editor: Option<&str>,
) -> (ApprovalRecord, String) {
    let emulator = Emulator::start().await.unwrap();
    let id = common::create_with(&emulator.url(), request).await;
    let mut printed = Vec::new();
    let mut reviewer =
        TerminalReviewer::new(typed.as_bytes(), &mut printed).editor(editor.map(str::to_owned));
    tokio::time::timeout(Duration::from_secs(5), reviewer.review_next(&emulator))
        .await
        .expect("the reviewer answers from its input")
        .unwrap();
    let record = emulator.get(&id).unwrap();
    (record, String::from_utf8(printed).unwrap())
}

#[tokio::test]
async fn shows_the_request_and_approves_it() {
    let (record, printed) = review("a\n", None).await;
    assert_eq!(record.status, Status::Approved);
    for shown in [
        "process_refund",
        "Refund 120.00",
        "risk 0.80 (high)",
        "why: charged twice",
        "\"amount\": 12000",
    ] {
        assert!(printed.contains(shown), "{shown} missing from:\n{printed}");
    }
}

#[tokio::test]
async fn a_grant_request_is_shown_as_a_grant_and_narrowed_by_an_edit() {
    let grant = json!({"tool": "claude_code.Bash", "command": ["npm test *", "git diff *"],
                       "for_seconds": 3600, "uses": 50, "scope": "everywhere"});
    let request = json!({"action": "grant:claude_code.Bash",
                         "summary": "let claude_code.Bash run `npm test *` or `git diff *` …",
                         "details": grant});
    let narrowed = json!({"tool": "claude_code.Bash", "command": ["npm test *"],
                          "for_seconds": 600, "uses": 5, "scope": "everywhere"});
    let (record, printed) = review_request(&request, &format!("e\n{narrowed}\n"), None).await;
    for shown in [
        "A GRANT: approving lets claude_code.Bash run the calls below with nobody asked",
        "commands: `npm test *` or `git diff *`",
        "for 1 h, at most 50 uses, everywhere",
        "a wider edit grants nothing",
        "    uses: 50 → 5",
    ] {
        assert!(printed.contains(shown), "{shown} missing from:\n{printed}");
    }
    assert_eq!(record.status, Status::Approved);
    assert_eq!(record.modified_details, Some(narrowed));
}

#[tokio::test]
async fn rejects_with_a_note() {
    let (record, _) = review("x\nr\nnot today\n", None).await;
    assert_eq!(record.status, Status::Rejected);
    assert_eq!(record.decision_note.as_deref(), Some("not today"));
}

#[tokio::test]
async fn edits_as_a_json_line_asked_again_until_it_is_an_object() {
    let (record, printed) = review("e\n{oops\n[1]\n{\"amount\": 9000}\n", None).await;
    assert_eq!(record.status, Status::Approved);
    assert_eq!(record.modified_details, Some(json!({"amount": 9000})));
    assert!(printed.contains(r#"   now: {"amount":12000}"#), "{printed}");
    assert!(printed.contains("not applied: not JSON"), "{printed}");
    assert!(
        printed.contains("not applied: the details must be a JSON object"),
        "{printed}"
    );
    assert_eq!(
        printed.matches("[a]pprove").count(),
        1,
        "a refused edit asks for the details again, not for the decision:\n{printed}"
    );
    assert!(printed.contains("    amount: 12000 → 9000"), "{printed}");
}

#[tokio::test]
async fn an_empty_edit_goes_back_to_the_decision() {
    let (record, printed) = review("e\n\nr\nno\n", None).await;
    assert_eq!(record.status, Status::Rejected);
    assert_eq!(record.modified_details, None);
    assert_eq!(printed.matches("[a]pprove").count(), 2, "{printed}");
}

#[tokio::test]
async fn shows_each_changed_field_before_and_after() {
    let request = json!({"action": "send_email", "summary": "Email",
                         "details": {"to": "a@example.com", "subject": "Q3", "cc": "b@example.com"}});
    let typed =
        "e\n{\"to\": \"a@example.com\", \"subject\": \"Q3 final\", \"bcc\": \"c\\u001b\"}\n";
    let (record, printed) = review_request(&request, typed, None).await;
    assert_eq!(record.status, Status::Approved);
    assert!(
        printed.contains(r#"    subject: "Q3" → "Q3 final""#),
        "{printed}"
    );
    assert!(
        printed.contains(r#"    cc: "b@example.com" → (removed)"#),
        "{printed}"
    );
    assert!(
        printed.contains(r#"    bcc: (added) → "c\u001b""#),
        "{printed}"
    );
    assert!(!printed.contains("    to:"), "{printed}");
}

#[tokio::test]
async fn edits_in_the_editor() {
    let (record, _) = review("e\n", Some("sed -i 's/12000/500/'")).await;
    assert_eq!(record.status, Status::Approved);
    assert_eq!(record.modified_details, Some(json!({"amount": 500})));
}

#[tokio::test]
async fn leaves_the_request_pending_when_the_input_ends() {
    let (record, _) = review("", None).await;
    assert_eq!(record.status, Status::Pending);
}

#[tokio::test]
async fn agent_text_cannot_drive_the_terminal() {
    let request = json!({
        "action": "wipe\u{1b}]0;title\u{7}_disk",
        "summary": "Delete every backup\u{1b}[2K\rApproved harmless",
        "justification": "\u{1b}[1A\u{1b}[2Kroutine\u{9b}2K",
        "details": {"path\u{1b}[8m": "/\u{202e}", "note": "line one\nline two\r"},
    });
    let (record, printed) = review_request(&request, "a\n", None).await;
    assert_eq!(record.status, Status::Approved);
    assert!(
        !printed.contains('\u{1b}'),
        "an ESC byte reached the terminal:\n{printed:?}"
    );
    assert!(!printed.contains('\r'), "{printed:?}");
    assert!(
        !printed.contains('\u{9b}') && !printed.contains('\u{202e}'),
        "{printed:?}"
    );
    for shown in [
        "wipe\\u{1b}]0;title\\u{7}_disk",
        "Delete every backup\\u{1b}[2K\\u{d}Approved harmless",
        "why: \\u{1b}[1A\\u{1b}[2Kroutine\\u{9b}2K",
        "/\\u{202e}",
    ] {
        assert!(printed.contains(shown), "{shown} missing from:\n{printed}");
    }
}

#[tokio::test]
async fn the_editor_gets_a_new_private_file_that_is_removed_after() {
    let log = std::env::temp_dir().join(format!(
        "cheqpoint-terminal-test-{}-{}.log",
        std::process::id(),
        line!()
    ));
    // Records the path it was given and the file's mode, then edits as `sed` does.
    let editor = format!(
        "edit() {{ printf '%s\\n' \"$1\" >> '{log}'; ls -l \"$1\" >> '{log}'; sed -i 's/12000/500/' \"$1\"; }}; edit",
        log = log.display()
    );
    let (first, _) = review("e\n", Some(&editor)).await;
    let (second, _) = review("e\n", Some(&editor)).await;
    let logged = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    for record in [first, second] {
        assert_eq!(record.modified_details, Some(json!({"amount": 500})));
    }
    let lines: Vec<&str> = logged.lines().collect();
    let [first_path, first_mode, second_path, _] = lines[..] else {
        panic!("{logged}");
    };
    assert_ne!(first_path, second_path, "a new name each time");
    let predictable =
        std::env::temp_dir().join(format!("cheqpoint-details-{}.json", std::process::id()));
    assert_ne!(first_path, predictable.to_str().unwrap());
    assert!(
        first_path.starts_with(std::env::temp_dir().to_str().unwrap()),
        "{first_path}"
    );
    assert!(
        first_mode.starts_with("-rw-------"),
        "only its owner reads it: {first_mode}"
    );
    for path in [first_path, second_path] {
        assert!(
            !std::path::Path::new(path).exists(),
            "{path} was not removed"
        );
    }
}

#[tokio::test]
async fn shows_agent_priority_risk_level_metadata_and_trace() {
    let request = json!({
        "action": "send_email", "summary": "Email the board", "details": {"to": "board"},
        "riskLevel": "high", "priority": "urgent", "agentName": "mailer",
        "metadata": {"ticket": "T-42"},
        "trace": {"steps": [{"type": "thought", "content": "the board asked for it"}]},
    });
    let emulator = Emulator::start().await.unwrap();
    let id = common::create_with(&emulator.url(), &request).await;
    let mut printed = Vec::new();
    let mut reviewer = TerminalReviewer::new("r\nno\n".as_bytes(), &mut printed);
    tokio::time::timeout(Duration::from_secs(5), reviewer.review_next(&emulator))
        .await
        .expect("the reviewer answers from its input")
        .unwrap();
    assert_eq!(emulator.get(&id).unwrap().status, Status::Rejected);
    let printed = String::from_utf8(printed).unwrap();
    for shown in [
        "agent mailer",
        "priority urgent",
        "risk high",
        "metadata:",
        "\"ticket\": \"T-42\"",
        "trace:",
        "the board asked for it",
    ] {
        assert!(printed.contains(shown), "{shown} missing from:\n{printed}");
    }
}

#[tokio::test]
async fn invisible_characters_are_shown_as_escapes() {
    let request = json!({
        "action": "pay\u{200b}out",
        "summary": "Refund\u{2028}Approved by finance\u{2029}",
        "agentName": "bot\u{e0041}\u{e0042}",
        "details": {"iban\u{feff}": "DE00\u{200d}\u{2060}"},
        "metadata": {"note": "\u{200c}"},
    });
    let (_, printed) = review_request(&request, "a\n", None).await;
    for hidden in [
        '\u{200b}',
        '\u{200c}',
        '\u{200d}',
        '\u{2060}',
        '\u{feff}',
        '\u{2028}',
        '\u{2029}',
        '\u{e0041}',
    ] {
        assert!(
            !printed.contains(hidden),
            "{hidden:?} reached the terminal:\n{printed:?}"
        );
    }
    for shown in [
        "pay\\u{200b}out",
        "Refund\\u{2028}Approved by finance\\u{2029}",
        "agent bot\\u{e0041}\\u{e0042}",
        "iban\\u{feff}",
        "DE00\\u{200d}\\u{2060}",
        "\\u{200c}",
    ] {
        assert!(printed.contains(shown), "{shown} missing from:\n{printed}");
    }
}

#[tokio::test]
async fn at_the_prompt_logs_go_to_a_file() {
    use std::io::Write;
    use std::process::Stdio;

    let mut child = common::binary()
        .args(["--bind", "127.0.0.1:0", "--no-review-token", "--terminal"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = common::Lines::new(child.stdout.take().unwrap());
    let line = || stdout.next_line().unwrap_or_default().trim_end().to_owned();
    let url = line().strip_prefix("listening on ").unwrap().to_owned();
    let _inbox = line();
    let log_path = line()
        .strip_prefix("logs: ")
        .map(std::path::PathBuf::from)
        .unwrap();
    // An action that would forge a line beside the prompt if a log line carried it.
    let body = json!({"action": "x\r[a]pprove > ", "summary": "s", "details": {}});
    let id = common::create_with(&url, &body).await;
    child.stdin.take().unwrap().write_all(b"a\n").unwrap();
    let decided = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let record = common::get_json(&url, &format!("/api/approvals/{id}")).await;
            if record["status"] != "PENDING" {
                return record["status"].clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("decided at the prompt within 5 s");
    assert_eq!(decided, "APPROVED");
    let stderr = common::kill_and_read_stderr(&mut child);
    assert_eq!(stderr, "", "nothing but the prompt on the terminal");
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(
        logs.contains("request received") && logs.contains(&id),
        "{logs}"
    );
}
