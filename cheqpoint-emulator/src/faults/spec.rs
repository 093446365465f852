//! The text form of a fault (see the [module](super) documentation for the grammar).

use std::str::FromStr;

use serde_json::Value;

use super::fault::{Fault, FaultKind, MAX_RETRY_AFTER_DATE, RetryAfter, Route, kind_text};

/// A text form of a fault that does not parse, with what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad fault {spec:?}: {reason} (expected ROUTE:KIND[xCOUNT][,OPTION]…, e.g. get:502x3)")]
pub struct FaultSpecError {
    spec: String,
    reason: String,
}

impl FromStr for Fault {
    type Err = FaultSpecError;

    fn from_str(spec: &str) -> Result<Fault, FaultSpecError> {
        parse(spec.trim()).map_err(|reason| FaultSpecError {
            spec: spec.to_owned(),
            reason,
        })
    }
}

fn parse(spec: &str) -> Result<Fault, String> {
    let (route, rest) = spec
        .split_once(':')
        .ok_or("no `:` between the route and the kind")?;
    let route = match route.trim() {
        "create" => Route::Create,
        "get" => Route::Get,
        "inbound" => Route::Inbound,
        "any" => Route::Any,
        other => {
            return Err(format!(
                "unknown route {other:?}: create, get, inbound or any"
            ));
        }
    };
    let (kind, times, options) = parse_kind(rest)?;
    let mut fault = Fault::new(route, kind);
    if let Some(times) = times {
        fault = fault.times(times);
    }
    for option in options
        .split(',')
        .filter(|option| !option.trim().is_empty())
    {
        let (name, value) = option
            .split_once('=')
            .map_or((option.trim(), ""), |(name, value)| {
                (name.trim(), value.trim())
            });
        let seconds = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("`{name}` takes whole seconds, not {value:?}"))
        };
        fault = match name {
            "times" => fault.times(
                value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("`times` takes a count of 1 or more, not {value:?}"))?,
            ),
            "for" => fault.for_duration(
                humantime::parse_duration(value)
                    .map_err(|e| format!("`for` takes a duration such as 500ms or 2s: {e}"))?,
            ),
            "retry-after" => fault.retry_after(RetryAfter::Seconds(seconds()?)),
            "retry-after-date" => {
                let seconds = seconds()?;
                if seconds > MAX_RETRY_AFTER_DATE {
                    return Err(format!(
                        "`retry-after-date` is at most one year ({MAX_RETRY_AFTER_DATE} seconds), not {seconds}"
                    ));
                }
                fault.retry_after(RetryAfter::DateIn(seconds))
            }
            "processed" if value.is_empty() => {
                if !(fault.kind.may_process() || fault.kind.rewrites_the_answer()) {
                    return Err(format!(
                        "`processed` does not apply to {}",
                        kind_text(&fault.kind)
                    ));
                }
                fault.after_processing()
            }
            other => {
                return Err(format!(
                    "unknown option {other:?}: times=, for=, retry-after=, retry-after-date= or processed"
                ));
            }
        };
    }
    Ok(fault)
}

/// Reads the kind at the start of `text`; returns it, its `xCOUNT`, and the options after it.
fn parse_kind(text: &str) -> Result<(FaultKind, Option<u32>, &str), String> {
    if let Some((field, value)) = text.split_once('=')
        && is_field_name(field)
    {
        let (value, rest) = field_value(value)?;
        return Ok((FaultKind::SetField(field.to_owned(), value), None, rest));
    }
    let (word, rest) = text.split_once(',').unwrap_or((text, ""));
    let word = word.trim();
    if let Some(field) = word
        .strip_prefix("no-")
        .filter(|field| is_field_name(field))
    {
        return Ok((FaultKind::RemoveField(field.to_owned()), None, rest));
    }
    let (name, times) = match word.rsplit_once('x') {
        Some((name, count)) if !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()) => {
            let count = count
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("bad count in {word:?}"))?;
            (name, Some(count))
        }
        _ => (word, None),
    };
    let kind = match name {
        "refuse" => FaultKind::Refuse,
        "hangup" => FaultKind::Hangup,
        "reset" => FaultKind::Reset,
        "stall" => FaultKind::Stall,
        "truncated" => FaultKind::Truncated,
        "not-json" => FaultKind::NotJson,
        "html" => FaultKind::HtmlError,
        "huge" => FaultKind::Huge,
        "restart" => FaultKind::Restart,
        code if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
            let kind = FaultKind::Status(code.parse::<u16>().map_err(|e| e.to_string())?);
            kind.check()?;
            kind
        }
        other => return Err(format!("unknown kind {other:?}")),
    };
    Ok((kind, times, rest))
}

