//! What a waiting call tells `tracing`: one `cheqpoint` span per call with its action, risk,
//! approval id, decision, auto-decided and wait time, an event when the wait starts (with the
//! review URL when the service gave one), and one while it goes on. Nothing of the details is
//! recorded, and skipped parameters least of all.

mod common;

use std::{
    collections::BTreeMap,
    fmt::Debug,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use cheqpoint::{ApprovalRequest, Client, Error, PollPolicy, checkpoint};
use cheqpoint_emulator::Emulator;
use common::{KEY, client, next_pending};
use serde_json::json;
use tracing::{
    Subscriber,
    field::{Field, Visit},
    span,
};
use tracing_subscriber::{Layer, layer::Context, prelude::*, registry::LookupSpan};

type Fields = BTreeMap<String, String>;

/// Every span's fields (as last recorded) and every event's fields, with its span's id.
#[derive(Default)]
struct Recorded {
    spans: Vec<(u64, String, Fields)>,
    events: Vec<(Option<u64>, Fields)>,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Recorded>>);

struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, _: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Collect(&mut fields));
        let mut recorded = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        recorded
            .spans
            .push((id.into_u64(), attrs.metadata().name().to_owned(), fields));
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, _: Context<'_, S>) {
        let mut recorded = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, fields)) = recorded
            .spans
            .iter_mut()
            .find(|(span, ..)| *span == id.into_u64())
        {
            values.record(&mut Collect(fields));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, context: Context<'_, S>) {
        let mut fields = Fields::new();
        event.record(&mut Collect(&mut fields));
        let parent = context.event_span(event).map(|span| span.id().into_u64());
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .events
            .push((parent, fields));
    }
}

impl Recorder {
    /// Installs the recorder for this thread (the tests run on a current-thread runtime).
    fn install() -> (Recorder, tracing::subscriber::DefaultGuard) {
        let recorder = Recorder::default();
        let guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(recorder.clone()));
        (recorder, guard)
    }

    /// The fields of the only `cheqpoint` span.
    fn call_span(&self) -> (u64, Fields) {
        let recorded = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let spans: Vec<_> = recorded
            .spans
            .iter()
            .filter(|(_, name, _)| name == "cheqpoint")
            .collect();
        assert_eq!(spans.len(), 1, "one span per call");
        (spans[0].0, spans[0].2.clone())
    }

    /// The messages of the events inside span `id`.
    fn messages_in(&self, id: u64) -> Vec<Fields> {
        let recorded = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        recorded
            .events
            .iter()
            .filter(|(parent, _)| *parent == Some(id))
            .map(|(_, fields)| fields.clone())
            .collect()
    }

    /// Everything recorded, as text.
    fn everything(&self) -> String {
        let recorded = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        format!("{:?} {:?}", recorded.spans, recorded.events)
    }
}

fn message(fields: &Fields) -> &str {
    fields.get("message").map_or("", String::as_str)
}

