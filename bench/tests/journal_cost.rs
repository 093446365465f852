//! The journal bench end to end, in small: each journal for a fraction of a second, checking that
//! every row of the table is there, never how fast.

use std::process::Command;

#[test]
fn the_journal_bench_measures_each_journal() {
    let output = Command::new(env!("CARGO_BIN_EXE_journal-cost"))
        .args(["--seconds", "0.3", "--warmup", "0", "--concurrency", "8"])
        .output()
        .expect("the bench starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for journal in ["| none |", "| SQLite |"] {
        assert!(stdout.contains(journal), "no {journal} row in\n{stdout}");
    }
    let postgres_measured = stdout.contains("| PostgreSQL |");
    assert!(
        postgres_measured || stderr.contains("PostgreSQL left out"),
        "{stdout}\n{stderr}"
    );
}
