//! Push wake-up: the client serves callbacks on a free loopback port, verifies them with the
//! secret the emulator signs with, and wakes the matching wait (which confirms with one read).

use cheqpoint::ClientBuilder;

use crate::agent::WEBHOOK_SECRET;

/// `builder`, set to serve callbacks on a free loopback port and verify them with the bench's
/// secret.
pub fn client_builder(builder: ClientBuilder) -> ClientBuilder {
    builder
        .webhook_secret(WEBHOOK_SECRET)
        .listen_for_callbacks(([127, 0, 0, 1], 0).into())
}
