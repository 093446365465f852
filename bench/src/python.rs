//! The official Python client: a virtualenv under the target directory with `cheqpoint==0.2.0`
//! installed by pip, and the driver script written beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::AgentProgram;

/// The version compared against.
pub const VERSION: &str = "0.2.0";

/// The driver, shipped in `bench/driver.py` and written next to the virtualenv at run time.
const DRIVER: &str = include_str!("../driver.py");

/// Makes (or reuses) `target/bench-venv` with the official client, and writes the driver there.
/// `Err` says why the Python client cannot be run.
pub fn prepare(target: &Path, python3: &str) -> Result<AgentProgram, String> {
    let venv = target.join("bench-venv");
    let python = venv.join("bin").join("python");
    if !installed(&python) {
        eprintln!(
            "python: making {} with cheqpoint=={VERSION} …",
            venv.display()
        );
        run(Command::new(python3).args(["-m", "venv"]).arg(&venv))
            .map_err(|e| format!("`{python3} -m venv` failed: {e}"))?;
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("cheqpoint=={VERSION}"),
        ]))
        .map_err(|e| format!("`pip install cheqpoint=={VERSION}` failed: {e}"))?;
        if !installed(&python) {
            return Err(format!(
                "cheqpoint {VERSION} is not importable after pip install"
            ));
        }
    }
    let driver = venv.join("cheqpoint_bench_driver.py");
    std::fs::write(&driver, DRIVER)
        .map_err(|e| format!("cannot write {}: {e}", driver.display()))?;
    Ok(AgentProgram::Python { python, driver })
}

/// True when `python` imports cheqpoint at the version compared against.
fn installed(python: &Path) -> bool {
    python.exists()
        && Command::new(python)
            .args([
                "-c",
                &format!(
                    "import importlib.metadata as m, cheqpoint; \
                     assert m.version('cheqpoint') == '{VERSION}'"
                ),
            ])
            .output()
            .is_ok_and(|output| output.status.success())
}

/// Runs `command`; `Err` holds the end of its output when it fails.
fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| e.to_string())?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    let tail: Vec<&str> = text.lines().rev().take(3).collect();
    Err(format!(
        "{}: {}",
        output.status,
        tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
    ))
}

/// The target directory: two levels above this binary (`target/release/cheqpoint-bench`), or
/// `target/` beside the workspace when that cannot be told.
pub fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .filter(|dir| dir.join("CACHEDIR.TAG").exists() || dir.ends_with("target"))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}
