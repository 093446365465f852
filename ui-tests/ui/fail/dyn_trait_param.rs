use cheqpoint::checkpoint;

#[checkpoint]
async fn log(sink: &mut dyn std::io::Write, line: String) -> Result<(), cheqpoint::Error> {
    let _ = (sink, line);
    Ok(())
}

fn main() {}
