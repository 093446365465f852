//! A `#[cfg]` parameter that is also skipped: gone entirely when the cfg is off.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(skip(trace_id))]
async fn deploy(
    version: String,
    #[cfg(any())] trace_id: u64,
    #[cfg(not(any()))] region: String,
) -> Result<String, cheqpoint::Error> {
    Ok(format!("{version} to {region}"))
}

fn main() {
    let _future = deploy("1.2".into(), "eu".into());
}
