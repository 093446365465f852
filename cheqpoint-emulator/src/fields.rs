//! Reading the fields of a JSON request body one at a time, each failure a 400 whose message names
//! the field, says what it must be and shows what came instead. A field that is absent or `null`
//! counts as not given; fields nobody asks for are ignored.

use serde_json::{Map, Value};

use crate::errors::ApiError;

/// The fields of a JSON object body.
pub(crate) struct Fields<'a>(pub &'a Map<String, Value>);

impl Fields<'_> {
    /// A field that must be given, converted by `convert` (`None` when it has the wrong shape).
    pub(crate) fn required<T>(
        &self,
        name: &str,
        expected: &str,
        convert: impl FnOnce(&Value) -> Option<T>,
    ) -> Result<T, ApiError> {
        self.optional(name, expected, convert)?
            .ok_or_else(|| ApiError::bad_request(format!("`{name}` is required: {expected}")))
    }

    /// A field that may be absent or `null`, converted by `convert` when given.
    pub(crate) fn optional<T>(
        &self,
        name: &str,
        expected: &str,
        convert: impl FnOnce(&Value) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => convert(value).map(Some).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`{name}` must be {expected}, got {}",
                    describe(value)
                ))
            }),
        }
    }

    /// A required non-empty string.
    pub(crate) fn text(&self, name: &str) -> Result<String, ApiError> {
        self.required(name, "a non-empty string", non_empty_text)
    }

    /// An optional string.
    pub(crate) fn optional_text(&self, name: &str) -> Result<Option<String>, ApiError> {
        self.optional(name, "a string", |value| value.as_str().map(str::to_owned))
    }

    /// A required JSON object.
    pub(crate) fn object(&self, name: &str) -> Result<Value, ApiError> {
        self.required(name, "a JSON object", object)
    }

    /// An optional JSON object.
    pub(crate) fn optional_object(&self, name: &str) -> Result<Option<Value>, ApiError> {
        self.optional(name, "a JSON object", object)
    }

    /// An optional string that must be one of `choices`.
    pub(crate) fn optional_choice(
        &self,
        name: &str,
        choices: &[&str],
    ) -> Result<Option<String>, ApiError> {
        let expected = format!("one of {}", choices.join(", "));
        self.optional(name, &expected, |value| {
            value
                .as_str()
                .filter(|text| choices.contains(text))
                .map(str::to_owned)
        })
    }
}

fn non_empty_text(value: &Value) -> Option<String> {
    value
        .as_str()
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn object(value: &Value) -> Option<Value> {
    value.is_object().then(|| value.clone())
}

/// How a wrong value is shown in a message: scalars as JSON (long strings cut), containers by kind.
fn describe(value: &Value) -> String {
    const SHOWN: usize = 40;
    match value {
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        Value::String(text) if text.is_empty() => "an empty string".to_owned(),
        Value::String(text) if text.chars().count() > SHOWN => {
            let start: String = text.chars().take(SHOWN).collect();
            format!("{start:?}…")
        }
        scalar => scalar.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use serde_json::json;

    #[test]
    fn wrong_values_are_shown_briefly() {
        assert_eq!(describe(&json!(1.5)), "1.5");
        assert_eq!(describe(&json!("HIGH")), "\"HIGH\"");
        assert_eq!(describe(&json!("")), "an empty string");
        assert_eq!(describe(&json!([1])), "an array");
        assert_eq!(describe(&json!({"a": 1})), "an object");
        assert_eq!(
            describe(&json!("x".repeat(50))),
            format!("{:?}…", "x".repeat(40))
        );
    }
}
