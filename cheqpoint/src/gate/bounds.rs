//! Traits that stand between a parameter's or return type's bounds and the compiler: each one
//! says, in this crate's words and at the user's type, what a gated fn needs of it.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::Error;

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

    /// The owned value as it will run, lent as `&Self` and serialized again.
    fn runs_as(owned: &Owned) -> Result<Value, serde_json::Error>;
}

impl<T: ?Sized + ToOwned + Serialize> EditableBorrowed<T::Owned> for T
where
    T::Owned: Editable,
{
    fn owned_from_edit(edit: &Value) -> Result<T::Owned, serde_json::Error> {
        T::Owned::from_edit(edit)
    }

    fn runs_as(owned: &T::Owned) -> Result<Value, serde_json::Error> {
        std::borrow::Borrow::<T>::borrow(owned).to_details()
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

/// The value of a `when = ..` option: whether the call is gated.
#[diagnostic::on_unimplemented(
    message = "`when` takes a `bool`, not `{Self}`",
    label = "the call is gated when this is `true`",
    note = "write a condition over the parameters, e.g. `when = amount_cents >= 5_000`"
)]
pub trait GateCondition {
    /// True when the call must be approved.
    fn holds(self) -> bool;
}

impl GateCondition for bool {
    fn holds(self) -> bool {
        self
    }
}
