//! The one error type of the crate: every way a call can end without an approval.

use std::time::{Duration, SystemTime};

/// Everything that can stop an action from going ahead.
///
/// Only an approval read from the server lets a gated action run; every variant here means it did
/// not run. `Display` names the cause (status and message for the server, the approval id when one
/// is known) and never the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A reviewer (or a workspace rule, or the system) declined the action.
    #[error("{}", rejected_message(approval_id, note.as_deref(), reason_code.as_deref(), *auto_decided, *retryable))]
    Rejected {
        /// The id of the declined request.
        approval_id: String,
        /// The reviewer's note, when they left one.
        note: Option<String>,
        /// A machine-readable reason, when the server gave one.
        reason_code: Option<String>,
        /// True when a workspace rule decided, not a person.
        auto_decided: bool,
        /// The rule that decided, when `auto_decided`.
        rule_name: Option<String>,
        /// True when the system declined (expiry, no reviewer): the same action may be asked again.
        retryable: bool,
    },

    /// No decision came before the wait's upper bound. The request may still be pending on the
    /// server: `Client::wait` resumes waiting on `approval_id`.
    #[error("no decision on approval {approval_id} after {waited:?}; it may still be pending")]
    Timeout {
        /// The id of the request that is still undecided.
        approval_id: String,
        /// How long the call waited.
        waited: Duration,
    },

    /// The server answered with a non-2xx status.
    #[error("the Cheqpoint API answered {status}{}: {message}", for_approval(approval_id.as_deref()))]
    Api {
        /// The HTTP status code.
        status: u16,
        /// The server's `error` message, or a summary of the body when it had none.
        message: String,
        /// The raw body as received (cut at 4 KiB).
        body: String,
        /// The request the call was about, when one was known.
        approval_id: Option<String>,
    },

    /// The server could not be reached, or the connection failed before an answer was read.
    #[error("could not reach the Cheqpoint API{}: {message}", for_approval(approval_id.as_deref()))]
    Transport {
        /// What failed, in words.
        message: String,
        /// The request the call was about, when one was known.
        approval_id: Option<String>,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A create was sent and no answer came (the connection broke, or the answer did not come in
    /// time): the service may have recorded it, and a reviewer may be looking at it now. It was
    /// not sent again, so as not to ask twice; it has no id here.
    #[error(
        "a request may be waiting for a reviewer: it was sent to the Cheqpoint API but no answer came ({message}); look for it in the review inbox before asking again"
    )]
    CreateUnconfirmed {
        /// What failed, in words.
        message: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// Every turn among the client's `max_concurrent_requests` stayed taken until the call's
    /// deadline; the call's request was not sent.
    #[error(
        "all {max_concurrent_requests} of the client's concurrent request turns stayed taken until the call's deadline; raise `max_concurrent_requests` or the timeout"
    )]
    Congested {
        /// The client's limit.
        max_concurrent_requests: usize,
    },

    /// A 2xx answer whose body does not say what the protocol requires.
    #[error("the Cheqpoint API sent an unreadable answer{}: {reason}", for_approval(approval_id.as_deref()))]
    InvalidResponse {
        /// What is wrong with it.
        reason: String,
        /// The raw body as received (cut at 4 KiB).
        body: String,
        /// The request the call was about, when one was known.
        approval_id: Option<String>,
    },

    /// The server reported a status that is not pending, approved or rejected. Never an approval.
    #[error("approval {approval_id} has status {status:?}, which is not an approval")]
    UnknownStatus {
        /// The request concerned.
        approval_id: String,
        /// The status exactly as the server sent it.
        status: String,
    },

    /// The server's record holds `details` other than those this call sent: the approval was
    /// not for this call.
    #[error(
        "approval {approval_id} is for other details than this call sent; refusing to act on it"
    )]
    DetailsMismatch {
        /// The request concerned.
        approval_id: String,
    },

    /// The reviewer's edit of a parameter does not fit its type.
    #[error(
        "the reviewer's edit of `{parameter}` on approval {approval_id} does not fit its type: {message}"
    )]
    InvalidEdit {
        /// The parameter (the key of `details`) whose edit failed.
        parameter: String,
        /// The request concerned.
        approval_id: String,
        /// Why it does not fit.
        message: String,
    },

    /// A reviewer changed a parameter declared `readonly`.
    #[error("the reviewer changed `{parameter}` on approval {approval_id}, which is read-only")]
    ReadonlyChanged {
        /// The parameter that was changed.
        parameter: String,
        /// The request concerned.
        approval_id: String,
    },

    /// A value could not be turned into the request's `details`.
    #[error("could not send `{parameter}` for approval: {message}")]
    Serialize {
        /// The parameter (or `details`) that could not be serialized.
        parameter: String,
        /// Why.
        message: String,
    },

    /// A risk score outside 0.0..=1.0, or NaN.
    #[error("risk score {value} is outside 0.0..=1.0")]
    InvalidRisk {
        /// The value given.
        value: f64,
    },

    /// A blocking gated function was called on a current-thread runtime, where waiting would
    /// stall every task. (On a multi-thread runtime it waits through `block_in_place`.)
    #[error(
        "a blocking #[checkpoint] fn was called on a current-thread async runtime, which it would stall; make the fn `async` and `.await` it, or call it from a thread of its own (`std::thread::spawn`) or a multi-thread runtime"
    )]
    BlockingInRuntime,

    /// A client was built with an invalid setting.
    #[error("invalid cheqpoint client configuration: {0}")]
    Config(String),

    /// No global client: neither `cheqpoint::init` was called nor `CHEQPOINT_API_KEY` set.
    ///
    /// The call its message suggests, as written there:
    ///
    /// ```no_run
    /// # fn start(key: String) -> Result<(), cheqpoint::Error> {
    /// cheqpoint::init(cheqpoint::Client::new(key)?)?;
    /// # Ok(()) }
    /// ```
    #[error(
        "no cheqpoint client is configured: call `cheqpoint::init(cheqpoint::Client::new(key)?)?` at start-up, or set CHEQPOINT_API_KEY (and CHEQPOINT_BASE_URL for a local emulator)"
    )]
    NotConfigured,

    /// With a journal: the operation's approved run finished already. It is not run again.
    #[error("operation {key} already ran on approval {approval_id}; it is not run again")]
    AlreadyDone {
        /// The operation's key.
        key: String,
        /// The approval it ran on.
        approval_id: String,
        /// When its end was recorded.
        finished_at: SystemTime,
    },

    /// With a journal: a run of the operation started and never recorded its end (its process
    /// died inside the body). It is never run again silently: check what it did, then
    /// `Journal::forget` the key to ask again.
    #[error("the run of {} on approval {approval_id} started and never ended; it is not run again", operation(key.as_deref()))]
    Interrupted {
        /// The operation's key; `None` for a call without one.
        key: Option<String>,
        /// The approval it ran on.
        approval_id: String,
        /// When the run was claimed (or found interrupted).
        started_at: SystemTime,
    },

    /// With a journal: the operation is being asked or run by another live process (or another
    /// call of this one).
    #[error("{} is in progress in another call{}", operation(key.as_deref()), for_approval(approval_id.as_deref()))]
    InProgress {
        /// The operation's key; `None` for a call without one.
        key: Option<String>,
        /// The approval, once the request exists.
        approval_id: Option<String>,
    },

    /// The journal could not be read or written: the call stopped before the step the write
    /// guards, and the body did not run.
    #[error("the approval journal failed, so the call was stopped: {message}")]
    Journal {
        /// What the journal was doing.
        message: String,
        /// The database's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// `cheqpoint::init` was called a second time.
    #[error("cheqpoint::init was called more than once; the first client stays in use")]
    AlreadyInitialized,

    /// A rule the client holds refused the call: nobody was asked and nothing ran.
    #[error("{action} was refused by {rule}: {reason}; nobody was asked and nothing ran")]
    Denied {
        /// The action refused.
        action: String,
        /// The rule that refused it, in words (`rule 3 (line 12)`).
        rule: String,
        /// The rule's reason, or what it says of the call when it gives none.
        reason: String,
    },

    /// A reviewer's edit of a grant request widened the grant, or was no grant: nothing was
    /// granted.
    #[error("approval {approval_id} grants nothing: {reason}")]
    GrantRefused {
        /// The grant request.
        approval_id: String,
        /// What the edit widened, or why it is no grant.
        reason: String,
    },
}

