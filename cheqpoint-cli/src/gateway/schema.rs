//! The check of a reviewer's edit against the tool's own `inputSchema`, in the schema's own
//! dialect (its `$schema`; 2020-12 when it names none). Nothing is fetched: a `$ref` to a remote
//! document fails the check, and so the call.

use serde_json::{Map, Value};

/// Checks that `edit` (the whole approved argument object) validates against `schema`. The
/// error names the JSON path and what the schema says there.
pub(crate) fn check_edit(schema: &Map<String, Value>, edit: &Value) -> Result<(), String> {
    if !edit.is_object() {
        return Err(format!(
            "the approved arguments are {edit}, not a JSON object"
        ));
    }
    let schema = Value::Object(schema.clone());
    let validator = jsonschema::validator_for(&schema)
        .map_err(|error| format!("the tool's inputSchema cannot be used to check it: {error}"))?;
    match validator.validate(edit) {
        Ok(()) => Ok(()),
        Err(error) => {
            let path = error.instance_path().to_string();
            let at = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            Err(format!(
                "at {at}: {error} (the schema says, at {}: {})",
                error.schema_path(),
                said_at(&schema, &error.schema_path().to_string())
            ))
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

    #[test]
    fn each_refusal_names_the_path_and_the_rule() {
        let tool = schema(json!({
            "type": "object",
            "properties": {"path": {"type": "string"}, "n": {"type": "integer"}},
            "required": ["path"],
            "additionalProperties": false
        }));
        assert!(check_edit(&tool, &json!({"path": "a", "n": 2})).is_ok());
        let wrong_type = check_edit(&tool, &json!({"path": "a", "n": "2"})).unwrap_err();
        assert!(wrong_type.starts_with("at /n: "), "{wrong_type}");
        assert!(wrong_type.contains("\"integer\""), "{wrong_type}");
        let missing = check_edit(&tool, &json!({"n": 2})).unwrap_err();
        assert!(
            missing.contains("\"path\" is a required property"),
            "{missing}"
        );
        let extra = check_edit(&tool, &json!({"path": "a", "x": 1})).unwrap_err();
        assert!(extra.contains("additionalProperties"), "{extra}");
        assert!(check_edit(&tool, &json!([1])).is_err());
    }

    #[test]
    fn the_schema_dialect_is_its_own() {
        // Draft-07 reads `items` as an array of schemas per position; 2020-12 does not.
        let draft7 = schema(json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"pair": {"items": [{"type": "string"}, {"type": "integer"}]}}
        }));
        assert!(check_edit(&draft7, &json!({"pair": ["a", 1]})).is_ok());
        assert!(check_edit(&draft7, &json!({"pair": ["a", "b"]})).is_err());
    }

    #[test]
    fn a_remote_reference_is_not_fetched() {
        let remote = schema(json!({"$ref": "https://example.com/schema.json"}));
        assert!(check_edit(&remote, &json!({})).is_err());
    }
}
