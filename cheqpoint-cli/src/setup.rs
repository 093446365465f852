//! What both commands start from: the `cheqpoint` client configured as usual
//! (`CHEQPOINT_API_KEY`, `CHEQPOINT_BASE_URL`) with its journal — SQLite by default in the
//! user's data directory, or PostgreSQL with a `postgres://` URL.

use std::path::PathBuf;

use cheqpoint::{Client, Journal};

/// Why a command could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// Neither `CHEQPOINT_API_KEY` nor `CHEQPOINT_CONNECTION_KEY` is set.
    #[error("no API key: set CHEQPOINT_API_KEY (and CHEQPOINT_BASE_URL for a local emulator)")]
    NoApiKey,
    /// The client refused its settings (a base URL that is not one, say).
    #[error("the client cannot be built: {0}")]
    Client(cheqpoint::Error),
    /// The journal's database could not be opened.
    #[error("the journal cannot be opened: {0}")]
    Journal(cheqpoint::Error),
    /// The journal's folder could not be made.
    #[error("cannot create {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No `--journal` and no home to keep the default one in.
    #[error("no data directory (HOME is unset): give --journal PATH")]
    NoDataDirectory,
}

/// A client from the environment, with `journal`; and the base URL it asks at.
pub fn client(journal: Journal) -> Result<(Client, String), SetupError> {
    let key = ["CHEQPOINT_API_KEY", "CHEQPOINT_CONNECTION_KEY"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|key| !key.is_empty()))
        .ok_or(SetupError::NoApiKey)?;
    let base_url = std::env::var("CHEQPOINT_BASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| cheqpoint::DEFAULT_BASE_URL.to_owned());
    let client = Client::builder()
        .api_key(key)
        .base_url(&base_url)
        .journal(journal)
        .build()
        .map_err(SetupError::Client)?;
    Ok((client, base_url))
}

/// The journal at `spec`: a `postgres://` (or `postgresql://`) URL, a file path, or by default
/// `cheqpoint/journal.db` in the user's data directory.
pub async fn journal(spec: Option<&str>) -> Result<Journal, SetupError> {
    let fail = SetupError::Journal;
    match spec {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Journal::postgres(url).await.map_err(fail)
        }
        spec => {
            let path = match spec {
                Some(path) => PathBuf::from(path),
                None => default_journal_path()?,
            };
            if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(folder).map_err(|source| SetupError::Folder {
                    path: folder.to_owned(),
                    source,
                })?;
            }
            Journal::sqlite(&path).map_err(fail)
        }
    }
}

/// `$XDG_DATA_HOME/cheqpoint/journal.db`, else `~/.local/share/…` (`~/Library/Application
/// Support/…` on macOS, `%APPDATA%\…` on Windows).
fn default_journal_path() -> Result<PathBuf, SetupError> {
    let from = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let data = if cfg!(windows) {
        from("APPDATA")
    } else if cfg!(target_os = "macos") {
        from("HOME").map(|home| home.join("Library/Application Support"))
    } else {
        from("XDG_DATA_HOME").or_else(|| from("HOME").map(|home| home.join(".local/share")))
    };
    data.map(|folder| folder.join("cheqpoint").join("journal.db"))
        .ok_or(SetupError::NoDataDirectory)
}
