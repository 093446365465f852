use cheqpoint::checkpoint;

#[checkpoint(skip(conection))]
async fn query(connection: String, sql: String) -> Result<(), cheqpoint::Error> {
    let _ = (connection, sql);
    Ok(())
}

fn main() {}
