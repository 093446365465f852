use cheqpoint::checkpoint;

#[checkpoint]
struct Refund {
    order_id: String,
}

fn main() {
    let refund = Refund { order_id: String::new() };
    let _ = refund.order_id;
}
