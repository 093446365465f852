//! The one sentence a reviewer reads: a template over the top-level arguments (`Delete {path}`:
//! a name in braces, no fields or format specs, unlike the attribute's `summary`), or by default
//! the tool's title and its arguments in brief.

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
    pieces(template)
        .map(|piece| match piece {
            Piece::Text(text) => text.to_owned(),
            Piece::Argument(key) => arguments.get(key).map_or_else(|| "?".to_owned(), brief),
        })
        .collect()
}

/// The argument names a template shows, in order.
pub fn placeholders(template: &str) -> Vec<&str> {
    pieces(template)
        .filter_map(|piece| match piece {
            Piece::Argument(key) => Some(key),
            Piece::Text(_) => None,
        })
        .collect()
}

/// A part of a template: text as it is, or an argument's name.
enum Piece<'a> {
    Text(&'a str),
    Argument(&'a str),
}

/// A template in parts: `{{` and `}}` are braces; `{key}` an argument.
fn pieces(template: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(at) = rest.find(['{', '}']) else {
            return Some(Piece::Text(std::mem::take(&mut rest)));
        };
        if at > 0 {
            let text = &rest[..at];
            rest = &rest[at..];
            return Some(Piece::Text(text));
        }
        if rest.starts_with("{{") || rest.starts_with("}}") {
            let brace = &rest[..1];
            rest = &rest[2..];
            return Some(Piece::Text(brace));
        }
        if let (true, Some(end)) = (rest.starts_with('{'), rest.find('}')) {
            let key = &rest[1..end];
            rest = &rest[end + 1..];
            return Some(Piece::Argument(key));
        }
        let brace = &rest[..1];
        rest = &rest[1..];
        Some(Piece::Text(brace))
    })
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
        assert_eq!(placeholders("Delete {path} ({n}) {{raw}}"), ["path", "n"]);
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
