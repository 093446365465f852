use cheqpoint::checkpoint;

#[checkpoint(skip = "conn")]
async fn query(conn: String, sql: String) -> Result<(), cheqpoint::Error> {
    let _ = (conn, sql);
    Ok(())
}

#[checkpoint(readonly)]
async fn read(conn: String, sql: String) -> Result<(), cheqpoint::Error> {
    let _ = (conn, sql);
    Ok(())
}

fn main() {}
