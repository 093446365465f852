use cheqpoint::checkpoint;

#[checkpoint(timeout = 0)]
async fn deploy(version: String) -> Result<(), cheqpoint::Error> {
    let _ = version;
    Ok(())
}

fn main() {}