impl Error {
    /// The approval id the error is about, when one is known.
    pub fn approval_id(&self) -> Option<&str> {
        match self {
            Error::Rejected { approval_id, .. }
            | Error::Timeout { approval_id, .. }
            | Error::UnknownStatus { approval_id, .. }
            | Error::DetailsMismatch { approval_id }
            | Error::InvalidEdit { approval_id, .. }
            | Error::ReadonlyChanged { approval_id, .. }
            | Error::AlreadyDone { approval_id, .. }
            | Error::GrantRefused { approval_id, .. }
            | Error::Interrupted { approval_id, .. } => Some(approval_id),
            Error::Api { approval_id, .. }
            | Error::Transport { approval_id, .. }
            | Error::InvalidResponse { approval_id, .. }
            | Error::InProgress { approval_id, .. } => approval_id.as_deref(),
            _ => None,
        }
    }

    /// True for a rejection.
    pub fn is_rejected(&self) -> bool {
        matches!(self, Error::Rejected { .. })
    }

    /// True for a wait that ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Records the approval id on an error that can carry one and has none yet.
    pub(crate) fn with_approval_id(mut self, id: &str) -> Self {
        if let Error::Api { approval_id, .. }
        | Error::Transport { approval_id, .. }
        | Error::InvalidResponse { approval_id, .. } = &mut self
        {
            approval_id.get_or_insert_with(|| id.to_owned());
        }
        self
    }
}

/// The error for a 2xx answer that does not say what the protocol requires.
pub(crate) fn invalid_response(reason: String, body: &[u8]) -> Error {
    Error::InvalidResponse {
        reason,
        body: body_excerpt(body),
        approval_id: None,
    }
}

/// The most of a raw body kept inside an error.
const MAX_BODY_IN_ERROR: usize = 4 << 10;

/// The start of a raw body, as an error shows it.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_BODY_IN_ERROR)]);
    text.into_owned()
}

fn for_approval(id: Option<&str>) -> String {
    id.map(|id| format!(" for approval {id}"))
        .unwrap_or_default()
}

/// An operation in words: its key, or "the operation" for a call without one.
fn operation(key: Option<&str>) -> String {
    key.map_or_else(|| "the operation".into(), |key| format!("operation {key}"))
}

fn rejected_message(
    id: &str,
    note: Option<&str>,
    reason_code: Option<&str>,
    auto_decided: bool,
    retryable: bool,
) -> String {
    let who = crate::policy::Decider::of(auto_decided, retryable).name();
    let mut message = format!("approval {id} was rejected by {who}");
    if let Some(code) = reason_code {
        message.push_str(&format!(" ({code})"));
    }
    if let Some(note) = note {
        message.push_str(&format!(": {note}"));
    }
    if retryable {
        message.push_str("; the action may be requested again");
    }
    message
}
