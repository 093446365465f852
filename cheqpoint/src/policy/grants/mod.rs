//! Grants: a person's approval of a rule rather than of one call — "this tool, arguments within
//! these bounds, for this long, at most N runs, in this scope". A grant is asked for as an
//! ordinary approval request (action `grant:TOOL`, details = the grant as JSON, a summary in
//! words), so it works with the hosted service as it is; the reviewer approves it, narrows it by
//! editing the details, or rejects it. An edit that widens it, or that is no grant, grants
//! nothing (`narrow`).
//!
//! The bounds are written as a rule's are (`command`, `path`, `where`; see
//! [`rules`](crate::policy::rules)), and a call is covered exactly when that rule, deciding
//! `allow`, would allow it: a shell line every command of which is within the bounds, a path
//! that can be placed, every condition met. The journal keeps approved grants and counts their
//! uses ([`Journal::use_grant`](crate::Journal::use_grant)).

mod grant;
mod narrow;
mod shape;
mod words;

pub use grant::{ACTION_PREFIX, Covering, Grant, GrantScope, MAX_DURATION};
pub use shape::Suggestion;
