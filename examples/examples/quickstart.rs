//! The whole loop on one machine: an agent asks, a person decides, and each dangerous function
//! runs only with what the person approved.
//!
//! ```text
//! cargo run --example quickstart                  # decide in the inbox or at the terminal
//! cargo run --example quickstart -- --auto edit   # decide without a person
//! ```

use std::process::ExitCode;

use cheqpoint::checkpoint;
use cheqpoint_examples::{Playground, auto_from_args, exit};
use serde_json::Value;

#[checkpoint(
    action = "send_email",
    risk = 0.3,
    summary = "Email \"{subject}\" to {to}"
)]
async fn send_email(to: String, subject: String, body: String) -> Result<String, cheqpoint::Error> {
    Ok(format!(
        "sent \"{subject}\" to {to} ({} characters)",
        body.len()
    ))
}

#[checkpoint(
    action = "process_refund",
    risk = 0.8,
    summary = "Refund {amount_cents} cents on order {order_id}",
    readonly(order_id),
    justification = "The customer was charged twice for the same order."
)]
async fn refund(order_id: String, amount_cents: u64) -> Result<String, cheqpoint::Error> {
    Ok(format!("refunded {amount_cents} cents on order {order_id}"))
}

#[checkpoint(
    action = "delete_user",
    risk = 0.95,
    summary = "Delete user {user_id} and all their data"
)]
async fn delete_user(user_id: u64) -> Result<String, cheqpoint::Error> {
    Ok(format!("deleted user {user_id}"))
}

/// What `--auto edit` changes: a person lowering the refund and fixing the subject line.
fn edit(action: &str, details: &mut Value) {
    match action {
        "process_refund" => details["amount_cents"] = Value::from(6_000),
        "send_email" => details["subject"] = Value::from("Weekly report (final)"),
        _ => {}
    }
}

/// Prints what a gated call did: ran (with which values) or was refused (and why).
fn report(action: &str, outcome: Result<String, cheqpoint::Error>) {
    match outcome {
        Ok(done) => println!("  ran      {action}: {done}"),
        Err(refused) => println!("  refused  {action}: {refused}"),
    }
}

async fn run() -> Result<(), String> {
    let auto = auto_from_args()?;
    println!(
        "cheqpoint quickstart: an agent with three dangerous tools, each behind #[checkpoint]"
    );
    let playground = Playground::start(auto, edit).await?;
    cheqpoint::init(playground.client.clone()).map_err(|e| e.to_string())?;

    println!("agent: emailing the weekly report");
    report(
        "send_email",
        send_email(
            "team@example.com".into(),
            "Weekly report".into(),
            "Revenue is up 4%.".into(),
        )
        .await,
    );
    println!("agent: refunding a double charge");
    report("process_refund", refund("8842".into(), 12_000).await);
    println!("agent: deleting an inactive account");
    report("delete_user", delete_user(42).await);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run().await)
}
