//! A plain program, no `async`: the gated function waits for the decision on its own thread.
//!
//! ```text
//! cargo run --example blocking -- --auto approve
//! ```

use std::process::ExitCode;

use cheqpoint::checkpoint;
use cheqpoint_examples::{Playground, auto_from_args, exit};
use serde_json::json;

#[checkpoint(
    action = "drop_table",
    risk = 0.9,
    summary = "Drop table {table} in {database}",
    readonly(database)
)]
fn drop_table(database: String, table: String) -> Result<String, cheqpoint::Error> {
    Ok(format!("dropped {database}.{table}"))
}

fn run() -> Result<(), String> {
    // The emulator (or the reviewer) needs a runtime; the gated call itself does not.
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let playground = runtime.block_on(Playground::start(auto_from_args()?, |_, details| {
        details["table"] = json!("sessions_archive")
    }))?;
    cheqpoint::init(playground.client.clone()).map_err(|e| e.to_string())?;

    println!("asking to drop analytics.sessions");
    match drop_table("analytics".into(), "sessions".into()) {
        Ok(done) => println!("ran: {done}"),
        Err(refused) => println!("refused: {refused}"),
    }
    Ok(())
}

fn main() -> ExitCode {
    exit(run())
}
