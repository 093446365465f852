//! A streamable-HTTP upstream (`--upstream URL`), as the MCP spec's client: each message is
//! POSTed with `Accept: application/json, text/event-stream`; an answer comes as one JSON body
//! or as a stream of server-sent events; the session id the server gives (`Mcp-Session-Id`) and
//! the protocol version it agreed (`MCP-Protocol-Version`) go with every later request; the GET
//! stream carries what the server sends unasked; a stream cut before its answers came is
//! resumed with `Last-Event-ID` where the server numbers its events.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use futures_util::StreamExt;
use reqwest::{
    StatusCode,
    header::{ACCEPT, CONTENT_TYPE, HeaderValue},
};
use serde_json::Value;
use sse_stream::SseStream;
use tokio::sync::mpsc;

use super::{
    link::{Event, Link},
    message::{self, Kind},
};

const SESSION_ID: &str = "mcp-session-id";
const PROTOCOL_VERSION: &str = "mcp-protocol-version";
const LAST_EVENT_ID: &str = "last-event-id";
const EVENT_STREAM: &str = "text/event-stream";

/// How many times in a row a cut stream is resumed before its answers are given up.
const MOST_RESUMPTIONS: usize = 5;

/// The upstream at `url`; nothing is sent before the client's first message.
pub(super) fn connect(url: &str) -> Link {
    let (link, outgoing, incoming) = Link::pair();
    let built = cheqpoint::http_client_builder()
        .map_err(|error| error.to_string())
        .and_then(|builder| builder.build().map_err(|error| error.to_string()));
    let http = match built {
        Ok(http) => http,
        Err(error) => {
            let why = format!("no HTTP client for the upstream server {url}: {error}");
            let _ = incoming.try_send(Event::Ended(why));
            return link;
        }
    };
    let upstream = Arc::new(Upstream {
        http,
        url: url.to_owned(),
        session: Mutex::default(),
        version: Mutex::default(),
        incoming,
    });
    tokio::spawn(upstream.run(outgoing));
    link
}

#[derive(Debug)]
struct Upstream {
    http: reqwest::Client,
    url: String,
    /// The session id the server gave in its answer to `initialize`.
    session: Mutex<Option<HeaderValue>>,
    /// The protocol version the server agreed in its answer to `initialize`.
    version: Mutex<Option<HeaderValue>>,
    incoming: mpsc::Sender<Event>,
}

impl Upstream {
    /// Sends each message the session gives, in order: a message carrying a request is sent in
    /// a task of its own (its answer may take as long as the tool), the others in turn; after
    /// `notifications/initialized`, the GET stream opens. When the session ends, so does the
    /// server's.
    async fn run(self: Arc<Self>, mut outgoing: mpsc::Receiver<Value>) {
        while let Some(message) = outgoing.recv().await {
            let initialize =
                message::requests(&message).any(|(_, method, _)| method == "initialize");
            let initialized = matches!(
                message::kind(&message),
                Kind::Notification {
                    method: "notifications/initialized"
                }
            );
            let ids: Vec<Value> = message::requests(&message)
                .map(|(id, ..)| id.clone())
                .collect();
            if ids.is_empty() || initialize {
                self.clone().post(message, ids).await;
            } else {
                tokio::spawn(self.clone().post(message, ids));
            }
            if initialized {
                tokio::spawn(self.clone().listen());
            }
        }
        let session = self.header(&self.session);
        if let Some(session) = session {
            let _ = self
                .http
                .delete(&self.url)
                .header(SESSION_ID, session)
                .send()
                .await;
        }
    }

    fn header(&self, slot: &Mutex<Option<HeaderValue>>) -> Option<HeaderValue> {
        slot.lock().ok().and_then(|value| value.clone())
    }

    fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, &self.url);
        if let Some(session) = self.header(&self.session) {
            request = request.header(SESSION_ID, session);
        }
        if let Some(version) = self.header(&self.version) {
            request = request.header(PROTOCOL_VERSION, version);
        }
        request
    }

    /// POSTs one message (or batch); the requests in it (`ids`) are answered with an error
    /// saying why when no answer can come.
    async fn post(self: Arc<Self>, message: Value, ids: Vec<Value>) {
        let body = match serde_json::to_vec(&message) {
            Ok(body) => body,
            Err(error) => {
                return self
                    .fail(&ids, format!("the message cannot be sent: {error}"))
                    .await;
            }
        };
        let sent = self
            .request(reqwest::Method::POST)
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                let why = format!(
                    "the upstream server {} could not be reached: {error}",
                    self.url
                );
                return self.fail(&ids, why).await;
            }
        };
        if let Some(session) = response.headers().get(SESSION_ID)
            && let Ok(mut slot) = self.session.lock()
        {
            *slot = Some(session.clone());
        }
        let status = response.status();
        if status == StatusCode::ACCEPTED {
            return;
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let why = format!(
                "the upstream server {} answered HTTP {status}: {}",
                self.url,
                body.trim()
            );
            return self.fail(&ids, why).await;
        }
        let mut waiting: HashSet<String> = ids.iter().map(message::id_key).collect();
        if is_event_stream(&response) {
            self.read_events(response, &mut waiting).await;
        } else {
            match response.json::<Value>().await {
                Ok(answer) => {
                    forget_answered(&answer, &mut waiting);
                    self.deliver(answer).await;
                }
                Err(error) => {
                    let why = format!(
                        "the upstream server {} answered with no JSON: {error}",
                        self.url
                    );
                    return self.fail(&ids, why).await;
                }
            }
        }
        let unanswered: Vec<Value> = ids
            .into_iter()
            .filter(|id| waiting.contains(&message::id_key(id)))
            .collect();
        let why = format!(
            "the upstream server {} closed the stream before answering",
            self.url
        );
        self.fail(&unanswered, why).await;
    }

    /// The GET stream: what the server sends unasked, for as long as it keeps it open (resumed
    /// where it numbers its events). A server that offers none says 405.
    async fn listen(self: Arc<Self>) {
        let mut none = HashSet::new();
        let opened = self
            .request(reqwest::Method::GET)
            .header(ACCEPT, EVENT_STREAM)
            .send()
            .await;
        if let Ok(response) = opened
            && response.status().is_success()
            && is_event_stream(&response)
        {
            self.read_events(response, &mut none).await;
        }
    }

    /// Delivers each event of an SSE answer; when the stream is cut while answers to `waiting`
    /// are due and the server numbers its events, asks for the rest with `Last-Event-ID`.
    async fn read_events(&self, mut response: reqwest::Response, waiting: &mut HashSet<String>) {
        let mut last_event = None;
        for _ in 0..=MOST_RESUMPTIONS {
            let body = http::Response::<reqwest::Body>::from(response).into_body();
            let mut events = SseStream::new(body);
            while let Some(Ok(event)) = events.next().await {
                if event.id.is_some() {
                    last_event = event.id.clone();
                }
                let is_message = event.event.as_deref().is_none_or(|name| name == "message");
                let data = event.data.as_deref().filter(|data| !data.trim().is_empty());
                if let (true, Some(data)) = (is_message, data) {
                    match serde_json::from_str::<Value>(data) {
                        Ok(message) => {
                            forget_answered(&message, waiting);
                            if !self.deliver(message).await {
                                return;
                            }
                        }
                        Err(error) => eprintln!(
                            "cheqpoint mcp: the upstream sent an event that is not JSON ({error}), skipped"
                        ),
                    }
                }
            }
            let Some(resume_from) = last_event.clone().filter(|_| !waiting.is_empty()) else {
                return;
            };
            let resumed = self
                .request(reqwest::Method::GET)
                .header(ACCEPT, EVENT_STREAM)
                .header(LAST_EVENT_ID, resume_from)
                .send()
                .await;
            response = match resumed {
                Ok(response) if response.status().is_success() && is_event_stream(&response) => {
                    response
                }
                _ => return,
            };
        }
    }

    /// Hands a message to the session; reads the protocol version from the answer to
    /// `initialize`. False once the session is gone.
    async fn deliver(&self, message: Value) -> bool {
        let agreed = message
            .pointer("/result/protocolVersion")
            .filter(|_| message.pointer("/result/capabilities").is_some())
            .and_then(Value::as_str)
            .and_then(|version| HeaderValue::from_str(version).ok());
        if let Some(agreed) = agreed
            && let Ok(mut slot) = self.version.lock()
        {
            *slot = Some(agreed);
        }
        self.incoming.send(Event::Message(message)).await.is_ok()
    }

    /// Answers each of `ids` with an error saying `why`.
    async fn fail(&self, ids: &[Value], why: String) {
        for id in ids {
            let answer = message::error_response(id, message::RELAY_ERROR, why.clone());
            if !self.deliver(answer).await {
                return;
            }
        }
    }
}

/// Takes the requests a message (or batch) answers out of `waiting`.
fn forget_answered(message: &Value, waiting: &mut HashSet<String>) {
    for item in message::each(message) {
        if let Kind::Response { id } = message::kind(item) {
            waiting.remove(&message::id_key(id));
        }
    }
}

fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(EVENT_STREAM))
}
