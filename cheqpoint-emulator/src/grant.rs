//! A grant request in words for the terminal reviewer: a request whose action is `grant:TOOL`
//! asks for a range of calls to run with nobody asked, not for one call. The lines say what it
//! lets run, for how long, how often and for whom, and how an edit narrows it. The emulator
//! reads the grant's JSON on its own (it shares no code with the client); what it cannot read is
//! left to the details shown below the lines.

use serde_json::Value;

/// The lines shown above a grant request's details; none for another request.
pub(crate) fn grant_lines(action: &str, details: &Value) -> Vec<String> {
    let Some(tool) = action.strip_prefix("grant:") else {
        return Vec::new();
    };
    let mut lines = vec![format!(
        "A GRANT: approving lets {tool} run the calls below with nobody asked"
    )];
    if let Some(patterns) = details["command"].as_array() {
        let patterns: Vec<String> = patterns.iter().map(|p| format!("`{}`", plain(p))).collect();
        lines.push(format!("commands: {}", patterns.join(" or ")));
    }
    for (key, label) in [("path", "paths"), ("where", "arguments")] {
        if let Some(bounds) = details.get(key) {
            lines.push(format!("{label}: {bounds}"));
        }
    }
    if details.get("command").is_none()
        && details.get("path").is_none()
        && details.get("where").is_none()
    {
        lines.push("every call of the tool, whatever its arguments".into());
    }
    let seconds = details["for_seconds"].as_u64().unwrap_or(0);
    let uses = details["uses"].as_u64().unwrap_or(0);
    let scope = match &details["scope"] {
        Value::String(everywhere) => everywhere.clone(),
        Value::Object(scope) => scope
            .iter()
            .map(|(kind, name)| format!("{kind} {}", plain(name)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    lines.push(format!(
        "for {}, at most {uses} uses, {scope}",
        span(seconds)
    ));
    lines.push(
        "to narrow it, edit: fewer `uses`, a smaller `for_seconds`, fewer or longer `command` \
         patterns, tighter `path` or `where`, a narrower `scope`; a wider edit grants nothing"
            .into(),
    );
    lines
}

/// A string as it is, anything else as JSON.
fn plain(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// `3600` as `1 h`; `90` as `90 s`.
fn span(seconds: u64) -> String {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_grant_is_said_as_a_grant() {
        let lines = grant_lines(
            "grant:claude_code.Bash",
            &json!({"tool": "claude_code.Bash", "command": ["npm test *"], "for_seconds": 3600,
                    "uses": 50, "scope": {"session": "s1"}}),
        );
        assert_eq!(
            lines[..3],
            [
                "A GRANT: approving lets claude_code.Bash run the calls below with nobody asked",
                "commands: `npm test *`",
                "for 1 h, at most 50 uses, session s1",
            ]
        );
        assert!(lines[3].contains("a wider edit grants nothing"));
        let any = grant_lines(
            "grant:refund",
            &json!({"tool": "refund", "for_seconds": 90, "uses": 1, "scope": "everywhere"}),
        );
        assert_eq!(any[1], "every call of the tool, whatever its arguments");
        assert_eq!(any[2], "for 90 s, at most 1 uses, everywhere");
        assert!(grant_lines("refund", &json!({})).is_empty());
    }
}
