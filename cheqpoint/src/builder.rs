//! Configuration of a [`Client`]: the key, where the service is, and how long to wait.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use reqwest::{
    Url,
    header::{CONTENT_TYPE, HeaderMap, HeaderValue},
};

#[cfg(feature = "rules")]
use crate::policy::rules::Rules;
use crate::{
    Error, Journal, PollPolicy,
    secret::Secret,
    transport::{Transport, TransportSettings, retry::Backoff},
    wait::WaitSettings,
};

/// The hosted service.
pub const DEFAULT_BASE_URL: &str = "https://app.cheqpoint.co";
/// How many HTTP exchanges a client has in flight at once unless told otherwise.
const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 100;
/// How long a checkpoint waits for a decision unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
const USER_AGENT: &str = concat!("cheqpoint-rust/", env!("CARGO_PKG_VERSION"));

/// Builds a [`Client`](crate::Client).
///
/// ```
/// use std::time::Duration;
///
/// let client = cheqpoint::Client::builder()
///     .api_key("cq_test_123")
///     .base_url("http://127.0.0.1:8787")
///     .timeout(Duration::from_secs(600))
///     .build()?;
/// assert!(!format!("{client:?}").contains("cq_test_123"));
/// # Ok::<(), cheqpoint::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    api_key: Option<Secret>,
    base_url: String,
    timeout: Duration,
    http_timeout: Duration,
    connect_timeout: Duration,
    poll: Option<PollPolicy>,
    backoff: Backoff,
    create_attempts: u32,
    progress_interval: Duration,
    webhook_secrets: Vec<Secret>,
    callback_url: Option<String>,
    listen: Option<SocketAddr>,
    max_concurrent_requests: usize,
    allow_insecure_http: bool,
    journal: Option<Journal>,
    #[cfg(feature = "rules")]
    rules: Option<Arc<Rules>>,
}

/// A client's settings above its transport, as [`ClientBuilder`] checked them.
#[derive(Debug)]
pub(crate) struct Settings {
    /// How long a checkpoint waits for a decision unless its request says otherwise.
    pub(crate) timeout: Duration,
    pub(crate) wait: WaitSettings,
    pub(crate) secrets: Arc<[Secret]>,
    pub(crate) callback_url: Option<String>,
    pub(crate) listen: Option<SocketAddr>,
    pub(crate) journal: Option<Journal>,
    /// What decides `#[checkpoint]` calls before anyone is asked.
    #[cfg(feature = "rules")]
    pub(crate) rules: Option<Arc<Rules>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            http_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            poll: None,
            backoff: Backoff::default(),
            create_attempts: 3,
            progress_interval: Duration::from_secs(30),
            webhook_secrets: Vec::new(),
            callback_url: None,
            listen: None,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            allow_insecure_http: false,
            journal: None,
            #[cfg(feature = "rules")]
            rules: None,
        }
    }
}

