//! The checks in front of the routes, tried from outside as a hostile web page or a stranger on
//! the network would: the `Host` header (DNS rebinding), cross-site requests on every route that
//! changes state, the security headers of the inbox, the API key, and binding beyond loopback.

mod common;

use std::process::Stdio;

use cheqpoint_emulator::{Emulator, Status};
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use serde_json::{Value, json};

use common::{Api, Lines, assert_error, create, http, request_body};

#[tokio::test]
async fn a_configured_api_key_is_the_only_one_accepted() {
    let emulator = Emulator::builder()
        .api_key("cq_test_k")
        .start()
        .await
        .unwrap();
    let body = request_body(json!({}));
    for path in ["/api/approvals/request", "/api/webhooks/inbound"] {
        let missing = Api::with_key(&emulator.url(), None).post(path, &body).await;
        assert_error(&missing, StatusCode::UNAUTHORIZED, "x-api-key");
        let wrong = Api::with_key(&emulator.url(), Some("cq_test_other"))
            .post(path, &body)
            .await;
        assert_eq!(
            wrong,
            (
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid API key"})
            )
        );
        let right = Api::with_key(&emulator.url(), Some("cq_test_k"))
            .post(path, &body)
            .await;
        assert_eq!(right.0, StatusCode::OK);
    }
    let wrong = Api::with_key(&emulator.url(), Some("cq_test_other"));
    let id = &emulator.requests()[0].id;
    assert_error(
        &wrong.get(&format!("/api/approvals/{id}")).await,
        StatusCode::UNAUTHORIZED,
        "invalid API key",
    );
    assert_eq!(
        emulator.requests().len(),
        2,
        "rejected calls created nothing"
    );
}

#[tokio::test]
async fn without_a_configured_key_any_non_empty_key_is_accepted() {
    let emulator = Emulator::start().await.unwrap();
    let body = request_body(json!({}));
    let path = "/api/approvals/request";
    let any = Api::with_key(&emulator.url(), Some("whatever"))
        .post(path, &body)
        .await;
    assert_eq!(any.0, StatusCode::OK);
    let empty = Api::with_key(&emulator.url(), Some(""))
        .post(path, &body)
        .await;
    assert_error(&empty, StatusCode::UNAUTHORIZED, "x-api-key");
    let missing = Api::with_key(&emulator.url(), None).post(path, &body).await;
    assert_error(&missing, StatusCode::UNAUTHORIZED, "x-api-key");
    // The review side needs no key.
    let review = Api::with_key(&emulator.url(), None)
        .get("/emulator/approvals")
        .await;
    assert_eq!(review.0, StatusCode::OK);
}

/// The status and JSON body of `request`.
async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_every_route_before_anything_changes() {
    let emulator = Emulator::start().await.unwrap();
    let id = create(&emulator).await;
    emulator.inject("get:503x1".parse().unwrap());
    let base = emulator.url();
    let port = emulator.addr().port();
    // A page at attacker.example whose name now resolves to 127.0.0.1 (DNS rebinding), and a
    // name the emulator does not serve on the same port.
    for host in [
        format!("attacker.example:{port}"),
        format!("127.0.0.2:{port}"),
        "localhost".into(),
    ] {
        let http = http();
        let with_host = |request: reqwest::RequestBuilder| request.header(HOST, &host);
        let requests = [
            with_host(http.get(format!("{base}/"))),
            with_host(http.get(format!("{base}/emulator/health"))),
            with_host(http.get(format!("{base}/emulator/approvals"))),
            with_host(
                http.get(format!("{base}/api/approvals/{id}"))
                    .header("x-api-key", "k"),
            ),
            with_host(
                http.post(format!("{base}/api/approvals/request"))
                    .header("x-api-key", "k")
                    .json(&request_body(json!({}))),
            ),
            with_host(
                http.post(format!("{base}/emulator/approvals/{id}/decision"))
                    .json(&json!({"decision": "approve"})),
            ),
            with_host(
                http.post(format!("{base}/emulator/faults"))
                    .json(&json!({"fault": "get:status=APPROVED"})),
            ),
            with_host(http.post(format!("{base}/emulator/restart"))),
        ];
        for request in requests {
            let (status, body) = answer(request).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{host}: {body}");
            assert!(
                body["error"].as_str().unwrap().contains("unknown Host"),
                "{body}"
            );
        }
    }
    assert_eq!(emulator.get(&id).unwrap().status, Status::Pending);
    assert_eq!(emulator.created_count(), 1);
    assert_eq!(
        emulator.faults(),
        ["get:503,times=1"],
        "not even a fault was used up"
    );
    assert_eq!(emulator.calls().len(), 1, "only the create was logged");

    for host in [
        format!("127.0.0.1:{port}"),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (status, body) = answer(
            http()
                .get(format!("{base}/emulator/health"))
                .header(HOST, &host),
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({"ok": true})),
            "{host}"
        );
    }
}

