//! The bench's logic end to end, in small: every scenario with a few calls, this crate's client
//! polling and with push (the Python client is left out: no network here). It checks what the
//! runs did, never how fast.

use std::process::Command;

#[test]
fn every_scenario_runs_in_small_and_every_body_runs_once() {
    let output = Command::new(env!("CARGO_BIN_EXE_cheqpoint-bench"))
        .args(["--smoke", "--no-python"])
        .output()
        .expect("the bench starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for scenario in ["1. decision → resume", "2. auto-decided", "3. scale"] {
        assert!(stdout.contains(scenario), "no {scenario} in\n{stdout}");
    }
    assert!(!stdout.contains("failed"), "{stdout}\n{stderr}");
    // Scenarios 1 and 3, polling and push: no error, no body left unrun or run twice.
    let checks: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with('|') && line.contains("errors / not run / run twice"))
        .collect();
    assert_eq!(checks.len(), 2, "{stdout}");
    for line in checks {
        assert_eq!(line.matches("0 / 0 / 0").count(), 2, "{line}");
    }
}
