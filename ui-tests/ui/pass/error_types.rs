//! Error types a rejection converts into: `anyhow::Result<T>` and a boxed `dyn Error`.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint]
async fn with_anyhow(path: String) -> anyhow::Result<String> {
    Ok(path)
}

#[checkpoint]
fn with_boxed_error(path: String) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    Ok(path)
}

fn main() {
    let _future = with_anyhow("/tmp".into());
    let _gated = with_boxed_error;
}
