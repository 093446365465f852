//! The floor of an auto-decided call (scenario 2): the HTTP a gated call makes when a rule
//! decides its request at creation, made with nothing but a bare `reqwest` client. A create
//! (`POST /api/approvals/request`, the same body, headers and `Idempotency-Key` the gated call
//! sends) answered at once, then the read of its record (`GET /api/approvals/{id}`), which the
//! gated call needs too: the create's answer holds only the id and status, not the approved
//! details. No code of this crate's client takes part: what the gated call costs over this is
//! the client's own.

use serde::Deserialize;
use serde_json::json;

use crate::protocol::API_KEY;

/// A bare client and the emulator it talks to.
#[derive(Clone)]
pub struct Bare {
    http: reqwest::Client,
    create_url: String,
    read_url: String,
}

/// The part of a create's answer the read needs.
#[derive(Deserialize)]
struct Created {
    id: String,
}

impl Bare {
    /// A client built as every client of the workspace is, with the headers the gated client
    /// sends on every request.
    pub fn new(url: &str) -> Result<Bare, Box<dyn std::error::Error>> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-api-key", API_KEY.parse()?);
        headers.insert(reqwest::header::CONTENT_TYPE, "application/json".parse()?);
        let http = cheqpoint::http_client_builder()?
            .user_agent("cheqpoint-bench-floor")
            .default_headers(headers)
            .build()?;
        let url = url.trim_end_matches('/');
        Ok(Bare {
            http,
            create_url: format!("{url}/api/approvals/request"),
            read_url: format!("{url}/api/approvals/"),
        })
    }

    /// Call `call`'s two exchanges, with the gated call's parameters.
    pub async fn call(&self, call: u32) -> Result<(), String> {
        let (call, account, amount_cents, memo, tags) = crate::protocol::arguments(call);
        let body = json!({
            "action": "bench_transfer",
            "summary": format!("Transfer {amount_cents} cents to {account} (call {call})"),
            "details": {
                "call": call,
                "account": account,
                "amount_cents": amount_cents,
                "memo": memo,
                "tags": tags,
            },
            "riskScore": 0.8,
        });
        let created = self
            .http
            .post(&self.create_url)
            .header("Idempotency-Key", format!("cq-{:032x}", fastrand::u128(..)))
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !created.status().is_success() {
            return Err(format!("create: {}", created.status()));
        }
        let created: Created =
            serde_json::from_slice(&created.bytes().await.map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let record = self
            .http
            .get(format!("{}{}", self.read_url, created.id))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !record.status().is_success() {
            return Err(format!("read: {}", record.status()));
        }
        record.bytes().await.map_err(|e| e.to_string())?;
        Ok(())
    }
}
