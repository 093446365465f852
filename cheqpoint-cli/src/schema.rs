//! The check of a reviewer's edit against the tool's own `inputSchema`, in the schema's own
//! dialect (its `$schema`; 2020-12 when it names none): the gateway's tools, and each agent's
//! built-in tools for the hooks. Nothing is fetched: a `$ref` to a remote document fails the
//! check, and so the call.

use serde_json::{Map, Value};

use crate::gate::EditRefusal;

/// Checks that `edit` (the whole approved argument object) validates against `schema`. The
/// refusal names the JSON path and what the schema says there.
pub fn check_edit(
    schema: &Map<String, Value>,
    edit: &Map<String, Value>,
) -> Result<(), EditRefusal> {
    let schema = Value::Object(schema.clone());
    let validator = jsonschema::validator_for(&schema).map_err(|error| EditRefusal {
        path: "/".into(),
        reason: format!("the tool's inputSchema cannot be used to check it: {error}"),
    })?;
    let edit = Value::Object(edit.clone());
    match validator.validate(&edit) {
        Ok(()) => Ok(()),
        Err(error) => {
            let path = error.instance_path().to_string();
            Err(EditRefusal {
                path: if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                },
                reason: format!(
                    "{error} (the schema says, at {}: {})",
                    error.schema_path(),
                    said_at(&schema, &error.schema_path().to_string())
                ),
            })
        }
    }
}

/// The schema's value at a JSON pointer, in brief.
fn said_at(schema: &Value, pointer: &str) -> String {
    let said = schema.pointer(pointer).unwrap_or(&Value::Null).to_string();
    match said.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &said[..cut]),
        None => said,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn check(schema: &Map<String, Value>, edit: &Value) -> Result<(), String> {
        check_edit(schema, edit.as_object().unwrap())
            .map_err(|refusal| format!("at {}: {}", refusal.path, refusal.reason))
    }

    #[test]
    fn each_refusal_names_the_path_and_the_rule() {
        let tool = schema(json!({
            "type": "object",
            "properties": {"path": {"type": "string"}, "n": {"type": "integer"}},
            "required": ["path"],
            "additionalProperties": false
        }));
        assert!(check(&tool, &json!({"path": "a", "n": 2})).is_ok());
        let wrong_type = check(&tool, &json!({"path": "a", "n": "2"})).unwrap_err();
        assert!(wrong_type.starts_with("at /n: "), "{wrong_type}");
        assert!(wrong_type.contains("\"integer\""), "{wrong_type}");
        let missing = check(&tool, &json!({"n": 2})).unwrap_err();
        assert!(
            missing.contains("\"path\" is a required property"),
            "{missing}"
        );
        let extra = check(&tool, &json!({"path": "a", "x": 1})).unwrap_err();
        assert!(extra.contains("additionalProperties"), "{extra}");
    }

    #[test]
    fn the_schema_dialect_is_its_own() {
        // Draft-07 reads `items` as an array of schemas per position; 2020-12 does not.
        let draft7 = schema(json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"pair": {"items": [{"type": "string"}, {"type": "integer"}]}}
        }));
        assert!(check(&draft7, &json!({"pair": ["a", 1]})).is_ok());
        assert!(check(&draft7, &json!({"pair": ["a", "b"]})).is_err());
    }

    #[test]
    fn a_remote_reference_is_not_fetched() {
        let remote = schema(json!({"$ref": "https://example.com/schema.json"}));
        assert!(check(&remote, &json!({})).is_err());
    }
}
