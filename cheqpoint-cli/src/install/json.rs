//! A JSON document edited in place with its keys in the order the file has them (serde_json's
//! own `Value` sorts them), written back with the file's own indentation and final newline.

use std::fmt;

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{MapAccess, SeqAccess, Visitor},
    ser::{SerializeMap, SerializeSeq},
};

/// A JSON value whose objects keep their keys' order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    /// `null`, a boolean, a number or a string, as serde_json holds it.
    Scalar(serde_json::Value),
    /// An array.
    Array(Vec<Json>),
    /// An object, its entries in the file's order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An empty object.
    pub(crate) fn object() -> Json {
        Json::Object(Vec::new())
    }

    /// A string.
    pub(crate) fn string(text: &str) -> Json {
        Json::Scalar(serde_json::Value::String(text.to_owned()))
    }

    /// A number.
    pub(crate) fn number(value: u64) -> Json {
        Json::Scalar(serde_json::Value::from(value))
    }

    /// `true` or `false`.
    pub(crate) fn boolean(value: bool) -> Json {
        Json::Scalar(serde_json::Value::Bool(value))
    }

    /// The string this is, if it is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Scalar(serde_json::Value::String(text)) => Some(text),
            _ => None,
        }
    }

    /// The value at `key` of this object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at `key` of this object, mutable.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at `key` of this object, made `value` at the end of it when absent. `Err` names
    /// the key when this is not an object.
    pub(crate) fn entry(&mut self, key: &str, value: Json) -> Result<&mut Json, String> {
        let Json::Object(entries) = self else {
            return Err(format!("`{key}`'s parent is not an object"));
        };
        let at = match entries.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                entries.push((key.to_owned(), value));
                entries.len() - 1
            }
        };
        Ok(&mut entries[at].1)
    }

    /// Sets `key` of this object to `value`, in place when present, else at the end.
    pub(crate) fn set(&mut self, key: &str, value: Json) -> Result<(), String> {
        *self.entry(key, Json::Scalar(serde_json::Value::Null))? = value;
        Ok(())
    }

    /// Removes `key` from this object.
    pub(crate) fn remove(&mut self, key: &str) {
        if let Json::Object(entries) = self {
            entries.retain(|(k, _)| k != key);
        }
    }

    /// Whether this is an empty object or array.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Json::Object(entries) => entries.is_empty(),
            Json::Array(items) => items.is_empty(),
            Json::Scalar(_) => false,
        }
    }

    /// Reads a document; `Err` says why it is not JSON.
    pub(crate) fn parse(text: &str) -> Result<Json, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    /// The document written as `original` was: its indentation (two spaces when it had none to
    /// go by) and its final newline.
    pub(crate) fn write_like(&self, original: Option<&str>) -> String {
        let indent = original
            .and_then(|text| {
                text.lines()
                    .skip(1)
                    .map(|line| &line[..line.len() - line.trim_start().len()])
                    .find(|lead| !lead.is_empty())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "  ".to_owned());
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        // Writing an in-memory value into a Vec cannot fail.
        let _ = self.serialize(&mut serializer);
        let mut text = String::from_utf8_lossy(&out).into_owned();
        if original.is_none_or(|text| text.ends_with('\n')) {
            text.push('\n');
        }
        text
    }
}

/// `text` (an empty object when the file is new) read, changed by `change`, and written back as
/// it was formatted.
pub(crate) fn edit(
    text: Option<&str>,
    change: impl FnOnce(&mut Json) -> Result<(), String>,
) -> Result<String, String> {
    let mut doc = match text {
        Some(text) => Json::parse(text)?,
        None => Json::object(),
    };
    change(&mut doc)?;
    Ok(doc.write_like(text))
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Scalar(value) => value.serialize(serializer),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::boolean(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::string(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Scalar(serde_json::Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_the_file_its_indentation() {
        let text = "{\n    \"z\": 1,\n    \"a\": {\"y\": [true, null], \"b\": \"s\"}\n}\n";
        let mut doc = Json::parse(text).unwrap();
        assert_eq!(
            doc.write_like(Some(text)),
            "{\n    \"z\": 1,\n    \"a\": {\n        \"y\": [\n            true,\n            null\n        ],\n        \"b\": \"s\"\n    }\n}\n"
        );
        doc.set("m", Json::number(2)).unwrap();
        doc.entry("a", Json::object()).unwrap().remove("y");
        let written = doc.write_like(None);
        assert_eq!(
            written,
            "{\n  \"z\": 1,\n  \"a\": {\n    \"b\": \"s\"\n  },\n  \"m\": 2\n}\n"
        );
        assert!(Json::parse("{,}").is_err());
        assert!(
            Json::parse("[1]")
                .unwrap()
                .entry("k", Json::object())
                .is_err()
        );
    }
}
