//! Reading a reviewer's edit into a Rust value, and proving that what will run is what was
//! approved.
//!
//! Serde alone is not enough: reading `{"to": "a@x", "bcc": "boss@x"}` into `Email { to, cc }`
//! drops `bcc`, and a `#[serde(default)]` field fills in what the reviewer left out. So an edit
//! is applied only when the value it becomes, serialized again, is the edit: numbers compare by
//! value (a float at the precision of its type, so 0.7 read into an `f32` is still 0.7), and an
//! object key holding `null` counts as absent. Otherwise the edit is refused, naming the path
//! (`email.bcc`) where the two part.

use serde_json::{Map, Number, Value};

use crate::json_eq::same_number;

/// True when a value that runs as `runs` is the `approved` one.
pub(crate) fn is_same(approved: &Value, runs: &Value) -> bool {
    first_difference(approved, runs, &mut String::new()).is_none()
}

/// Checks that `runs` (the edited value as it will run, serialized again) is `approved` (the
/// edit); `Err` says where and how they part. `name` starts the path.
pub(crate) fn check_round_trip(name: &str, approved: &Value, runs: &Value) -> Result<(), String> {
    let mut path = name.to_owned();
    match first_difference(approved, runs, &mut path) {
        None => Ok(()),
        Some(difference) => Err(difference.explain(&path)),
    }
}

/// How an approved value and the value that would run part, at the path left in `path`.
enum Difference<'a> {
    /// The type drops a field of the edit.
    Dropped(&'a Value),
    /// The type fills in a field the edit leaves out.
    FilledIn(&'a Value),
    /// The edit's value would run as another.
    Changed {
        approved: &'a Value,
        runs: &'a Value,
    },
}

impl Difference<'_> {
    fn explain(&self, path: &str) -> String {
        match self {
            Difference::Dropped(value) => format!(
                "the reviewer's edit sets `{path}` to {value}, which the parameter's type has no place for: it would be dropped, so the edit is refused"
            ),
            Difference::FilledIn(value) => format!(
                "the reviewer's edit has no `{path}`, but the parameter's type would fill it in as {value}: what runs would not be what was approved"
            ),
            Difference::Changed { approved, runs } => format!(
                "the reviewer's edit sets `{path}` to {approved}, but the parameter's type would run it as {runs}"
            ),
        }
    }
}

fn first_difference<'a>(
    approved: &'a Value,
    runs: &'a Value,
    path: &mut String,
) -> Option<Difference<'a>> {
    match (approved, runs) {
        (Value::Object(approved), Value::Object(runs)) => object_difference(approved, runs, path),
        (Value::Array(approved_items), Value::Array(run_items))
            if approved_items.len() == run_items.len() =>
        {
            let base = path.len();
            for (index, (approved, runs)) in approved_items.iter().zip(run_items).enumerate() {
                path.push_str(&format!("[{index}]"));
                let difference = first_difference(approved, runs, path);
                if difference.is_some() {
                    return difference;
                }
                path.truncate(base);
            }
            None
        }
        (Value::Number(x), Value::Number(y)) if same_number(x, y) || same_as_f32(x, y) => None,
        (Value::Number(_), Value::Number(_)) => Some(Difference::Changed { approved, runs }),
        _ if approved == runs => None,
        _ => Some(Difference::Changed { approved, runs }),
    }
}

fn object_difference<'a>(
    approved: &'a Map<String, Value>,
    runs: &'a Map<String, Value>,
    path: &mut String,
) -> Option<Difference<'a>> {
    let base = path.len();
    for (key, approved, runs) in paired(approved, runs) {
        push_key(path, key);
        let difference = match (approved, runs) {
            (Some(approved), Some(runs)) => first_difference(approved, runs, path),
            (Some(approved), None) => Some(Difference::Dropped(approved)),
            (None, Some(runs)) => Some(Difference::FilledIn(runs)),
            (None, None) => None,
        };
        if difference.is_some() {
            return difference;
        }
        path.truncate(base);
    }
    None
}

/// Every key of `a` or `b` (those of `a` first), with its value in each; a key holding `null`
/// counts as absent.
pub(crate) fn paired<'a>(
    a: &'a Map<String, Value>,
    b: &'a Map<String, Value>,
) -> impl Iterator<Item = (&'a String, Option<&'a Value>, Option<&'a Value>)> {
    let present = |map: &'a Map<String, Value>, key: &str| map.get(key).filter(|v| !v.is_null());
    a.keys()
        .chain(b.keys().filter(|key| !a.contains_key(*key)))
        .map(move |key| (key, present(a, key), present(b, key)))
}

/// `.name` for a key that reads as a name, else `["key"]`.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", Value::from(key)));
    }
}

/// True when `runs` is an `f32` (it survives the trip through one) and `approved` reads as that
/// same `f32`: 0.7 read into an `f32` runs as 0.699999988079071, which is 0.7 at its precision.
fn same_as_f32(approved: &Number, runs: &Number) -> bool {
    let (Some(approved), Some(runs)) = (approved.as_f64(), runs.as_f64()) else {
        return false;
    };
    let single = runs as f32;
    single.is_finite() && f64::from(single) == runs && approved as f32 == single
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(approved: Value, runs: Value) -> Result<(), String> {
        check_round_trip("email", &approved, &runs)
    }

    #[test]
    fn a_value_that_runs_as_approved_passes() {
        assert_eq!(
            check(json!({"to": "a", "n": 1}), json!({"n": 1.0, "to": "a"})),
            Ok(())
        );
        assert_eq!(
            check(json!({"to": "a", "cc": null}), json!({"to": "a"})),
            Ok(())
        );
        assert_eq!(
            check(json!({"to": "a"}), json!({"to": "a", "cc": null})),
            Ok(())
        );
        assert_eq!(
            check(json!(0.7), serde_json::to_value(0.7_f32).unwrap()),
            Ok(())
        );
        assert_eq!(check(json!([{"a": [1]}]), json!([{"a": [1]}])), Ok(()));
        assert_eq!(check(json!(null), json!(null)), Ok(()));
    }

    #[test]
    fn a_field_the_type_drops_is_named() {
        let error = check(json!({"to": "a@x", "bcc": "boss@x"}), json!({"to": "a@x"})).unwrap_err();
        assert!(error.contains("`email.bcc`"), "{error}");
        assert!(error.contains("dropped"), "{error}");
    }

    #[test]
    fn a_field_the_type_fills_in_is_named() {
        let error = check(json!({"to": "a"}), json!({"to": "a", "cc": "x"})).unwrap_err();
        assert!(error.contains("`email.cc`"), "{error}");
        assert!(error.contains("fill it in as \"x\""), "{error}");
    }

    #[test]
    fn a_lossy_value_is_named_with_its_path() {
        let error = check(
            json!({"items": [1, {"p": 1.5}]}),
            json!({"items": [1, {"p": 1}]}),
        )
        .unwrap_err();
        assert!(error.contains("`email.items[1].p`"), "{error}");
        assert!(
            error.contains("to 1.5") && error.contains("as 1"),
            "{error}"
        );
        // An f64 edit is not an f32's to round: 0.1 is not the f64 nearest 0.1f32.
        assert!(check(json!(0.1), json!(f64::from(0.1_f32) + 1e-9)).is_err());
        assert!(check(json!([1, 2]), json!([1, 2, 3])).is_err());
        assert!(
            check(json!({"odd key": 1}), json!({}))
                .unwrap_err()
                .contains("email[\"odd key\"]")
        );
    }
}
