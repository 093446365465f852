use cheqpoint::checkpoint;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone)]
struct Point {
    x: i32,
}

struct Conn;

#[checkpoint(action = "process_refund", risk = 0.8, summary = "Refund {amount_cents} on {order_id}")]
async fn refund(order_id: String, amount_cents: u64) -> Result<u64, cheqpoint::Error> {
    Ok(amount_cents + order_id.len() as u64)
}

#[checkpoint(skip(conn), readonly(account))]
async fn refs(conn: &Conn, account: &str, name: &str, tags: &[String], point: &Point, counter: &mut u32, mut r#type: String) -> Result<(), cheqpoint::Error> {
    let _ = (conn, account, name, tags, point);
    *counter += 1;
    r#type.push('!');
    Ok(())
}

#[checkpoint(risk = 1)]
fn blocking(x: i32) -> Result<i32, cheqpoint::Error> {
    Ok(x)
}

fn main() {
    let _ = refund("1".into(), 2);
    let _ = blocking(1);
}
