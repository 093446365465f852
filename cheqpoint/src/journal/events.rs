//! The journal's `tracing` events, each with the operation's key (empty without one) and the
//! approval id: a call re-attached to a request, is claiming or claimed a run, found a run
//! interrupted, found it done, sent a create again. Compiled to nothing without the `tracing` feature.

/// What the journal reports.
#[derive(Clone, Copy)]
pub(crate) enum Event {
    /// A call found its operation's request and waits on it instead of asking again.
    Reattached,
    /// A call read an approval and is about to claim its run.
    Claiming,
    /// A call claimed an approved run: its body runs next.
    Claimed,
    /// A run started and never recorded its end.
    Interrupted,
    /// A run finished already; the call does not run it again.
    AlreadyDone,
    /// A create whose id was never recorded is sent again, with the same `Idempotency-Key`.
    Resent,
}

/// Reports `event` on the operation of `key` and `approval_id`.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn report(event: Event, key: Option<&str>, approval_id: Option<&str>) {
    #[cfg(feature = "tracing")]
    {
        let key = key.unwrap_or_default();
        let approval_id = approval_id.unwrap_or_default();
        match event {
            Event::Reattached => tracing::info!(
                key,
                approval_id,
                "re-attached to approval {approval_id} (journal)"
            ),
            Event::Claiming => tracing::info!(
                key,
                approval_id,
                "approval {approval_id} read; claiming its run"
            ),
            Event::Claimed => {
                tracing::info!(
                    key,
                    approval_id,
                    "claimed the run of approval {approval_id}"
                )
            }
            Event::Interrupted => tracing::warn!(
                key,
                approval_id,
                "the run of approval {approval_id} started and never ended; not running it again"
            ),
            Event::AlreadyDone => tracing::info!(
                key,
                approval_id,
                "approval {approval_id} already ran; not running it again"
            ),
            Event::Resent => tracing::warn!(
                key,
                "a create whose id was never recorded is sent again with its Idempotency-Key"
            ),
        }
    }
}