impl ClientBuilder {
    /// The workspace's Connection Key (`cq_live_…` or `cq_test_…`). Required.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key));
        self
    }

    /// Where the service is; default [`DEFAULT_BASE_URL`]. Point it at an emulator in tests.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// How long a checkpoint waits for a decision before [`Error::Timeout`]; default 300 s. It
    /// bounds the whole call, sending included: no retry waits past it, and the last read, made
    /// at the deadline, may take at most the HTTP timeout (at most 1 s) more.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The limit on one HTTP exchange (the short-wait endpoint gets its wait on top); default 30 s.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// The limit on opening a connection; default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How often a wait reads the status; default [`PollPolicy::default`].
    pub fn poll(mut self, policy: PollPolicy) -> Self {
        self.poll = Some(policy);
        self
    }

    /// The pause before trying again after a failure that may pass (a 5xx, a reset, a refused
    /// connection): between half of and all of `first × 2ⁿ` after the n-th failure in a row
    /// (from 0), at most `max`, and never shorter than the server's `Retry-After`; default 200 ms
    /// growing to 5 s.
    pub fn retry_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = Backoff {
            base: first.min(max),
            max,
        };
        self
    }

    /// How many times a create is sent when the server cannot have processed it (connection
    /// refused, 429); default 3. Other failures of a create (a 503 included: a proxy may answer
    /// it after forwarding the request) are never retried, so a reviewer is never asked twice.
    pub fn create_attempts(mut self, attempts: u32) -> Self {
        self.create_attempts = attempts.max(1);
        self
    }

    /// How often a waiting call logs that it is still waiting (a `tracing` event naming the
    /// request); default 30 s.
    pub fn progress_interval(mut self, interval: Duration) -> Self {
        self.progress_interval = interval;
        self
    }

    /// A secret the service signs callbacks with (`x-cheqpoint-signature`); call again to accept
    /// several during a rotation. The built-in listener verifies callbacks with these.
    pub fn webhook_secret(mut self, secret: impl Into<String>) -> Self {
        self.webhook_secrets.push(Secret::new(secret));
        self
    }

    /// Decisions reach this client by callback at `url` (your route calls [`Client::deliver`](crate::Client::deliver), or
    /// the built-in listener answers there): each request carries it as its callback URL unless
    /// it names its own. Once a verified callback has reached the client, waits slow their
    /// polling to a safety net ([`PollPolicy::push_safety_net`]) for as long as callbacks keep
    /// announcing decisions.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Serves callbacks at `http://{bind}/cheqpoint/callbacks` from this process (started with the
    /// first request), verifies each with the [`webhook_secret`](Self::webhook_secret)s and wakes
    /// the wait on its request. The service must reach that address: behind a proxy, also set the
    /// public [`callback_url`](Self::callback_url).
    pub fn listen_for_callbacks(mut self, bind: SocketAddr) -> Self {
        self.listen = Some(bind);
        self
    }

    /// How many HTTP exchanges the client has in flight at once; more wait their turn. Default
    /// 100. It bounds the connections (and so the memory) of a process where thousands of calls
    /// wait at once. Status reads and creates are short, so a turn comes quickly; a
    /// [`request_sync`](crate::Client::request_sync) keeps its turn while the service holds the
    /// call (up to 10 s), so those take turns of their own (as many again), and never starve
    /// reads. A call whose turn does not come before its deadline is [`Error::Congested`].
    pub fn max_concurrent_requests(mut self, requests: usize) -> Self {
        self.max_concurrent_requests = requests.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        self
    }

    /// Lets the base URL be `http://` to a host that is not this machine. Without it, `build()`
    /// refuses such a URL: the API key would cross the network in clear.
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_insecure_http = true;
        self
    }

    /// Records each step of a checkpoint in `journal`, so that an operation makes at most one
    /// request and an approval runs at most once, across restarts and replicas (see
    /// [`Journal`]).
    pub fn journal(mut self, journal: Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Decides each `#[checkpoint]` call by `rules` before asking anyone, by its action and its
    /// parameters as sent: a call a rule allows runs at once, with the caller's values, and no
    /// request is made (a `tracing` event names the rule); one a rule denies fails with
    /// [`Error::Denied`] and no request; one a rule asks about is asked with the rule's risk,
    /// summary, read-only keys and timeout in place of the attribute's; a call no rule matches
    /// gets the table's default. Paths in the rules start at the process's working directory.
    ///
    /// ```
    /// use cheqpoint::policy::rules::{Decide, Rules};
    /// # fn rules() -> Result<Rules, Box<dyn std::error::Error>> {
    /// let rules: Rules = serde_json::from_value(serde_json::json!({
    ///     "default": "ask",
    ///     "rule": [{ "tool": "process_refund", "decide": "allow",
    ///                "where": { "amount_cents": { "max": 20000 } } }]
    /// }))?;
    /// # Ok(rules) }
    /// let client = cheqpoint::Client::builder().api_key("cq_test_123").rules(rules()?).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "rules")]
    pub fn rules(mut self, rules: Rules) -> Self {
        self.rules = Some(Arc::new(rules));
        self
    }

    /// The settings, checked: the transport and what the client keeps above it. What
    /// [`build`](Self::build) assembles a client from.
    pub(crate) fn checked(self) -> Result<(Transport, Settings), Error> {
        let api_key = self
            .api_key
            .filter(|key| !key.expose().trim().is_empty())
            .ok_or_else(|| {
                Error::Config("an API key is required (`.api_key(..)` or CHEQPOINT_API_KEY)".into())
            })?;
        // The URL is not echoed: a key pasted in its place would end up in the error.
        let base_url = Url::parse(self.base_url.trim_end_matches('/'))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .ok_or_else(|| {
                Error::Config(
                    "the base URL is not an http(s) URL such as https://app.cheqpoint.co".into(),
                )
            })?;
        if !base_url.username().is_empty() || base_url.password().is_some() {
            return Err(Error::Config(
                "the base URL carries credentials; the key goes in `.api_key(..)`".into(),
            ));
        }
        if base_url.scheme() == "http" && !self.allow_insecure_http && !is_loopback(&base_url) {
            return Err(Error::Config(
                "the base URL is http:// to another machine, so the API key would travel in \
                 clear: use https://, or call `.allow_insecure_http()` on a network you trust"
                    .into(),
            ));
        }
        if self
            .webhook_secrets
            .iter()
            .any(|secret| secret.expose().is_empty())
        {
            return Err(Error::Config(
                "a webhook secret is empty: anyone can sign with an empty key; give \
                 `.webhook_secret(..)` the workspace's secret"
                    .into(),
            ));
        }
        if self.listen.is_some_and(|bind| bind.ip().is_unspecified()) && self.callback_url.is_none()
        {
            return Err(Error::Config(
                "the callback listener is bound to every interface, so its own address is no \
                 URL the service can reach: set `.callback_url(..)` to the public URL that \
                 leads to it"
                    .into(),
            ));
        }
        if self.listen.is_some() && self.webhook_secrets.is_empty() {
            return Err(Error::Config(
                "the callback listener needs `.webhook_secret(..)`: unverified callbacks wake nothing".into(),
            ));
        }
        if [self.timeout, self.http_timeout, self.connect_timeout]
            .iter()
            .any(Duration::is_zero)
        {
            return Err(Error::Config("timeouts must be longer than zero".into()));
        }
        if self.poll.is_some_and(|poll| poll.is_zero()) || self.backoff.base.is_zero() {
            return Err(Error::Config(
                "poll gaps and retry backoff must be longer than zero".into(),
            ));
        }
        let push = self.callback_url.is_some() || self.listen.is_some();
        let mut key_header = HeaderValue::from_str(api_key.expose()).map_err(|_| {
            Error::Config("the API key holds characters a header cannot carry".into())
        })?;
        key_header.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", key_header);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let http = crate::http_client_builder()?
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(self.http_timeout)
            .connect_timeout(self.connect_timeout)
            // A redirect would carry the key (reqwest strips only `Authorization`) to a host that
            // could then answer for the service: a 3xx is an error instead.
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(self.max_concurrent_requests)
            .build()
            .map_err(|e| Error::Config(format!("the HTTP client could not be built: {e}")))?;
        let transport = Transport::new(
            http,
            TransportSettings {
                base_url,
                http_timeout: self.http_timeout,
                backoff: self.backoff,
                create_attempts: self.create_attempts,
                max_concurrent_requests: self.max_concurrent_requests,
            },
        );
        Ok((
            transport,
            Settings {
                timeout: self.timeout,
                wait: WaitSettings {
                    poll: self.poll.unwrap_or_default(),
                    progress_interval: self.progress_interval,
                    push,
                },
                secrets: self.webhook_secrets.into(),
                callback_url: self.callback_url,
                listen: self.listen,
                journal: self.journal,
                #[cfg(feature = "rules")]
                rules: self.rules,
            },
        ))
    }
}

