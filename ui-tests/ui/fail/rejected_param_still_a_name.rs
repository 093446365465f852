// A parameter refused for one reason is still a parameter: naming it elsewhere is no second error.
use cheqpoint::checkpoint;

#[checkpoint(readonly(name), summary = "Greet {name}")]
async fn greet(ref name: String) -> Result<(), cheqpoint::Error> {
    let _ = name;
    Ok(())
}

fn main() {}
