use cheqpoint::checkpoint;

#[checkpoint]
async fn log(out: impl std::io::Write, line: String) -> Result<(), cheqpoint::Error> {
    let _ = (out, line);
    Ok(())
}

fn main() {}
