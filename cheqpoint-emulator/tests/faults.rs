//! Fault injection as a plain HTTP client sees it: each kind of fault on the wire, what it
//! records, how long it lasts, the control routes, the call log and the binary's `--fault`.

mod common;

use std::time::{Duration, Instant, SystemTime};

use cheqpoint_emulator::{Emulator, Fault, FaultKind, RetryAfter, Route};
use common::{KEY, Running, binary, create_body, http};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::{Value, json};

/// Sends a create, whatever the answer.
async fn create(emulator: &Emulator) -> reqwest::Result<reqwest::Response> {
    common::send_create(&emulator.url(), &create_body()).await
}

async fn get(emulator: &Emulator, id: &str) -> reqwest::Result<reqwest::Response> {
    http()
        .get(format!("{}/api/approvals/{id}", emulator.url()))
        .header("x-api-key", KEY)
        .send()
        .await
}

fn inject(emulator: &Emulator, spec: &str) {
    emulator.inject(spec.parse().unwrap_or_else(|e| panic!("{e}")));
}

#[tokio::test]
async fn status_faults_answer_json_errors_with_retry_after() {
    let emulator = Emulator::start().await.unwrap();
    inject(&emulator, "create:503x1,retry-after=7");
    let answer = create(&emulator).await.unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.headers()[RETRY_AFTER], "7");
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "injected fault: 503 Service Unavailable"})
    );
    assert_eq!(
        emulator.created_count(),
        0,
        "a 503 answers before processing"
    );

    inject(&emulator, "create:429x1,retry-after-date=30");
    let answer = create(&emulator).await.unwrap();
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    let date = answer.headers()[RETRY_AFTER].to_str().unwrap().to_owned();
    let ahead = httpdate::parse_http_date(&date)
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(ahead > Duration::from_secs(28), "{date}");

    inject(&emulator, "create:502x1,processed");
    assert_eq!(
        create(&emulator).await.unwrap().status(),
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(
        emulator.created_count(),
        1,
        "a 502 after processing recorded it"
    );
    assert_eq!(
        create(&emulator).await.unwrap().status(),
        StatusCode::OK,
        "ran out"
    );
    assert_eq!(emulator.created_count(), 2);
}

#[tokio::test]
async fn refuse_closes_the_port_at_once_and_clearing_opens_it() {
    let emulator = Emulator::start().await.unwrap();
    let id = common::create(&emulator).await;
    emulator
        .inject(Fault::new(Route::Any, FaultKind::Refuse).for_duration(Duration::from_secs(60)));
    let error = get(&emulator, &id).await.unwrap_err();
    assert!(error.is_connect(), "a refused connection: {error:?}");
    assert_eq!(emulator.faults().len(), 1);
    assert!(emulator.faults()[0].starts_with("any:refuse,for="));
    emulator.clear_faults();
    assert_eq!(get(&emulator, &id).await.unwrap().status(), StatusCode::OK);

    inject(&emulator, "any:refuse,for=150ms");
    assert!(get(&emulator, &id).await.unwrap_err().is_connect());
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        get(&emulator, &id).await.unwrap().status(),
        StatusCode::OK,
        "open again once the refusal is over"
    );
}

#[tokio::test]
async fn hangup_closes_without_an_answer_and_records_nothing() {
    let emulator = Emulator::start().await.unwrap();
    inject(&emulator, "create:hangup");
    let error = create(&emulator).await.unwrap_err();
    assert!(!error.is_connect(), "the request was sent: {error:?}");
    assert!(error.is_request(), "{error:?}");
    assert_eq!(emulator.created_count(), 0);
    assert_eq!(emulator.call_count(Route::Create), 1);
}

#[tokio::test]
async fn reset_processes_then_cuts_the_answer_halfway() {
    let emulator = Emulator::start().await.unwrap();
    inject(&emulator, "create:reset");
    let answer = create(&emulator).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "the head arrives");
    let error = answer.bytes().await.unwrap_err();
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    assert_eq!(emulator.created_count(), 1);
}

#[tokio::test]
async fn stall_outlasts_the_clients_timeout() {
    let emulator = Emulator::start().await.unwrap();
    let create_given_up_after_200_ms = || {
        common::http()
            .post(format!("{}/api/approvals/request", emulator.url()))
            .header("x-api-key", KEY)
            .json(&create_body())
            .timeout(Duration::from_millis(200))
            .send()
    };
    inject(&emulator, "create:stall");
    let started = Instant::now();
    let error = create_given_up_after_200_ms().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(emulator.created_count(), 0);
    emulator.clear_faults();
    inject(&emulator, "create:stall,processed");
    let error = create_given_up_after_200_ms().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(emulator.created_count(), 1);
}