#[tokio::test(flavor = "current_thread")]
async fn an_auto_approved_call_records_every_field() {
    let emulator = Emulator::builder()
        .api_key(KEY)
        .auto_approve_below(0.5)
        .start()
        .await
        .unwrap();
    let (recorder, _guard) = Recorder::install();
    let request = ApprovalRequest::new("send_email", "Email ada")
        .details(json!({"to": "ada"}))
        .risk(0.2);
    let approved = client(&emulator).checkpoint(request).await.unwrap();

    let (id, span) = recorder.call_span();
    assert_eq!(span["operation"], "checkpoint");
    assert_eq!(span["action"], "send_email");
    assert_eq!(span["risk"], "0.2");
    assert_eq!(span["approval_id"], approved.approval_id);
    assert_eq!(span["decision"], "approved");
    assert_eq!(span["auto_decided"], "true");
    assert!(span["waited_ms"].parse::<u64>().is_ok(), "{span:?}");
    let events = recorder.messages_in(id);
    assert!(
        events
            .iter()
            .any(|e| message(e) == format!("awaiting approval {}", approved.approval_id)),
        "{events:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_long_wait_says_what_it_is_blocked_on_and_a_rejection_is_recorded() {
    let emulator = common::emulator().await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .poll(PollPolicy::fixed(Duration::from_millis(10)))
        .progress_interval(Duration::from_millis(40))
        .build()
        .unwrap();
    let (recorder, _guard) = Recorder::install();
    let reviewer = async {
        let request = next_pending(&emulator).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        emulator.reject(&request.id, "no").unwrap();
        request.id
    };
    let request = ApprovalRequest::new("delete_user", "Delete user 42").risk(0.9);
    let (result, id) = tokio::join!(client.checkpoint(request), reviewer);
    assert!(matches!(result, Err(Error::Rejected { .. })));

    let (span_id, span) = recorder.call_span();
    assert_eq!(span["decision"], "rejected");
    assert_eq!(span["auto_decided"], "false");
    assert_eq!(span["approval_id"], id);
    assert!(span["waited_ms"].parse::<u64>().unwrap() >= 150);
    let still = recorder
        .messages_in(span_id)
        .into_iter()
        .filter(|e| message(e).starts_with(&format!("still awaiting approval {id} after")))
        .count();
    assert!(
        still >= 2,
        "a periodic event while waiting: {}",
        recorder.everything()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_short_wait_names_the_review_url() {
    // The service holds a short-wait call up to 10 s; this emulator lets go after 20 ms, so the
    // client goes on waiting by itself, as it does after 10 s against the service.
    let emulator = Emulator::builder()
        .api_key(KEY)
        .max_hold(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let (recorder, _guard) = Recorder::install();
    let decision = client(&emulator)
        .request_sync(
            ApprovalRequest::new("deploy", "Deploy"),
            Duration::from_millis(150),
        )
        .await
        .unwrap();
    let (id, span) = recorder.call_span();
    assert_eq!(span["operation"], "request_sync");
    assert_eq!(span["decision"], "pending");
    let review_url = decision.review_url.unwrap();
    let events = recorder.messages_in(id);
    assert!(
        events.iter().any(|e| message(e)
            == format!(
                "awaiting approval {} — review at {review_url}",
                decision.approval_id
            )),
        "{events:?}"
    );
}

#[checkpoint(client = client, skip(client, password))]
async fn log_in(client: &Client, user: String, password: String) -> Result<String, Error> {
    Ok(format!("{user}:{}", password.len()))
}

#[tokio::test(flavor = "current_thread")]
async fn neither_details_nor_skipped_parameters_are_recorded() {
    let emulator = common::emulator().await;
    let client = client(&emulator);
    let (recorder, _guard) = Recorder::install();
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator.approve(&request.id).unwrap();
    };
    let (result, ()) = tokio::join!(
        log_in(&client, "ada_lovelace".into(), "hunter2-secret".into()),
        reviewer
    );
    assert_eq!(result.unwrap(), "ada_lovelace:14");
    let everything = recorder.everything();
    assert!(
        everything.contains("decided"),
        "the call was recorded: {everything}"
    );
    assert!(!everything.contains("hunter2"), "{everything}");
    assert!(!everything.contains("ada_lovelace"), "{everything}");
}

#[checkpoint(client = client, skip(client), action = "process_refund", when = amount_cents >= 5_000)]
async fn refund(client: &Client, amount_cents: u64) -> Result<u64, Error> {
    Ok(amount_cents)
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_that_when_lets_through_says_why_it_was_not_gated() {
    let emulator = common::emulator().await;
    let (recorder, _guard) = Recorder::install();
    assert_eq!(refund(&client(&emulator), 120).await.unwrap(), 120);
    let recorded = recorder.0.lock().unwrap_or_else(PoisonError::into_inner);
    assert!(recorded.spans.is_empty(), "nothing waited");
    let [(_, event)] = recorded.events.as_slice() else {
        panic!("one event: {:?}", recorded.events);
    };
    assert_eq!(event["action"], "process_refund");
    assert_eq!(event["condition"], "amount_cents >= 5_000");
    assert!(message(event).starts_with("not gated"), "{event:?}");
    assert!(emulator.requests().is_empty());
}
