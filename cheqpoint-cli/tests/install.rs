//! `cheqpoint install AGENT` and `uninstall AGENT` as a person runs them, on each agent's
//! configuration with comments and other entries (`tests/fixtures/install/`, sources in
//! `SOURCES.md`): the hook is written where the agent reads it, twice changes nothing, the rest
//! of the file is kept, uninstall puts the original bytes back, a dry run writes nothing, and a
//! file that cannot be parsed is refused untouched.

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use serde_json::Value;

/// A project folder and a home folder of a test's own.
struct Folders {
    root: PathBuf,
}

impl Folders {
    fn new(name: &str) -> Folders {
        let root =
            std::env::temp_dir().join(format!("cheqpoint-install-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("project")).unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::write(
            root.join("project/gate.toml"),
            "timeout = 100\n[tools.Bash]\nrisk = 0.5\n[tools.\"mcp__*\"]\n",
        )
        .unwrap();
        Folders { root }
    }

    fn project(&self) -> PathBuf {
        self.root.join("project")
    }

    fn run(&self, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_cheqpoint"))
            .args(args)
            .current_dir(self.project())
            .env("HOME", self.root.join("home"))
            .output()
            .unwrap()
    }
}

impl Drop for Folders {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/install")
            .join(name),
    )
    .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Install twice, uninstall, on `fixture` placed at `file` (or no file): returns what install
/// wrote.
fn round_trip(agent: &str, file: &str, original: Option<&str>) -> String {
    let folders = Folders::new(agent);
    let path = folders.project().join(file);
    if let Some(original) = original {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, original).unwrap();
    }
    let args = ["install", agent, "--config", "gate.toml"];
    let dry = folders.run(&["install", agent, "--config", "gate.toml", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains("+"),
        "the dry run shows the diff: {}",
        text(&dry)
    );
    assert_eq!(
        std::fs::read_to_string(&path).ok().as_deref(),
        original,
        "a dry run writes nothing"
    );
    let first = folders.run(&args);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("+"), "{}", text(&first));
    let installed = std::fs::read_to_string(&path).unwrap();
    assert!(
        installed.contains(&format!("cheqpoint hook {agent} --config ")),
        "{installed}"
    );
    let second = folders.run(&args);
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        text(&second).contains("nothing to change"),
        "{}",
        text(&second)
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        installed,
        "twice changes nothing"
    );
    let backup = path.with_file_name(format!(
        "{}.cheqpoint-backup",
        path.file_name().unwrap().to_string_lossy()
    ));
    assert_eq!(std::fs::read_to_string(&backup).ok().as_deref(), original);
    let removed = folders.run(&["uninstall", agent]);
    assert!(removed.status.success(), "{}", text(&removed));
    assert_eq!(
        std::fs::read_to_string(&path).ok().as_deref(),
        original,
        "uninstall puts the original bytes back"
    );
    assert!(!backup.exists());
    installed
}

#[test]
fn claude_code_gets_pre_tool_use_and_permission_request_groups_with_the_gated_tools() {
    let original = fixture("claude-code.settings.json");
    let installed = round_trip("claude-code", ".claude/settings.json", Some(&original));
    let doc: Value = serde_json::from_str(&installed).unwrap();
    let groups = doc["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{installed}");
    assert_eq!(groups[1]["matcher"], "^(Bash|mcp__.*)$");
    // The gate waits 100 s; the hook answers within 10 s more; the agent waits 10 s past that.
    assert_eq!(groups[1]["hooks"][0]["timeout"], 120);
    let asked = &doc["hooks"]["PermissionRequest"][0];
    assert_eq!(asked["matcher"], "^(Bash|mcp__.*)$");
    assert_eq!(asked["hooks"][0], groups[1]["hooks"][0]);
    // Key order kept: "$schema" first, "model" last.
    assert!(installed.starts_with("{\n  \"$schema\""), "{installed}");
    assert!(
        installed
            .trim_end()
            .ends_with("\"model\": \"claude-sonnet-4-6\"\n}"),
        "{installed}"
    );
    round_trip("claude-code", ".claude/settings.json", None);
}

