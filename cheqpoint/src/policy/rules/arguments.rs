//! `where` conditions: a JSON path into the arguments (`amount_cents`, `order.items.0.sku`) and
//! what the value there must be — exact, one of, glob, regex, or within numeric bounds.
//!
//! ```toml
//! where = { amount_cents = { max = 20000 }, currency = { one_of = ["EUR", "USD"] } }
//! ```
//!
//! TOML reads `order.id = { .. }` as a nested table, so a key is a path segment until a table
//! holds only condition words with plain values: that table is the condition.

use std::cmp::Ordering;

use regex::Regex;
use serde_json::{Map, Number, Value};

use super::wildcard::Wildcard;
use crate::json_eq::same_json;

/// A path into the arguments: keys of objects, indexes of arrays.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArgPath(Vec<String>);

impl ArgPath {
    /// `a.b.0` as a path.
    pub(crate) fn parse(text: &str) -> ArgPath {
        ArgPath(text.split('.').map(str::to_owned).collect())
    }

    /// The value at this path, when there is one.
    pub(crate) fn lookup<'a>(&self, arguments: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(arguments, |value, key| match value {
            Value::Object(map) => map.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
    }

    /// The keys, outermost first.
    pub(crate) fn segments(&self) -> &[String] {
        &self.0
    }

    /// The path as written (`a.b.0`).
    pub(crate) fn dotted(&self) -> String {
        self.0.join(".")
    }
}

/// What the value at a path must be; every bound given must hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct Condition {
    max: Option<Number>,
    min: Option<Number>,
    one_of: Option<Vec<Value>>,
    glob: Option<Wildcard>,
    /// Matched against the whole string (`^(?:..)$`).
    regex: Option<Regex>,
    equals: Option<Value>,
}

/// The words a condition table is made of.
const CONDITION_WORDS: [&str; 6] = ["max", "min", "one_of", "glob", "regex", "equals"];

impl Condition {
    /// True when `value` (absent: `None`) meets every bound. An absent value meets none: a rule
    /// on an argument the call does not carry does not match it.
    pub(crate) fn holds(&self, value: Option<&Value>) -> bool {
        let Some(value) = value else {
            return false;
        };
        let number = value.as_number();
        let text = value.as_str();
        let within = |bound: &Option<Number>, ok: fn(Ordering) -> bool| match bound {
            None => true,
            Some(bound) => number.and_then(|n| compare(n, bound)).is_some_and(ok),
        };
        within(&self.max, Ordering::is_le)
            && within(&self.min, Ordering::is_ge)
            && self
                .one_of
                .as_ref()
                .is_none_or(|options| options.iter().any(|o| same_json(o, value)))
            && self.equals.as_ref().is_none_or(|e| same_json(e, value))
            && self
                .glob
                .as_ref()
                .is_none_or(|glob| text.is_some_and(|text| glob.matches(text)))
            && self
                .regex
                .as_ref()
                .is_none_or(|regex| text.is_some_and(|text| regex.is_match(text)))
    }

    /// True when every value this condition holds for, `wider` holds for too: a pinned value
    /// (`equals`, `one_of`) the wider one accepts, or each of the wider one's bounds met by one
    /// at least as tight. What cannot be shown (two different patterns) is not within.
    pub(crate) fn within(&self, wider: &Condition) -> bool {
        if let Some(pinned) = &self.equals {
            return wider.holds(Some(pinned));
        }
        if let Some(options) = &self.one_of {
            return options.iter().all(|option| wider.holds(Some(option)));
        }
        let tighter =
            |narrow: &Option<Number>, wide: &Option<Number>, ok: fn(Ordering) -> bool| match (
                narrow, wide,
            ) {
                (_, None) => true,
                (Some(narrow), Some(wide)) => compare(narrow, wide).is_some_and(ok),
                (None, Some(_)) => false,
            };
        let same_text = |narrow: Option<&str>, wide: Option<&str>| wide.is_none() || narrow == wide;
        tighter(&self.max, &wider.max, Ordering::is_le)
            && tighter(&self.min, &wider.min, Ordering::is_ge)
            && wider.one_of.is_none()
            && wider.equals.is_none()
            && same_text(
                self.glob.as_ref().map(Wildcard::as_str),
                wider.glob.as_ref().map(Wildcard::as_str),
            )
            && same_text(
                self.regex.as_ref().map(Regex::as_str),
                wider.regex.as_ref().map(Regex::as_str),
            )
    }

