//! What `#[checkpoint]` expansions call. Not a public API: names and signatures here change
//! without notice.

use std::time::Duration;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{ApprovalRequest, Approved, Client, Error, json_eq::same_json};

pub use crate::global::global;

/// A parameter sent to the reviewer as part of `details`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent for approval: it is not `Serialize`",
    label = "this parameter is sent to the reviewer in `details`",
    note = "derive or implement `serde::Serialize` for it, or leave it out with `skip(..)` in `#[checkpoint(..)]`"
)]
pub trait Sendable {
    /// The value as it goes into `details`.
    fn to_details(&self) -> Result<Value, serde_json::Error>;
}

impl<T: ?Sized + Serialize> Sendable for T {
    fn to_details(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// A parameter the reviewer may edit: the edit is read back into its type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take the reviewer's edits: it is not `Deserialize`",
    label = "the reviewer may edit this parameter, so its edited value is read back into this type",
    note = "derive or implement `serde::Deserialize` for it, or mark it `readonly(..)` (sent, not editable) or `skip(..)` (not sent) in `#[checkpoint(..)]`"
)]
pub trait Editable: Sized {
    /// Reads the reviewer's value.
    fn from_edit(edit: &Value) -> Result<Self, serde_json::Error>;
}

impl<T: DeserializeOwned> Editable for T {
    fn from_edit(edit: &Value) -> Result<Self, serde_json::Error> {
        T::deserialize(edit)
    }
}

/// The `T` of a `&T` parameter the reviewer may edit: the edit is read into `T`'s owned form
/// `Owned` (`String` for `str`, `Vec<T>` for `[T]`, `T` itself for a `Clone` type) and lent to
/// the body.
#[diagnostic::on_unimplemented(
    message = "`&{Self}` cannot take the reviewer's edits: its edited value cannot be read back into an owned `{Self}`",
    label = "the reviewer may edit this parameter, so its edited value is read into an owned value and lent as this reference",
    note = "derive `Clone` and `serde::Deserialize` for `{Self}` (or implement `ToOwned` with a `Deserialize` owned form), or mark the parameter `readonly(..)` (sent, not editable) or `skip(..)` (not sent) in `#[checkpoint(..)]`"
)]
pub trait EditableBorrowed<Owned> {
    /// Reads the reviewer's value into the owned form.
    fn owned_from_edit(edit: &Value) -> Result<Owned, serde_json::Error>;
}

impl<T: ?Sized + ToOwned<Owned = O>, O: Editable> EditableBorrowed<O> for T {
    fn owned_from_edit(edit: &Value) -> Result<O, serde_json::Error> {
        O::from_edit(edit)
    }
}

/// A `risk = expr` value: a number, made an `f64` score.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a risk score",
    label = "`risk` takes a number from 0.0 to 1.0",
    note = "write a literal (`risk = 0.8`) or an expression of a number type such as `f64` or `f32`"
)]
pub trait RiskScore {
    /// The score as sent.
    fn score(self) -> f64;
}

macro_rules! risk_scores {
    ($($number:ty),*) => {$(
        impl RiskScore for $number {
            fn score(self) -> f64 {
                f64::from(self)
            }
        }
    )*};
}

risk_scores!(f64, f32, u8, u16, u32, i8, i16, i32);

/// The return type of a gated function: a `Result` whose error can carry a rejection.
#[diagnostic::on_unimplemented(
    message = "a #[checkpoint] fn must return `Result<T, E>` where `E: From<cheqpoint::Error>`, not `{Self}`",
    label = "the rejection must be returned through this type",
    note = "return `Result<T, cheqpoint::Error>`, `anyhow::Result<T>`, or a `Result` with your own error type that implements `From<cheqpoint::Error>`"
)]
pub trait GateReturn {
    /// The error type the rejection goes into. A bound of its own (not of the impl) so that a
    /// missing `From<cheqpoint::Error>` is reported in the words of [`CarriesRejection`].
    type Rejection;

    /// The value returned when the gate refuses.
    fn refuse(error: Error) -> Self
    where
        Self::Rejection: CarriesRejection;
}

impl<T, E> GateReturn for Result<T, E> {
    type Rejection = E;

    fn refuse(error: Error) -> Self
    where
        E: CarriesRejection,
    {
        Err(E::carry(error))
    }
}

/// An error type that a rejection converts into.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot carry a cheqpoint rejection: it does not implement `From<cheqpoint::Error>`",
    label = "a #[checkpoint] fn returns its rejections through this error type",
    note = "return an error type that implements `From<cheqpoint::Error>`: `cheqpoint::Error`, `anyhow::Error`, or your own (with thiserror, a `#[from] cheqpoint::Error` variant)"
)]
pub trait CarriesRejection {
    /// Converts the rejection.
    fn carry(error: Error) -> Self;
}

impl<E: From<Error>> CarriesRejection for E {
    fn carry(error: Error) -> Self {
        E::from(error)
    }
}

