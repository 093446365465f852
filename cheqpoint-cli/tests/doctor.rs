//! `cheqpoint doctor` on a machine wired by `cheqpoint install`, against the emulator: every
//! check passes; a hook timeout shorter than the hook's own, Codex's `PermissionRequest` entry
//! gone, Cursor's failClosed off, and the service down are each reported with what to fix.

use std::{path::PathBuf, process::Output};

use cheqpoint_emulator::Emulator;

struct Machine {
    root: PathBuf,
    url: String,
}

impl Machine {
    fn new(name: &str, url: String) -> Machine {
        let root =
            std::env::temp_dir().join(format!("cheqpoint-doctor-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("project")).unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        Machine { root, url }
    }

    fn run(&self, args: &[&str]) -> Output {
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_cheqpoint"));
        let path =
            std::env::join_paths([binary.parent().unwrap().to_path_buf()].into_iter().chain(
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
            ))
            .unwrap();
        std::process::Command::new(&binary)
            .args(args)
            .current_dir(self.root.join("project"))
            .env("HOME", self.root.join("home"))
            .env("PATH", path)
            .env("CHEQPOINT_API_KEY", "cq_test_doctor")
            .env("CHEQPOINT_BASE_URL", &self.url)
            .output()
            .unwrap()
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.root.join("project").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{text}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn said(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_machine_wired_by_install_passes_and_each_fault_says_what_to_fix() {
    let emulator = Emulator::start().await.unwrap();
    let machine = Machine::new("wired", emulator.url());
    let none = machine.run(&["doctor"]);
    assert!(!none.status.success());
    assert!(
        said(&none).contains("no agent's configuration runs cheqpoint hook"),
        "{}",
        said(&none)
    );
    for agent in ["claude-code", "codex", "gemini", "cursor", "copilot"] {
        assert!(machine.run(&["install", agent]).status.success());
    }
    let healthy = machine.run(&["doctor"]);
    let text = said(&healthy);
    assert!(healthy.status.success(), "{text}");
    assert!(!text.contains("FIX"), "{text}");
    for agent in ["claude-code", "codex", "gemini", "cursor", "copilot"] {
        let denied = format!("{agent}: a test event through the hook was denied");
        assert!(text.contains(&denied), "{text}");
    }
    assert!(text.contains("answers and takes the key"), "{text}");
    for agent in ["claude-code", "codex"] {
        let both = format!("{agent}: the hook is on PreToolUse and PermissionRequest");
        assert!(text.contains(&both), "{text}");
    }
    assert_eq!(emulator.created_count(), 0, "the doctor asked a reviewer");

    machine.edit(
        ".claude/settings.json",
        "\"timeout\": 70",
        "\"timeout\": 30",
    );
    machine.edit(
        ".codex/config.toml",
        "hooks.PermissionRequest",
        "hooks.SessionStart",
    );
    machine.edit(
        ".cursor/hooks.json",
        "\"failClosed\": true",
        "\"failClosed\": false",
    );
    let faulty = machine.run(&["doctor"]);
    let text = said(&faulty);
    assert!(!faulty.status.success(), "{text}");
    assert!(
        text.contains("FIX  claude-code: the hook's timeout (30 s) is not longer"),
        "{text}"
    );
    assert!(text.contains("FIX  cursor: failClosed is off"), "{text}");
    assert!(
        text.contains("FIX  codex: no hook on PermissionRequest"),
        "{text}"
    );

    let down = Machine::new("down", {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", closed.local_addr().unwrap())
    });
    let output = down.run(&["doctor"]);
    assert!(
        said(&output).contains("does not answer as the service does"),
        "{}",
        said(&output)
    );
}
