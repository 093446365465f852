//! Reading the loose JSON the service answers with: the checks every parser of the client shares.

use serde_json::Value;

use crate::{Error, Status};

/// An optional field that must be an object when present: `None` for absent or `null`, `Err`
/// with the field's name for anything else.
pub(crate) fn optional_object(
    value: Option<Value>,
    field: &'static str,
) -> Result<Option<Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(object @ Value::Object(_)) => Ok(Some(object)),
        Some(_) => Err(format!("`{field}` is not an object")),
    }
}

/// The id of a decision: `approvalId`, else `id`; never empty.
pub(crate) fn decision_id(approval_id: Option<String>, id: Option<String>) -> Option<String> {
    approval_id.or(id).filter(|id| !id.is_empty())
}

/// A status read in any letter case; anything but pending, approved or rejected is
/// [`Error::UnknownStatus`], never an approval.
pub(crate) fn status(raw: String, approval_id: &str) -> Result<Status, Error> {
    Status::parse(&raw).ok_or_else(|| Error::UnknownStatus {
        approval_id: approval_id.to_owned(),
        status: raw,
    })
}
