//! The fault matrix's harness. A [`Row`] names a fault and what must come of it; [`check`] makes
//! one gated call through a `#[checkpoint]` fn and one through [`Client::checkpoint`], each
//! against an emulator of its own with the fault injected, counts what ran and what was created,
//! prints a table row for each, and asserts the row.

#![allow(dead_code)] // each test file uses its own part of this module

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use cheqpoint::{ApprovalRequest, Client, Error, PollPolicy, checkpoint};
use cheqpoint_emulator::{Emulator, Route};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The key every matrix emulator takes.
pub const KEY: &str = "cq_test_fault_matrix";
/// The limit on one HTTP exchange in the matrix: short, so that stalls cost little, and long
/// enough for a 10 MB answer to be read (and refused for its size) on two busy cores.
pub const HTTP_TIMEOUT: Duration = Duration::from_millis(2000);
/// How many times a create that cannot have been processed is sent.
pub const CREATE_ATTEMPTS: u32 = 8;

pub fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Who decides the request the call makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reviewer {
    /// A person approves it as soon as it is pending.
    Approves,
    /// A workspace rule approves it at creation (so the first read already sees the approval).
    Rule,
    /// Nobody decides.
    Nobody,
}

/// When the fault is injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Before the call starts.
    Before,
    /// Once the request is pending, just before the reviewer decides.
    WhilePending,
}

/// One fault and what must come of it.
#[derive(Clone, Debug)]
pub struct Row {
    pub fault: &'static str,
    pub when: When,
    pub reviewer: Reviewer,
    /// The call's timeout.
    pub timeout: Duration,
    /// How many approval requests the emulator must have created.
    pub created: usize,
    /// True when the body must run.
    pub runs: bool,
    /// Text every error must contain (both ways of calling).
    pub error: &'static [&'static str],
    /// Text the `#[checkpoint]` call's error must contain besides.
    pub error_attribute: &'static [&'static str],
    /// Text the `Client::checkpoint` call's error must contain besides.
    pub error_client: &'static [&'static str],
    /// The error must carry the id of the request created.
    pub names_id: bool,
    /// How many creates the emulator must have received.
    pub creates_sent: Option<usize>,
    /// The least number of status reads the emulator must have received.
    pub min_reads: usize,
    /// The call must take at least this long (a `Retry-After` honoured).
    pub min_elapsed: Duration,
    /// The call must end within this long.
    pub max_elapsed: Duration,
}

impl Row {
    pub fn new(fault: &'static str) -> Row {
        Row {
            fault,
            when: When::Before,
            reviewer: Reviewer::Nobody,
            timeout: Duration::from_secs(3),
            created: 1,
            runs: false,
            error: &[],
            error_attribute: &[],
            error_client: &[],
            names_id: false,
            creates_sent: None,
            min_reads: 0,
            min_elapsed: Duration::ZERO,
            max_elapsed: Duration::from_secs(5),
        }
    }

    /// A person approves the request once it is pending.
    pub fn approved(self) -> Row {
        Row {
            reviewer: Reviewer::Approves,
            ..self
        }
    }

    /// A rule approves the request at creation.
    pub fn approved_by_rule(self) -> Row {
        Row {
            reviewer: Reviewer::Rule,
            ..self
        }
    }

    /// The fault is injected once the request is pending.
    pub fn while_pending(self) -> Row {
        Row {
            when: When::WhilePending,
            ..self
        }
    }

    pub fn timeout(self, timeout: Duration) -> Row {
        Row { timeout, ..self }
    }

    pub fn created(self, created: usize) -> Row {
        Row { created, ..self }
    }

    pub fn creates_sent(self, sent: usize) -> Row {
        Row {
            creates_sent: Some(sent),
            ..self
        }
    }

    pub fn min_reads(self, reads: usize) -> Row {
        Row {
            min_reads: reads,
            ..self
        }
    }

    /// The body runs.
    pub fn runs(self) -> Row {
        Row { runs: true, ..self }
    }

