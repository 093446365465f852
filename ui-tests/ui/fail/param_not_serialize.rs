use cheqpoint::checkpoint;

struct Connection;

#[checkpoint]
async fn query(conn: &Connection, sql: String) -> Result<(), cheqpoint::Error> {
    let _ = (conn, sql);
    Ok(())
}

fn main() {}
