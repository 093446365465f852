//! The `#[checkpoint]` attribute. Use it through the `cheqpoint` crate.
