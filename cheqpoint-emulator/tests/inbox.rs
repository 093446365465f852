//! What the review inbox stands on: its files, the event stream that keeps it live, and the
//! reviewer token in front of the review routes (the page itself is driven in a browser by
//! `cheqpoint-tests`' `inbox_browser`).

mod common;

use std::time::Duration;

use cheqpoint_emulator::{Emulator, Status};
use common::{Running, create};
use reqwest::header::CONTENT_TYPE;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

const TOKEN: &str = "review-secret";

async fn guarded() -> Emulator {
    Emulator::builder()
        .review_token(TOKEN)
        .start()
        .await
        .unwrap()
}

/// The status and JSON body of `request`.
async fn answer(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn serves_the_page_its_style_and_its_script() {
    let emulator = Emulator::start().await.unwrap();
    for (path, content_type, needle) in [
        ("/", "text/html", "/inbox.js"),
        ("/inbox.css", "text/css", ".card"),
        ("/inbox.js", "text/javascript", "/emulator/events"),
    ] {
        let response = common::http()
            .get(format!("{}{path}", emulator.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let served_as = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(served_as.starts_with(content_type), "{path}: {served_as}");
        assert!(response.text().await.unwrap().contains(needle), "{path}");
    }
}

#[tokio::test]
async fn the_event_stream_announces_each_change() {
    let emulator = Emulator::start().await.unwrap();
    let mut events = common::http()
        .get(format!("{}/emulator/events", emulator.url()))
        .send()
        .await
        .unwrap();
    assert!(
        events.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut next_event = async || {
        let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk())
            .await
            .expect("an event comes")
            .unwrap()
            .expect("the stream stays open");
        String::from_utf8(chunk.to_vec()).unwrap()
    };
    assert_eq!(next_event().await, "data: changed\n\n", "one on opening");
    let id = create(&emulator).await;
    assert_eq!(next_event().await, "data: changed\n\n", "one on arrival");
    emulator.approve(&id).unwrap();
    assert_eq!(next_event().await, "data: changed\n\n", "one on decision");
}

#[tokio::test]
async fn with_a_review_token_the_review_routes_need_it() {
    let emulator = guarded().await;
    let id = create(&emulator).await;
    let http = common::http();
    let list = format!("{}/emulator/approvals", emulator.url());
    let decide = format!("{}/emulator/approvals/{id}/decision", emulator.url());
    let events = format!("{}/emulator/events", emulator.url());
    let approve = json!({"decision": "approve"});

    for (request, message) in [
        (http.get(&list), "missing review token"),
        (http.get(&events), "missing review token"),
        (http.post(&decide).json(&approve), "missing review token"),
        (
            http.get(&list).header("x-review-token", "guess"),
            "invalid review token",
        ),
        (
            http.get(format!("{list}?token=guess")),
            "missing review token",
        ),
        // The query string carries the token to the event stream alone: a URL with the token
        // in it ends up in logs and histories.
        (
            http.get(format!("{list}?token={TOKEN}")),
            "missing review token",
        ),
        (
            http.post(format!("{decide}?token={TOKEN}")).json(&approve),
            "missing review token",
        ),
        (
            http.get(format!("{events}?token=guess")),
            "invalid review token",
        ),
        (
            http.post(&decide)
                .header("x-review-token", "guess")
                .json(&approve),
            "invalid review token",
        ),
    ] {
        let (status, body) = answer(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body["error"].as_str().unwrap().contains(message), "{body}");
    }
    assert_eq!(emulator.get(&id).unwrap().status, Status::Pending);

    let (status, listed) = answer(http.get(&list).header("x-review-token", TOKEN)).await;
    assert_eq!(
        (status, listed[0]["id"].as_str()),
        (StatusCode::OK, Some(&*id))
    );
    let stream = http
        .get(format!("{events}?token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let (status, decided) = answer(
        http.post(&decide)
            .header("x-review-token", TOKEN)
            .json(&approve),
    )
    .await;
    assert_eq!(
        (status, &decided["status"]),
        (StatusCode::OK, &json!("APPROVED"))
    );
    let (status, health) = answer(http.get(format!("{}/emulator/health", emulator.url()))).await;
    assert_eq!(
        (status, health),
        (StatusCode::OK, json!({"ok": true})),
        "health stays open"
    );
}

#[tokio::test]
async fn the_library_decides_without_the_token() {
    let emulator = guarded().await;
    let id = create(&emulator).await;
    let rejected = emulator.reject(&id, "no").unwrap();
    assert_eq!(rejected.status, Status::Rejected);
    assert_eq!(rejected.decision_note.as_deref(), Some("no"));
    let stored = emulator.get(&id).unwrap();
    assert_eq!(
        (stored.status, stored.decision_note.as_deref()),
        (Status::Rejected, Some("no"))
    );
}

#[tokio::test]
async fn the_inbox_url_carries_the_token() {
    let open = Emulator::start().await.unwrap();
    assert_eq!(open.inbox_url(), format!("{}/", open.url()));
    let guarded = Emulator::builder()
        .review_token("a b&c")
        .start()
        .await
        .unwrap();
    assert_eq!(
        guarded.inbox_url(),
        format!("{}/?token=a+b%26c", guarded.url())
    );
}

#[test]
fn the_binary_prints_the_inbox_link_second() {
    let mut running = Running::spawn(&["--bind", "127.0.0.1:0", "--review-token", TOKEN]);
    let url = running.url();
    assert_eq!(
        running.read_line(),
        format!("inbox: {url}/?token={TOKEN}\n")
    );
}

#[tokio::test]
async fn with_a_review_token_the_control_routes_need_it() {
    let emulator = guarded().await;
    let id = create(&emulator).await;
    let http = common::http();
    let base = emulator.url();
    let faults = format!("{base}/emulator/faults");
    let calls = format!("{base}/emulator/calls");
    let restart = format!("{base}/emulator/restart");
    let forge = json!({"fault": "get:status=APPROVED"});
    let requests = |token: Option<&str>| {
        let with = |request: RequestBuilder| match token {
            Some(token) => request.header("x-review-token", token),
            None => request,
        };
        [
            with(http.get(&faults)),
            with(http.post(&faults).json(&forge)),
            with(http.delete(&faults)),
            with(http.get(&calls)),
            with(http.post(&restart)),
        ]
    };

    for (token, message) in [
        (None, "missing review token"),
        (Some("guess"), "invalid review token"),
    ] {
        for request in requests(token) {
            let (status, body) = answer(request).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}: {body}");
            assert!(body["error"].as_str().unwrap().contains(message), "{body}");
        }
        let (status, body) = answer(http.post(format!("{faults}?token=guess")).json(&forge)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert!(emulator.faults().is_empty(), "no fault was injected");
    assert!(emulator.get(&id).is_some(), "no restart happened");

    let (status, injected) = answer(
        http.post(&faults)
            .header("x-review-token", TOKEN)
            .json(&forge),
    )
    .await;
    assert_eq!(
        (status, injected),
        (
            StatusCode::OK,
            json!({"faults": ["get:status=\"APPROVED\""]})
        )
    );
    let (status, listed) = answer(http.get(&faults).header("x-review-token", TOKEN)).await;
    assert_eq!(
        (status, listed["faults"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
    let (status, body) = answer(http.get(format!("{faults}?token={TOKEN}"))).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "only the event stream reads ?token=: {body}"
    );
    let (status, log) = answer(http.get(&calls).header("x-review-token", TOKEN)).await;
    assert_eq!((status, &log["created"]), (StatusCode::OK, &json!(1)));
    let (status, cleared) = answer(http.delete(&faults).header("x-review-token", TOKEN)).await;
    assert_eq!((status, cleared), (StatusCode::OK, json!({"faults": []})));
    let (status, restarted) = answer(http.post(&restart).header("x-review-token", TOKEN)).await;
    assert_eq!((status, restarted), (StatusCode::OK, json!({"ok": true})));
    assert!(emulator.get(&id).is_none(), "restarted");
}
