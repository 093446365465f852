// `-> impl Trait` would swallow the rejection: return a `Result`.
use cheqpoint::checkpoint;

#[checkpoint]
async fn describe(order_id: String) -> impl std::fmt::Debug {
    order_id
}

fn main() {}
