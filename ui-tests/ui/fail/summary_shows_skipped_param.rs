use cheqpoint::checkpoint;

#[checkpoint(skip(token), summary = "Call the API with {token}")]
async fn call_api(token: String, path: String) -> Result<(), cheqpoint::Error> {
    let _ = (token, path);
    Ok(())
}

fn main() {}
