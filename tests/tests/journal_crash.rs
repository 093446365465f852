//! Real crashes: an agent process with a SQLite journal is killed with SIGKILL at each step of a
//! gated call, and a restarted process with the same key does what the journal's state table
//! says. The emulator counts the requests; the body appends to a file each time it runs.
//!
//! To stop an agent exactly between two steps, the test holds SQLite's write lock (the agent's
//! next journal write then waits on it), or stalls the emulator's answer to the create.

mod common;
mod journal;

use std::time::Duration;

use cheqpoint::Journal;
use cheqpoint_emulator::{Emulator, Fault, FaultKind, Route, Status};
use journal::{
    Scratch,
    agent::{Agent, runs_in},
};

/// One crash scene: an emulator, a journal file, a runs file, and agents started on them.
struct Scene {
    emulator: Emulator,
    scratch: Scratch,
    key: &'static str,
}

impl Scene {
    async fn new(key: &'static str) -> Scene {
        Scene {
            emulator: common::emulator().await,
            scratch: Scratch::new("journal-crash"),
            key,
        }
    }

    fn agent(&self, options: &[&str]) -> Agent {
        let journal = format!("sqlite:{}", self.scratch.join("journal.db").display());
        Agent::start(
            &self.emulator.url(),
            &journal,
            self.key,
            &self.scratch.join("runs"),
            options,
        )
    }

    fn runs(&self) -> Vec<String> {
        runs_in(&self.scratch.join("runs"))
    }

    /// The next request the emulator receives.
    async fn next_request(&self) -> String {
        self.emulator
            .next_pending(Duration::from_secs(30))
            .await
            .expect("a request arrives")
            .id
    }

    /// Waits until the journal holds the request id of the key (the agent recorded it).
    async fn recorded(&self, approval_id: &str) {
        let journal = Journal::sqlite(self.scratch.join("journal.db")).unwrap();
        for _ in 0..500 {
            let unfinished = journal.unfinished().await.unwrap();
            if unfinished
                .iter()
                .any(|entry| entry.approval_id.as_deref() == Some(approval_id))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the journal never recorded {approval_id}");
    }

    /// An agent whose create the emulator records and never answers, and the request's id.
    async fn stalled_create(&self) -> (Agent, String) {
        self.emulator.inject(
            Fault::new(Route::Create, FaultKind::Stall)
                .after_processing()
                .times(1),
        );
        let agent = self.agent(&[]);
        (agent, self.next_request().await)
    }

    /// The `Idempotency-Key` of each create the emulator received, in order.
    fn create_keys(&self) -> Vec<Option<String>> {
        self.emulator
            .calls()
            .into_iter()
            .filter(|call| call.route == Route::Create)
            .map(|call| call.idempotency_key)
            .collect()
    }

    /// A connection that holds SQLite's write lock on the journal until rolled back.
    fn hold_writes(&self) -> rusqlite::Connection {
        let holder = rusqlite::Connection::open(self.scratch.join("journal.db")).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        holder
    }
}

/// Killed after the create was sent, before its id was recorded. The restart sends the create
/// again with the same `Idempotency-Key`; the emulator, like the service's documented API,
/// ignores that header, so this costs one extra request (the first stays pending, unanswered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_create_was_sent_before_its_id_was_recorded() {
    let scene = Scene::new("crash-create").await;
    let (agent, orphan) = scene.stalled_create().await;
    let journal = Journal::sqlite(scene.scratch.join("journal.db")).unwrap();
    let entry = journal.unfinished().await.unwrap();
    assert_eq!(entry.len(), 1);
    assert_eq!(entry[0].approval_id, None, "the id is not recorded yet");
    agent.kill().await;
    scene.emulator.clear_faults();

    let mut restarted = scene.agent(&[]);
    restarted
        .stderr_line("sent again with its Idempotency-Key")
        .await;
    let second = scene.next_request().await;
    scene.emulator.approve(&second).unwrap();
    assert_eq!(restarted.outcome().await, "outcome ok");
    assert_eq!(scene.runs(), [second], "one run, on the request answered");
    assert_eq!(
        scene.emulator.created_count(),
        2,
        "the re-send made a second request"
    );
    assert_eq!(scene.emulator.get(&orphan).unwrap().status, Status::Pending);
    let keys = scene.create_keys();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "the re-send carries the first create's key"
    );
}

