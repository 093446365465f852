//! A tool-calling agent loop. A refused tool call comes back to the model as a tool result it
//! can read (`cheqpoint::policy::words`: "A reviewer declined this call to issue_refund …"), so
//! the agent explains instead of retrying the action.
//!
//! The model is scripted (no network): it asks for the refund tool once, and reads the result.
//!
//! ```text
//! cargo run --example tool_agent -- --auto reject
//! ```

use std::process::ExitCode;

use cheqpoint::{checkpoint, policy::words::Words};
use cheqpoint_examples::{Playground, auto_from_args, exit};
use serde_json::{Value, json};

#[checkpoint(
    action = "issue_refund",
    risk = 0.7,
    summary = "Refund {amount_cents} cents to {customer}"
)]
async fn issue_refund(customer: String, amount_cents: u64) -> Result<Value, cheqpoint::Error> {
    Ok(json!({"customer": customer, "refunded_cents": amount_cents}))
}

/// What the model does next.
enum Step {
    CallTool { name: String, arguments: Value },
    Answer(String),
}

/// A stand-in for a model: it calls the tool until it has a result, then answers from it.
fn scripted_model(tool_results: &[String]) -> Step {
    match tool_results.last() {
        Some(result) if result.contains("did not run") => Step::Answer(format!(
            "I did not refund the customer: {result}. I will not try again without new instructions."
        )),
        Some(result) => Step::Answer(format!("Done: {result}.")),
        None => Step::CallTool {
            name: "issue_refund".into(),
            arguments: json!({"customer": "ada@example.com", "amount_cents": 4_500}),
        },
    }
}

/// Runs a tool; a refusal is a result for the model to read, not a crash of the agent.
async fn call_tool(name: &str, arguments: &Value) -> String {
    let outcome = match name {
        "issue_refund" => {
            let customer = arguments["customer"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let amount = arguments["amount_cents"].as_u64().unwrap_or_default();
            issue_refund(customer, amount).await
        }
        other => return format!("unknown tool {other}"),
    };
    match outcome {
        Ok(result) => result.to_string(),
        Err(error) => Words::new(name).not_run(&error),
    }
}

async fn run() -> Result<(), String> {
    let playground = Playground::start(auto_from_args()?, |_, details| {
        details["amount_cents"] = json!(2_000)
    })
    .await?;
    cheqpoint::init(playground.client.clone()).map_err(|e| e.to_string())?;

    println!("user: refund Ada's duplicate charge of 45.00");
    let mut tool_results = Vec::new();
    for _ in 0..5 {
        match scripted_model(&tool_results) {
            Step::CallTool { name, arguments } => {
                println!("model calls {name}({arguments})");
                let result = call_tool(&name, &arguments).await;
                println!("tool result: {result}");
                tool_results.push(result);
            }
            Step::Answer(text) => {
                println!("model: {text}");
                break;
            }
        }
    }
    if let Some(emulator) = &playground.emulator {
        println!("approval requests made: {}", emulator.requests().len());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run().await)
}