/// The request a gated call is building.
pub struct Gate {
    request: ApprovalRequest,
    details: Map<String, Value>,
}

impl Gate {
    /// A request for `action` with `summary`.
    pub fn new(action: &str, summary: String) -> Gate {
        Gate {
            request: ApprovalRequest::new(action, summary),
            details: Map::new(),
        }
    }

    /// Sets the risk score; checked when the request is sent.
    pub fn risk(&mut self, score: impl RiskScore) {
        self.request.risk_score = Some(score.score());
    }

    /// Sets the justification.
    pub fn justification(&mut self, text: impl Into<String>) {
        self.request.justification = Some(text.into());
    }

    /// Sets how long to wait, in seconds.
    pub fn timeout_secs(&mut self, seconds: u64) {
        self.request.timeout = Some(Duration::from_secs(seconds));
    }

    /// Sets the callback URL.
    pub fn webhook_url(&mut self, url: impl Into<String>) {
        self.request.callback_url = Some(url.into());
    }

    /// Adds a parameter to `details` under `name`.
    pub fn param<T: ?Sized + Sendable>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        let value = value.to_details().map_err(|e| Error::Serialize {
            parameter: name.to_owned(),
            message: e.to_string(),
        })?;
        self.details.insert(name.to_owned(), value);
        Ok(())
    }

    /// Asks and waits.
    pub async fn approve(self, client: &Client) -> Result<Verdict, Error> {
        let sent = self.details.clone();
        let approved = client
            .checkpoint(self.request.details(Value::Object(self.details)))
            .await?;
        Verdict::new(approved, sent)
    }

    /// Asks and waits on this thread. Outside a runtime it simply blocks; on a multi-thread
    /// runtime (a worker, or `spawn_blocking`) it hands the worker's other tasks away first
    /// (`block_in_place`), so the executor goes on; on a current-thread runtime, where it would
    /// stall everything, it is refused.
    pub fn approve_blocking(self, client: &Client) -> Result<Verdict, Error> {
        let runtime = crate::runtime::own()?;
        match tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor()) {
            Err(_) => runtime.block_on(self.approve(client)),
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
                tokio::task::block_in_place(|| runtime.block_on(self.approve(client)))
            }
            Ok(_) => Err(Error::BlockingInRuntime),
        }
    }
}

/// An approval, with the reviewer's edits ready to be read back into parameters.
pub struct Verdict {
    approved: Approved,
    sent: Map<String, Value>,
    edits: Map<String, Value>,
}

impl Verdict {
    /// Refuses an edit that names no parameter that was sent: what the reviewer changed must be
    /// what runs, and a key the call cannot apply would be an edit silently dropped.
    fn new(approved: Approved, sent: Map<String, Value>) -> Result<Verdict, Error> {
        let edits = match &approved.modified_details {
            Some(Value::Object(edits)) => edits.clone(),
            _ => Map::new(),
        };
        if let Some(unknown) = edits.keys().find(|key| !sent.contains_key(*key)) {
            return Err(Error::InvalidEdit {
                parameter: unknown.clone(),
                approval_id: approved.approval_id.clone(),
                message: "the call has no such parameter to apply it to".into(),
            });
        }
        Ok(Verdict {
            approved,
            sent,
            edits,
        })
    }

    /// The reviewer's value for a `&T` parameter `name` when they changed it, read into `T`'s
    /// owned form `O`.
    pub fn edited_borrowed<T: ?Sized + EditableBorrowed<O>, O>(
        &self,
        name: &str,
    ) -> Result<Option<O>, Error> {
        self.read_edit(name, T::owned_from_edit)
    }

    /// The reviewer's value for `name` when they changed it, read into `T`.
    pub fn edited<T: Editable>(&self, name: &str) -> Result<Option<T>, Error> {
        self.read_edit(name, T::from_edit)
    }

    /// The edit of `name` when there is one, read by `read`; an edit that does not fit is an
    /// error naming the parameter.
    fn read_edit<T>(
        &self,
        name: &str,
        read: fn(&Value) -> Result<T, serde_json::Error>,
    ) -> Result<Option<T>, Error> {
        match self.changed(name) {
            None => Ok(None),
            Some(edit) => read(edit).map(Some).map_err(|e| Error::InvalidEdit {
                parameter: name.to_owned(),
                approval_id: self.approved.approval_id.clone(),
                message: e.to_string(),
            }),
        }
    }

    /// Refuses an edit of a read-only parameter.
    pub fn check_readonly(&self, name: &str) -> Result<(), Error> {
        match self.changed(name) {
            None => Ok(()),
            Some(_) => Err(Error::ReadonlyChanged {
                parameter: name.to_owned(),
                approval_id: self.approved.approval_id.clone(),
            }),
        }
    }

    /// The edit of `name`, when there is one that differs from what was sent.
    fn changed(&self, name: &str) -> Option<&Value> {
        let edit = self.edits.get(name)?;
        match self.sent.get(name) {
            Some(sent) if same_json(sent, edit) => None,
            _ => Some(edit),
        }
    }
}
