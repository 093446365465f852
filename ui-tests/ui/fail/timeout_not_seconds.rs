use cheqpoint::checkpoint;

#[checkpoint(timeout = 2.5)]
async fn deploy(version: String) -> Result<(), cheqpoint::Error> {
    let _ = version;
    Ok(())
}

#[checkpoint(timeout = "10m")]
async fn rollback(version: String) -> Result<(), cheqpoint::Error> {
    let _ = version;
    Ok(())
}

#[checkpoint(timeout = -1)]
async fn restart(version: String) -> Result<(), cheqpoint::Error> {
    let _ = version;
    Ok(())
}

fn main() {}
