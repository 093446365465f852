//! Callback delivery: decisions POSTed to `callbackUrl`, signed with a webhook secret, by a
//! client that uses no proxy, follows no redirect, speaks TLS to https URLs and tries again what
//! failed on the way; every delivery recorded, listed and shown on its request.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::header::LOCATION;
use axum::routing::post;
use cheqpoint_emulator::Emulator;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use common::{
    Api, Running, deliveries, hmac_hex, is_rfc3339, next_callback, receiver, request_body,
};

/// An emulator that signs callbacks with `whsec_test`.
async fn signing() -> Emulator {
    Emulator::builder()
        .webhook_secret("whsec_test")
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn callbacks_are_posted_and_signed() {
    let emulator = signing().await;
    let api = Api::new(&emulator);
    let (url, mut received) = receiver().await;

    let approved = api.create(json!({"webhookUrl": url})).await;
    emulator
        .approve_with(&approved, json!({"order_id": "8842", "amount_cents": 1}))
        .unwrap();
    let callback = next_callback(&mut received).await;
    assert_eq!(
        callback.signature,
        Some(hmac_hex("whsec_test", &callback.body))
    );
    assert_eq!(
        callback.json(),
        json!({"approvalId": approved, "id": approved, "status": "approved",
               "modifiedDetails": {"order_id": "8842", "amount_cents": 1},
               "decisionNote": null,
               "details": {"order_id": "8842", "amount_cents": 12000}})
    );

    let (_, answer) = api
        .post(
            "/api/webhooks/inbound",
            &request_body(json!({"callbackUrl": url})),
        )
        .await;
    assert_eq!(answer["status"], "pending");
    let rejected = answer["approvalId"].as_str().unwrap();
    emulator.reject(rejected, "too large").unwrap();
    let callback = next_callback(&mut received).await;
    assert_eq!(
        callback.signature,
        Some(hmac_hex("whsec_test", &callback.body))
    );
    let body = callback.json();
    assert_eq!(
        (&body["approvalId"], &body["status"]),
        (&json!(rejected), &json!("rejected"))
    );
    assert_eq!(body["decisionNote"], "too large");

    let log = deliveries(&emulator, 2).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].approval_id, approved);
    assert_eq!(log[0].url, url);
    assert_eq!(log[0].outcome, Ok(200));
    assert_eq!(
        log[0].signature,
        Some(hmac_hex("whsec_test", log[0].body.as_bytes()))
    );
}

#[tokio::test]
async fn a_failed_callback_is_recorded_and_unsigned_without_a_secret() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/hook");
    let id = api.create(json!({"webhookUrl": url})).await;
    emulator.approve(&id).unwrap();

    let log = deliveries(&emulator, 1).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].url, url);
    assert_eq!(log[0].signature, None);
    assert!(log[0].outcome.is_err(), "{:?}", log[0].outcome);
    assert_eq!(api.get("/emulator/health").await.1, json!({"ok": true}));
}

#[tokio::test]
async fn deliveries_are_listed_and_shown_on_their_record() {
    let emulator = signing().await;
    let api = Api::new(&emulator);
    let (url, mut received) = receiver().await;
    let id = api.create(json!({"callbackUrl": url})).await;
    let (_, before) = api.get(&format!("/api/approvals/{id}")).await;
    assert_eq!(before["callbackDelivery"], Value::Null, "nothing sent yet");
    emulator.approve(&id).unwrap();
    next_callback(&mut received).await;
    deliveries(&emulator, 1).await;

    let (status, listed) = api.get("/emulator/callbacks").await;
    assert_eq!(status, StatusCode::OK);
    let delivery = &listed["deliveries"][0];
    assert_eq!(delivery["approvalId"], json!(id));
    assert_eq!(delivery["url"], json!(url));
    assert_eq!(delivery["statusCode"], 200);
    assert_eq!(delivery["error"], Value::Null);
    assert_eq!(delivery["attempts"], 1);
    let body = delivery["body"].as_str().unwrap();
    assert_eq!(
        delivery["signature"],
        json!(hmac_hex("whsec_test", body.as_bytes()))
    );
    assert!(is_rfc3339(&delivery["finishedAt"]));

    let (_, record) = api.get("/emulator/approvals").await;
    let shown = &record[0]["callbackDelivery"];
    assert_eq!(
        (&shown["url"], &shown["statusCode"], &shown["attempts"]),
        (&json!(url), &json!(200), &json!(1))
    );
}

