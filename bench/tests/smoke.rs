//! The bench's logic end to end, in small: every scenario with a few calls, this crate's client
//! polling and with push (the Python client is left out: no network here). It checks what the
//! runs did, never how fast.

use std::process::Command;

/// The cells of the table's rows whose metric is `metric`: polling, push, Python.
fn rows<'a>(table: &'a str, metric: &str) -> Vec<[&'a str; 3]> {
    table
        .lines()
        .filter(|line| line.starts_with('|'))
        .map(|line| line.split('|').map(str::trim).collect::<Vec<_>>())
        .filter(|cells| cells.len() > 5 && cells[2] == metric)
        .map(|cells| [cells[3], cells[4], cells[5]])
        .collect()
}

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
    let checks = rows(&stdout, "errors / not run / run twice");
    assert_eq!(checks.len(), 2, "{stdout}");
    for [poll, push, _] in checks {
        assert_eq!((poll, push), ("0 / 0 / 0", "0 / 0 / 0"), "{stdout}");
    }
    // Scenario 1 with every callback lost: push still ends every call, by polling.
    let lost = rows(&stdout, "errors / not run / run twice, every callback lost");
    assert_eq!(lost.len(), 1, "{stdout}");
    assert_eq!(lost[0][1], "0 / 0 / 0", "{stdout}");
    assert!(rows(&stdout, "p99, every callback lost")[0][1].ends_with(" ms"));
    // Scenario 1 with push: the floor was measured in the same window, and push's time was
    // cut where the emulator's logs see it.
    for metric in [
        "floor: callback POST + GET, bare reqwest, p50 / p99",
        "read reaches the emulator → body, p50 / p99",
    ] {
        let push = rows(&stdout, metric)[0][1];
        assert!(
            push.contains(" / ") && push.ends_with('s') && !push.contains("failed"),
            "{metric}: {push:?} in\n{stdout}"
        );
    }
    // Scenario 3: each agent told the heap its waits hold.
    for heap in rows(&stdout, "heap per pending wait (bytes / blocks)")[0][..2].iter() {
        let bytes: f64 = heap
            .split(" B")
            .next()
            .and_then(|bytes| bytes.parse().ok())
            .unwrap_or_else(|| panic!("{heap:?} in\n{stdout}"));
        assert!(bytes > 0.0, "{stdout}");
    }
    // Scenario 2, polling and push: calls were made, and none failed.
    let errors = rows(&stdout, "errors");
    assert_eq!(errors.len(), 1, "{stdout}");
    assert_eq!(&errors[0][..2], ["0", "0"], "{stdout}");
    let per_second = rows(&stdout, "calls per second");
    assert_eq!(per_second.len(), 1, "{stdout}");
    for calls in &per_second[0][..2] {
        let calls: f64 = calls
            .parse()
            .unwrap_or_else(|_| panic!("{calls:?}: {stdout}"));
        assert!(calls > 0.0, "{stdout}");
    }
}
