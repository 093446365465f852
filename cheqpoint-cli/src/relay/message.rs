//! Typed views of a JSON-RPC message, read only to decide what to do with it, and the few
//! messages the relay writes itself (its errors, its progress reports, its own requests).

use serde_json::{Map, Value, json};

/// What a message is, by its fields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind<'a> {
    /// A `method` and an `id`: an answer is due.
    Request {
        /// Its id.
        id: &'a Value,
        /// Its method.
        method: &'a str,
    },
    /// A `method` and no `id`.
    Notification {
        /// Its method.
        method: &'a str,
    },
    /// An `id` and no `method`: the answer to a request.
    Response {
        /// The id of the request it answers.
        id: &'a Value,
    },
    /// Anything else (a batch is split before this is asked), passed on as it is.
    Other,
}

/// The kind of one message.
pub(super) fn kind(message: &Value) -> Kind<'_> {
    let Some(object) = message.as_object() else {
        return Kind::Other;
    };
    match (
        object.get("method").and_then(Value::as_str),
        object.get("id"),
    ) {
        (Some(method), Some(id)) if !id.is_null() => Kind::Request { id, method },
        (Some(method), _) => Kind::Notification { method },
        (None, Some(id)) => Kind::Response { id },
        (None, None) => Kind::Other,
    }
}

/// Each message of a batch, or the one message.
pub(super) fn each(message: &Value) -> std::slice::Iter<'_, Value> {
    match message {
        Value::Array(items) => items.iter(),
        _ => std::slice::from_ref(message).iter(),
    }
}

/// The requests in a message or batch.
pub(super) fn requests(message: &Value) -> impl Iterator<Item = (&Value, &str, &Value)> {
    each(message).filter_map(|item| match kind(item) {
        Kind::Request { id, method } => Some((id, method, item)),
        _ => None,
    })
}

/// An id as a map key: its JSON text (`"7"` and `7` are different ids).
pub(super) fn id_key(id: &Value) -> String {
    id.to_string()
}

/// A message's `params` object, if it has one.
pub(super) fn params(message: &Value) -> Option<&Map<String, Value>> {
    message.get("params")?.as_object()
}

/// The progress token a request's `params._meta` carries.
pub(super) fn progress_token(message: &Value) -> Option<&Value> {
    params(message)?.get("_meta")?.get("progressToken")
}

/// The tool a `tools/call` names (`""` when it names none).
pub(super) fn tool_name(request: &Value) -> &str {
    params(request)
        .and_then(|params| params.get("name")?.as_str())
        .unwrap_or_default()
}

/// A JSON-RPC error answering the request `id`.
pub(super) fn error_response(id: &Value, code: i64, message: String) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// The JSON-RPC code of an error of the relay itself (the server range of the spec).
pub(super) const RELAY_ERROR: i64 = -32000;

/// The JSON-RPC code of a message that is not JSON.
pub(super) const PARSE_ERROR: i64 = -32700;

/// A JSON-RPC result answering the request `id`.
pub(super) fn result_response(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// A request of the relay's own.
pub(super) fn request(id: &str, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// `notifications/progress` on `token`.
pub(super) fn progress(token: &Value, progress: u32, message: String) -> Value {
    json!({
        "jsonrpc": "2.0",
        "method": "notifications/progress",
        "params": {"progressToken": token, "progress": progress, "message": message}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_told_by_its_fields() {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
        assert!(matches!(
            kind(&request),
            Kind::Request {
                method: "tools/list",
                ..
            }
        ));
        let notification = json!({"jsonrpc": "2.0", "method": "x/unknown", "params": {}});
        assert_eq!(
            kind(&notification),
            Kind::Notification {
                method: "x/unknown"
            }
        );
        let null_id = json!({"jsonrpc": "2.0", "id": null, "method": "m"});
        assert_eq!(kind(&null_id), Kind::Notification { method: "m" });
        let response = json!({"jsonrpc": "2.0", "id": "a", "result": {}});
        assert_eq!(kind(&response), Kind::Response { id: &json!("a") });
        assert_eq!(kind(&json!([1])), Kind::Other);
        assert_ne!(id_key(&json!(7)), id_key(&json!("7")));
    }

    #[test]
    fn the_progress_token_is_read_from_meta() {
        let call = json!({"id": 1, "method": "tools/call",
                          "params": {"name": "t", "_meta": {"progressToken": "p"}}});
        assert_eq!(progress_token(&call), Some(&json!("p")));
        assert_eq!(progress_token(&json!({"id": 1, "method": "m"})), None);
    }
}
