//! `#[checkpoint(key = ..)]` with a journal: the macro names the operation from its parameters,
//! claims the run before the body and records its end after the body, however the body returns
//! (`return`, `?`, or its last expression; async or blocking). A SQLite journal, the emulator over
//! loopback, and a counter of the body's runs.

mod common;
mod journal;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering::SeqCst},
    },
    time::Duration,
};

use cheqpoint::{Client, Error, Journal, PollPolicy, checkpoint};
use cheqpoint_emulator::Emulator;
use journal::Scratch;

fn client(emulator: &Emulator, journal: Journal) -> Client {
    Client::builder()
        .api_key(common::KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(20))
        .poll(PollPolicy::fixed(Duration::from_millis(20)))
        .journal(journal)
        .build()
        .unwrap()
}

#[checkpoint(client = client, skip(client, runs), action = "process_refund", key = "refund-{order_id}")]
async fn refund(
    client: &Client,
    runs: &AtomicUsize,
    order_id: String,
    amount_cents: u64,
) -> Result<u64, Error> {
    runs.fetch_add(1, SeqCst);
    if amount_cents == 0 {
        return Err(Error::NotConfigured); // an early return is still the end of the run
    }
    assert!(!order_id.is_empty());
    Ok(amount_cents)
}

#[checkpoint(client = client, skip(client, runs), key = "archive-{path}")]
fn archive(client: &Client, runs: &AtomicUsize, path: String) -> Result<String, Error> {
    runs.fetch_add(1, SeqCst);
    Ok(path)
}

