//! `impl Trait` parameters: skipped (not sent) or read-only (sent, not editable).
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(skip(log), readonly(label))]
async fn report(
    log: impl std::io::Write,
    label: impl serde::Serialize + std::fmt::Display,
    count: u32,
) -> Result<String, cheqpoint::Error> {
    let _ = log;
    Ok(format!("{label}: {count}"))
}

fn main() {
    let _future = report(Vec::new(), "done", 3);
}
