//! An approval read into parameters. `modifiedDetails` is the whole approved object: a parameter
//! the reviewer changed takes their value, one they removed is `null` (an `Option` becomes
//! `None`; any other type fails the call), and a key that names no parameter fails the call.
//! Every edit passes the round-trip check of [`super::edit`]; a parameter the reviewer did not
//! change keeps the caller's own value, untouched.

use serde_json::{Map, Value};

use super::{
    bounds::{Editable, EditableBorrowed, Sendable},
    claim::Claim,
    edit,
};
use crate::{Approved, Error};

/// An approval, with the reviewer's edits ready to be read back into parameters.
#[derive(Debug)]
pub struct Verdict {
    approval_id: String,
    sent: Map<String, Value>,
    /// The approved object when the reviewer edited (`modifiedDetails`), else `None`.
    edited: Option<Map<String, Value>>,
    /// The claim on the run, until the expansion takes it to finish after the body.
    claim: Option<Claim>,
}

impl Verdict {
    /// Refuses an edit that is not an object, or that holds a key naming no parameter that was
    /// sent: an edit the call cannot apply would be an edit silently dropped.
    pub(crate) fn new(
        approved: Approved,
        sent: Map<String, Value>,
        claim: Claim,
    ) -> Result<Verdict, Error> {
        let mut verdict = Verdict {
            approval_id: approved.approval_id,
            sent,
            edited: None,
            claim: Some(claim),
        };
        match approved.modified_details {
            None => {}
            Some(Value::Object(edited)) => verdict.edited = Some(edited),
            Some(_) => {
                return Err(verdict.invalid(
                    "modifiedDetails",
                    "the reviewer's edit is not an object of parameters".to_owned(),
                ));
            }
        }
        let unknown = verdict
            .edited
            .iter()
            .flatten()
            .find(|(key, value)| !value.is_null() && !verdict.sent.contains_key(key.as_str()))
            .map(|(key, _)| key.clone());
        if let Some(key) = unknown {
            return Err(verdict.invalid(
                &key,
                "the call has no such parameter to apply it to".to_owned(),
            ));
        }
        Ok(verdict)
    }

    /// A call the client's rules let run without asking: nothing was edited, so every
    /// parameter keeps the caller's value, and no run is claimed.
    #[cfg(feature = "rules")]
    pub(crate) fn unasked() -> Verdict {
        Verdict {
            approval_id: String::new(),
            sent: Map::new(),
            edited: None,
            claim: Some(Claim::unclaimed()),
        }
    }

    /// The claim on the run, to finish once the body returns.
    pub fn take_claim(&mut self) -> Claim {
        self.claim.take().unwrap_or_else(Claim::unclaimed)
    }

    /// The reviewer's value for a `&T` parameter `name` when they changed it, read into `T`'s
    /// owned form `O`.
    pub fn edited_borrowed<T: ?Sized + EditableBorrowed<O>, O>(
        &self,
        name: &str,
    ) -> Result<Option<O>, Error> {
        self.read_edit(name, T::owned_from_edit, T::runs_as)
    }

    /// The reviewer's value for `name` when they changed it, read into `T`.
    pub fn edited<T: Editable + Sendable>(&self, name: &str) -> Result<Option<T>, Error> {
        self.read_edit(name, T::from_edit, T::to_details)
    }

    /// The edit of `name` when there is one, read by `read` and checked to run as approved.
    fn read_edit<T>(
        &self,
        name: &str,
        read: fn(&Value) -> Result<T, serde_json::Error>,
        runs_as: fn(&T) -> Result<Value, serde_json::Error>,
    ) -> Result<Option<T>, Error> {
        let Some(approved) = self.changed(name) else {
            return Ok(None);
        };
        let value = read(approved).map_err(|e| {
            self.invalid(
                name,
                if approved.is_null() {
                    format!("the reviewer removed `{name}`, and only an optional parameter can be left out ({e})")
                } else {
                    e.to_string()
                },
            )
        })?;
        let runs = runs_as(&value).map_err(|e| self.invalid(name, e.to_string()))?;
        edit::check_round_trip(name, approved, &runs)
            .map_err(|message| self.invalid(name, message))?;
        Ok(Some(value))
    }

    /// Refuses an edit of a read-only parameter.
    pub fn check_readonly(&self, name: &str) -> Result<(), Error> {
        match self.changed(name) {
            None => Ok(()),
            Some(_) => Err(Error::ReadonlyChanged {
                parameter: name.to_owned(),
                approval_id: self.approval_id.clone(),
            }),
        }
    }

    /// The approved value of `name` when the reviewer edited and it differs from what was sent;
    /// a parameter left out of the edit is `null`.
    fn changed(&self, name: &str) -> Option<&Value> {
        let approved = self.edited.as_ref()?.get(name).unwrap_or(&Value::Null);
        match self.sent.get(name) {
            Some(sent) if edit::is_same(approved, sent) => None,
            _ => Some(approved),
        }
    }

    fn invalid(&self, parameter: &str, message: String) -> Error {
        Error::InvalidEdit {
            parameter: parameter.to_owned(),
            approval_id: self.approval_id.clone(),
            message,
        }
    }
}

/// A verdict dropped while it still holds its claim never reached the body (an edit that did
/// not fit ended the call): the run is recorded as refused, so the same call asks anew instead of
/// finding it "in progress".
impl Drop for Verdict {
    fn drop(&mut self) {
        if let Some(claim) = self.claim.take() {
            claim.refuse_in_background();
        }
    }
}
