//! Waiting for a person's decision: the wait loop ([`Waiter`]) every waiting operation of
//! [`Client`](crate::Client) runs, reading through the [`Transport`] below it; its schedule of
//! reads ([`poll`]), the wake-ups callbacks bring ([`push`]), the callbacks themselves and their
//! signatures ([`callback`]), and the built-in receiver ([`listener`]).

pub(crate) mod callback;
pub(crate) mod listener;
mod poll;
mod push;

use std::time::{Duration, Instant};

use serde_json::Value;

pub use poll::PollPolicy;
use poll::Schedule;
pub(crate) use push::Waits;

use crate::{
    Approval, Approved, Error, Status,
    json_eq::same_json,
    observe,
    transport::{Transport, after, retry},
};

/// The longest the service holds a short-wait request open.
pub(crate) const MAX_SERVER_WAIT: Duration = Duration::from_secs(10);

/// What a client's waits are told by its builder.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaitSettings {
    /// The pace of reads.
    pub(crate) poll: PollPolicy,
    /// How often a wait that goes on says so.
    pub(crate) progress_interval: Duration,
    /// Decisions are expected by callback: waits skip reads they do not need.
    pub(crate) push: bool,
}

/// The details a request was sent with, as a wait holds them to compare with the record's: as
/// given, as their JSON text (a tenth of the memory, for a wait that may be long), or none.
#[derive(Clone, Copy)]
pub(crate) enum SentDetails<'a> {
    Nothing,
    Tree(&'a Value),
    Text(&'a str),
}

/// Details held as their JSON text, read back into a tree.
pub(crate) fn details_from_text(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::Serialize {
        parameter: "details".into(),
        message: e.to_string(),
    })
}

/// How a wait ended when no error stopped it.
pub(crate) enum Waited {
    Decided(Box<Approval>),
    StillPending,
}

/// What a wait needs of its client: the transport it reads through, its settings, and the
/// waits that callbacks wake.
#[derive(Clone, Copy)]
pub(crate) struct Waiter<'a> {
    transport: &'a Transport,
    settings: &'a WaitSettings,
    waits: &'a Waits,
}

