//! Fault injection: make the emulator fail the way servers, proxies and networks do, so that a
//! client can be shown to fail closed — never act without an approval it read, never ask twice.
//!
//! The [`Fault`] type (`fault`; its documentation has the kinds and the text form), the layer
//! that applies faults to requests (`answer`), the text form (`spec`), and the state: active
//! faults, the port, open connections and the call log (`state`).

mod answer;
mod fault;
mod spec;
mod state;

pub(crate) use answer::{Injection, apply};
pub use fault::{Fault, FaultKind, RetryAfter, Route};
pub use spec::FaultSpecError;
pub use state::Call;
pub(crate) use state::{Connection, Faults, Refusal};