/// A camelCase field name, as the API's JSON uses.
fn is_field_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The value of `FIELD=VALUE`: one JSON value, else the text up to the next comma. Returns the
/// value and what follows its comma.
fn field_value(text: &str) -> Result<(Value, &str), String> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    if let Some(Ok(value)) = values.next() {
        let rest = &text[values.byte_offset()..];
        let rest = rest.trim_start();
        if rest.is_empty() {
            return Ok((value, ""));
        }
        if let Some(rest) = rest.strip_prefix(',') {
            return Ok((value, rest));
        }
    }
    if text.starts_with(['{', '[', '"']) {
        return Err(format!("{text:?} does not start with a JSON value"));
    }
    let (value, rest) = text.split_once(',').unwrap_or((text, ""));
    Ok((Value::String(value.to_owned()), rest))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn parsed(spec: &str) -> Fault {
        spec.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_text_form_reads_every_kind_and_option() {
        assert_eq!(
            parsed("get:502x3"),
            Fault::new(Route::Get, FaultKind::Status(502)).times(3)
        );
        assert_eq!(
            parsed("create:429x2,retry-after=1"),
            Fault::new(Route::Create, FaultKind::Status(429))
                .times(2)
                .retry_after(RetryAfter::Seconds(1))
        );
        assert_eq!(
            parsed("create:503, retry-after-date=2 ,times=4"),
            Fault::new(Route::Create, FaultKind::Status(503))
                .retry_after(RetryAfter::DateIn(2))
                .times(4)
        );
        assert_eq!(
            parsed("any:refuse,for=300ms"),
            Fault::new(Route::Any, FaultKind::Refuse).for_duration(Duration::from_millis(300))
        );
        assert!(parsed("create:502,processed").is_processed());
        assert!(!parsed("create:502").is_processed());
        assert!(parsed("get:reset").is_processed());
        assert_eq!(parsed("get:resetx2").times, Some(2));
        assert_eq!(parsed("inbound:hangup").kind, FaultKind::Hangup);
        for (word, kind) in [
            ("stall", FaultKind::Stall),
            ("truncated", FaultKind::Truncated),
            ("not-json", FaultKind::NotJson),
            ("html", FaultKind::HtmlError),
            ("huge", FaultKind::Huge),
            ("restart", FaultKind::Restart),
        ] {
            assert_eq!(parsed(&format!("any:{word}")).kind, kind);
        }
        assert_eq!(
            parsed("get:no-details").kind,
            FaultKind::RemoveField("details".into())
        );
    }

    #[test]
    fn field_values_are_json_or_text() {
        let set = |spec: &str| match parsed(spec).kind {
            FaultKind::SetField(field, value) => (field, value),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            set("get:status=EXPIRED"),
            ("status".into(), json!("EXPIRED"))
        );
        assert_eq!(set("get:status="), ("status".into(), json!("")));
        assert_eq!(set("get:status=\"12\""), ("status".into(), json!("12")));
        assert_eq!(set("get:status=12"), ("status".into(), json!(12)));
        assert_eq!(
            set("get:modifiedDetails=[1, 2]"),
            ("modifiedDetails".into(), json!([1, 2]))
        );
        let fault = parsed(r#"get:details={"a":1,"b":[2,3]},times=2"#);
        assert_eq!(
            fault.kind,
            FaultKind::SetField("details".into(), json!({"a": 1, "b": [2, 3]}))
        );
        assert_eq!(fault.times, Some(2));
        assert_eq!(set("get:status=cancelled,times=1").1, json!("cancelled"));
    }

    #[test]
    fn the_text_form_round_trips() {
        for spec in [
            "get:502,times=3",
            "create:429,times=2,retry-after=1",
            "create:503,retry-after-date=2",
            "create:503,retry-after-date=31536000",
            "create:502,processed",
            "any:refuse,for=300ms",
            "get:stall,for=2s",
            "get:status=\"EXPIRED\"",
            "get:modifiedDetails=[1,2]",
            "create:no-id",
            "get:reset,times=1",
        ] {
            assert_eq!(parsed(spec).to_string(), spec);
            assert_eq!(parsed(&parsed(spec).to_string()), parsed(spec));
        }
    }

    #[test]
    fn bad_text_says_what_is_wrong() {
        for (spec, needle) in [
            ("get", "no `:`"),
            ("post:502", "unknown route"),
            ("get:teapot", "unknown kind"),
            ("get:999", "not an HTTP status"),
            ("get:502x0", "bad count"),
            ("get:502,times=0", "`times`"),
            ("get:502,for=soon", "`for`"),
            ("get:429,retry-after=1.5", "whole seconds"),
            ("get:429,retry-after-date=300000000000", "at most one year"),
            ("get:429,retry-after-date=31536001", "at most one year"),
            (
                "get:429,retry-after-date=99999999999999999999",
                "whole seconds",
            ),
            ("get:042", "not an HTTP status"),
            ("get:502,colour=red", "unknown option"),
            ("get:hangup,processed", "does not apply"),
            ("get:details={\"a\":", "JSON"),
        ] {
            let error = spec.parse::<Fault>().unwrap_err().to_string();
            assert!(error.contains(needle), "{spec}: {error}");
        }
    }
}