/// True when `url` names this machine: a loopback address or `localhost`.
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let unbracketed = host.trim_start_matches('[').trim_end_matches(']');
    match unbracketed.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_missing_key_a_bad_url_and_a_zero_timeout() {
        assert!(matches!(
            ClientBuilder::default().build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            ClientBuilder::default().api_key("  ").build(),
            Err(Error::Config(_))
        ));
        let keyed = || ClientBuilder::default().api_key("k");
        for url in [
            "",
            "ftp://x",
            "not a url",
            "http://",
            "https://user:pw@app.cheqpoint.co",
        ] {
            assert!(
                matches!(keyed().base_url(url).build(), Err(Error::Config(_))),
                "{url}"
            );
        }
        assert!(matches!(
            keyed().timeout(Duration::ZERO).build(),
            Err(Error::Config(_))
        ));
        assert!(
            matches!(keyed().api_key("bad\nkey").build(), Err(Error::Config(m)) if !m.contains("bad"))
        );
    }

    #[test]
    fn refuses_what_would_expose_the_key_or_the_callbacks() {
        let keyed = || ClientBuilder::default().api_key("k");
        let refusal = |builder: ClientBuilder| match builder.build() {
            Err(Error::Config(message)) => message,
            other => panic!("built: {other:?}"),
        };
        let listening = |bind: &str| {
            keyed()
                .webhook_secret("whsec")
                .listen_for_callbacks(bind.parse().unwrap())
        };
        assert!(refusal(keyed().webhook_secret("")).contains("webhook secret is empty"));
        assert!(refusal(keyed().webhook_secret("a").webhook_secret("")).contains("empty"));
        for everywhere in ["0.0.0.0:8080", "[::]:8080"] {
            assert!(refusal(listening(everywhere)).contains(".callback_url(..)"));
        }
        listening("0.0.0.0:8080")
            .callback_url("https://agent.example.com/cheqpoint/callbacks")
            .build()
            .unwrap();
        for remote in [
            "http://app.cheqpoint.co",
            "http://10.0.0.5:8787",
            "http://[2001:db8::1]",
        ] {
            let message = refusal(keyed().base_url(remote));
            assert!(
                message.contains("allow_insecure_http"),
                "{remote}: {message}"
            );
            keyed()
                .base_url(remote)
                .allow_insecure_http()
                .build()
                .unwrap();
        }
        for local in [
            "http://127.0.0.1:8787",
            "http://localhost:8787",
            "http://[::1]:8787",
            "http://emulator.localhost",
            "https://app.cheqpoint.co",
        ] {
            keyed().base_url(local).build().unwrap();
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let builder = ClientBuilder::default()
            .api_key("cq_live_secret")
            .webhook_secret("whsec_hidden");
        let shown = format!("{builder:?}");
        assert!(!shown.contains("cq_live_secret") && !shown.contains("whsec_hidden"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("cq_live_secret"));
    }
}
