//! `cheqpoint install AGENT` and `uninstall AGENT` as a person runs them, on each agent's
//! configuration with comments and other entries (`tests/fixtures/install/`, sources in
//! `SOURCES.md`): the hook is written where the agent reads it, twice changes nothing, the rest
//! of the file is kept, uninstall puts the original bytes back, a dry run writes nothing, and a
//! file that cannot be parsed is refused untouched. With `--mcp`, each server the agent starts
//! runs through `cheqpoint mcp` (its command, arguments and `env` kept, what the gateway needs
//! added, the tool timeout raised where the agent has one), and `uninstall --mcp` puts every
//! file's bytes back.

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
    // With --mcp, a file of servers that cannot be parsed refuses the whole install: the hook's
    // file is not written either.
    for (agent, file, hooks) in [
        ("claude-code", ".mcp.json", ".claude/settings.json"),
        ("cursor", ".cursor/mcp.json", ".cursor/hooks.json"),
        (
            "copilot",
            ".github/mcp.json",
            ".github/hooks/cheqpoint.json",
        ),
    ] {
        let folders = Folders::new(&format!("broken-mcp-{agent}"));
        let path = folders.project().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let broken = "{\"mcpServers\": {\"x\": {\"command\": \"a\", \"args\": \"b\"}}}";
        std::fs::write(&path, broken).unwrap();
        let output = folders.run(&["install", agent, "--mcp"]);
        assert!(!output.status.success(), "{agent}: {}", text(&output));
        assert!(text(&output).contains("left as it is"), "{}", text(&output));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
        assert!(!folders.project().join(hooks).exists(), "{agent}");
    }
}

/// `install AGENT --mcp` twice and `uninstall AGENT --mcp`, with `extra` arguments, on `files`
/// (where each is in the project, or in the home folder as `~/…`, and its original or none, in
/// which `@PROJECT@` is the project's path): returns each file as installed, by its place.
fn round_trip_mcp(agent: &str, extra: &[&str], files: &[(&str, Option<&str>)]) -> Vec<String> {
    let folders = Folders::new(&format!("mcp-{agent}"));
    let project = folders.project().display().to_string();
    let originals: Vec<(&str, Option<String>)> = files
        .iter()
        .map(|(file, original)| (*file, original.map(|o| o.replace("@PROJECT@", &project))))
        .collect();
    let files: Vec<(&str, Option<&str>)> = originals
        .iter()
        .map(|(file, original)| (*file, original.as_deref()))
        .collect();
    let place = |file: &str| match file.strip_prefix("~/") {
        Some(file) => folders.root.join("home").join(file),
        None => folders.project().join(file),
    };
    let read = |file: &str| std::fs::read_to_string(place(file)).ok();
    for (file, original) in &files {
        if let Some(original) = original {
            std::fs::create_dir_all(place(file).parent().unwrap()).unwrap();
            std::fs::write(place(file), original).unwrap();
        }
    }
    let unchanged = |what: &str| {
        for (file, original) in &files {
            assert_eq!(read(file).as_deref(), *original, "{what}: {file}");
        }
    };
    let install: Vec<&str> = ["install", agent, "--mcp"]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let dry = folders.run(&[&install[..], &["--dry-run"]].concat());
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("cheqpoint"), "{}", text(&dry));
    unchanged("a dry run writes nothing");
    let first = folders.run(&install);
    assert!(first.status.success(), "{}", text(&first));
    let installed: Vec<String> = files.iter().map(|(file, _)| read(file).unwrap()).collect();
    let second = folders.run(&install);
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(
        text(&second).matches("nothing to change").count(),
        files.len(),
        "twice changes nothing: {}",
        text(&second)
    );
    for ((file, _), installed) in files.iter().zip(&installed) {
        assert_eq!(
            read(file).as_ref(),
            Some(installed),
            "twice changes nothing"
        );
    }
    let removed = folders.run(&["uninstall", agent, "--mcp"]);
    assert!(removed.status.success(), "{}", text(&removed));
    unchanged("uninstall --mcp puts the original bytes back");
    for (file, _) in &files {
        assert!(
            !place(&format!("{file}.cheqpoint-backup")).exists(),
            "{file}'s backup is gone"
        );
    }
    installed
}

/// The command line of a server entry (`command`, then `args`), as JSON strings.
fn argv(entry: &Value) -> Vec<String> {
    std::iter::once(&entry["command"])
        .chain(entry["args"].as_array().into_iter().flatten())
        .map(|arg| arg.as_str().unwrap().to_owned())
        .collect()
}

