//! [`RequestWatch`]: the id of the request a waiting call asks with, for whoever shows the wait
//! (a gateway's progress reports, a hook's log) without reading the journal.

use std::{
    fmt,
    sync::{Arc, OnceLock},
};

/// Learns the id of the request a call asks with (or re-attaches to) as soon as it is known.
/// Handed to [`ApprovalRequest::watch`](crate::ApprovalRequest::watch); cheap to clone, every
/// clone sees the same id.
///
/// ```
/// let watch = cheqpoint::RequestWatch::new();
/// let request = cheqpoint::ApprovalRequest::new("deploy", "Deploy v2").watch(&watch);
/// assert_eq!(watch.approval_id(), None); // until the request is created
/// # drop(request);
/// ```
#[derive(Clone, Default)]
pub struct RequestWatch(Arc<OnceLock<String>>);

impl RequestWatch {
    /// A watch that knows no id yet.
    pub fn new() -> RequestWatch {
        RequestWatch::default()
    }

    /// The request's id, once the call has one.
    pub fn approval_id(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }

    /// Records the id; the first one stays.
    pub(crate) fn saw(&self, approval_id: &str) {
        let _ = self.0.set(approval_id.to_owned());
    }
}

impl fmt::Debug for RequestWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequestWatch")
            .field(&self.approval_id())
            .finish()
    }
}

/// Two requests are equal whatever watches them.
impl PartialEq for RequestWatch {
    fn eq(&self, _: &RequestWatch) -> bool {
        true
    }
}
