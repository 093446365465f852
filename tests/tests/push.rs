//! Push wake-up: a verified callback wakes the waiting call, which confirms with one read
//! instead of waiting for its next poll; and push is never slower than polling: until a verified
//! callback reaches the client, and again once a decision comes without one, waits poll on their
//! usual schedule. The first safety-net read of a trusting push client comes after 15 s, so a
//! call that ends well before that was woken by its callback, or polled.

mod common;

use std::time::Duration;

use std::sync::{
    Arc,
    atomic::{AtomicU8, Ordering::SeqCst},
};

use cheqpoint::{ApprovalRequest, Callback, Client, Error, PollPolicy, SIGNATURE_HEADER};
use cheqpoint_emulator::{CallbackDelivery, Emulator, Route};
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

/// The next request the emulator holds pending, within a bound.
async fn next_pending(emulator: &Emulator) -> cheqpoint_emulator::ApprovalRecord {
    emulator
        .next_pending(Duration::from_secs(10))
        .await
        .expect("a request reaches the emulator")
}

/// The emulator's record of its callback deliveries, once it holds `count` of them, or as it
/// stands after 10 s.
async fn deliveries(emulator: &Emulator, count: usize) -> Vec<CallbackDelivery> {
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while emulator.callbacks().len() < count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    emulator.callbacks()
}

/// A client that serves its own callbacks, verified with `secret`, waits at most `timeout`, and
/// polls every 20 s: a call that ends sooner was woken by a callback.
fn listening_client(emulator: &Emulator, secret: &str, timeout: Duration) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(timeout)
        .poll(PollPolicy::fixed(Duration::from_secs(20)))
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
        let pending = next_pending(&emulator).await;
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
async fn a_callback_that_fails_verification_only_hints_and_is_answered_401() {
    let emulator = signing_emulator().await;
    let client = listening_client(&emulator, "whsec_wrong", Duration::from_secs(60));
    let reviewer = async {
        let pending = next_pending(&emulator).await;
        emulator.reject(&pending.id, "no").unwrap();
    };
    let (result, ()) =
        before_the_safety_net(async { tokio::join!(client.checkpoint(request()), reviewer) }).await;
    // Woken by the hint (the next poll is 20 s away), the wait read the decision itself.
    assert!(matches!(result, Err(Error::Rejected { .. })), "{result:?}");
    assert_eq!(emulator.call_count(Route::Get), 1);
    // The emulator records a delivery once the receiver's answer is in, which may be after
    // the woken wait has read the decision.
    let deliveries = deliveries(&emulator, 1).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].outcome, Ok(401), "the signature was refused");
}

#[tokio::test]
async fn callbacks_that_never_arrive_leave_waits_on_the_polling_schedule() {
    let emulator = signing_emulator().await;
    // Nothing listens on port 9 of this machine: every callback is lost. The default schedule
    // reads within 3 s of a decision.
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(60))
        .callback_url("http://127.0.0.1:9/cheqpoint/callbacks")
        .build()
        .unwrap();
    for _ in 0..3 {
        let reviewer = async {
            let pending = next_pending(&emulator).await;
            emulator.approve(&pending.id).unwrap();
        };
        let (approved, ()) =
            before_the_safety_net(async { tokio::join!(client.checkpoint(request()), reviewer) })
                .await;
        approved.unwrap();
    }
}

/// What the test route does with a callback.
const VERIFIED: u8 = 0;
const UNVERIFIED: u8 = 1;
const DROPPED: u8 = 2;

/// What [`Client::deliver`] answered for each callback the test route handed it, in turn.
struct Delivered(tokio::sync::mpsc::UnboundedReceiver<bool>);

impl Delivered {
    /// The next answer; fails the test when none comes within 10 s.
    async fn next(&mut self) -> bool {
        tokio::time::timeout(Duration::from_secs(10), self.0.recv())
            .await
            .expect("a callback reaches the route within 10 s")
            .expect("the route is serving")
    }
}

