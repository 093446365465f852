//! The one sentence a reviewer reads: a template over the arguments (`Delete {path}`), as the
//! attribute's `summary`, or by default the tool's title and its arguments in brief.

use serde_json::{Map, Value};

/// The longest a value is shown in a summary, in characters.
const VALUE_CHARS: usize = 80;

/// `template` with each `{key}` replaced by that argument (a string as it is, anything else as
/// JSON; a missing one as `?`); `{{` and `}}` are braces. Without a template: `TITLE: k=v, …`.
pub(crate) fn render(
    template: Option<&str>,
    title: &str,
    arguments: &Map<String, Value>,
) -> String {
    match template {
        Some(template) => fill(template, arguments),
        None if arguments.is_empty() => title.to_owned(),
        None => {
            let parts: Vec<String> = arguments
                .iter()
                .map(|(key, value)| format!("{key}={}", brief(value)))
                .collect();
            format!("{title}: {}", parts.join(", "))
        }
    }
}

fn fill(template: &str, arguments: &Map<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let (true, Some(end)) = (tail.starts_with('{'), tail.find('}')) {
            let key = &tail[1..end];
            out.push_str(&arguments.get(key).map_or_else(|| "?".to_owned(), brief));
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// A value in brief: a string without quotes, anything else as JSON, cut at [`VALUE_CHARS`].
pub(crate) fn brief(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match text.char_indices().nth(VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_template_shows_the_arguments() {
        let a = args(json!({"path": "/etc/x", "n": 3}));
        assert_eq!(
            render(Some("Delete {path} ({n}) {{raw}} {gone}"), "t", &a),
            "Delete /etc/x (3) {raw} ?"
        );
        assert_eq!(render(Some("unclosed {path"), "t", &a), "unclosed {path");
    }

    #[test]
    fn by_default_the_title_and_the_arguments_in_brief() {
        let long = "x".repeat(200);
        let text = render(
            None,
            "Delete file",
            &args(json!({"path": long, "force": true})),
        );
        assert!(text.starts_with("Delete file: "), "{text}");
        assert!(text.contains("force=true"), "{text}");
        assert!(text.chars().count() < 120, "{text}");
        assert_eq!(render(None, "List", &Map::new()), "List");
    }
}