    /// The call fails, and its error says each of `needles`.
    pub fn fails(self, needles: &'static [&'static str]) -> Row {
        Row {
            runs: false,
            error: needles,
            ..self
        }
    }

    /// What the errors say besides, through the attribute and through the client.
    pub fn fails_each(
        self,
        attribute: &'static [&'static str],
        client: &'static [&'static str],
    ) -> Row {
        Row {
            error_attribute: attribute,
            error_client: client,
            ..self
        }
    }

    /// The error names the request created.
    pub fn names_id(self) -> Row {
        Row {
            names_id: true,
            ..self
        }
    }

    pub fn at_least(self, elapsed: Duration) -> Row {
        Row {
            min_elapsed: elapsed,
            ..self
        }
    }

    pub fn within(self, elapsed: Duration) -> Row {
        Row {
            max_elapsed: elapsed,
            ..self
        }
    }
}

/// The two ways of making a gated call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Attribute,
    Client,
}

/// A call's outcome: the amount refunded, or the error's text and the approval id it names.
pub type Outcome = Result<u64, (String, Option<String>)>;

/// What one call did, as the emulator and the body saw it.
#[derive(Debug)]
pub struct Measured {
    pub via: Via,
    pub outcome: Outcome,
    pub ran: usize,
    pub created: usize,
    pub creates_sent: usize,
    pub reads: usize,
    /// The id of the request the call created, when the emulator knows it.
    pub created_id: Option<String>,
    pub elapsed: Duration,
}

impl Measured {
    /// Calls beyond one that created a request: always 0 when no call asks twice.
    pub fn duplicates(&self) -> usize {
        self.created.saturating_sub(1)
    }

    /// A table row: fault, way, calls, creates sent, created, bodies run, duplicates, outcome.
    pub fn table_row(&self, fault: &str) -> String {
        let outcome = match &self.outcome {
            Ok(amount) => format!("ran (refunded {amount})"),
            Err((message, _)) => {
                let short: String = message.chars().take(110).collect();
                format!("Err: {short}")
            }
        };
        format!(
            "| `{fault}` | {:?} | 1 | {} | {} | {} | {} | {:.0?} | {outcome} |",
            self.via,
            self.creates_sent,
            self.created,
            self.ran,
            self.duplicates(),
            self.elapsed
        )
    }
}

/// The emulator for `row`: approving at creation when a rule decides.
pub async fn emulator(row: &Row) -> Emulator {
    let mut builder = Emulator::builder().api_key(KEY);
    if row.reviewer == Reviewer::Rule {
        builder = builder.auto_approve_below(1.0);
    }
    builder.start().await.expect("the emulator starts")
}

/// An emulator with no rule.
pub async fn plain_emulator() -> Emulator {
    emulator(&Row::new("any:500")).await
}

/// A client that polls every 20 ms, gives up on an exchange after 2 s, and backs off from
/// 10 ms to 80 ms.
pub fn client(emulator: &Emulator, timeout: Duration) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(timeout)
        .http_timeout(HTTP_TIMEOUT)
        .poll(PollPolicy::fixed(ms(20)))
        .retry_backoff(ms(10), ms(80))
        .create_attempts(CREATE_ATTEMPTS)
        .build()
        .expect("the client builds")
}

/// The gated action, through the attribute.
#[checkpoint(
    client = client,
    action = "process_refund",
    risk = 0.4,
    summary = "Refund {amount_cents} cents on order {order_id}",
    skip(client, ran)
)]
pub async fn refund(
    client: &Client,
    ran: &AtomicUsize,
    order_id: String,
    amount_cents: u64,
) -> Result<u64, Error> {
    ran.fetch_add(1, SeqCst);
    let _ = order_id;
    Ok(amount_cents)
}

/// The same action through the client, as a careful user writes it: the approved details are
/// read into typed values before anything runs.
pub async fn refund_with_client(
    client: &Client,
    ran: &AtomicUsize,
    order_id: &str,
    amount_cents: u64,
) -> Outcome {
    let request = ApprovalRequest::new(
        "process_refund",
        format!("Refund {amount_cents} cents on order {order_id}"),
    )
    .details(json!({"order_id": order_id, "amount_cents": amount_cents}))
    .risk(0.4);
    let approved = client.checkpoint(request).await.map_err(error_outcome)?;
    let details = approved.effective_details();
    let id = &approved.approval_id;
    let typed = |message: String| (format!("{message} (approval {id})"), Some(id.clone()));
    let _order_id: String = field(details, "order_id").map_err(typed)?;
    let amount_cents: u64 = field(details, "amount_cents").map_err(typed)?;
    ran.fetch_add(1, SeqCst);
    Ok(amount_cents)
}