/// A receiver at `/moved` (307 to `/hook`), `/flaky` (503 twice, then 200) and `/hook`; each
/// path's hits are counted.
async fn awkward_receiver() -> (String, Arc<[AtomicUsize; 3]>) {
    let hits: Arc<[AtomicUsize; 3]> = Arc::default();
    let count = |n: usize| {
        let hits = Arc::clone(&hits);
        move || hits[n].fetch_add(1, Ordering::SeqCst)
    };
    let (moved, flaky, hook) = (count(0), count(1), count(2));
    let router = Router::new()
        .route(
            "/moved",
            post(move || async move {
                moved();
                (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, "/hook")])
            }),
        )
        .route(
            "/flaky",
            post(move || async move {
                if flaky() < 2 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }),
        )
        .route("/hook", post(move || async move { hook().to_string() }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, hits)
}

#[tokio::test]
async fn redirects_are_not_followed_and_failures_on_the_way_are_tried_again() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let (base, hits) = awkward_receiver().await;
    let moved = api
        .create(json!({"callbackUrl": format!("{base}/moved")}))
        .await;
    let flaky = api
        .create(json!({"callbackUrl": format!("{base}/flaky")}))
        .await;
    emulator.approve(&moved).unwrap();
    emulator.approve(&flaky).unwrap();
    let log = deliveries(&emulator, 2).await;
    let of = |id: &str| {
        log.iter()
            .find(|delivery| delivery.approval_id == id)
            .unwrap_or_else(|| panic!("no delivery for {id}: {log:?}"))
    };
    assert_eq!(
        (of(&moved).outcome.clone(), of(&moved).attempts),
        (Ok(307), 1)
    );
    assert_eq!(
        hits[2].load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    assert_eq!(
        (of(&flaky).outcome.clone(), of(&flaky).attempts),
        (Ok(200), 3)
    );
    assert_eq!(hits[1].load(Ordering::SeqCst), 3);
    let record = emulator.get(&flaky).unwrap();
    assert_eq!(record.callback_delivery.map(|d| d.attempts), Some(3));
}

#[tokio::test]
async fn https_callbacks_are_sent_over_tls() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    // Not a TLS server: it reads what the emulator sends first, then hangs up.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    let id = api.create(json!({"callbackUrl": url})).await;
    emulator.approve(&id).unwrap();
    let (mut socket, _) = tokio::time::timeout(Duration::from_secs(3), listener.accept())
        .await
        .expect("the emulator connects within 3 s")
        .unwrap();
    let mut head = [0u8; 6];
    socket.read_exact(&mut head).await.unwrap();
    assert_eq!(
        (head[0], head[5]),
        (0x16, 0x01),
        "a TLS handshake record carrying a ClientHello, not plain HTTP: {head:?}"
    );
    drop(socket);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    let log = deliveries(&emulator, 1).await;
    assert!(log[0].outcome.is_err(), "{:?}", log[0].outcome);
}

#[tokio::test]
async fn callbacks_never_go_through_a_proxy() {
    // A proxy that counts the connections it gets.
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let proxied = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&proxied);
    tokio::spawn(async move {
        while let Ok((socket, _)) = proxy.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    let (hook, mut received) = receiver().await;
    let mut binary = common::binary();
    for variable in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        binary.env(variable, &proxy_url);
    }
    binary.env_remove("NO_PROXY").env_remove("no_proxy");
    let mut running =
        Running::spawn_command(binary, &["--bind", "127.0.0.1:0", "--no-review-token"]);
    let base = running.url();
    let id = common::create_with(&base, &request_body(json!({"callbackUrl": hook}))).await;
    let decided = common::http()
        .post(format!("{base}/emulator/approvals/{id}/decision"))
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), StatusCode::OK);
    let callback = next_callback(&mut received).await.json();
    assert_eq!(callback["approvalId"], json!(id));
    assert_eq!(
        proxied.load(Ordering::SeqCst),
        0,
        "nothing went to the proxy"
    );
}

/// Decisions made faster than the receiver answers: at most 64 attempts are on their way at once
/// (each holds a connection), the rest wait their turn, and every decision is still delivered.
#[tokio::test]
async fn a_slow_receiver_is_sent_at_most_64_callbacks_at_once() {
    const DECIDED: usize = 100;
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let mut ids = Vec::new();
    for _ in 0..DECIDED {
        ids.push(api.create(json!({"callbackUrl": url})).await);
    }
    for id in &ids {
        emulator.approve(id).unwrap();
    }
    // Accepted and never answered: 64 come, and no 65th while they are held.
    let mut held = Vec::new();
    while held.len() < 64 {
        let (socket, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .unwrap_or_else(|_| panic!("only {} connections came within 10 s", held.len()))
            .unwrap();
        held.push(socket);
    }
    let one_more = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await;
    assert!(one_more.is_err(), "a 65th connection while 64 were held");
    // Hung up on, those 64 are tried again; with the receiver answering, all are delivered.
    drop(held);
    let router = Router::new().route("/hook", post(|| async { StatusCode::OK }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let log = deliveries(&emulator, DECIDED).await;
    assert_eq!(log.len(), DECIDED);
    assert!(
        log.iter().all(|delivery| delivery.outcome == Ok(200)),
        "{log:?}"
    );
}