#[tokio::test]
async fn cross_site_requests_change_nothing() {
    let emulator = Emulator::start().await.unwrap();
    let id = create(&emulator).await;
    let base = emulator.url();
    let http = http();
    let decide = format!("{base}/emulator/approvals/{id}/decision");
    let approve = json!({"decision": "approve"});
    let cross_site = |request: reqwest::RequestBuilder| {
        [
            request
                .try_clone()
                .unwrap()
                .header("sec-fetch-site", "cross-site"),
            request
                .try_clone()
                .unwrap()
                .header("sec-fetch-site", "same-site"),
            request
                .try_clone()
                .unwrap()
                .header(ORIGIN, "http://attacker.example"),
            request.try_clone().unwrap().header(ORIGIN, "null"),
            request.header(
                ORIGIN,
                format!("http://localhost:{}", emulator.addr().port() + 1),
            ),
        ]
    };
    let state_changing = [
        http.post(&decide).json(&approve),
        // A form post, as a page can send without asking.
        http.post(&decide)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("decision=approve"),
        http.post(format!("{base}/emulator/faults"))
            .json(&json!({"fault": "create:status=APPROVED"})),
        http.delete(format!("{base}/emulator/faults")),
        // Bodiless.
        http.post(format!("{base}/emulator/restart")),
        http.post(format!("{base}/api/approvals/request"))
            .header("x-api-key", "k")
            .json(&request_body(json!({}))),
    ];
    for request in state_changing {
        for request in cross_site(request) {
            let (status, body) = answer(request).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert!(
                body["error"].as_str().unwrap().contains("cross-site"),
                "{body}"
            );
        }
    }
    assert_eq!(
        emulator.get(&id).unwrap().status,
        Status::Pending,
        "not approved, not restarted"
    );
    assert!(emulator.faults().is_empty());
    assert_eq!(emulator.created_count(), 1);

    // Reads are not refused (a browser keeps another site from reading the answer), and the
    // inbox itself, same-origin, decides.
    let (status, _) = answer(
        http.get(format!("{base}/emulator/approvals"))
            .header(ORIGIN, "http://attacker.example"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, decided) = answer(
        http.post(&decide)
            .header("sec-fetch-site", "same-origin")
            .header(ORIGIN, &base)
            .json(&approve),
    )
    .await;
    assert_eq!(
        (status, &decided["status"]),
        (StatusCode::OK, &json!("APPROVED"))
    );
}

#[tokio::test]
async fn the_inbox_cannot_be_framed_or_sniffed() {
    let emulator = Emulator::start().await.unwrap();
    for path in ["/", "/inbox.js", "/inbox.css", "/emulator/approvals"] {
        let response = http()
            .get(format!("{}{path}", emulator.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert_eq!(
            headers[CONTENT_SECURITY_POLICY], "default-src 'self'; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[REFERRER_POLICY], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn binding_beyond_loopback_needs_a_review_token() {
    let open = Emulator::builder()
        .bind("0.0.0.0:0".parse().unwrap())
        .start()
        .await
        .unwrap_err();
    assert_eq!(open.kind(), std::io::ErrorKind::InvalidInput);
    assert!(open.to_string().contains("review token"), "{open}");

    let guarded = Emulator::builder()
        .bind("0.0.0.0:0".parse().unwrap())
        .review_token("t0k3n")
        .start()
        .await
        .unwrap();
    assert_eq!(
        guarded.url(),
        format!("http://127.0.0.1:{}", guarded.addr().port())
    );
    let (status, _) = answer(http().get(format!("{}/emulator/approvals", guarded.url()))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_public_url_is_where_links_point_and_a_host_accepted() {
    let emulator = Emulator::builder()
        .public_url("http://192.0.2.7:8787")
        .start()
        .await
        .unwrap();
    assert_eq!(emulator.inbox_url(), "http://192.0.2.7:8787/");
    let (_, pending) = Api::new(&emulator)
        .post("/api/webhooks/inbound", &request_body(json!({})))
        .await;
    let id = pending["approvalId"].as_str().unwrap();
    assert_eq!(
        pending["reviewUrl"],
        json!(format!("http://192.0.2.7:8787/#/approvals/{id}"))
    );
    let (status, _) = answer(
        http()
            .post(format!(
                "{}/emulator/approvals/{id}/decision",
                emulator.url()
            ))
            .header(HOST, "192.0.2.7:8787")
            .header(ORIGIN, "http://192.0.2.7:8787")
            .json(&json!({"decision": "reject", "note": "from the other machine"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    for bad in [
        "192.0.2.7:8787",
        "ftp://192.0.2.7",
        "http://192.0.2.7/inbox",
    ] {
        let error = Emulator::builder()
            .public_url(bad)
            .start()
            .await
            .unwrap_err();
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::InvalidInput,
            "{bad}: {error}"
        );
    }
}

/// Runs the binary with `args` until it prints its address (or exits); its stdout lines and
/// what it wrote to stderr by then.
fn run_binary(args: &[&str]) -> (Vec<String>, String) {
    let mut child = common::binary()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = Lines::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..2 {
        let Some(line) = stdout.next_line() else {
            break;
        };
        lines.push(line.trim_end().to_owned());
    }
    let stderr = common::kill_and_read_stderr(&mut child);
    (lines, stderr)
}

#[test]
fn the_binary_guards_the_inbox_with_a_random_token_by_default() {
    let (first, _) = run_binary(&["--bind", "127.0.0.1:0"]);
    let (second, _) = run_binary(&["--bind", "127.0.0.1:0"]);
    let token = |lines: &[String]| -> String {
        let (_, token) = lines[1]
            .split_once("/?token=")
            .unwrap_or_else(|| panic!("{lines:?}"));
        assert_eq!(token.len(), 32, "{token}");
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
        token.to_owned()
    };
    assert_ne!(token(&first), token(&second));

    let (open, _) = run_binary(&["--bind", "127.0.0.1:0", "--no-review-token"]);
    assert!(
        open[1].starts_with("inbox: http://127.0.0.1:") && open[1].ends_with('/'),
        "{open:?}"
    );
}

#[test]
fn the_binary_refuses_the_network_without_a_token_and_warns_with_one() {
    let (lines, stderr) = run_binary(&["--bind", "0.0.0.0:0", "--no-review-token"]);
    assert!(lines.is_empty(), "{lines:?}");
    assert!(stderr.contains("reachable from the network"), "{stderr}");
    assert!(stderr.contains("review token"), "{stderr}");

    let (lines, stderr) = run_binary(&[
        "--bind",
        "0.0.0.0:0",
        "--public-url",
        "http://192.0.2.7:8787",
    ]);
    assert!(
        lines[1].starts_with("inbox: http://192.0.2.7:8787/?token="),
        "{lines:?}"
    );
    assert!(
        stderr.contains("warning") && stderr.contains("reachable from the network"),
        "{stderr}"
    );
}