#[test]
fn codex_gets_both_events_hooks_tables_and_keeps_its_comments() {
    let original = fixture("codex.config.toml");
    let installed = round_trip("codex", ".codex/config.toml", Some(&original));
    // Every line of the original is still there, in its order: only lines were added.
    let mut lines = installed.lines();
    for line in original.lines() {
        assert!(
            lines.any(|l| l == line),
            "`{line}` is gone or moved: {installed}"
        );
    }
    assert!(installed.contains("# logs every command"), "{installed}");
    let doc: toml::Table = installed.parse().unwrap();
    let groups = doc["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[1]["matcher"].as_str(), Some("^(Bash|mcp__.*)$"));
    assert_eq!(groups[1]["hooks"][0]["timeout"].as_integer(), Some(120));
    let asked = &doc["hooks"]["PermissionRequest"][0];
    assert_eq!(asked["matcher"].as_str(), Some("^(Bash|mcp__.*)$"));
    assert_eq!(asked["hooks"][0], groups[1]["hooks"][0]);
    round_trip("codex", ".codex/config.toml", None);
}

#[test]
fn gemini_gets_a_before_tool_group_in_milliseconds_and_its_indentation() {
    let original = fixture("gemini.settings.json");
    let installed = round_trip("gemini", ".gemini/settings.json", Some(&original));
    assert!(
        installed.contains("\n    \"general\": {\n        \"vimMode\": true"),
        "{installed}"
    );
    let doc: Value = serde_json::from_str(&installed).unwrap();
    let handler = &doc["hooks"]["BeforeTool"][1]["hooks"][0];
    assert_eq!(handler["timeout"], 120_000);
    assert_eq!(
        doc["hooks"]["BeforeTool"][0]["hooks"][0]["name"],
        "secret-scan"
    );
}

#[test]
fn cursor_gets_fail_closed_handlers_beside_its_own() {
    let original = fixture("cursor.hooks.json");
    let installed = round_trip("cursor", ".cursor/hooks.json", Some(&original));
    let doc: Value = serde_json::from_str(&installed).unwrap();
    let shell = doc["hooks"]["beforeShellExecution"].as_array().unwrap();
    assert_eq!(shell[0]["command"], "./hooks/audit.sh");
    assert_eq!(shell[1]["failClosed"], true);
    assert_eq!(doc["hooks"]["beforeMCPExecution"][0]["timeout"], 120);
    round_trip("cursor", ".cursor/hooks.json", None);
}

#[test]
fn copilot_gets_a_hooks_file_of_its_own_in_the_repository() {
    let installed = round_trip("copilot", ".github/hooks/cheqpoint.json", None);
    let doc: Value = serde_json::from_str(&installed).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["hooks"]["preToolUse"][0]["timeoutSec"], 120);
    let folders = Folders::new("copilot-user");
    let user = folders.run(&["install", "copilot", "--user"]);
    assert!(!user.status.success());
    assert!(text(&user).contains("--project"), "{}", text(&user));
}

#[test]
fn a_file_that_cannot_be_parsed_is_refused_untouched() {
    for (agent, file, broken) in [
        ("claude-code", ".claude/settings.json", "{\"hooks\": {,}"),
        ("codex", ".codex/config.toml", "model = \"x\"\n[hooks\n"),
        (
            "gemini",
            ".gemini/settings.json",
            "{\"hooks\": []} trailing",
        ),
        (
            "cursor",
            ".cursor/hooks.json",
            "{\"hooks\": {\"beforeShellExecution\": 3}}",
        ),
    ] {
        let folders = Folders::new(&format!("broken-{agent}"));
        let path = folders.project().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, broken).unwrap();
        for command in ["install", "uninstall"] {
            let output = folders.run(&[command, agent]);
            assert!(
                !output.status.success(),
                "{agent} {command}: {}",
                text(&output)
            );
            assert!(text(&output).contains("left as it is"), "{}", text(&output));
            assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
        }
    }
}