#[tokio::test]
async fn bodies_can_be_cut_replaced_and_inflated() {
    let emulator = Emulator::start().await.unwrap();
    let id = common::create(&emulator).await;

    let whole = get(&emulator, &id).await.unwrap().text().await.unwrap();
    inject(&emulator, "get:truncatedx1");
    let text = get(&emulator, &id).await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert!(
        !text.is_empty() && text.len() < whole.len() && whole.starts_with(&text),
        "{text:?} is not the start of {whole:?}"
    );

    inject(&emulator, "get:not-jsonx1");
    let answer = get(&emulator, &id).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        answer.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );

    inject(&emulator, "get:htmlx1");
    let answer = get(&emulator, &id).await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    assert!(
        answer.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("<h1>502 Bad Gateway</h1>")
    );

    inject(&emulator, "get:hugex1");
    let answer = get(&emulator, &id).await.unwrap();
    assert_eq!(answer.bytes().await.unwrap().len(), 10 * 1024 * 1024);

    assert_eq!(get(&emulator, &id).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn fields_of_the_real_answer_are_set_or_removed() {
    let emulator = Emulator::start().await.unwrap();
    let id = common::create(&emulator).await;
    let read = |spec: &'static str| {
        let emulator = &emulator;
        let id = id.clone();
        async move {
            inject(emulator, spec);
            let answer: Value = get(emulator, &id).await.unwrap().json().await.unwrap();
            emulator.clear_faults();
            answer
        }
    };
    assert_eq!(read("get:status=EXPIRED").await["status"], "EXPIRED");
    assert_eq!(read("get:status=").await["status"], "");
    assert_eq!(
        read("get:modifiedDetails=[1,2]").await["modifiedDetails"],
        json!([1, 2])
    );
    assert_eq!(
        read(r#"get:details={"n":"one","extra":true}"#).await["details"],
        json!({"n": "one", "extra": true})
    );
    let without = read("get:no-details").await;
    assert!(without.get("details").is_none() && without["id"] == id.as_str());
    assert!(read("get:no-id").await.get("id").is_none());

    inject(&emulator, "create:no-id");
    let answer: Value = create(&emulator).await.unwrap().json().await.unwrap();
    assert_eq!(answer, json!({"status": "PENDING"}));
    assert_eq!(
        emulator.created_count(),
        2,
        "the create itself went through"
    );
}

#[tokio::test]
async fn restart_forgets_every_request_but_not_the_count() {
    let emulator = Emulator::start().await.unwrap();
    let id = common::create(&emulator).await;
    inject(&emulator, "get:restartx1");
    assert_eq!(
        get(&emulator, &id).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert!(emulator.requests().is_empty());
    assert_eq!(emulator.created_count(), 1);

    let id = common::create(&emulator).await;
    emulator.restart();
    assert!(emulator.get(&id).is_none());
    assert_eq!(emulator.created_count(), 2);
}

#[tokio::test]
async fn faults_run_out_by_count_or_time_and_apply_in_order() {
    let emulator = Emulator::start().await.unwrap();
    let id = common::create(&emulator).await;
    emulator.inject(Fault::new(Route::Get, FaultKind::Status(502)).times(2));
    emulator.inject(
        Fault::new(Route::Any, FaultKind::Status(500))
            .for_duration(Duration::from_millis(200))
            .retry_after(RetryAfter::Seconds(1)),
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(get(&emulator, &id).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [502, 502, 500]);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(get(&emulator, &id).await.unwrap().status(), StatusCode::OK);
    assert!(emulator.faults().is_empty());

    let calls = emulator.calls();
    assert_eq!(calls.len(), 5);
    assert_eq!(calls[0].route, Route::Create);
    assert!(
        calls[1..]
            .iter()
            .all(|call| call.route == Route::Get && call.method == "GET")
    );
    assert_eq!(calls[1].fault.as_deref(), Some("get:502,times=2"));
    assert_eq!(
        calls[3].fault.as_deref(),
        Some("any:500,for=200ms,retry-after=1")
    );
    assert_eq!(calls[4].fault, None);
    assert!(calls.windows(2).all(|pair| pair[0].at <= pair[1].at));
    assert_eq!(emulator.call_count(Route::Get), 4);
    assert_eq!(emulator.call_count(Route::Any), 5);
}

#[tokio::test]
async fn the_control_routes_inject_list_clear_and_log() {
    let emulator = Emulator::start().await.unwrap();
    let base = emulator.url();
    let client = http();
    let post = |body: Value| {
        client
            .post(format!("{base}/emulator/faults"))
            .json(&body)
            .send()
    };
    let answer = post(json!({"fault": "get:502x3"})).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({"faults": ["get:502,times=3"]})
    );
    let answer = post(json!({"faults": ["create:429x1,retry-after=2", "inbound:hangup"]}))
        .await
        .unwrap();
    assert_eq!(
        answer.json::<Value>().await.unwrap()["faults"],
        json!([
            "get:502,times=3",
            "create:429,times=1,retry-after=2",
            "inbound:hangup"
        ])
    );
    for bad in [
        json!({"fault": "get:teapot"}),
        json!({"fault": 502}),
        json!({"faults": ["get:502", "nowhere:502"]}),
        json!({}),
    ] {
        let answer = post(bad.clone()).await.unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{bad}");
        let message = answer.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(!message.is_empty(), "{bad}");
    }
    assert_eq!(emulator.faults().len(), 3, "a bad list injects nothing");

    assert_eq!(
        create(&emulator).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let log: Value = client
        .get(format!("{base}/emulator/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["created"], 0);
    assert_eq!(log["calls"][0]["route"], "create");
    assert_eq!(log["calls"][0]["method"], "POST");
    assert_eq!(log["calls"][0]["path"], "/api/approvals/request");
    assert_eq!(log["calls"][0]["fault"], "create:429,times=1,retry-after=2");
    assert!(humantime::parse_rfc3339(log["calls"][0]["at"].as_str().unwrap()).is_ok());

    let cleared = client
        .delete(format!("{base}/emulator/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cleared.json::<Value>().await.unwrap(),
        json!({"faults": []})
    );
    assert!(emulator.faults().is_empty());

    let id = common::create(&emulator).await;
    let restarted = client
        .post(format!("{base}/emulator/restart"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        restarted.json::<Value>().await.unwrap(),
        json!({"ok": true})
    );
    assert!(emulator.get(&id).is_none());
}

#[tokio::test]
async fn the_binary_takes_faults_on_the_command_line() {
    let mut running = Running::spawn(&[
        "--bind",
        "127.0.0.1:0",
        "--fault",
        "create:503x1,retry-after=1",
        "--fault",
        "get:status=EXPIRED",
    ]);
    let url = running.url();
    let client = http();
    let body = create_body();
    let create = || common::send_create(&url, &body);
    let refused = create().await.unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()[RETRY_AFTER], "1");
    let created: Value = create().await.unwrap().json().await.unwrap();
    let record: Value = client
        .get(format!(
            "{url}/api/approvals/{}",
            created["id"].as_str().unwrap()
        ))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["status"], "EXPIRED");

    let bad = binary()
        .args(["--bind", "127.0.0.1:0", "--fault", "get:teapot"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown kind"));
}

#[tokio::test]
async fn a_retry_after_date_past_a_year_is_refused_and_never_panics() {
    let emulator = Emulator::start().await.unwrap();
    let base = emulator.url();
    let client = http();
    for spec in [
        "create:503,retry-after-date=300000000000",
        "create:503,retry-after-date=31536001",
    ] {
        let answer = client
            .post(format!("{base}/emulator/faults"))
            .json(&json!({ "fault": spec }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{spec}");
        let body: Value = answer.json().await.unwrap();
        let message = body["error"].as_str().unwrap_or_else(|| panic!("{body}"));
        assert!(message.contains("at most one year"), "{message}");
    }
    assert!(emulator.faults().is_empty());

    // Through the library, where nothing refuses it: sent as a year ahead, without a panic.
    emulator.inject(
        Fault::new(Route::Create, FaultKind::Status(503))
            .times(1)
            .retry_after(RetryAfter::DateIn(u64::MAX)),
    );
    let answer = create(&emulator).await.unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let date = answer.headers()[RETRY_AFTER].to_str().unwrap().to_owned();
    let ahead = httpdate::parse_http_date(&date)
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(ahead <= Duration::from_secs(365 * 24 * 60 * 60), "{date}");
    assert!(ahead > Duration::from_secs(364 * 24 * 60 * 60), "{date}");

    let health = client
        .get(format!("{base}/emulator/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK, "still serving");
    assert_eq!(create(&emulator).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_refusal_too_long_to_represent_lasts_until_cleared() {
    let emulator = Emulator::start().await.unwrap();
    let id = common::create(&emulator).await;
    // About 9.5e18 seconds: more than an `Instant` can hold, so "until cleared", as for every
    // other fault, not the one second of a `refuse` without `for=`.
    inject(&emulator, "any:refuse,for=300000000000years");
    assert!(get(&emulator, &id).await.unwrap_err().is_connect());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        get(&emulator, &id).await.unwrap_err().is_connect(),
        "still refusing after a second"
    );
    assert_eq!(emulator.faults().len(), 1, "{:?}", emulator.faults());
    emulator.clear_faults();
    assert_eq!(get(&emulator, &id).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_decision_forged_on_a_create_is_what_the_request_says_after() {
    let emulator = Emulator::start().await.unwrap();
    for (spec, status, upper) in [
        ("create:status=REJECTED", "REJECTED", "REJECTED"),
        ("create:status=approved", "approved", "APPROVED"),
        ("create:status=EXPIRED", "EXPIRED", "PENDING"),
    ] {
        inject(&emulator, &format!("{spec},times=1"));
        let answer: Value = create(&emulator).await.unwrap().json().await.unwrap();
        assert_eq!(answer["status"], status, "{spec}");
        let id = answer["id"].as_str().unwrap();
        let stored = common::get_json(&emulator.url(), &format!("/api/approvals/{id}")).await;
        assert_eq!(stored["status"], upper, "{spec}: the stored request");
    }
    inject(&emulator, "inbound:status=rejected,times=1");
    let answer = common::post_json(&emulator.url(), "/api/webhooks/inbound", &create_body()).await;
    let id = answer["approvalId"].as_str().unwrap();
    let record = emulator.get(id).unwrap();
    assert_eq!(record.status, cheqpoint_emulator::Status::Rejected);
    assert!(record.auto_decided);
}