fn through_gateway(name: &str, own: &[&str]) -> Vec<String> {
    ["cheqpoint", "mcp", "--name", name, "--gate", "*", "--"]
        .into_iter()
        .chain(own.iter().copied())
        .map(str::to_owned)
        .collect()
}

#[test]
fn claude_code_mcp_servers_in_mcp_json_and_the_local_scope_run_through_the_gateway() {
    let original = fixture("claude-code.mcp.json");
    let local = fixture("claude-code.local.json");
    let installed = round_trip_mcp(
        "claude-code",
        &[],
        &[
            (".claude/settings.json", None),
            (".mcp.json", Some(&original)),
            ("~/.claude.json", Some(&local)),
        ],
    );
    // The local scope: this project's servers, not another project's nor the user's.
    let state: Value = serde_json::from_str(&installed[2]).unwrap();
    let projects = state["projects"].as_object().unwrap();
    let (_, here) = projects
        .iter()
        .find(|(path, _)| path.ends_with("/project"))
        .unwrap();
    assert_eq!(
        argv(&here["mcpServers"]["probe"]),
        through_gateway("probe", &["node", "/opt/probe/index.js"])
    );
    assert_eq!(here["hasTrustDialogAccepted"], true);
    assert_eq!(
        projects["/home/user/elsewhere"]["mcpServers"]["other"]["command"],
        "other-mcp"
    );
    assert_eq!(state["mcpServers"]["memory"]["command"], "npx");
    assert_eq!(state["numStartups"], 12);
    let servers: Value = serde_json::from_str(&installed[1]).unwrap();
    let servers = &servers["mcpServers"];
    assert_eq!(
        argv(&servers["github"]),
        through_gateway(
            "github",
            &["npx", "-y", "@modelcontextprotocol/server-github"]
        )
    );
    // Claude Code hands a server its own environment: the entry's env is as it was.
    assert_eq!(
        servers["github"]["env"],
        serde_json::json!({"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PAT}"})
    );
    // No timeout of its own: Claude Code's default (100,000,000 ms) outlasts the gateway.
    assert!(servers["github"].get("timeout").is_none());
    assert_eq!(servers["sqlite"]["timeout"], 360_000, "30 s is raised");
    assert_eq!(servers["sentry"]["url"], "https://mcp.sentry.dev/mcp");
    assert!(
        servers["sentry"].get("command").is_none(),
        "a URL is left as it is"
    );
}

