//! What a reviewer changed in an object of arguments, compared as a person reads JSON: numbers
//! by value (`1` is `1.0`), and a key holding `null` as absent. The doors that pass arguments on
//! as JSON (the gateway, the hooks, the rig wrapper) use it to refuse a changed read-only key and
//! to tell the model what changed.

use serde_json::{Map, Value};

use crate::json_eq::same_json;

/// The value of `key` in `map`, `None` when absent or `null`.
fn present<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|value| !value.is_null())
}

/// One top-level argument whose approved value differs from the one sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The argument's key.
    pub key: String,
    /// Its value as sent; `None` when absent (or `null`).
    pub from: Option<Value>,
    /// Its approved value; `None` when the reviewer removed it.
    pub to: Option<Value>,
}

/// Every top-level key of `sent` or `approved` whose value differs, those of `sent` first.
pub fn changes(sent: &Map<String, Value>, approved: &Map<String, Value>) -> Vec<Change> {
    sent.keys()
        .chain(approved.keys().filter(|key| !sent.contains_key(*key)))
        .filter_map(|key| {
            let (from, to) = (present(sent, key), present(approved, key));
            let same = match (from, to) {
                (Some(from), Some(to)) => same_json(from, to),
                (None, None) => true,
                _ => false,
            };
            (!same).then(|| Change {
                key: key.clone(),
                from: from.cloned(),
                to: to.cloned(),
            })
        })
        .collect()
}

/// The first of `readonly` that the reviewer changed, if any.
pub fn changed_readonly<'a>(changes: &'a [Change], readonly: &[String]) -> Option<&'a Change> {
    changes.iter().find(|change| readonly.contains(&change.key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn numbers_compare_by_value_and_null_is_absent() {
        let sent = map(json!({"n": 1, "x": null, "s": "a", "gone": true}));
        let approved = map(json!({"n": 1.0, "s": "b", "new": 2}));
        let mut keys: Vec<_> = changes(&sent, &approved)
            .into_iter()
            .map(|change| change.key)
            .collect();
        // Keys come in the map's order, which serde_json's `preserve_order` decides.
        keys.sort();
        assert_eq!(keys, ["gone", "new", "s"]);
        assert!(changes(&sent, &sent).is_empty());
    }

    #[test]
    fn a_changed_readonly_key_is_found() {
        let sent = map(json!({"repo": "a", "path": "x"}));
        let readonly = ["repo".to_owned()];
        let edit = changes(&sent, &map(json!({"repo": "a", "path": "y"})));
        assert_eq!(changed_readonly(&edit, &readonly), None);
        let edit = changes(&sent, &map(json!({"path": "x"})));
        assert_eq!(
            changed_readonly(&edit, &readonly).map(|c| c.key.as_str()),
            Some("repo")
        );
    }
}
