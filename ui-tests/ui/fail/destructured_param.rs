use cheqpoint::checkpoint;

#[checkpoint]
async fn move_to((x, y): (i32, i32)) -> Result<(), cheqpoint::Error> {
    let _ = (x, y);
    Ok(())
}

fn main() {}
