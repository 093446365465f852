// A `skip(..)` that does not parse is reported alone: the parameter it meant to excuse is not
// reported as unsendable too.
use cheqpoint::checkpoint;

struct Connection;

#[checkpoint(skip(conn conn))]
async fn purge(conn: Connection, table: String) -> Result<(), cheqpoint::Error> {
    let _ = (conn, table);
    Ok(())
}

fn main() {}
