// An edit cannot live for `'static`: mark the parameter `readonly` to run the caller's borrow.
use cheqpoint::checkpoint;

#[checkpoint]
fn greet_later(name: &'static str) -> Result<std::thread::JoinHandle<String>, cheqpoint::Error> {
    Ok(std::thread::spawn(move || format!("hello {name}")))
}

fn main() {}
