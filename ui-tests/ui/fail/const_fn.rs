use cheqpoint::checkpoint;

#[checkpoint]
const fn limit(amount: u64) -> Result<u64, cheqpoint::Error> {
    Ok(amount)
}

fn main() {}