/// Killed after the create was sent, and the operation's entry lost with it, as a power cut
/// loses a write that had not reached the disk (only the claim waits for the disk). The restart
/// records the operation anew, and its create carries the same `Idempotency-Key`, made from the
/// operation: a service that honours the key answers with the first request; the emulator,
/// which ignores it, makes a second (the first stays pending), as in the row above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_create_was_sent_with_its_entry_lost() {
    let scene = Scene::new("crash-lost").await;
    let (agent, orphan) = scene.stalled_create().await;
    agent.kill().await;
    scene.emulator.clear_faults();
    let journal = rusqlite::Connection::open(scene.scratch.join("journal.db")).unwrap();
    let lost = journal
        .execute("DELETE FROM cheqpoint_journal", [])
        .unwrap();
    assert_eq!(lost, 1, "the entry was recorded, then lost");

    let restarted = scene.agent(&[]);
    let second = scene.next_request().await;
    scene.emulator.approve(&second).unwrap();
    assert_eq!(restarted.outcome().await, "outcome ok");
    assert_eq!(scene.runs(), [second], "one run, on the request answered");
    assert_eq!(scene.emulator.get(&orphan).unwrap().status, Status::Pending);
    let keys = scene.create_keys();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].is_some());
    assert_eq!(keys[0], keys[1], "the same key for the same operation");
}

/// Killed while waiting: the restart re-attaches to the same request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_pending() {
    let scene = Scene::new("crash-pending").await;
    let agent = scene.agent(&[]);
    let request = scene.next_request().await;
    scene.recorded(&request).await;
    agent.kill().await;

    let mut restarted = scene.agent(&[]);
    let event = restarted.stderr_line("re-attached to approval").await;
    assert!(
        event.contains("key=\"crash-pending\"")
            && event.contains(&format!("approval_id=\"{request}\"")),
        "the event names the key and the approval: {event}"
    );
    scene.emulator.approve(&request).unwrap();
    assert_eq!(restarted.outcome().await, "outcome ok");
    assert_eq!(scene.runs(), [request]);
    assert_eq!(scene.emulator.created_count(), 1);
}

/// Killed after reading the approval, before claiming the run: the restart re-attaches, finds
/// it approved, and runs it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_approval_was_read_before_the_claim() {
    let scene = Scene::new("crash-claim").await;
    let mut agent = scene.agent(&[]);
    let request = scene.next_request().await;
    scene.recorded(&request).await;
    let holder = scene.hold_writes();
    scene.emulator.approve(&request).unwrap();
    agent.stderr_line("claiming its run").await;
    agent.kill().await;
    holder.execute_batch("ROLLBACK").unwrap();
    assert!(scene.runs().is_empty());

    let mut restarted = scene.agent(&[]);
    restarted.stderr_line("re-attached to approval").await;
    assert_eq!(restarted.outcome().await, "outcome ok");
    assert_eq!(scene.runs(), [request]);
    assert_eq!(scene.emulator.created_count(), 1);
}

/// Killed inside the body: every restart reports the run interrupted, and none runs it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_inside_the_body() {
    let scene = Scene::new("crash-body").await;
    let mut agent = scene.agent(&["hold"]);
    let request = scene.next_request().await;
    scene.emulator.approve(&request).unwrap();
    agent.stdout_line("body started").await;
    agent.kill().await;

    for _ in 0..2 {
        let outcome = scene.agent(&[]).outcome().await;
        assert!(outcome.starts_with("outcome Interrupted"), "{outcome}");
    }
    assert_eq!(scene.runs(), [request], "the body ran once");
    assert_eq!(scene.emulator.created_count(), 1);
}

/// Killed after the body returned, before its end was recorded: reported interrupted (the
/// journal cannot know the body had finished), never run again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_body_before_its_end_was_recorded() {
    let scene = Scene::new("crash-end").await;
    let mut agent = scene.agent(&["hold"]);
    let request = scene.next_request().await;
    scene.emulator.approve(&request).unwrap();
    agent.stdout_line("body started").await;
    let holder = scene.hold_writes();
    agent.release().await;
    agent.stdout_line("body done").await;
    agent.kill().await;
    holder.execute_batch("ROLLBACK").unwrap();

    let outcome = scene.agent(&[]).outcome().await;
    assert!(outcome.starts_with("outcome Interrupted"), "{outcome}");
    assert_eq!(scene.runs(), [request], "the body ran once");
    assert_eq!(scene.emulator.created_count(), 1);
}
