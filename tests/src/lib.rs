//! Integration tests of the cheqpoint workspace live in `tests/`; this crate has no library code
//! but the README's doctests.

/// The README's Rust blocks, each compiled as a doctest of this crate (which has what they use:
/// the client with its `sqlite` journal, the emulator, tokio) and run where it needs no service.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
