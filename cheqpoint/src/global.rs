//! The process-wide client that `#[checkpoint]` functions use unless given one.

use once_cell::sync::OnceCell;

use crate::{Client, Error};

static GLOBAL: OnceCell<Client> = OnceCell::new();

/// Sets the client that `#[checkpoint]` functions use. Call it once, at start-up;
/// a second call returns [`Error::AlreadyInitialized`] and keeps the first client.
pub fn init(client: Client) -> Result<(), Error> {
    GLOBAL.set(client).map_err(|_| Error::AlreadyInitialized)
}

/// The client given to [`init`]; else one built once from the environment when
/// `CHEQPOINT_API_KEY` (or `CHEQPOINT_CONNECTION_KEY`) is set; else [`Error::NotConfigured`].
pub fn global() -> Result<&'static Client, Error> {
    GLOBAL.get_or_try_init(Client::from_env)
}
