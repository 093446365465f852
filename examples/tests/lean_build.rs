//! `cargo run --example quickstart` on a fresh clone builds what the examples need and nothing
//! more: not the rig integration, the browser driver or the test tools that the test crate
//! asks for, not the emulator binary's command-line parser, and not SQLite (only the durable
//! example needs it, built with `--features cheqpoint/sqlite`). Checked on what cargo resolves
//! for the workspace's default members (`cargo tree`, offline, from the lock file).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the examples must not build.
const NOT_NEEDED: [&str; 11] = [
    "rig-core",
    "rig-agent",
    "fantoccini",
    "trybuild",
    "proptest",
    "clap",
    "tracing-subscriber",
    "rusqlite",
    "libsqlite3-sys",
    // The lock file picks `idna_adapter` 1.1 (the unicode-rs back end of the URL parser's
    // IDNA) over 1.2 (ICU4X, a score of crates with their proc macros). A `cargo update` moves
    // it back: `cargo update -p idna_adapter --precise 1.1.0` after it.
    "icu_normalizer",
    "icu_properties",
];

#[test]
fn the_quickstart_builds_only_what_it_needs() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the examples crate is a folder of the workspace");
    let mut child = Command::new(env!("CARGO"))
        .current_dir(workspace)
        .args([
            "tree",
            "--offline",
            "--edges",
            "normal,build,dev",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo runs");
    // A bound on the wait: a cargo that hangs fails the test instead of stalling the run.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("cargo can be waited for").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cargo tree did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("cargo's output");
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        tree.lines()
            .any(|line| line.starts_with("cheqpoint-examples ")),
        "the examples are a default member:\n{tree}"
    );
    let built: Vec<&str> = tree
        .lines()
        .filter(|line| {
            NOT_NEEDED
                .iter()
                .any(|name| line.starts_with(&format!("{name} ")))
        })
        .collect();
    assert!(
        built.is_empty(),
        "`cargo run --example quickstart` would also build {built:?}"
    );
}