/// Approves the next pending request within 10 s; its id.
async fn approve_next(emulator: &Emulator) -> String {
    let request = emulator
        .next_pending(Duration::from_secs(10))
        .await
        .expect("a request");
    emulator.approve(&request.id).unwrap();
    request.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_from_the_parameters_asks_once_and_runs_once() {
    let scratch = Scratch::new("journal-gate");
    let emulator = common::emulator().await;
    let client = client(&emulator, Journal::sqlite(scratch.join("j.db")).unwrap());
    let runs = AtomicUsize::new(0);
    let (first, id) = tokio::join!(
        refund(&client, &runs, "8842".into(), 1200),
        approve_next(&emulator)
    );
    assert_eq!(first.unwrap(), 1200);
    let again = refund(&client, &runs, "8842".into(), 1200).await;
    assert!(
        matches!(&again, Err(Error::AlreadyDone { key, approval_id, .. }) if key == "refund-8842" && *approval_id == id),
        "{again:?}"
    );
    assert_eq!(runs.load(SeqCst), 1, "one approval, one run");
    let (other, _) = tokio::join!(
        refund(&client, &runs, "9000".into(), 50),
        approve_next(&emulator)
    );
    assert_eq!(other.unwrap(), 50, "another key is another operation");
    assert_eq!(emulator.created_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_does_not_fit_is_recorded_as_refused_and_the_key_asks_anew() {
    let scratch = Scratch::new("journal-gate");
    let emulator = common::emulator().await;
    let client = client(&emulator, Journal::sqlite(scratch.join("j.db")).unwrap());
    let runs = AtomicUsize::new(0);
    let misfit = async {
        let request = emulator
            .next_pending(Duration::from_secs(10))
            .await
            .expect("a request");
        emulator
            .approve_with(
                &request.id,
                serde_json::json!({"order_id": "77", "amount_cents": "lots"}),
            )
            .unwrap();
    };
    let (first, ()) = tokio::join!(refund(&client, &runs, "77".into(), 500), misfit);
    assert!(
        matches!(&first, Err(Error::InvalidEdit { parameter, .. }) if parameter == "amount_cents"),
        "{first:?}"
    );
    // Nothing ran: the same key asks anew (the refusal is recorded as the verdict is dropped),
    // and is neither "in progress" nor "already done".
    let again = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let approve_if_asked = async {
                if let Some(request) = emulator.next_pending(Duration::from_secs(2)).await {
                    emulator.approve(&request.id).unwrap();
                }
            };
            let (again, ()) =
                tokio::join!(refund(&client, &runs, "77".into(), 500), approve_if_asked);
            match again {
                Err(Error::InProgress { .. }) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                other => return other,
            }
        }
    })
    .await
    .expect("the refusal is recorded within 10 s");
    assert_eq!(again.unwrap(), 500);
    assert_eq!(runs.load(SeqCst), 1);
    assert_eq!(emulator.created_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_return_records_the_end_of_the_run() {
    let scratch = Scratch::new("journal-gate");
    let emulator = common::emulator().await;
    let client = client(&emulator, Journal::sqlite(scratch.join("j.db")).unwrap());
    let runs = AtomicUsize::new(0);
    let (first, _) = tokio::join!(
        refund(&client, &runs, "1".into(), 0),
        approve_next(&emulator)
    );
    assert!(
        matches!(first, Err(Error::NotConfigured)),
        "the body's own error: {first:?}"
    );
    let again = refund(&client, &runs, "1".into(), 0).await;
    assert!(
        matches!(again, Err(Error::AlreadyDone { .. })),
        "not interrupted: {again:?}"
    );
    assert_eq!(runs.load(SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_dies_is_reported_interrupted_and_never_run_again() {
    let scratch = Scratch::new("journal-gate");
    let emulator = common::emulator().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let dying = client(&emulator, Journal::sqlite(scratch.join("j.db")).unwrap());
    let counted = Arc::clone(&runs);
    let task = tokio::spawn(async move {
        #[checkpoint(client = client, skip(client, runs), key = "wipe-{table}")]
        async fn wipe(client: &Client, runs: &AtomicUsize, table: String) -> Result<(), Error> {
            runs.fetch_add(1, SeqCst);
            panic!("the process dies inside the body of {table}");
        }
        wipe(&dying, &counted, "users".into()).await
    });
    let (died, _) = tokio::join!(task, approve_next(&emulator));
    assert!(died.unwrap_err().is_panic());

    #[checkpoint(client = client, skip(client, runs), key = "wipe-{table}")]
    async fn wipe_again(client: &Client, runs: &AtomicUsize, table: String) -> Result<(), Error> {
        runs.fetch_add(1, SeqCst);
        assert_eq!(table, "users");
        Ok(())
    }
    let client = client(&emulator, Journal::sqlite(scratch.join("j.db")).unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let outcome = loop {
        let outcome = wipe_again(&client, &runs, "users".into()).await;
        if !matches!(outcome, Err(Error::InProgress { .. }))
            || tokio::time::Instant::now() > deadline
        {
            break outcome;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        matches!(&outcome, Err(Error::Interrupted { key: Some(key), .. }) if key == "wipe-users"),
        "{outcome:?}"
    );
    assert_eq!(runs.load(SeqCst), 1, "never a second run");
    assert_eq!(emulator.created_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_fn_records_its_run_too() {
    let scratch = Scratch::new("journal-gate");
    let emulator = common::emulator().await;
    let client = client(&emulator, Journal::sqlite(scratch.join("j.db")).unwrap());
    let runs = Arc::new(AtomicUsize::new(0));
    let call = |client: Client, runs: Arc<AtomicUsize>| {
        tokio::task::spawn_blocking(move || archive(&client, &runs, "/srv/logs".into()))
    };
    let (first, _) = tokio::join!(
        call(client.clone(), Arc::clone(&runs)),
        approve_next(&emulator)
    );
    assert_eq!(first.unwrap().unwrap(), "/srv/logs");
    let again = call(client.clone(), Arc::clone(&runs)).await.unwrap();
    assert!(matches!(again, Err(Error::AlreadyDone { .. })), "{again:?}");
    assert_eq!(runs.load(SeqCst), 1);
}
