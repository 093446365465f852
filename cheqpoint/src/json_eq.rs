//! Equality of JSON values as a person reads them: numbers by value, so `1` equals `1.0`.

use serde_json::{Number, Value};

/// True when `a` and `b` hold the same data; numbers compare by value.
pub(crate) fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| same_json(x, y)))
        }
        _ => a == b,
    }
}

/// Integers compare exactly; an integer equals a float only when the float is that very whole
/// number (so `1 == 1.0`, but 2⁵³ + 1 is not the float 2⁵³ it would round to).
pub(crate) fn same_number(x: &Number, y: &Number) -> bool {
    match (whole(x), whole(y)) {
        (Some(x), Some(y)) => x == y,
        (Some(int), None) => is_exactly(y.as_f64(), int),
        (None, Some(int)) => is_exactly(x.as_f64(), int),
        (None, None) => x.as_f64() == y.as_f64(),
    }
}

fn whole(number: &Number) -> Option<i128> {
    number
        .as_i64()
        .map(i128::from)
        .or(number.as_u64().map(i128::from))
}

fn is_exactly(float: Option<f64>, int: i128) -> bool {
    // `as` saturates; a float beyond i128 cannot equal a JSON integer anyway.
    float.is_some_and(|float| float.fract() == 0.0 && float as i128 == int)
}

#[cfg(test)]
mod tests {
    use super::same_json;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_everything_else_exactly() {
        assert!(same_json(
            &json!({"a": 1, "b": [2.0]}),
            &json!({"b": [2], "a": 1.0})
        ));
        assert!(same_json(&json!(u64::MAX), &json!(u64::MAX)));
        assert!(!same_json(&json!({"a": 1}), &json!({"a": 2})));
        assert!(!same_json(&json!({"a": 1}), &json!({"a": 1, "b": null})));
        assert!(!same_json(&json!({"a": "1"}), &json!({"a": 1})));
        assert!(!same_json(&json!([1, 2]), &json!([2, 1])));
        assert!(!same_json(&json!(-1), &json!(u64::MAX)));
        assert!(!same_json(
            &json!(9_007_199_254_740_993_u64),
            &json!(9_007_199_254_740_992.0)
        ));
        assert!(same_json(
            &json!(9_007_199_254_740_992_u64),
            &json!(9_007_199_254_740_992.0)
        ));
        assert!(!same_json(&json!(1), &json!(1.5)));
    }
}
