//! `webhook_url = "..."`: where the service posts the decision.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(webhook_url = "https://example.com/decisions")]
async fn publish(post_id: u64) -> Result<(), cheqpoint::Error> {
    let _ = post_id;
    Ok(())
}

fn main() {
    let _future = publish(1);
}
