use cheqpoint::checkpoint;

#[checkpoint]
extern "C" fn shutdown(code: i32) -> Result<(), cheqpoint::Error> {
    let _ = code;
    Ok(())
}

fn main() {}
