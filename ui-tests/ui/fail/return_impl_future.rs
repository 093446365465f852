// A fn returning `impl Future` cannot be waited inside: write `async fn`.
use std::future::Future;

use cheqpoint::checkpoint;

#[checkpoint]
fn refund(order_id: String) -> impl Future<Output = Result<(), cheqpoint::Error>> {
    async move {
        let _ = order_id;
        Ok(())
    }
}

fn main() {}
