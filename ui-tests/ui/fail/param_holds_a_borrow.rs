// An edit cannot be lent back through a borrow inside an owned type: mark it `readonly`.
use cheqpoint::checkpoint;

#[checkpoint]
async fn greet(name: Option<&str>) -> Result<(), cheqpoint::Error> {
    let _ = name;
    Ok(())
}

fn main() {}