fn field<T: DeserializeOwned>(details: &Value, name: &str) -> Result<T, String> {
    let value = details
        .get(name)
        .ok_or_else(|| format!("the approved details have no `{name}`"))?;
    T::deserialize(value).map_err(|e| format!("`{name}` does not fit: {e}"))
}

pub fn error_outcome(error: Error) -> (String, Option<String>) {
    (error.to_string(), error.approval_id().map(str::to_owned))
}

/// Makes the call `via`, with the row's fault and reviewer, and measures it.
pub async fn measure(via: Via, row: &Row) -> Measured {
    let emulator = emulator(row).await;
    let client = client(&emulator, row.timeout);
    let fault: cheqpoint_emulator::Fault = row.fault.parse().unwrap_or_else(|e| panic!("{e}"));
    if row.when == When::Before {
        emulator.inject(fault.clone());
    }
    let ran = AtomicUsize::new(0);
    let started = Instant::now();
    let call = async {
        let outcome = match via {
            Via::Attribute => refund(&client, &ran, "8842".into(), 12_000)
                .await
                .map_err(error_outcome),
            Via::Client => refund_with_client(&client, &ran, "8842", 12_000).await,
        };
        (outcome, started.elapsed())
    };
    let reviewer = async {
        if row.reviewer == Reviewer::Nobody && row.when == When::Before {
            return;
        }
        if row.reviewer == Reviewer::Rule {
            return;
        }
        let Some(request) = emulator
            .next_pending(row.timeout + Duration::from_secs(1))
            .await
        else {
            return;
        };
        if row.when == When::WhilePending {
            emulator.inject(fault.clone());
        }
        if row.reviewer == Reviewer::Approves {
            // A restart may have forgotten it; then there is nothing to approve.
            let _ = emulator.approve(&request.id);
        }
    };
    let ((outcome, elapsed), ()) = tokio::join!(call, reviewer);
    let calls = emulator.calls();
    let created_id = emulator
        .requests()
        .first()
        .map(|record| record.id.clone())
        .or_else(|| {
            calls
                .iter()
                .find(|call| call.route == Route::Get)
                .and_then(|call| call.path.strip_prefix("/api/approvals/").map(str::to_owned))
        });
    Measured {
        via,
        outcome,
        ran: ran.load(SeqCst),
        created: emulator.created_count(),
        creates_sent: emulator.call_count(Route::Create),
        reads: emulator.call_count(Route::Get),
        created_id,
        elapsed,
    }
}

/// Runs `row` both ways at once, prints a table row for each, and asserts the row.
pub async fn check(row: Row) {
    let (attribute, client) =
        tokio::join!(measure(Via::Attribute, &row), measure(Via::Client, &row));
    for measured in [&attribute, &client] {
        println!("{}", measured.table_row(row.fault));
    }
    for measured in [attribute, client] {
        assert_row(&row, &measured);
    }
}

fn assert_row(row: &Row, measured: &Measured) {
    let via = measured.via;
    let context = format!("{} via {via:?}: {measured:?}", row.fault);
    assert_eq!(measured.ran, usize::from(row.runs), "bodies run; {context}");
    assert_eq!(measured.created, row.created, "requests created; {context}");
    assert_eq!(measured.duplicates(), 0, "{context}");
    if let Some(sent) = row.creates_sent {
        assert_eq!(measured.creates_sent, sent, "creates sent; {context}");
    }
    assert!(measured.reads >= row.min_reads, "status reads; {context}");
    assert!(measured.elapsed >= row.min_elapsed, "too fast; {context}");
    assert!(measured.elapsed <= row.max_elapsed, "too slow; {context}");
    match (&measured.outcome, row.runs) {
        (Ok(amount), true) => assert_eq!(*amount, 12_000, "{context}"),
        (Err((message, approval_id)), false) => {
            let own = match via {
                Via::Attribute => row.error_attribute,
                Via::Client => row.error_client,
            };
            for needle in row.error.iter().chain(own) {
                assert!(message.contains(needle), "{needle:?} not said; {context}");
            }
            if row.names_id {
                assert!(approval_id.is_some(), "no approval id; {context}");
                assert_eq!(approval_id, &measured.created_id, "{context}");
                let id = approval_id.as_deref().unwrap_or_default();
                assert!(message.contains(id), "the message names no id; {context}");
            }
        }
        (outcome, _) => panic!(
            "expected {}: got {outcome:?}; {context}",
            if row.runs { "a run" } else { "an error" }
        ),
    }
}
