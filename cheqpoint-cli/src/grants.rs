//! `cheqpoint grant ask|list|revoke`: a grant asked for from a shell (a person preparing a
//! session), the journal's grants listed with their uses left and when they end, and one revoked
//! at once for every process on the journal. The grant and its check are the library's
//! ([`cheqpoint::policy::grants`]); this module turns the command line into one and the kept
//! grants into lines.

use std::{
    path::Path,
    time::{Duration, SystemTime},
};

use cheqpoint::{
    Client, Error, KeptGrant,
    policy::grants::{Grant, GrantScope},
};
use serde_json::Value;

/// What `cheqpoint grant ask` was given.
#[derive(Debug, Clone, Default)]
pub struct GrantSpec {
    /// The action covered: `claude_code.Bash`, `SERVER.TOOL`.
    pub tool: String,
    /// Shell command patterns (`npm run test *`).
    pub commands: Vec<String>,
    /// Folders every path must be under; a relative one starts at `cwd`.
    pub under: Vec<String>,
    /// A rule's `where` table, as JSON.
    pub conditions: Option<String>,
    /// How long: `90s`, `30m`, `1h`, `2d`.
    pub lasting: String,
    /// How many calls.
    pub uses: u32,
    /// One agent session's calls only.
    pub session: Option<String>,
    /// One agent's calls only (`claude_code`, a gateway's server name).
    pub agent: Option<String>,
}

impl GrantSpec {
    /// The grant it describes, paths placed against `cwd`.
    pub fn grant(&self, cwd: &Path) -> Result<Grant, String> {
        let mut grant = Grant::new(&self.tool)
            .lasting(duration(&self.lasting)?)
            .uses(self.uses)
            .scope(match (&self.session, &self.agent) {
                (Some(session), _) => GrantScope::Session(session.clone()),
                (None, Some(agent)) => GrantScope::Agent(agent.clone()),
                (None, None) => GrantScope::Everywhere,
            });
        if !self.commands.is_empty() {
            grant = grant.command(self.commands.iter().cloned());
        }
        if !self.under.is_empty() {
            let folders: Vec<String> = self.under.iter().map(|f| placed(f, cwd)).collect();
            grant = grant.path(serde_json::json!({ "under": folders }));
        }
        if let Some(table) = &self.conditions {
            let table: Value = serde_json::from_str(table)
                .map_err(|error| format!("--where is not JSON: {error}"))?;
            grant = grant.conditions(table);
        }
        grant.checked()?;
        Ok(grant)
    }
}

/// A folder as given, or placed against `cwd` when relative (a `{cwd}` or `~` form is kept for
/// the call to place).
fn placed(folder: &str, cwd: &Path) -> String {
    if folder.starts_with(['/', '{', '~']) {
        folder.to_owned()
    } else {
        cwd.join(folder).display().to_string()
    }
}

/// `90s`, `30m`, `1h`, `2d` (a bare number is seconds).
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is no duration: write 90s, 30m, 1h or 2d"))?;
    let seconds = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("{other:?} is no unit of time: s, m, h or d")),
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

/// Asks for `grant` and says what was kept: the grant's id and words, and what the reviewer
/// narrowed.
pub async fn ask(client: &Client, grant: &Grant, review_url: &str) -> Result<String, Error> {
    eprintln!(
        "cheqpoint: asking for a grant: {}\ncheqpoint: waiting for a reviewer ({review_url})",
        grant.words()
    );
    let kept = client.ask_grant(grant).await?;
    let mut said = format!("granted {}: {}", kept.id, kept.grant.words());
    if kept.asked.is_some() {
        said.push_str("\n(narrowed by the reviewer from what was asked)");
    }
    Ok(said)
}

/// Asks for `grant` in a process of its own (`cheqpoint grant ask --from-json …`), which waits
/// for the reviewer and keeps what they approve in the journal at `journal` (the default one
/// when `None`): a door that suggests a grant answers its own call at once. The process has a
/// process group of its own, so that an agent ending its hook's group does not end it.
pub fn ask_in_background(grant: &Grant, journal: Option<&str>) -> std::io::Result<()> {
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command.args([
        "grant",
        "ask",
        "--from-json",
        &serde_json::to_string(grant)?,
    ]);
    if let Some(journal) = journal {
        command.args(["--journal", journal]);
    }
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn()?;
    // Reaped when it ends, in a process that outlives it (the gateway).
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// The grants as lines: id, state, uses left, when it ends, and the grant in words.
pub fn list(grants: &[KeptGrant], now: SystemTime) -> String {
    if grants.is_empty() {
        return "no grants, live or ended in the last day".into();
    }
    let mut lines = vec![format!(
        "{:<18} {:<8} {:>9}  {:<16} GRANT",
        "ID", "STATE", "USES LEFT", "ENDS"
    )];
    for grant in grants {
        let state = if grant.revoked.is_some() {
            "revoked"
        } else if grant.uses_left == 0 {
            "used up"
        } else if grant.expires <= now {
            "expired"
        } else {
            "live"
        };
        lines.push(format!(
            "{:<18} {:<8} {:>9}  {:<16} {}",
            grant.id,
            state,
            grant.uses_left,
            when(grant.expires, now),
            grant.grant.words()
        ));
    }
    lines.join("\n")
}

/// `in 59 min`, `3 h ago`.
fn when(at: SystemTime, now: SystemTime) -> String {
    let (seconds, ahead) = match at.duration_since(now) {
        Ok(ahead) => (ahead.as_secs(), true),
        Err(behind) => (behind.duration().as_secs(), false),
    };
    let span = match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 2 * 86_400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    };
    if ahead {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(duration("45"), Ok(Duration::from_secs(45)));
        assert!(duration("1w").unwrap_err().contains("no unit of time"));
        assert!(duration("soon").unwrap_err().contains("no duration"));
    }

    #[test]
    fn a_spec_becomes_the_grant_it_says() {
        let spec = GrantSpec {
            tool: "claude_code.Bash".into(),
            commands: vec!["npm run test *".into()],
            under: vec!["src".into(), "{cwd}/docs".into()],
            conditions: Some(r#"{"timeout": {"max": 60000}}"#.into()),
            lasting: "1h".into(),
            uses: 50,
            session: Some("s1".into()),
            agent: None,
        };
        let grant = spec.grant(Path::new("/work/p")).unwrap();
        assert_eq!(
            serde_json::to_value(&grant).unwrap(),
            serde_json::json!({
                "tool": "claude_code.Bash",
                "command": ["npm run test *"],
                "path": {"under": ["/work/p/src", "{cwd}/docs"]},
                "where": {"timeout": {"max": 60000}},
                "for_seconds": 3600,
                "uses": 50,
                "scope": {"session": "s1"},
            })
        );
        let zero = GrantSpec {
            uses: 0,
            ..spec.clone()
        };
        assert!(
            zero.grant(Path::new("/"))
                .unwrap_err()
                .contains("at least one use")
        );
        let broken = GrantSpec {
            conditions: Some("{".into()),
            ..spec
        };
        assert!(
            broken
                .grant(Path::new("/"))
                .unwrap_err()
                .contains("--where is not JSON")
        );
    }

    #[test]
    fn when_says_ahead_and_behind() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(when(now + Duration::from_secs(3540), now), "in 59 min");
        assert_eq!(when(now - Duration::from_secs(3 * 3600), now), "3 h ago");
        assert_eq!(when(now + Duration::from_secs(5), now), "in 5 s");
    }
}
