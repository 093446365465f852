//! The fault matrix: a gated action never runs without an approval that was really read, and is
//! never asked twice, whatever the server, a proxy or the network does.
//!
//! Each row is a test of its own: one call through a `#[checkpoint]` fn and one through
//! `Client::checkpoint` (with a typed body), each against its own emulator with the fault
//! injected. Every row checks the bodies run (only on a real approval), the requests created
//! (never more than the one call asked for), the creates sent (again only when the server cannot
//! have processed one), what the error says (status, message, approval id when known) and how
//! long it took. Run with `--nocapture` to see the table:
//! fault | way | calls | creates sent | created | bodies run | duplicates | time | outcome.

mod matrix;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use cheqpoint::{ApprovalRequest, Status};
use cheqpoint_emulator::Route;
use matrix::{CREATE_ATTEMPTS, HTTP_TIMEOUT, Row, check, client, ms, plain_emulator, refund};
use serde_json::json;

/// One `#[tokio::test]` per row.
macro_rules! rows {
    ($($name:ident: $row:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            check($row).await;
        }
    )*};
}

/// The most a call that fails at its deadline may overrun it: the last read's grace (1 s) and
/// scheduling on two busy cores.
const OVERRUN: Duration = Duration::from_millis(2000);

// Creating the request: `POST /api/approvals/request`.
rows! {
    create_refused_connections_are_sent_again:
        Row::new("any:refuse,for=100ms").approved().creates_sent(1).runs().at_least(ms(100));
    create_429_is_sent_again:
        Row::new("create:429x2").approved().creates_sent(3).runs();
    create_503_is_not_sent_again_as_a_proxy_may_have_forwarded_it:
        Row::new("create:503x2").created(0).creates_sent(1).fails(&["503"]);
    create_429_waits_for_retry_after_in_seconds:
        Row::new("create:429x1,retry-after=1").approved().creates_sent(2).runs()
            .at_least(ms(990));
    create_429_waits_for_retry_after_as_a_date:
        Row::new("create:429x1,retry-after-date=2").approved().creates_sent(2).runs()
            .at_least(ms(900));
    create_429_retry_after_past_the_deadline_fails_at_once:
        Row::new("create:429,retry-after=3600").timeout(ms(20_000)).created(0).creates_sent(1)
            .fails(&["429", "Too Many Requests"]).within(ms(5000));
    create_429_every_time_gives_up_after_the_attempts:
        Row::new("create:429").created(0).creates_sent(CREATE_ATTEMPTS as usize)
            .fails(&["429", "Too Many Requests"]);
    create_502_before_processing_is_not_sent_again:
        Row::new("create:502").created(0).creates_sent(1).fails(&["502", "Bad Gateway"]);
    create_502_after_processing_is_not_sent_again:
        Row::new("create:502,processed").created(1).creates_sent(1).fails(&["502"]);
    create_500_after_processing_is_not_sent_again:
        Row::new("create:500,processed").created(1).creates_sent(1)
            .fails(&["500", "Internal Server Error"]);
    create_401_fails:
        Row::new("create:401").created(0).creates_sent(1).fails(&["401", "Unauthorized"]);
    create_404_fails:
        Row::new("create:404").created(0).creates_sent(1).fails(&["404"]);
    create_hangup_is_not_sent_again:
        Row::new("create:hangup").created(0).creates_sent(1)
            .fails(&["connection", "may be waiting for a reviewer"]);
    create_reset_mid_answer_is_not_sent_again:
        Row::new("create:reset").created(1).creates_sent(1)
            .fails(&["cut off", "may be waiting for a reviewer"]);
    create_stall_times_out_and_is_not_sent_again:
        Row::new("create:stall").created(0).creates_sent(1)
            .fails(&["timed out", "may be waiting for a reviewer"]).within(HTTP_TIMEOUT + OVERRUN);
    create_stall_after_processing_is_not_sent_again:
        Row::new("create:stall,processed").created(1).creates_sent(1)
            .fails(&["timed out"]).within(HTTP_TIMEOUT + OVERRUN);
    create_truncated_answer_fails:
        Row::new("create:truncated").created(1).creates_sent(1)
            .fails(&["unreadable answer", "not a created request"]);
    create_answer_not_json_fails:
        Row::new("create:not-json").created(0).creates_sent(1).fails(&["not a created request"]);
    create_html_error_page_fails:
        Row::new("create:html").created(0).creates_sent(1).fails(&["502", "Bad Gateway"]);
    create_10_mb_answer_fails:
        Row::new("create:huge").created(0).creates_sent(1).fails(&["larger than 1024 KiB"]);
    create_answer_with_an_unknown_status_fails:
        Row::new("create:status=EXPIRED").fails(&["\"EXPIRED\"", "not an approval"]).names_id();
    create_answer_without_id_fails:
        Row::new("create:no-id").fails(&["no `id`"]);
    create_answer_without_status_waits_as_pending:
        Row::new("create:no-status").approved().runs();
}

