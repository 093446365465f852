//! What the service answers, read strictly: the answer to a create ([`Created`]), the record of a
//! request ([`Approval`]), the short-wait endpoint's answer ([`Decision`]) and the [`Status`] they
//! share. Each parser refuses what cannot be a decision; none of them sends anything.

mod approval;
mod created;
mod decision;
mod fields;
mod status;

pub use approval::{Approval, Approved};
pub use created::Created;
pub use decision::Decision;
pub(crate) use fields::{decision_id, optional_object};
pub use status::Status;
