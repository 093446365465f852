//! What a reviewer changed in a call's arguments: the read-only keys they may not touch, and
//! the line the model reads first saying what changed. A key holding `null` counts as absent.

use serde_json::{Map, Value};

use super::summary::brief;

/// Every top-level key of `sent` or `approved` whose value differs, with both values.
fn changes<'a>(
    sent: &'a Map<String, Value>,
    approved: &'a Map<String, Value>,
) -> impl Iterator<Item = (&'a String, Option<&'a Value>, Option<&'a Value>)> {
    let present = |map: &'a Map<String, Value>, key: &str| map.get(key).filter(|v| !v.is_null());
    sent.keys()
        .chain(approved.keys().filter(|key| !sent.contains_key(*key)))
        .map(move |key| (key, present(sent, key), present(approved, key)))
        .filter(|(_, from, to)| from != to)
}

/// Refuses an edit that changed any of `readonly`.
pub(crate) fn check_readonly(
    sent: &Map<String, Value>,
    approved: &Map<String, Value>,
    readonly: &[String],
) -> Result<(), String> {
    match changes(sent, approved).find(|(key, ..)| readonly.contains(key)) {
        Some((key, ..)) => Err(format!("`{key}` is read-only and the reviewer changed it")),
        None => Ok(()),
    }
}

/// What the reviewer changed, in a sentence without its end (the caller says what ran).
pub(crate) fn report(sent: &Map<String, Value>, approved: &Map<String, Value>) -> Option<String> {
    let parts: Vec<String> = changes(sent, approved)
        .map(|(key, from, to)| match (from, to) {
            (Some(from), Some(to)) => format!("`{key}` from {} to {}", shown(from), shown(to)),
            (Some(_), None) => format!("removed `{key}`"),
            (_, to) => format!("set `{key}` to {}", to.map_or("null".into(), shown)),
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "A human reviewer changed the arguments before approving ({})",
            parts.join("; ")
        )
    })
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(_) => format!("\"{}\"", brief(value)),
        other => brief(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_report_names_each_change() {
        let sent = map(json!({"path": "/a", "force": true, "n": null}));
        let approved = map(json!({"path": "/b", "mode": 7}));
        let line = report(&sent, &approved).unwrap();
        assert!(line.contains("`path` from \"/a\" to \"/b\""), "{line}");
        assert!(line.contains("removed `force`"), "{line}");
        assert!(line.contains("set `mode` to 7"), "{line}");
        assert!(!line.contains("`n`"), "{line}");
        assert_eq!(report(&sent, &sent), None);
    }

    #[test]
    fn a_changed_readonly_key_is_refused() {
        let sent = map(json!({"repo": "a", "path": "x"}));
        let readonly = ["repo".to_owned()];
        assert!(check_readonly(&sent, &map(json!({"repo": "a", "path": "y"})), &readonly).is_ok());
        let error = check_readonly(&sent, &map(json!({"repo": "b", "path": "x"})), &readonly);
        assert!(error.unwrap_err().contains("`repo` is read-only"));
        assert!(check_readonly(&sent, &map(json!({"path": "x"})), &readonly).is_err());
    }
}
