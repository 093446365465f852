//! Push wake-up: the client serves callbacks on a free loopback port, verifies them with the
//! secret the emulator signs with, and wakes the matching wait (which confirms with one read).
//! Or, to measure push when callbacks never arrive, it advertises a URL nothing listens on.

use cheqpoint::ClientBuilder;

/// The secret the emulator signs callbacks with and the push client verifies them with.
pub const WEBHOOK_SECRET: &str = "whsec_bench";

/// A callback URL on a port of this machine where nothing listens (the discard port).
const UNREACHABLE: &str = "http://127.0.0.1:9/cheqpoint/callbacks";

/// `builder`, set to serve callbacks on a free loopback port and verify them with the bench's
/// secret; or, when `lost`, to advertise a callback URL no callback can reach.
pub fn client_builder(builder: ClientBuilder, lost: bool) -> ClientBuilder {
    if lost {
        builder.callback_url(UNREACHABLE)
    } else {
        builder
            .webhook_secret(WEBHOOK_SECRET)
            .listen_for_callbacks(([127, 0, 0, 1], 0).into())
    }
}
