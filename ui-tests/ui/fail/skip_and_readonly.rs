use cheqpoint::checkpoint;

#[checkpoint(skip(account), readonly(account))]
async fn transfer(account: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (account, amount);
    Ok(())
}

fn main() {}
