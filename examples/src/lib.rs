//! Runnable agents that gate real-looking actions behind `#[checkpoint]`; see `examples/`.