impl<'a> Waiter<'a> {
    pub(crate) fn new(
        transport: &'a Transport,
        settings: &'a WaitSettings,
        waits: &'a Waits,
    ) -> Waiter<'a> {
        Waiter {
            transport,
            settings,
            waits,
        }
    }

    /// The transport the waits read through.
    pub(crate) fn transport(&self) -> &'a Transport {
        self.transport
    }

    /// Whether the first read of a request just answered with `status` is made at once: with
    /// push, a pending request is not read again until a callback or the first gap says so; a
    /// decision made at creation (by a workspace rule) is read at once.
    pub(crate) fn reads_first(&self, status: Status) -> bool {
        !self.settings.push || status != Status::Pending
    }

    /// Waits for the decision on `approval_id` until `timeout` after `started`: `Ok` only for an
    /// approval of the `sent` details (unless `Nothing`).
    pub(crate) async fn until_decided(
        &self,
        approval_id: &str,
        started: Instant,
        timeout: Duration,
        sent: SentDetails<'_>,
        read_first: bool,
    ) -> Result<Approved, Error> {
        match self
            .poll(approval_id, after(started, timeout), read_first)
            .await?
        {
            Waited::Decided(approval) if approval.status == Status::Approved => {
                let read_back;
                let sent = match sent {
                    SentDetails::Nothing => None,
                    SentDetails::Tree(tree) => Some(tree),
                    SentDetails::Text(text) => {
                        read_back = details_from_text(text)?;
                        Some(&read_back)
                    }
                };
                if let (Some(sent), Some(held)) = (sent, &approval.details)
                    && !same_json(sent, held)
                {
                    return Err(Error::DetailsMismatch {
                        approval_id: approval.id,
                    });
                }
                Ok(Approved::from_record(*approval, sent))
            }
            Waited::Decided(approval) => Err(approval.rejection()),
            Waited::StillPending => Err(Error::Timeout {
                approval_id: approval_id.to_owned(),
                waited: started.elapsed(),
            }),
        }
    }

    /// Reads the status (at once when `read_first`, else after the first gap), then on the poll
    /// schedule, until it is decided or `deadline` passes.
    ///
    /// With push, a callback for the request ([`Client::deliver`](crate::Client::deliver), or
    /// the built-in listener) cuts the current gap short. While verified callbacks are seen to
    /// reach this client, gaps follow the safety net ([`PollPolicy::push_safety_net`]);
    /// otherwise, and from the moment a read finds a decision no callback announced, they follow
    /// the polling schedule, so push never leaves a decision unseen for longer than polling would
    /// (but for the wait whose callback went missing, which finds it at its next safety-net
    /// read).
    ///
    /// Transient failures (resets, 5xx, 429) are ridden out with backoff; the last one is
    /// returned if the deadline comes first, or at once when the server's `Retry-After` reaches
    /// past the deadline. No pause runs past the deadline, and the read made there may take at
    /// most [`last_read_grace`](Transport::last_read_grace) more, so a wait never overruns its
    /// timeout by more than that. A dropped future stops reading at once: nothing runs in the
    /// background.
    pub(crate) async fn poll(
        &self,
        approval_id: &str,
        deadline: Instant,
        read_first: bool,
    ) -> Result<Waited, Error> {
        let Waiter {
            transport,
            settings,
            waits,
        } = *self;
        let trusting = || settings.push && waits.trusted();
        let read_limit = after(deadline, transport.last_read_grace());
        let mut registration = waits.register_if(settings.push, approval_id);
        let mut schedule = Schedule::new(&settings.poll);
        let mut pause = (!read_first).then(|| Pause::gap(&mut schedule, trusting()));
        let mut failures = 0;
        // Boxed: every pending wait holds the slot, and an error is rarely in it.
        let mut last_error: Option<Box<Error>> = None;
        let polling_since = Instant::now();
        let mut next_progress = after(polling_since, settings.progress_interval);
        loop {
            if let Some(Pause { length, polling }) = pause {
                let now = Instant::now();
                if now >= deadline {
                    return out_of_time(last_error, approval_id);
                }
                if now >= next_progress {
                    observe::still_awaiting(approval_id, now - polling_since);
                    next_progress = now + settings.progress_interval;
                }
                // Woken early by a callback, or at the end of the gap.
                let callback = async {
                    match &mut registration {
                        Some(registration) => registration.woken().await,
                        None => std::future::pending().await,
                    }
                };
                let woken = tokio::time::timeout(length.min(deadline - now), callback)
                    .await
                    .is_ok();
                if !woken && polling && trusting() {
                    // Callbacks began to reach this client during the gap: this wait's will too.
                    pause = Some(Pause::gap(&mut schedule, true));
                    continue;
                }
            }
            // Boxed: a wait holds the read's state only while it reads, not while it pauses.
            let read = Box::pin(transport.read(approval_id, read_limit));
            let Ok(read) = tokio::time::timeout_at(read_limit.into(), read).await else {
                return out_of_time(last_error, approval_id);
            };
            pause = Some(match read {
                Ok(approval) if approval.status != Status::Pending => {
                    if settings.push
                        && pause.is_some()
                        && !registration.as_ref().is_some_and(|r| r.announced())
                    {
                        waits.distrust();
                    }
                    return Ok(Waited::Decided(Box::new(approval)));
                }
                Ok(_) => {
                    failures = 0;
                    last_error = None;
                    Pause::gap(&mut schedule, trusting())
                }
                Err(failure) if !retry::may_retry_read(failure.kind) => {
                    return Err(failure.error.with_approval_id(approval_id));
                }
                Err(failure) => {
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    if failure.retry_after.is_some_and(|after| after >= remaining) {
                        // The server asks not to be asked again before the deadline.
                        return Err(failure.error.with_approval_id(approval_id));
                    }
                    failures += 1;
                    let delay = transport.backoff().delay(failures - 1, failure.retry_after);
                    observe::retrying("status read", &failure.error, delay);
                    last_error = Some(Box::new(failure.error));
                    Pause {
                        length: delay,
                        polling: false,
                    }
                }
            });
        }
    }
}

/// A pause before the next read.
#[derive(Clone, Copy)]
struct Pause {
    length: Duration,
    /// A gap of the polling schedule (not the safety net's, nor a retry's backoff).
    polling: bool,
}

impl Pause {
    /// The next gap of `schedule`.
    fn gap(schedule: &mut Schedule<'_>, trusting: bool) -> Pause {
        Pause {
            length: schedule.next_gap(trusting),
            polling: !trusting,
        }
    }
}

/// How a wait ends at its deadline: the last failure when the last read failed, else pending.
fn out_of_time(last_error: Option<Box<Error>>, approval_id: &str) -> Result<Waited, Error> {
    match last_error {
        Some(error) => Err(error.with_approval_id(approval_id)),
        None => Ok(Waited::StillPending),
    }
}