    fn parse(path: &str, table: &Map<String, Value>) -> Result<Condition, String> {
        let mut condition = Condition::default();
        let bound = |value: &Value| match value {
            Value::Number(n) => Ok(n.clone()),
            other => Err(format!("`where.{path}`: a bound is a number, not {other}")),
        };
        let text = |value: &Value, word: &str| match value {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!("`where.{path}.{word}` is a string, not {other}")),
        };
        for (word, value) in table {
            match word.as_str() {
                "max" => condition.max = Some(bound(value)?),
                "min" => condition.min = Some(bound(value)?),
                "equals" => condition.equals = Some(value.clone()),
                "one_of" => match value {
                    Value::Array(options) if !options.is_empty() => {
                        condition.one_of = Some(options.clone())
                    }
                    _ => return Err(format!("`where.{path}.one_of` is a list of values")),
                },
                "glob" => condition.glob = Some(Wildcard::new(&text(value, word)?)),
                "regex" => {
                    let pattern = text(value, word)?;
                    let anchored = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                        format!("`where.{path}.regex` is not a regular expression: {e}")
                    })?;
                    condition.regex = Some(anchored);
                }
                other => {
                    return Err(format!(
                        "`where.{path}`: `{other}` is no condition (one of: {})",
                        CONDITION_WORDS.join(", ")
                    ));
                }
            }
        }
        if let (Some(min), Some(max)) = (&condition.min, &condition.max)
            && compare(min, max) == Some(Ordering::Greater)
        {
            return Err(format!("`where.{path}`: min {min} is above max {max}"));
        }
        Ok(condition)
    }
}

/// The conditions of a `where` table, each with its path.
pub(crate) fn conditions(table: &Value) -> Result<Vec<(ArgPath, Condition)>, String> {
    let Value::Object(table) = table else {
        return Err("`where` is a table of argument paths".into());
    };
    if table.is_empty() {
        return Err("`where` names no argument".into());
    }
    let mut found = Vec::new();
    collect(&mut Vec::new(), table, &mut found)?;
    Ok(found)
}

fn collect(
    prefix: &mut Vec<String>,
    table: &Map<String, Value>,
    found: &mut Vec<(ArgPath, Condition)>,
) -> Result<(), String> {
    for (key, value) in table {
        let depth = prefix.len();
        prefix.extend(key.split('.').map(str::to_owned));
        let path = prefix.join(".");
        match value {
            Value::Object(inner) if is_condition(inner) => {
                found.push((ArgPath(prefix.clone()), Condition::parse(&path, inner)?));
            }
            Value::Object(inner) if !inner.is_empty() => collect(prefix, inner, found)?,
            other => {
                return Err(format!(
                    "`where.{path} = {other}` is not a condition: write {{ equals = {other} }}, \
                     or another of {}",
                    CONDITION_WORDS.join(", ")
                ));
            }
        }
        prefix.truncate(depth);
    }
    Ok(())
}

/// A table whose keys are all condition words and whose values are no tables.
fn is_condition(table: &Map<String, Value>) -> bool {
    !table.is_empty()
        && table.iter().all(|(key, value)| {
            CONDITION_WORDS.contains(&key.as_str())
                && (!value.is_object() || key == "equals" || key == "one_of")
        })
}

/// The `{path}` placeholders of a summary template; `{{` and `}}` are braces.
pub(crate) fn placeholders(template: &str) -> Vec<ArgPath> {
    let mut found = Vec::new();
    pieces(template, |piece| {
        if let Piece::Placeholder(path) = piece {
            found.push(ArgPath::parse(path));
        }
    });
    found
}

/// `template` with each `{path}` replaced by the argument there: a string as it is, anything
/// else as JSON, a missing one as `?`.
pub(crate) fn fill(template: &str, arguments: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    pieces(template, |piece| match piece {
        Piece::Text(text) => out.push_str(text),
        Piece::Placeholder(path) => match ArgPath::parse(path).lookup(arguments) {
            Some(Value::String(text)) => out.push_str(text),
            Some(other) => out.push_str(&other.to_string()),
            None => out.push('?'),
        },
    });
    out
}

enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Cuts a template into text and placeholders; a `{` with no `}` after it is text.
fn pieces<'a>(template: &'a str, mut each: impl FnMut(Piece<'a>)) {
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        each(Piece::Text(&rest[..at]));
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            each(Piece::Text(&tail[..1]));
            rest = &tail[2..];
        } else if let (true, Some(end)) = (tail.starts_with('{'), tail.find('}')) {
            each(Piece::Placeholder(tail[1..end].trim()));
            rest = &tail[end + 1..];
        } else {
            each(Piece::Text(&tail[..1]));
            rest = &tail[1..];
        }
    }
    each(Piece::Text(rest));
}

/// Integers compare exactly; anything else as floats.
fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    let whole = |n: &Number| n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
    match (whole(a), whole(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(table: Value) -> (ArgPath, Condition) {
        conditions(&table).unwrap().remove(0)
    }

    #[test]
    fn bounds_one_of_glob_regex_and_equals() {
        let (path, max) = one(json!({"amount_cents": {"max": 20000, "min": 1}}));
        let at = |v: Value| max.holds(path.lookup(&v));
        assert!(at(json!({"amount_cents": 20000})) && at(json!({"amount_cents": 1.0})));
        assert!(!at(json!({"amount_cents": 20001})) && !at(json!({"amount_cents": 0})));
        assert!(!at(json!({"amount_cents": "100"})) && !at(json!({})));
        let (path, currency) = one(json!({"currency": {"one_of": ["EUR", "USD"]}}));
        assert!(currency.holds(path.lookup(&json!({"currency": "EUR"}))));
        assert!(!currency.holds(path.lookup(&json!({"currency": "eur"}))));
        let (path, sku) = one(json!({"order": {"items": {"0": {"sku": {"glob": "A-*"}}}}}));
        assert_eq!(path.dotted(), "order.items.0.sku");
        assert!(sku.holds(path.lookup(&json!({"order": {"items": [{"sku": "A-1"}]}}))));
        let (path, name) = one(json!({"branch": {"regex": "feat/[a-z-]+"}}));
        assert!(name.holds(path.lookup(&json!({"branch": "feat/x-y"}))));
        // Anchored: a match inside the value is not a match of the value.
        assert!(!name.holds(path.lookup(&json!({"branch": "main; feat/x"}))));
        let (path, force) = one(json!({"force": {"equals": true}}));
        assert!(force.holds(path.lookup(&json!({"force": true}))));
        assert!(!force.holds(path.lookup(&json!({"force": false}))));
    }

    #[test]
    fn a_summary_shows_the_arguments() {
        let arguments = json!({"order": {"id": "8842"}, "amount": 12000});
        assert_eq!(
            fill(
                "Refund {amount} on {order.id} {{raw}} {gone} {open",
                &arguments
            ),
            "Refund 12000 on 8842 {raw} ? {open"
        );
        let named: Vec<String> = placeholders("{a} {b.c} {{d}}")
            .iter()
            .map(ArgPath::dotted)
            .collect();
        assert_eq!(named, ["a", "b.c"]);
    }

    #[test]
    fn a_dotted_key_is_a_path_too() {
        let (path, _) = one(json!({"order.id": {"equals": "8842"}}));
        assert_eq!(path.segments(), ["order", "id"]);
    }

    #[test]
    fn mistakes_are_named() {
        for (table, words) in [
            (
                json!({"a": {"maxx": 1}}),
                "`where.a.maxx = 1` is not a condition",
            ),
            (json!({"a": {"max": "1"}}), "a bound is a number"),
            (json!({"a": {"min": 5, "max": 1}}), "min 5 is above max 1"),
            (json!({"a": {"regex": "("}}), "not a regular expression"),
            (json!({"a": {"one_of": []}}), "a list of values"),
            (json!({"a": 3}), "write { equals = 3 }"),
            (json!({}), "names no argument"),
        ] {
            let error = conditions(&table).unwrap_err();
            assert!(error.contains(words), "{table}: {error}");
        }
    }
}
