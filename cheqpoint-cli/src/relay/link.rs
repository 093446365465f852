//! A side of a session (the client, or the upstream server) as two channels of JSON values,
//! whatever its transport: what to send it, and what it sent, ending with why it ended.

use serde_json::Value;
use tokio::sync::mpsc;

/// How many messages wait in a channel before the sender waits.
pub(super) const DEPTH: usize = 256;

/// What a side sent.
#[derive(Debug)]
pub(super) enum Event {
    /// One message (or batch), as it came.
    Message(Value),
    /// The side is gone, and why, in words for the client.
    Ended(String),
}

/// One side of a session.
#[derive(Debug)]
pub(super) struct Link {
    /// Messages to send to this side, in order.
    pub(super) outbox: mpsc::Sender<Value>,
    /// What this side sent; after [`Event::Ended`] (or the channel's end) nothing more comes.
    pub(super) inbox: mpsc::Receiver<Event>,
}

impl Link {
    /// A link and the transport's ends of its two channels.
    pub(super) fn pair() -> (Link, mpsc::Receiver<Value>, mpsc::Sender<Event>) {
        let (outbox, outgoing) = mpsc::channel(DEPTH);
        let (incoming, inbox) = mpsc::channel(DEPTH);
        (Link { outbox, inbox }, outgoing, incoming)
    }
}
