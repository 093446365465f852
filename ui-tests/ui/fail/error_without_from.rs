use cheqpoint::checkpoint;

#[checkpoint]
fn format_report(title: String) -> Result<String, std::fmt::Error> {
    Ok(title)
}

#[derive(Debug)]
struct PaymentError;

#[checkpoint]
async fn refund(order_id: String) -> Result<(), PaymentError> {
    let _ = order_id;
    Ok(())
}

fn main() {}
