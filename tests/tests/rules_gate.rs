//! A client's rules decide `#[checkpoint]` calls by action and parameters, against the emulator
//! over loopback: a call a rule allows runs with no request (and a `tracing` event names the
//! rule's line); one a rule denies fails with the rule's reason, no request, and the body not
//! run; one a rule asks about is asked with the rule's risk, summary, timeout and read-only
//! keys; one no rule matches is asked as the attribute says.

mod common;

use std::{
    cell::RefCell,
    io::Write,
    sync::{
        Once,
        atomic::{AtomicUsize, Ordering::SeqCst},
    },
    time::Duration,
};

use cheqpoint::{Client, Error, PollPolicy, checkpoint, policy::rules::Rules};
use cheqpoint_emulator::Emulator;
use common::{KEY, emulator, next_pending};
use serde_json::json;

const RULES: &str = r#"
default = "ask"

[[rule]]
tool = "process_refund"
where = { amount_cents = { max = 20000 }, currency = { one_of = ["EUR", "USD"] } }
decide = "allow"

[[rule]]
tool = "process_refund"
where = { order.id = { glob = "blocked-*" } }
decide = "deny"
reason = "this order is under review"

[[rule]]
tool = "process_refund"
where = { amount_cents = { min = 100000 } }
decide = "ask"
risk = 0.95
summary = "Large refund: {amount_cents} {currency} on {order.id}"
readonly = ["order"]
timeout = 60
"#;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Order {
    id: String,
}

#[checkpoint(
    client = client,
    action = "process_refund",
    risk = 0.3,
    summary = "Refund {amount_cents} {currency}",
    skip(client, ran)
)]
async fn refund(
    client: &Client,
    ran: &AtomicUsize,
    order: Order,
    amount_cents: u64,
    currency: String,
) -> Result<u64, Error> {
    ran.fetch_add(1, SeqCst);
    let _sent_for_the_reviewer = (order, currency);
    Ok(amount_cents)
}

/// A client of `emulator` holding the rules above, each rule recorded at its line.
fn client(emulator: &Emulator) -> Client {
    builder(emulator).build().unwrap()
}

/// The builder of [`client`], to add to.
fn builder(emulator: &Emulator) -> cheqpoint::ClientBuilder {
    builder_with(emulator, at_lines(RULES))
}

/// A builder of a client of `emulator` holding `rules`; `tracing` prints to each thread's own
/// buffer from here on.
fn builder_with(emulator: &Emulator, rules: Rules) -> cheqpoint::ClientBuilder {
    print_per_thread();
    Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(10))
        .poll(PollPolicy::fixed(Duration::from_millis(20)))
        .rules(rules)
}

/// The rules of a TOML `text`, each recorded at the line its `[[rule]]` stands on.
fn at_lines(text: &str) -> Rules {
    let table: Rules = toml::from_str(text).unwrap();
    let lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| *line == "[[rule]]")
        .map(|(i, _)| i + 1);
    Rules::new(
        table.default_decision(),
        table
            .rules()
            .iter()
            .cloned()
            .zip(lines)
            .map(|(rule, line)| rule.at_line(line))
            .collect(),
    )
}

fn order(id: &str) -> Order {
    Order { id: id.into() }
}

thread_local! {
    /// What `tracing` printed on this thread and [`printed_here`] has not read yet.
    static PRINTED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// One subscriber for the whole process, set before any test makes a call, printing each
/// thread's events to that thread's [`PRINTED`]. A subscriber set for one thread can miss its
/// own events: `tracing` keeps an event's interest for the whole process, computed on whichever
/// thread reaches the event first, and a sibling test with no subscriber would make it "never".
fn print_per_thread() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThisThread)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// The writer of [`print_per_thread`]'s subscriber.
struct ThisThread;

impl Write for ThisThread {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        PRINTED.with_borrow_mut(|printed| printed.extend_from_slice(bytes));
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What `tracing` printed on this thread since the last call.
fn printed_here() -> String {
    String::from_utf8(PRINTED.with_borrow_mut(std::mem::take)).unwrap()
}

#[tokio::test]
async fn an_allowed_call_runs_without_a_request_and_names_its_rule() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    printed_here();
    let refunded = refund(&client, &ran, order("8842"), 12_000, "EUR".into()).await;
    let log = printed_here();
    assert_eq!(refunded.unwrap(), 12_000);
    assert_eq!(ran.load(SeqCst), 1);
    assert!(emulator.requests().is_empty(), "no request is made");
    assert!(log.contains("allow by rule 1 (line 4)"), "{log}");
    // Past the bound, or in another currency, it is asked as the attribute says.
    let (outcome, request) = tokio::join!(
        refund(&client, &ran, order("8842"), 20_001, "EUR".into()),
        async {
            let request = next_pending(&emulator).await;
            emulator.approve(&request.id).unwrap();
            request
        }
    );
    assert_eq!(outcome.unwrap(), 20_001);
    assert_eq!(
        (request.risk_score, request.summary.as_str()),
        (Some(0.3), "Refund 20001 EUR")
    );
    let (outcome, _) = tokio::join!(
        refund(&client, &ran, order("8842"), 5, "GBP".into()),
        async {
            emulator
                .reject(&next_pending(&emulator).await.id, "no")
                .unwrap()
        }
    );
    assert!(
        matches!(outcome, Err(Error::Rejected { .. })),
        "{outcome:?}"
    );
    assert_eq!(ran.load(SeqCst), 2);
}

