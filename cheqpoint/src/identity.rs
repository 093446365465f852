//! What names an operation: the caller's key, or the action and the details, as the journal
//! records it and as its `Idempotency-Key` is made.

use serde_json::Value;

/// The journal's name for an operation: `key:<key>` when the caller gave a key, else
/// `call:<action>:<digest of the details>` (and `@<digest of the scope>` within a scope), the
/// same for the same details in any key order. Every door names its calls through this one
/// function.
pub(crate) fn operation(
    key: Option<&str>,
    scope: Option<&str>,
    action: &str,
    details: &Value,
) -> String {
    match (key, scope) {
        (Some(key), _) => format!("key:{key}"),
        (None, None) => format!("call:{action}:{}", digest(&canonical(details))),
        (None, Some(scope)) => format!(
            "call:{action}:{}@{}",
            digest(&canonical(details)),
            &digest(scope)[..32]
        ),
    }
}

/// The `Idempotency-Key` of a call with `key` and no journal: the same for every call with the
/// key, and not the key itself (which may hold what a header cannot).
pub(crate) fn idempotency_key(key: &str) -> String {
    format!("cheqpoint-key-{}", &digest(key)[..32])
}

/// The `Idempotency-Key` of a journalled operation's request: made from the operation and its
/// generation, so that an entry lost before it reached the disk, recorded again, sends the same
/// key; and a new one each time the operation is asked anew (a generation later).
pub(crate) fn operation_key(operation: &str, generation: u64) -> String {
    format!("{OPERATION_KEY}{}-{generation}", &digest(operation)[..32])
}

/// The key of the next generation of the operation whose current key is `key` (the first
/// generation's, after a key this crate did not make).
pub(crate) fn next_operation_key(operation: &str, key: &str) -> String {
    let generation = key
        .strip_prefix(OPERATION_KEY)
        .and_then(|rest| rest.rsplit_once('-'))
        .and_then(|(_, generation)| generation.parse::<u64>().ok());
    operation_key(operation, generation.map_or(0, |generation| generation + 1))
}

/// How the keys of journalled operations begin.
const OPERATION_KEY: &str = "cheqpoint-op-";

fn digest(text: &str) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()))
}

/// `value` as JSON text with the keys of every object in order, whatever order they came in.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let fields: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| format!("{}:{}", Value::from(key.as_str()), canonical(value)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_details_in_any_order_name_one_operation() {
        let a = json!({"to": "a@example.com", "body": {"x": 1, "y": [1, {"b": 2, "a": 1}]}});
        let b: Value = serde_json::from_str(
            r#"{"body": {"y": [1, {"a": 1, "b": 2}], "x": 1}, "to": "a@example.com"}"#,
        )
        .unwrap();
        let call = |scope: Option<&str>, action: &str, details: &Value| {
            operation(None, scope, action, details)
        };
        assert_eq!(call(None, "send", &a), call(None, "send", &b));
        assert_ne!(call(None, "send", &a), call(None, "other", &a));
        assert_ne!(
            call(None, "send", &a),
            call(None, "send", &json!({"to": "b@example.com"}))
        );
        assert_eq!(call(Some("s1"), "send", &a), call(Some("s1"), "send", &b));
        assert_ne!(call(Some("s1"), "send", &a), call(Some("s2"), "send", &a));
        assert_ne!(call(Some("s1"), "send", &a), call(None, "send", &a));
        assert_eq!(operation(Some("k-1"), Some("s1"), "send", &a), "key:k-1");
    }

    #[test]
    fn an_operation_key_is_the_same_for_its_generation_and_new_for_the_next() {
        let first = operation_key("key:order-8842", 0);
        assert_eq!(first, operation_key("key:order-8842", 0));
        assert_ne!(first, operation_key("key:order-8843", 0));
        assert!(!first.contains("8842"));
        let second = next_operation_key("key:order-8842", &first);
        assert_eq!(second, operation_key("key:order-8842", 1));
        assert_eq!(
            next_operation_key("key:order-8842", &second),
            operation_key("key:order-8842", 2)
        );
        assert_eq!(
            next_operation_key("key:order-8842", "0123456789abcdef"),
            operation_key("key:order-8842", 0),
            "a key made before generations counted"
        );
    }

    #[test]
    fn a_key_gives_one_header_value_that_does_not_show_it() {
        assert_eq!(idempotency_key("order 8842"), idempotency_key("order 8842"));
        assert_ne!(idempotency_key("order 8842"), idempotency_key("order 8843"));
        assert!(!idempotency_key("order 8842").contains("8842"));
    }
}