#[test]
fn codex_mcp_servers_forward_the_key_and_wait_for_a_person() {
    let original = fixture("codex.config.toml");
    let installed = round_trip_mcp(
        "codex",
        &["--journal", "/var/lib/j.db"],
        &[(".codex/config.toml", Some(&original))],
    );
    let installed = &installed[0];
    for comment in ["# Postgres, read-only role", "# The filesystem MCP server."] {
        assert!(installed.contains(comment), "{installed}");
    }
    let doc: toml::Table = installed.parse().unwrap();
    let servers = &doc["mcp_servers"];
    let argv = |name: &str| -> Vec<String> {
        std::iter::once(&servers[name]["command"])
            .chain(servers[name]["args"].as_array().unwrap())
            .map(|arg| arg.as_str().unwrap().to_owned())
            .collect()
    };
    let mut wrapped = through_gateway("postgres", &["uvx"]);
    wrapped.splice(6..6, ["--journal".to_owned(), "/var/lib/j.db".to_owned()]);
    wrapped.extend([
        "postgres-mcp".to_owned(),
        "--access-mode=restricted".to_owned(),
    ]);
    assert_eq!(argv("postgres"), wrapped);
    let names = |name: &str| -> Vec<&str> {
        servers[name]["env_vars"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect()
    };
    assert_eq!(
        names("postgres"),
        ["DATABASE_URI", "CHEQPOINT_API_KEY", "CHEQPOINT_BASE_URL"]
    );
    assert_eq!(
        names("filesystem"),
        ["CHEQPOINT_API_KEY", "CHEQPOINT_BASE_URL"]
    );
    assert_eq!(
        servers["filesystem"]["env"]["LOG_LEVEL"].as_str(),
        Some("info")
    );
    for name in ["postgres", "filesystem"] {
        assert_eq!(servers[name]["tool_timeout_sec"].as_integer(), Some(360));
    }
    assert_eq!(
        servers["postgres"]["startup_timeout_sec"].as_integer(),
        Some(20)
    );
    assert!(servers["docs"].get("command").is_none());
    assert!(doc["hooks"]["PreToolUse"].as_array().is_some());

    // Uninstall without --mcp takes the hook away and leaves the servers wrapped (and the
    // backup, for a later `uninstall --mcp`).
    let folders = Folders::new("codex-mcp-later");
    let path = folders.project().join(".codex/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &original).unwrap();
    assert!(folders.run(&["install", "codex", "--mcp"]).status.success());
    assert!(folders.run(&["uninstall", "codex"]).status.success());
    let left = std::fs::read_to_string(&path).unwrap();
    assert!(!left.contains("cheqpoint hook"), "{left}");
    assert!(left.contains("\"--gate\""), "{left}");
    assert!(
        folders
            .run(&["uninstall", "codex", "--mcp"])
            .status
            .success()
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn gemini_mcp_servers_read_the_key_gemini_withholds_from_them_by_reference() {
    let original = fixture("gemini.settings.json");
    let installed = round_trip_mcp("gemini", &[], &[(".gemini/settings.json", Some(&original))]);
    let doc: Value = serde_json::from_str(&installed[0]).unwrap();
    let github = &doc["mcpServers"]["github"];
    assert_eq!(
        argv(github),
        through_gateway(
            "github",
            &["npx", "-y", "@modelcontextprotocol/server-github"]
        )
    );
    assert_eq!(
        github["env"],
        serde_json::json!({
            "CHEQPOINT_API_KEY": "${CHEQPOINT_API_KEY}",
            "CHEQPOINT_BASE_URL": "${CHEQPOINT_BASE_URL}"
        })
    );
    // Gemini CLI waits 600 s by default, longer than the gateway's 360.
    assert!(github.get("timeout").is_none());
    assert!(
        installed[0].contains("\n    \"general\": {"),
        "{}",
        installed[0]
    );
}

#[test]
fn cursor_mcp_servers_read_the_gateways_variables_from_cursors_environment() {
    let original = fixture("cursor.mcp.json");
    let installed = round_trip_mcp(
        "cursor",
        &[],
        &[
            (".cursor/hooks.json", None),
            (".cursor/mcp.json", Some(&original)),
        ],
    );
    let doc: Value = serde_json::from_str(&installed[1]).unwrap();
    let servers = &doc["mcpServers"];
    assert_eq!(
        argv(&servers["linear"]),
        through_gateway("linear", &["linear-mcp"]),
        "no args before, none after the server's command"
    );
    assert_eq!(
        servers["linear"]["env"],
        serde_json::json!({
            "LINEAR_API_KEY": "${env:LINEAR_API_KEY}",
            "CHEQPOINT_API_KEY": "${env:TEAM_CHEQPOINT_KEY}",
            "CHEQPOINT_BASE_URL": "${env:CHEQPOINT_BASE_URL}"
        }),
        "a key the entry gives is kept"
    );
    assert_eq!(servers["linear"]["envFile"], "${workspaceFolder}/.env");
    assert_eq!(
        servers["filesystem"]["env"]["CHEQPOINT_API_KEY"],
        "${env:CHEQPOINT_API_KEY}"
    );
    assert!(servers["context7"].get("command").is_none());
}

#[test]
fn copilot_mcp_servers_get_a_timeout_and_keep_their_env() {
    let original = fixture("copilot.mcp.json");
    let installed = round_trip_mcp(
        "copilot",
        &[],
        &[
            (".github/hooks/cheqpoint.json", None),
            (".github/mcp.json", Some(&original)),
        ],
    );
    let doc: Value = serde_json::from_str(&installed[1]).unwrap();
    let servers = &doc["mcpServers"];
    assert_eq!(
        argv(&servers["playwright"]),
        through_gateway("playwright", &["npx", "-y", "@playwright/mcp@latest"])
    );
    assert_eq!(servers["playwright"]["type"], "local");
    assert_eq!(servers["playwright"]["tools"], serde_json::json!(["*"]));
    assert_eq!(servers["playwright"]["timeout"], 360_000);
    assert_eq!(servers["azure"]["timeout"], 900_000, "a longer one is kept");
    // Copilot CLI hands a server its own environment: the entry's env is as it was.
    assert_eq!(
        servers["azure"]["env"],
        serde_json::json!({"AZURE_SUBSCRIPTION_ID": "${AZURE_SUBSCRIPTION_ID}"})
    );
    assert!(servers["playwright"].get("env").is_none());
    assert!(servers["remote"].get("command").is_none());
}
