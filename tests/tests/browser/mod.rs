//! Headless Chromium for browser tests, driven over WebDriver: `chromedriver` on a free port, a
//! fresh profile, a 1280×900 window, no proxy, [`REBOUND_HOST`] resolved to 127.0.0.1; both processes and the profile go away at the end, also
//! when the test fails. Where Chromium is not installed, the harness reports the tests ignored
//! (or fails them on CI) before they start: see [`CHROMIUM`].

use std::future::Future;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::harness::Needs;

const CHROMIUM_BINARY: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What the browser tests need: Debian's Chromium and its WebDriver.
pub(crate) const CHROMIUM: Needs = Needs {
    what: "Chromium or chromedriver",
    installed: || Path::new(CHROMIUM_BINARY).exists() && Path::new(CHROMEDRIVER).exists(),
    packages: "chromium chromium-driver",
};

/// A name the browser resolves to 127.0.0.1, as an attacker's domain does after DNS rebinding:
/// a page of it is then same-origin with whatever listens on that port of the machine.
pub const REBOUND_HOST: &str = "rebound.test";

/// Runs `scenario` against a fresh headless Chromium, then closes the browser and stops
/// `chromedriver` whatever the outcome; a failure of the scenario fails the test afterwards.
pub async fn with_browser<F: Future<Output = ()>>(scenario: impl FnOnce(Client) -> F) {
    let driver = Driver::start();
    let page = driver.session().await;
    let outcome = AssertUnwindSafe(scenario(page.clone()))
        .catch_unwind()
        .await;
    // Ends the session, which quits Chromium; `driver` then stops chromedriver.
    let _ = page.close().await;
    drop(driver);
    if let Err(failure) = outcome {
        panic::resume_unwind(failure);
    }
}

/// Makes the page match `prefers-color-scheme: dark` (or light), through the DevTools protocol
/// that chromedriver relays.
pub async fn prefer_dark(page: &Client, dark: bool) {
    let scheme = if dark { "dark" } else { "light" };
    page.issue_cmd(DevTools {
        method: "Emulation.setEmulatedMedia",
        params: json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
    })
    .await
    .unwrap_or_else(|error| panic!("cannot emulate a {scheme} colour scheme: {error}"));
}

/// A DevTools protocol call, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct DevTools {
    method: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        let body = json!({"cmd": self.method, "params": self.params});
        (Method::POST, Some(body.to_string()))
    }
}

/// A web server of the test's own on `127.0.0.1` and a free port, serving `router` until dropped:
/// another origin than the emulator's.
pub struct Site {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Site {
    pub async fn start(router: axum::Router) -> Site {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("a bound address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("the site serves");
        });
        Site { url, task }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A running `chromedriver` and the profile folder its Chromium uses.
struct Driver {
    process: Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let profile =
            std::env::temp_dir().join(format!("cheqpoint-browser-{}-{port}", std::process::id()));
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {CHROMEDRIVER}: {error}"));
        let driver = Driver {
            process,
            port,
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        driver
    }

    /// A new browser session: headless Chromium with a fresh profile and a 1280×900 window.
    async fn session(&self) -> Client {
        let options = json!({
            "binary": CHROMIUM_BINARY,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", self.profile.display()), "--window-size=1280,900",
                "--no-proxy-server", format!("--host-resolver-rules=MAP {REBOUND_HOST} 127.0.0.1"),
            ],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|error| panic!("cannot start a Chromium session: {error}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
