//! The short-wait endpoint two ways: `request_sync` (the service holds the call, then the client
//! polls) and `request_async` with a callback URL, where an axum route verifies the signature
//! and wakes the task waiting for the decision.
//!
//! ```text
//! cargo run --example callbacks -- --auto approve
//! ```

use std::{process::ExitCode, time::Duration};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use cheqpoint::{ApprovalRequest, Callback, SIGNATURE_HEADER, Status};
use cheqpoint_examples::{Playground, auto_from_args, exit};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Shared by the callback route: the secret to verify with and where to hand verified decisions.
#[derive(Clone)]
struct Receiver {
    secret: String,
    decisions: mpsc::UnboundedSender<Callback>,
}

/// `POST /cheqpoint/decisions`: accepts only a body signed with the workspace's secret.
async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    match Callback::verify(&body, signature, &[&receiver.secret]) {
        Ok(callback) => {
            let _ = receiver.decisions.send(callback);
            StatusCode::OK
        }
        Err(refused) => {
            eprintln!("callback refused: {refused}");
            StatusCode::UNAUTHORIZED
        }
    }
}

/// Serves the callback route on a free loopback port; returns its URL and the verified decisions.
async fn start_receiver(
    secret: String,
) -> Result<(String, mpsc::UnboundedReceiver<Callback>), String> {
    let (decisions, arrived) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/cheqpoint/decisions", post(receive))
        .with_state(Receiver { secret, decisions });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/cheqpoint/decisions",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, arrived))
}

fn deploy() -> ApprovalRequest {
    ApprovalRequest::new("deploy_service", "Deploy billing v2.3 to production")
        .details(json!({"service": "billing", "version": "2.3.0", "window": "now"}))
        .risk(0.6)
}

/// A decision in one line: an approval with the reviewer's edit or as sent, a rejection with
/// its note.
fn outcome(status: Status, id: &str, edit: Option<&Value>, note: Option<&str>) -> String {
    match (status, edit) {
        (Status::Approved, Some(edit)) => format!("approved {id} (reviewer's edit: {edit})"),
        (Status::Approved, None) => format!("approved {id} (as sent)"),
        (Status::Rejected, _) => format!("rejected {id} ({})", note.unwrap_or("no note")),
        (status, _) => format!("{status} {id}"),
    }
}

async fn run() -> Result<(), String> {
    let playground = Playground::start(auto_from_args()?, |_, details| {
        details["window"] = json!("22:00 UTC")
    })
    .await?;
    let client = &playground.client;

    println!("request_sync: held by the service up to 10 s, then polled, 60 s in all");
    let decision = client
        .request_sync(deploy(), Duration::from_secs(60))
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "  {}",
        outcome(
            decision.status,
            &decision.approval_id,
            decision.modified_details.as_ref(),
            decision.note.as_deref()
        )
    );

    println!("request_async: answered at once, decided later through the callback");
    let (callback_url, mut arrived) = start_receiver(playground.webhook_secret.clone()).await?;
    let pending = client
        .request_async(deploy().callback_url(callback_url))
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "  {} {}, review at {}",
        pending.status,
        pending.approval_id,
        pending.review_url.as_deref().unwrap_or("-")
    );
    let decided = loop {
        match tokio::time::timeout(Duration::from_secs(300), arrived.recv()).await {
            Ok(Some(callback)) if callback.approval_id == pending.approval_id => break callback,
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return Err("no callback arrived".into()),
        }
    };
    println!(
        "  callback (signature verified): {}",
        outcome(
            decided.status,
            &decided.approval_id,
            decided.modified_details.as_ref(),
            decided.note.as_deref()
        )
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run().await)
}
