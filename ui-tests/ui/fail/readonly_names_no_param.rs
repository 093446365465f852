use cheqpoint::checkpoint;

#[checkpoint(readonly(account))]
async fn transfer(account_id: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (account_id, amount);
    Ok(())
}

fn main() {}