// Waiting for the decision: `GET /api/approvals/{id}`.
rows! {
    read_502_burst_is_ridden_out:
        Row::new("get:502x3").approved().min_reads(4).runs();
    read_500_burst_is_ridden_out:
        Row::new("get:500x2").approved().min_reads(3).runs();
    read_503_burst_is_ridden_out:
        Row::new("get:503x2").approved().min_reads(3).runs();
    read_resets_are_ridden_out:
        Row::new("get:resetx2").approved().min_reads(3).runs();
    read_hangups_are_ridden_out:
        Row::new("get:hangupx2").approved().min_reads(3).runs();
    read_stall_is_ridden_out:
        Row::new("get:stallx1").approved().min_reads(2).runs().at_least(HTTP_TIMEOUT);
    read_html_error_page_is_ridden_out:
        Row::new("get:htmlx2").approved().min_reads(3).runs();
    read_429_waits_for_retry_after_in_seconds:
        Row::new("get:429x1,retry-after=1").approved().runs().at_least(ms(990));
    read_429_waits_for_retry_after_as_a_date:
        Row::new("get:429x1,retry-after-date=2").approved().runs().at_least(ms(900));
    read_refused_while_pending_is_ridden_out:
        Row::new("any:refuse,for=150ms").while_pending().approved().runs().at_least(ms(150));
    read_429_retry_after_past_the_deadline_fails_at_once:
        Row::new("get:429,retry-after=3600").timeout(ms(20_000))
            .fails(&["429", "Too Many Requests"]).names_id().within(ms(5000));
    read_502_until_the_deadline_fails_with_the_last_error:
        Row::new("get:502").timeout(ms(500)).min_reads(3)
            .fails(&["502", "Bad Gateway"]).names_id().at_least(ms(500))
            .within(ms(500) + OVERRUN);
    read_stalls_until_the_deadline_fail_in_time:
        Row::new("get:stall").timeout(ms(2500)).fails(&["timed out"]).names_id()
            .at_least(ms(2500)).within(ms(2500) + OVERRUN);
    read_401_fails:
        Row::new("get:401").approved().fails(&["401", "Unauthorized"]).names_id();
    read_404_fails:
        Row::new("get:404").approved().fails(&["404"]).names_id();
    read_after_a_restart_fails_with_404:
        Row::new("get:restartx1").approved().fails(&["404", "no approval request"]).names_id();
    read_truncated_answer_fails:
        Row::new("get:truncated").approved().fails(&["not an approval record"]).names_id();
    read_answer_not_json_fails:
        Row::new("get:not-json").approved().fails(&["not an approval record"]).names_id();
    read_10_mb_answer_fails:
        Row::new("get:huge").approved().fails(&["larger than 1024 KiB"]).names_id();
    read_status_expired_fails:
        Row::new("get:status=EXPIRED").approved().fails(&["\"EXPIRED\"", "not an approval"])
            .names_id();
    read_status_cancelled_fails:
        Row::new("get:status=cancelled").approved().fails(&["\"cancelled\""]).names_id();
    read_empty_status_fails:
        Row::new("get:status=").approved().fails(&["status \"\""]).names_id();
    read_numeric_status_fails:
        Row::new("get:status=1").approved().fails(&["not an approval record"]).names_id();
    read_without_id_fails:
        Row::new("get:no-id").approved().fails(&["no `id`"]).names_id();
    read_of_another_id_fails:
        Row::new("get:id=req_someone_else").approved().fails(&["another id"]).names_id();
    read_without_status_fails:
        Row::new("get:no-status").approved().fails(&["no `status`"]).names_id();
    read_without_details_runs_with_the_details_sent:
        Row::new("get:no-details").approved().runs();
    read_details_that_are_not_an_object_fail:
        Row::new("get:details=[1]").approved().fails(&["`details` is not an object"]).names_id();
    read_details_other_than_sent_fail:
        Row::new(r#"get:details={"order_id":"9999","amount_cents":1}"#).approved()
            .fails(&["other details"]).names_id();
    read_modified_details_array_fails:
        Row::new("get:modifiedDetails=[1,2]").approved_by_rule()
            .fails(&["`modifiedDetails` is not an object"]).names_id();
    read_modified_details_string_fails:
        Row::new(r#"get:modifiedDetails="refund everything""#).approved_by_rule()
            .fails(&["`modifiedDetails` is not an object"]).names_id();
    read_modified_details_of_the_wrong_type_fail:
        Row::new(r#"get:modifiedDetails={"order_id":"8842","amount_cents":"lots"}"#)
            .approved_by_rule().fails(&["`amount_cents`"])
            .fails_each(&["does not fit its type"], &["does not fit"]).names_id();
    read_modified_details_with_an_unknown_key_fail:
        Row::new(r#"get:modifiedDetails={"refund_to":"elsewhere"}"#).approved_by_rule()
            .fails_each(&["`refund_to`", "no such parameter"], &["no `order_id`"]).names_id();
}

// Many calls at once under faults on both routes: as many requests as calls, as many runs.
#[tokio::test]
async fn concurrent_calls_under_faults_create_one_request_each() {
    const CALLS: usize = 8;
    let emulator = plain_emulator().await;
    emulator.inject("create:429x4".parse().unwrap());
    emulator.inject("get:502x6".parse().unwrap());
    emulator.inject("get:hangupx3".parse().unwrap());
    let client = client(&emulator, Duration::from_secs(5));
    let ran = AtomicUsize::new(0);
    let calls = futures_util::future::join_all(
        (0..CALLS as u64).map(|n| refund(&client, &ran, format!("order-{n}"), n)),
    );
    let reviewer = async {
        for _ in 0..CALLS {
            let request = emulator
                .next_pending(Duration::from_secs(5))
                .await
                .expect("every call asks");
            emulator.approve(&request.id).unwrap();
        }
    };
    let (results, ()) = tokio::join!(calls, reviewer);
    let amounts: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(amounts, (0..CALLS as u64).collect::<Vec<_>>());
    assert_eq!(ran.load(SeqCst), CALLS);
    assert_eq!(emulator.created_count(), CALLS, "no duplicates");
    assert_eq!(emulator.call_count(Route::Create), CALLS + 4);
    println!(
        "| concurrent: `create:429x4` + `get:502x6` + `get:hangupx3` | Attribute | {CALLS} | {} | {} | {} | 0 |",
        emulator.call_count(Route::Create),
        emulator.created_count(),
        ran.load(SeqCst)
    );
}

// The short-wait endpoint, `POST /api/webhooks/inbound`, through `request_sync`.
async fn inbound(
    spec: &str,
    approve: bool,
) -> (Result<cheqpoint::Decision, cheqpoint::Error>, usize, usize) {
    let emulator = plain_emulator().await;
    emulator.inject(spec.parse().unwrap());
    let client = client(&emulator, Duration::from_secs(3));
    let request = ApprovalRequest::new("process_refund", "Refund 120.00 on order 8842")
        .details(json!({"order_id": "8842", "amount_cents": 12000}));
    let reviewer = async {
        if approve && let Some(request) = emulator.next_pending(Duration::from_secs(3)).await {
            emulator.approve(&request.id).unwrap();
        }
    };
    let (decision, ()) = tokio::join!(
        client.request_sync(request, Duration::from_secs(2)),
        reviewer
    );
    let approved = usize::from(decision.as_ref().is_ok_and(|d| d.is_approved()));
    println!(
        "| `{spec}` | request_sync | 1 | {} | {} | {approved} | {} | {} |",
        emulator.call_count(Route::Inbound),
        emulator.created_count(),
        emulator.created_count().saturating_sub(1),
        match &decision {
            Ok(decision) => format!("{}", decision.status),
            Err(error) => format!("Err: {error}"),
        }
    );
    (
        decision,
        emulator.created_count(),
        emulator.call_count(Route::Inbound),
    )
}

#[tokio::test]
async fn inbound_429_is_sent_again() {
    let (decision, created, sent) = inbound("inbound:429x1", true).await;
    assert_eq!(decision.unwrap().status, Status::Approved);
    assert_eq!((created, sent), (1, 2));
}

#[tokio::test]
async fn inbound_503_is_not_sent_again() {
    let (decision, created, sent) = inbound("inbound:503x1", false).await;
    assert!(decision.unwrap_err().to_string().contains("503"));
    assert_eq!((created, sent), (0, 1));
}

#[tokio::test]
async fn inbound_502_after_processing_is_not_sent_again() {
    let (decision, created, sent) = inbound("inbound:502,processed", true).await;
    assert!(decision.unwrap_err().to_string().contains("502"));
    assert_eq!((created, sent), (1, 1));
}

#[tokio::test]
async fn inbound_hangup_is_not_sent_again() {
    let (decision, created, sent) = inbound("inbound:hangup", false).await;
    let error = decision.unwrap_err();
    assert!(
        matches!(error, cheqpoint::Error::CreateUnconfirmed { .. }),
        "{error:?}"
    );
    assert_eq!((created, sent), (0, 1));
}

#[tokio::test]
async fn inbound_reset_is_not_sent_again() {
    let (decision, created, sent) = inbound("inbound:reset", false).await;
    assert!(decision.unwrap_err().to_string().contains("cut off"));
    assert_eq!((created, sent), (1, 1));
}

#[tokio::test]
async fn inbound_unknown_status_is_not_a_decision() {
    let (decision, created, _) = inbound("inbound:status=EXPIRED", false).await;
    let error = decision.unwrap_err();
    assert!(
        matches!(&error, cheqpoint::Error::UnknownStatus { status, .. } if status == "EXPIRED"),
        "{error:?}"
    );
    assert_eq!(created, 1);
}

#[tokio::test]
async fn inbound_modified_details_that_are_not_an_object_fail() {
    let (decision, created, _) = inbound("inbound:modifiedDetails=[1]", false).await;
    assert!(
        decision
            .unwrap_err()
            .to_string()
            .contains("`modifiedDetails` is not an object")
    );
    assert_eq!(created, 1);
}

#[tokio::test]
async fn inbound_without_an_id_fails() {
    let (decision, created, _) = inbound("inbound:no-approvalId", false).await;
    assert!(
        decision
            .unwrap_err()
            .to_string()
            .contains("no `approvalId`")
    );
    assert_eq!(created, 1);
}

#[tokio::test]
async fn a_call_never_outlasts_its_timeout_by_more_than_the_last_reads_grace() {
    // A server that stalls every read and a reviewer who never decides.
    let emulator = plain_emulator().await;
    emulator.inject("get:stall".parse().unwrap());
    let client = client(&emulator, ms(400));
    let ran = AtomicUsize::new(0);
    let started = Instant::now();
    let error = refund(&client, &ran, "1".into(), 1).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= ms(400) && elapsed <= ms(400) + OVERRUN,
        "{elapsed:?}: {error}"
    );
    assert_eq!(ran.load(SeqCst), 0);
}

#[tokio::test]
async fn a_timeout_too_long_to_represent_is_no_overflow() {
    let emulator = plain_emulator().await;
    emulator.inject("get:502x2".parse().unwrap());
    let client = client(&emulator, Duration::MAX);
    let ran = AtomicUsize::new(0);
    let reviewer = async {
        let request = emulator
            .next_pending(Duration::from_secs(10))
            .await
            .expect("the call asks");
        emulator.approve(&request.id).unwrap();
    };
    let (result, ()) = tokio::join!(refund(&client, &ran, "1".into(), 7), reviewer);
    assert_eq!(result.unwrap(), 7);
    let created = client
        .create_request(&ApprovalRequest::new("a", "s"))
        .await
        .unwrap();
    assert_eq!(created.status, Status::Pending);
}
