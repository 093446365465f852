//! The process-wide client that `#[checkpoint]` functions use unless given one.
//!
//! The client given to [`init`] and the one built from the environment are kept apart, so the
//! order of start-up cannot lose a configuration: a gated call that runs before `init` uses the
//! environment's client (and says so once, at `warn`), and `init` afterwards still takes over.

use once_cell::sync::OnceCell;

use crate::{Client, Error};

/// The client given to [`init`].
static GIVEN: OnceCell<Client> = OnceCell::new();
/// The client built from the environment for calls made while none was given.
static FROM_ENV: OnceCell<Client> = OnceCell::new();

/// Sets the client that `#[checkpoint]` functions use from now on. Call it once, at start-up; a
/// second call returns [`Error::AlreadyInitialized`] and keeps the first client. Gated calls made
/// before it used a client built from the environment (see [`global`]); from this call on, they
/// use this one.
pub fn init(client: Client) -> Result<(), Error> {
    GIVEN.set(client).map_err(|_| Error::AlreadyInitialized)
}

/// The client given to [`init`]; until then, one built once from the environment when
/// `CHEQPOINT_API_KEY` (or `CHEQPOINT_CONNECTION_KEY`) is set; else [`Error::NotConfigured`].
pub fn global() -> Result<&'static Client, Error> {
    if let Some(client) = GIVEN.get() {
        return Ok(client);
    }
    FROM_ENV.get_or_try_init(|| {
        let client = Client::from_env()?;
        crate::observe::global_from_env();
        Ok(client)
    })
}
