//! The compile-time contract of `#[checkpoint]`: what it accepts, and the errors it gives.
//!
//! The `.stderr` files hold the compiler's words, which change between Rust releases: they are
//! pinned to the toolchain this workspace is built with (Rust 1.95). Regenerate them with
//! `TRYBUILD=overwrite cargo test -p cheqpoint-ui-tests` and read every diff as a user would.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