#[tokio::test]
async fn a_denied_call_fails_with_the_reason_and_asks_nobody() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    // Within the allow rule's bounds too: deny beats allow.
    let outcome = refund(&client, &ran, order("blocked-7"), 100, "EUR".into()).await;
    match outcome {
        Err(Error::Denied {
            action,
            rule,
            reason,
        }) => {
            assert_eq!(action, "process_refund");
            assert_eq!(rule, "rule 2 (line 9)");
            assert_eq!(reason, "this order is under review");
        }
        other => panic!("not denied: {other:?}"),
    }
    assert_eq!(ran.load(SeqCst), 0, "the body did not run");
    assert!(emulator.requests().is_empty(), "no request is made");
}

#[tokio::test]
async fn an_ask_rule_asks_with_its_own_settings() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    let (outcome, request) = tokio::join!(
        refund(&client, &ran, order("8842"), 150_000, "USD".into()),
        async {
            let request = next_pending(&emulator).await;
            emulator.approve(&request.id).unwrap();
            request
        }
    );
    assert_eq!(outcome.unwrap(), 150_000);
    assert_eq!(request.risk_score, Some(0.95));
    assert_eq!(request.summary, "Large refund: 150000 USD on 8842");
    assert_eq!(request.details["order"], json!({"id": "8842"}));
    // The rule keeps `order` read-only: a reviewer who changes it stops the call.
    let (outcome, _) = tokio::join!(
        refund(&client, &ran, order("8842"), 150_000, "USD".into()),
        async {
            let request = next_pending(&emulator).await;
            let mut edit = request.details.clone();
            edit["order"] = json!({"id": "9999"});
            emulator.approve_with(&request.id, edit).unwrap();
        }
    );
    assert!(
        matches!(outcome, Err(Error::ReadonlyChanged { ref parameter, .. }) if parameter == "order"),
        "{outcome:?}"
    );
    assert_eq!(ran.load(SeqCst), 1);
}

#[tokio::test]
async fn with_a_journal_each_allow_and_deny_is_recorded_with_its_rule() {
    let emulator = emulator().await;
    let dir = std::env::temp_dir().join(format!("cheqpoint-rulings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = cheqpoint::Journal::sqlite(dir.join("journal.db")).unwrap();
    let client = builder(&emulator).journal(journal.clone()).build().unwrap();
    let ran = AtomicUsize::new(0);
    refund(&client, &ran, order("8842"), 12_000, "EUR".into())
        .await
        .unwrap();
    let denied = refund(&client, &ran, order("blocked-1"), 12_000, "EUR".into()).await;
    assert!(matches!(denied, Err(Error::Denied { .. })), "{denied:?}");
    let recorded = journal.rulings(Duration::from_secs(60), 10).await.unwrap();
    let seen: Vec<(&str, &str, Option<i64>)> = recorded
        .iter()
        .map(|r| (r.decision.as_str(), r.why.as_str(), r.line))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "deny",
                "deny by rule 2 (line 9): this order is under review",
                Some(9)
            ),
            ("allow", "allow by rule 1 (line 4)", Some(4)),
        ]
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&recorded[1].details).unwrap()["amount_cents"],
        12_000
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[checkpoint(client = client, action = "Write", summary = "Write {file_path}", skip(client, ran))]
async fn write(client: &Client, ran: &AtomicUsize, file_path: String) -> Result<(), Error> {
    ran.fetch_add(1, SeqCst);
    let _written = file_path;
    Ok(())
}

/// The same paths decided the same way as at the gateway and the Claude Code hook: under
/// /srv/tmp allowed with no request, under /etc denied with the rule's reason and line, anything
/// else asked.
#[tokio::test]
async fn the_table_every_door_shares_decides_a_rust_call_the_same_way() {
    let emulator = emulator().await;
    let client = builder_with(
        &emulator,
        at_lines(include_str!(
            "../../cheqpoint-cli/tests/fixtures/rules.toml"
        )),
    )
    .build()
    .unwrap();
    let ran = AtomicUsize::new(0);
    write(&client, &ran, "/srv/tmp/a".into()).await.unwrap();
    assert_eq!((ran.load(SeqCst), emulator.created_count()), (1, 0));
    let denied = write(&client, &ran, "/etc/../etc/passwd".into()).await;
    match denied {
        Err(Error::Denied { rule, reason, .. }) => {
            assert_eq!(
                (rule.as_str(), reason.as_str()),
                ("rule 2 (line 11)", "nothing under /etc is touched")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((ran.load(SeqCst), emulator.created_count()), (1, 0));
    let (asked, ()) = tokio::join!(write(&client, &ran, "/srv/tmp/../other".into()), async {
        let request = next_pending(&emulator).await;
        emulator.approve(&request.id).unwrap();
    });
    asked.unwrap();
    assert_eq!((ran.load(SeqCst), emulator.created_count()), (2, 1));
}
