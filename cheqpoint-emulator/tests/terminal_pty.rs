//! The terminal reviewer in a real terminal: the emulator's binary runs with `--terminal` in a
//! tmux pane, and the test types as a person would: `e`, then an edit of one field in the line
//! that starts filled with the current details, and reads before → after on the screen.
//!
//! Needs tmux (Debian's `tmux` package). Where it is missing the test says so in one line and
//! passes, except under `CI=true` (or `CI=1`), where it fails.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::json;

/// A tmux server of this test's own, on its own socket; killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-u")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// The visible screen of the pane.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "review"]).stdout)
            .into_owned()
    }

    /// Waits at most 10 s for the screen to hold `needle`; returns the screen.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen did not show {needle:?} within 10 s:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "review"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "tmux send-keys {keys:?}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// `true` when tmux can run; else says so in one line, and fails under CI.
fn tmux_available() -> bool {
    if Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|out| out.status.success())
    {
        return true;
    }
    let missing = "tmux is missing, so the terminal reviewer was not tried in a real terminal: apt-get install -y tmux";
    let ci = std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1");
    assert!(!ci, "{missing}");
    eprintln!("{missing}");
    false
}

/// Quotes `word` for `sh`.
fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_of_one_field_in_place_shows_before_and_after() {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux {
        socket: format!("cheqpoint-terminal-{}", std::process::id()),
    };
    let binary = env!("CARGO_BIN_EXE_cheqpoint-emulator");
    let command = format!(
        "env -u EDITOR LANG=C.UTF-8 {} --bind 127.0.0.1:0 --no-review-token --terminal",
        quoted(binary)
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "review",
        "-x",
        "200",
        "-y",
        "50",
        &command,
    ]);
    assert!(
        started.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    let screen = tmux.wait_for("listening on http://");
    let url = screen
        .lines()
        .find_map(|line| line.trim().strip_prefix("listening on "))
        .expect("the address line")
        .to_owned();

    let body = json!({"action": "process_refund", "summary": "Refund 120.00",
                      "details": {"amount": 12000, "currency": "EUR"}, "riskScore": 0.8});
    let id = common::create_with(&url, &body).await;
    tmux.wait_for("[a]pprove  [r]eject  [e]dit >");
    tmux.keys(&["e", "Enter"]);
    tmux.wait_for(
        r#"details (one line of JSON; empty to go back) > {"amount":12000,"currency":"EUR"}"#,
    );
    // In place: to the start of the line, past `{"amount":`, delete 12000, type 9000.
    tmux.keys(&["Home"]);
    tmux.keys(&["-N", "10", "Right"]);
    tmux.keys(&["-N", "5", "DC"]);
    tmux.keys(&["-l", "9000"]);
    tmux.wait_for(r#"> {"amount":9000,"currency":"EUR"}"#);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("amount: 12000 → 9000");
    assert!(screen.contains(&format!("approved {id}")), "{screen}");
    assert!(
        !screen.contains("currency:"),
        "only the changed field is shown:\n{screen}"
    );

    let record = common::get_json(&url, &format!("/api/approvals/{id}")).await;
    assert_eq!(record["status"], "APPROVED", "{record}");
    assert_eq!(
        record["modifiedDetails"],
        json!({"amount": 9000, "currency": "EUR"}),
        "{record}"
    );
}
