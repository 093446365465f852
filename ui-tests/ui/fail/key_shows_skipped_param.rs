// A key travels to the service (as the create's Idempotency-Key): a skipped parameter may not.
use cheqpoint::checkpoint;

#[checkpoint(key = "send-{token}", skip(token))]
async fn send(to: String, token: String) -> Result<(), cheqpoint::Error> {
    let _ = (to, token);
    Ok(())
}

fn main() {}
