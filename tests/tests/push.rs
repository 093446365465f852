//! Push wake-up: a verified callback wakes the waiting call, which confirms with one read
//! instead of waiting for its next poll. The first safety-net read of a push client comes after
//! 15 s, so a call that ends well before that, with one read, was woken by its callback.

mod common;

use std::time::Duration;

use cheqpoint::{ApprovalRequest, Callback, Client, Error, SIGNATURE_HEADER};
use cheqpoint_emulator::{Emulator, Route};
use common::KEY;
use serde_json::json;

const SECRET: &str = "whsec_push";

async fn signing_emulator() -> Emulator {
    Emulator::builder()
        .api_key(KEY)
        .webhook_secret(SECRET)
        .start()
        .await
        .unwrap()
}

/// Runs `call`, failing the test if it is still running when a safety-net read could have ended it.
async fn before_the_safety_net<T>(call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("woken by the callback, well before the first safety-net read at 15 s")
}

fn request() -> ApprovalRequest {
    ApprovalRequest::new("deploy", "Deploy billing").details(json!({"version": "2.3"}))
}

/// A client that serves its own callbacks, verified with `secret`, and waits at most `timeout`.
fn listening_client(emulator: &Emulator, secret: &str, timeout: Duration) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(timeout)
        .webhook_secret("whsec_retired")
        .webhook_secret(secret)
        .listen_for_callbacks("127.0.0.1:0".parse().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_built_in_listener_wakes_the_wait_which_confirms_with_one_read() {
    let emulator = signing_emulator().await;
    let client = listening_client(&emulator, SECRET, Duration::from_secs(60));
    let reviewer = async {
        let pending = emulator.next_pending().await;
        assert!(
            pending
                .callback_url
                .as_deref()
                .unwrap()
                .ends_with("/cheqpoint/callbacks")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        emulator
            .approve_with(&pending.id, json!({"version": "2.4"}))
            .unwrap();
    };
    let (approved, ()) =
        before_the_safety_net(async { tokio::join!(client.checkpoint(request()), reviewer) }).await;
    assert_eq!(
        approved.unwrap().effective_details(),
        &json!({"version": "2.4"})
    );
    assert_eq!(emulator.call_count(Route::Create), 1);
    assert_eq!(
        emulator.call_count(Route::Get),
        1,
        "one read, after the callback"
    );
}

#[tokio::test]
async fn a_callback_that_fails_verification_wakes_nothing() {
    let emulator = signing_emulator().await;
    let timeout = Duration::from_secs(1);
    let client = listening_client(&emulator, "whsec_wrong", timeout);
    let reviewer = async {
        let pending = emulator.next_pending().await;
        emulator.approve(&pending.id).unwrap();
    };
    let started = std::time::Instant::now();
    let (result, ()) = tokio::join!(client.checkpoint(request()), reviewer);
    // Nothing woke the wait: its one read came at the deadline, where every wait reads once more.
    assert!(started.elapsed() >= timeout);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(emulator.call_count(Route::Get), 1);
    let deliveries = emulator.callbacks();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].outcome,
        Ok(401),
        "the listener refused the signature"
    );
}

#[tokio::test]
async fn a_rule_decision_at_creation_is_read_at_once() {
    let emulator = Emulator::builder()
        .api_key(KEY)
        .webhook_secret(SECRET)
        .auto_approve_below(0.5)
        .start()
        .await
        .unwrap();
    let client = listening_client(&emulator, SECRET, Duration::from_secs(60));
    let approved = client.checkpoint(request().risk(0.1)).await.unwrap();
    assert!(approved.auto_decided);
    assert_eq!(emulator.call_count(Route::Get), 1);
}

#[tokio::test]
async fn deliver_from_your_own_route_wakes_the_wait_and_only_when_verified() {
    use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};

    let emulator = signing_emulator().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/cheqpoint", listener.local_addr().unwrap());
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(60))
        .callback_url(url)
        .build()
        .unwrap();
    // What the route's two deliveries returned, checked below in the test itself.
    let (outcomes, mut delivered) = tokio::sync::mpsc::unbounded_channel::<(bool, bool)>();
    let route = post(
        |State((client, outcomes)): State<(
            Client,
            tokio::sync::mpsc::UnboundedSender<(bool, bool)>,
        )>,
         headers: HeaderMap,
         body: Bytes| async move {
            let signature = headers
                .get(SIGNATURE_HEADER)
                .and_then(|value| value.to_str().ok());
            let unverified = Callback::parse(&body).map(|callback| client.deliver(&callback));
            let verified = Callback::verify(&body, signature, &[SECRET])
                .map(|callback| client.deliver(&callback));
            let _ = outcomes.send((unverified.unwrap_or(true), verified.unwrap_or(false)));
        },
    );
    let app = Router::new()
        .route("/hooks/cheqpoint", route)
        .with_state((client.clone(), outcomes));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let reviewer = async {
        let pending = emulator.next_pending().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        emulator.reject(&pending.id, "not today").unwrap();
    };
    let (result, ()) =
        before_the_safety_net(async { tokio::join!(client.checkpoint(request()), reviewer) }).await;
    assert!(matches!(result, Err(Error::Rejected { .. })), "{result:?}");
    assert_eq!(emulator.call_count(Route::Get), 1);
    let (unverified_woke, verified_woke) = delivered.recv().await.unwrap();
    assert!(
        !unverified_woke,
        "a parsed, unverified callback wakes nothing"
    );
    assert!(verified_woke, "a verified callback wakes the wait");
}

#[test]
fn a_listener_without_a_secret_is_refused_at_build() {
    let built = Client::builder()
        .api_key(KEY)
        .listen_for_callbacks("127.0.0.1:0".parse().unwrap())
        .build();
    assert!(matches!(built, Err(Error::Config(message)) if message.contains("webhook_secret")));
}