/// A client whose callbacks reach a route of the test's own, which hands each to
/// [`Client::deliver`] verified, unverified or not at all, as `mode` says; it polls every
/// `poll`. What each delivery answered goes to the returned [`Delivered`].
async fn routed_client(
    emulator: &Emulator,
    poll: Duration,
    mode: Arc<AtomicU8>,
) -> (Client, Delivered) {
    use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/cheqpoint", listener.local_addr().unwrap());
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(60))
        .callback_url(url)
        .poll(PollPolicy::fixed(poll))
        .build()
        .unwrap();
    let (delivered, outcomes) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let route = post(
        |State((client, mode, delivered)): State<(
            Client,
            Arc<AtomicU8>,
            tokio::sync::mpsc::UnboundedSender<bool>,
        )>,
         headers: HeaderMap,
         body: Bytes| async move {
            let signature = headers
                .get(SIGNATURE_HEADER)
                .and_then(|value| value.to_str().ok());
            let callback = match mode.load(SeqCst) {
                VERIFIED => Callback::verify(&body, signature, &[SECRET]).unwrap(),
                UNVERIFIED => Callback::parse(&body).unwrap(),
                _ => return,
            };
            let _ = delivered.send(client.deliver(&callback));
        },
    );
    let app = Router::new().route("/hooks/cheqpoint", route).with_state((
        client.clone(),
        mode,
        delivered,
    ));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (client, Delivered(outcomes))
}

/// One checkpoint, approved by the reviewer once it is pending; the emulator's reads it took.
async fn one_approval(emulator: &Emulator, client: &Client) -> usize {
    let reads_before = emulator.call_count(Route::Get);
    let reviewer = async {
        let pending = next_pending(emulator).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        emulator.approve(&pending.id).unwrap();
    };
    let (approved, ()) =
        before_the_safety_net(async { tokio::join!(client.checkpoint(request()), reviewer) }).await;
    approved.unwrap();
    emulator.call_count(Route::Get) - reads_before
}

/// Returns once the emulator has answered `count` reads, within a bound.
async fn reads_reach(emulator: &Emulator, count: usize) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while emulator.call_count(Route::Get) < count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the wait reads");
}

#[tokio::test]
async fn a_decision_that_came_without_its_callback_sends_waits_back_to_polling() {
    let emulator = signing_emulator().await;
    let mode = Arc::new(AtomicU8::new(VERIFIED));
    // Polling every 2 s until callbacks are trusted; then the safety net (15 s).
    let (client, mut delivered) =
        routed_client(&emulator, Duration::from_secs(2), Arc::clone(&mode)).await;
    one_approval(&emulator, &client).await;
    assert!(delivered.next().await, "a verified callback");

    // Callbacks now fail verification: the hint wakes the wait, whose read finds a decision no
    // verified callback announced, so the client stops relying on callbacks ...
    mode.store(UNVERIFIED, SeqCst);
    assert_eq!(
        one_approval(&emulator, &client).await,
        1,
        "one read, at the hint"
    );
    assert!(delivered.next().await, "a hint to a waiting call");

    // ... and the next wait, whose callback never comes, polls (every 2 s) instead of waiting
    // for the safety net.
    mode.store(DROPPED, SeqCst);
    one_approval(&emulator, &client).await;
}

#[tokio::test]
async fn deliver_from_your_own_route_wakes_the_wait_once_however_often_it_is_replayed() {
    let emulator = signing_emulator().await;
    let mode = Arc::new(AtomicU8::new(VERIFIED));
    let (client, mut delivered) =
        routed_client(&emulator, Duration::from_secs(20), Arc::clone(&mode)).await;
    assert_eq!(
        one_approval(&emulator, &client).await,
        1,
        "one read, after the callback"
    );
    assert!(delivered.next().await, "a verified callback");

    // A verified callback, and its replays, while a wait is on its request: the first wakes the
    // wait (its read still finds the request pending), the replays cost no read.
    let reads_before = emulator.call_count(Route::Get);
    let created = client.create_request(&request()).await.unwrap();
    let waiting = {
        let client = client.clone();
        let id = created.id.clone();
        tokio::spawn(async move { client.wait(&id, Duration::from_secs(60)).await })
    };
    reads_reach(&emulator, reads_before + 1).await; // `wait` reads once at its start
    let body =
        serde_json::to_vec(&json!({"approvalId": created.id, "status": "approved"})).unwrap();
    let signature = cheqpoint::sign_callback(&body, SECRET);
    let callback = Callback::verify(&body, Some(&signature), &[SECRET]).unwrap();
    assert!(client.deliver(&callback));
    reads_reach(&emulator, reads_before + 2).await;
    for _ in 0..20 {
        assert!(client.deliver(&callback), "the wait is still on it");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    waiting.abort();
    assert_eq!(
        emulator.call_count(Route::Get),
        reads_before + 2,
        "the first read, then one for twenty-one deliveries"
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

#[test]
fn a_listener_without_a_secret_is_refused_at_build() {
    let built = Client::builder()
        .api_key(KEY)
        .listen_for_callbacks("127.0.0.1:0".parse().unwrap())
        .build();
    assert!(matches!(built, Err(Error::Config(message)) if message.contains("webhook_secret")));
}
