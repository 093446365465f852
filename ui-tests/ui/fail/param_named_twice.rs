use cheqpoint::checkpoint;

#[checkpoint(skip(conn, conn), readonly(account, account))]
async fn transfer(conn: String, account: String) -> Result<(), cheqpoint::Error> {
    let _ = (conn, account);
    Ok(())
}

fn main() {}
