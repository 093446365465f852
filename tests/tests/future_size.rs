//! The gate adds little to a gated async fn's future, a constant for its own locals: the request,
//! the verdict and their JSON are dropped before the body runs, and the wait and the claim on the
//! run live behind pointers.

use cheqpoint::{Client, Error, checkpoint};

#[checkpoint(client = client, skip(client))]
async fn gated(client: &Client, payload: String) -> Result<usize, Error> {
    let buffer = [7u8; 256];
    tokio::task::yield_now().await;
    Ok(payload.len() + buffer.iter().map(|&b| usize::from(b)).sum::<usize>())
}

async fn ungated(client: &Client, payload: String) -> Result<usize, Error> {
    let _ = client;
    let buffer = [7u8; 256];
    tokio::task::yield_now().await;
    Ok(payload.len() + buffer.iter().map(|&b| usize::from(b)).sum::<usize>())
}

#[test]
fn a_gated_future_is_about_the_size_of_the_ungated_one() {
    let client = Client::new("cq_test_size").unwrap();
    let gated = std::mem::size_of_val(&gated(&client, "x".into()));
    let ungated = std::mem::size_of_val(&ungated(&client, "x".into()));
    println!("future of the gated fn: {gated} bytes; of the same fn ungated: {ungated} bytes");
    assert!(
        gated <= ungated + 96,
        "gated {gated} bytes against {ungated} ungated"
    );
}
