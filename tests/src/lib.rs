//! Integration tests of the cheqpoint workspace live in `tests/`; this crate has no library code.
