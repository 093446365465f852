// An edit cannot live for `'a`: mark the parameter `readonly` to run the caller's borrow.
use cheqpoint::checkpoint;

#[checkpoint]
async fn first<'a>(items: &'a [String]) -> Result<&'a String, cheqpoint::Error> {
    items.first().ok_or(cheqpoint::Error::NotConfigured)
}

fn main() {}
