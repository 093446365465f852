//! What the examples' tests share: running an example's binary as a user would, and the checks
//! every example passes.

use std::{
    path::PathBuf,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

/// Runs `target/<profile>/examples/<name>` with `args` and returns its stdout.
pub fn run_example(name: &str, args: &[&str]) -> String {
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
pub fn start_example(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
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
pub fn last_line(out: &str) -> &str {
    out.lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
}

/// Runs `example --auto mode` and checks what it printed: it says it decides automatically,
/// names the emulator it talks to, ends with `last` and printed each line of `before` on its way.
pub fn check_auto_run(example: &str, mode: &str, last: &str, before: &[&str]) {
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

/// Checks that `example` refuses flags it does not take, saying so on stderr.
pub fn check_refuses_flags(example: &str) {
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
