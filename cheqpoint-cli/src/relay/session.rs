//! The one message loop of a session: one client, one upstream connection. Every message is
//! passed on as the JSON value that came in; the loop reads the answers to `initialize` and
//! `tools/list`, keeps the answers to the relay's own requests, and hands a `tools/call` of a
//! gated tool to [`gated`](super::gated), which answers it.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use serde_json::{Map, Value, json};
use tokio::{
    sync::{Notify, mpsc, oneshot},
    task::AbortHandle,
};

use crate::config::ToolView;

use super::{
    RelayError, Settings,
    gated::{self, Holder},
    link::{Event, Link},
    message::{self, Kind, tool_name},
    outcome::{tool_error, upstream_gone},
};

/// How long the relay waits for the answer to a request of its own.
const OWN_ANSWER_WAIT: Duration = Duration::from_secs(30);

/// The most pages of `tools/list` the relay reads to find one tool.
const MOST_PAGES: usize = 100;

/// Relays between `client` and `upstream` until the client goes. When the upstream goes first,
/// each request of the client is answered with why, until the client goes too. A configuration
/// that does not fit the upstream's tools ends the session with the error.
pub(super) async fn run(
    settings: Arc<Settings>,
    client: Link,
    upstream: Link,
) -> Result<(), RelayError> {
    let Link {
        outbox: to_client,
        inbox: mut from_client,
    } = client;
    let Link {
        outbox: to_upstream,
        inbox: mut from_upstream,
    } = upstream;
    let session = Arc::new(Session {
        settings,
        to_client,
        to_upstream,
        nonce: nonce(),
        state: Mutex::default(),
        stop: Notify::new(),
    });
    let mut upstream_open = true;
    loop {
        tokio::select! {
            () = session.stop.notified() => break,
            event = from_client.recv() => match event {
                Some(Event::Message(message)) => session.on_client(message).await,
                Some(Event::Ended(_)) | None => break,
            },
            event = from_upstream.recv(), if upstream_open => {
                match event {
                    Some(Event::Message(message)) => session.on_upstream(message).await,
                    Some(Event::Ended(reason)) => {
                        upstream_open = false;
                        session.upstream_ended(reason).await;
                    }
                    None => {
                        upstream_open = false;
                        session.upstream_ended("the upstream server closed the connection".into()).await;
                    }
                }
            }
        }
    }
    // The client is gone: its held calls stop waiting (their requests stay in the journal).
    let mut state = session.lock();
    for (_, held) in state.held.drain() {
        held.abort();
    }
    match state.refused.take() {
        Some(refusal) => Err(RelayError::Configuration(refusal)),
        None => Ok(()),
    }
}

/// 128 random bits in hex: the relay's own request ids carry them, so no client can have
/// chosen the same id.
fn nonce() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// A session's state, shared by the loop and its held calls.
#[derive(Debug)]
struct Session {
    settings: Arc<Settings>,
    to_client: mpsc::Sender<Value>,
    to_upstream: mpsc::Sender<Value>,
    nonce: String,
    state: Mutex<State>,
    /// Told when the session must end (its configuration refused).
    stop: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// The client's requests passed upstream and not yet answered, by id: the id as it came,
    /// and whether the relay reads the answer.
    forwarded: HashMap<String, (Value, Read)>,
    /// Answers the relay takes for itself, by id: its own requests, approved held calls.
    claimed: HashMap<String, oneshot::Sender<Value>>,
    /// Gated calls being decided, by the client's id.
    held: HashMap<String, AbortHandle>,
    /// Why the upstream is gone, once it is.
    gone: Option<String>,
    /// The server's name, from its answer to `initialize`.
    server_name: Option<String>,
    /// The client's name, from its `initialize`.
    client_name: Option<String>,
    /// Each tool as the upstream last listed it, by name.
    tools: HashMap<String, Value>,
    /// The relay's own requests so far.
    asked: u64,
    /// Whether the relay said `notifications/initialized` to the upstream itself.
    initialized_by_relay: bool,
    /// Why the configuration was refused, once it is.
    refused: Option<String>,
}

/// Which answers of the upstream the relay reads.
#[derive(Debug, Clone, Copy)]
enum Read {
    Initialize,
    ToolsList,
    Nothing,
}

/// What to do with a `tools/call`.
enum Gating {
    Passed,
    Held,
    /// Gated only if the tool's annotations say so, and the relay has not seen them yet.
    Learn,
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn on_client(self: &Arc<Self>, message: Value) {
        let passed = match &message {
            Value::Array(items) => {
                let mut kept = Vec::with_capacity(items.len());
                for item in items {
                    if self.client_message(item).await {
                        kept.push(item.clone());
                    }
                }
                match kept.len() {
                    0 => None,
                    n if n == items.len() => Some(message),
                    _ => Some(Value::Array(kept)),
                }
            }
            _ => self.client_message(&message).await.then_some(message),
        };
        if let Some(message) = passed {
            self.send_upstream(message).await;
        }
    }

    /// Whether one message of the client's passes upstream as it is.
    async fn client_message(self: &Arc<Self>, message: &Value) -> bool {
        match message::kind(message) {
            Kind::Request { id, method } => {
                let gone = self.lock().gone.clone();
                if let Some(reason) = gone {
                    let answer = match method {
                        "tools/call" => message::result_response(
                            id,
                            tool_error(upstream_gone(&self.action(tool_name(message)), &reason)),
                        ),
                        _ => message::error_response(id, message::RELAY_ERROR, reason),
                    };
                    self.send_client(answer).await;
                    return false;
                }
                if method == "tools/call" {
                    match self.gating(tool_name(message)) {
                        Gating::Passed => {}
                        Gating::Held => {
                            self.hold(message.clone());
                            return false;
                        }
                        Gating::Learn => {
                            let session = self.clone();
                            let message = message.clone();
                            tokio::spawn(async move { session.learn_then_pass(message).await });
                            return false;
                        }
                    }
                }
                self.forwarding(message);
                true
            }
            Kind::Notification {
                method: "notifications/cancelled",
            } => {
                let cancelled = message::params(message).and_then(|p| p.get("requestId"));
                let held = cancelled.and_then(|id| self.lock().held.remove(&message::id_key(id)));
                if let Some(held) = held {
                    held.abort();
                }
                true
            }
            Kind::Notification {
                method: "notifications/initialized",
            } => !self.lock().initialized_by_relay,
            Kind::Notification { .. } | Kind::Response { .. } | Kind::Other => true,
        }
    }

    /// Notes a request of the client's that goes upstream, to read or answer its answer.
    fn forwarding(&self, message: &Value) {
        let Kind::Request { id, method } = message::kind(message) else {
            return;
        };
        let read = match method {
            "initialize" => {
                let name = message::params(message)
                    .and_then(|p| p.get("clientInfo")?.get("name")?.as_str());
                self.lock().client_name = name.map(str::to_owned);
                Read::Initialize
            }
            "tools/list" => Read::ToolsList,
            _ => Read::Nothing,
        };
        self.lock()
            .forwarded
            .insert(message::id_key(id), (id.clone(), read));
    }

    fn gating(&self, tool: &str) -> Gating {
        let config = &self.settings.config;
        if config.holds(tool) {
            return Gating::Held;
        }
        if !config.gate_destructive {
            return Gating::Passed;
        }
        match self.lock().tools.get(tool) {
            Some(listed) if destructive(listed) => Gating::Held,
            Some(_) => Gating::Passed,
            None => Gating::Learn,
        }
    }

    /// A call gated only by annotations the relay has not seen: it lists the tools, then holds
    /// the call or passes it. A tool it cannot learn about is held (annotations may add a gate,
    /// and an unknown tool cannot show it needs none).
    async fn learn_then_pass(self: Arc<Self>, message: Value) {
        let listed = self.tool(tool_name(&message)).await;
        if listed.is_some_and(|tool| !destructive(&tool)) {
            self.forwarding(&message);
            self.send_upstream(message).await;
        } else {
            self.hold(message);
        }
    }

    /// Hands a gated call to the gate, in a task of its own that answers the client; a
    /// `notifications/cancelled` for it stops it.
    fn hold(self: &Arc<Self>, request: Value) {
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let key = message::id_key(&id);
        let session = self.clone();
        let mut state = self.lock();
        let task = tokio::spawn({
            let key = key.clone();
            async move {
                let result = gated::answer(&*session, &request).await;
                session.lock().held.remove(&key);
                session
                    .send_client(message::result_response(&id, result))
                    .await;
            }
        });
        state.held.insert(key, task.abort_handle());
    }

    async fn on_upstream(self: &Arc<Self>, message: Value) {
        let passed = match &message {
            Value::Array(items) => {
                let kept: Vec<Value> = items
                    .iter()
                    .filter(|item| self.upstream_message(item))
                    .cloned()
                    .collect();
                match kept.len() {
                    0 => None,
                    n if n == items.len() => Some(message),
                    _ => Some(Value::Array(kept)),
                }
            }
            _ => self.upstream_message(&message).then_some(message),
        };
        if let Some(message) = passed {
            self.send_client(message).await;
        }
    }

    /// Whether one message of the upstream's passes to the client as it is.
    fn upstream_message(self: &Arc<Self>, message: &Value) -> bool {
        let Kind::Response { id } = message::kind(message) else {
            return true;
        };
        let key = message::id_key(id);
        let mut state = self.lock();
        if let Some(claim) = state.claimed.remove(&key) {
            let _ = claim.send(message.clone());
            return false;
        }
        let result = message.get("result");
        match (state.forwarded.remove(&key), result) {
            (Some((_, Read::Initialize)), Some(result)) => {
                state.server_name = result
                    .get("serverInfo")
                    .and_then(|info| info.get("name")?.as_str())
                    .map(str::to_owned);
                if !self.settings.config.is_empty() {
                    tokio::spawn(self.clone().check_then_answer(message.clone()));
                    return false;
                }
            }
            (Some((_, Read::ToolsList)), Some(result)) => learn(&mut state, result),
            _ => {}
        }
        true
    }

    async fn upstream_ended(&self, reason: String) {
        eprintln!("cheqpoint mcp: {reason}");
        let unanswered: Vec<Value> = {
            let mut state = self.lock();
            state.gone = Some(reason.clone());
            // Dropping the claims ends the waits on them: the upstream will not answer.
            state.claimed.clear();
            state.forwarded.drain().map(|(_, (id, _))| id).collect()
        };
        for id in unanswered {
            self.send_client(message::error_response(
                &id,
                message::RELAY_ERROR,
                reason.clone(),
            ))
            .await;
        }
    }

    async fn send_client(&self, message: Value) {
        let _ = self.to_client.send(message).await;
    }

    async fn send_upstream(&self, message: Value) {
        if self.lock().gone.is_none() {
            let _ = self.to_upstream.send(message).await;
        }
    }

    /// `SERVER.TOOL`.
    fn action(&self, tool: &str) -> String {
        format!("{}.{tool}", self.server_name())
    }

    /// Sends `request` upstream under its own id, to be answered to the caller instead of the
    /// client; the answer as it came.
    async fn send_claimed(&self, request: Value) -> Result<Value, RelayError> {
        let (claim, answer) = oneshot::channel();
        {
            let mut state = self.lock();
            if let Some(reason) = &state.gone {
                return Err(RelayError::UpstreamGone(reason.clone()));
            }
            let id = request.get("id").unwrap_or(&Value::Null);
            state.claimed.insert(message::id_key(id), claim);
        }
        self.send_upstream(request).await;
        answer.await.map_err(|_| {
            RelayError::UpstreamGone(
                self.gone()
                    .unwrap_or_else(|| "the upstream server is gone".into()),
            )
        })
    }

    /// A request of the relay's own, with an id no client can have chosen; its result.
    async fn ask(&self, method: &'static str, params: Value) -> Result<Value, RelayError> {
        let id = {
            let mut state = self.lock();
            state.asked += 1;
            format!("cheqpoint-{}-{}", self.nonce, state.asked)
        };
        let key = message::id_key(&Value::String(id.clone()));
        let asked = self.send_claimed(message::request(&id, method, params));
        let answer = match tokio::time::timeout(OWN_ANSWER_WAIT, asked).await {
            Ok(answer) => answer?,
            Err(_) => {
                self.lock().claimed.remove(&key);
                return Err(RelayError::NoAnswer {
                    method,
                    waited: OWN_ANSWER_WAIT,
                });
            }
        };
        match answer.get("error") {
            Some(error) => Err(RelayError::Answered {
                method,
                error: error.clone(),
            }),
            None => Ok(answer.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// The tool as the upstream lists it; the list is read again when the tool is not in it.
    async fn tool(&self, name: &str) -> Option<Value> {
        if let Some(tool) = self.lock().tools.get(name) {
            return Some(tool.clone());
        }
        self.list_tools().await.ok()?;
        self.lock().tools.get(name).cloned()
    }

    /// Reads the upstream's whole `tools/list` into what the relay knows.
    async fn list_tools(&self) -> Result<(), RelayError> {
        let mut cursor: Option<Value> = None;
        for _ in 0..MOST_PAGES {
            let params = match &cursor {
                Some(cursor) => json!({"cursor": cursor}),
                None => json!({}),
            };
            let result = self.ask("tools/list", params).await?;
            learn(&mut self.lock(), &result);
            cursor = result.get("nextCursor").filter(|c| !c.is_null()).cloned();
            if cursor.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// The upstream's answer to `initialize`, held while the configuration is checked against
    /// the tools it lists: the relay says `notifications/initialized` itself (the client's is
    /// then not passed on, the server having heard it), lists the tools, and passes the answer
    /// on when every gate names a tool; else the client's `initialize` is answered with the
    /// configuration's problems, and the session ends, nothing forwarded.
    async fn check_then_answer(self: Arc<Self>, answer: Value) {
        self.lock().initialized_by_relay = true;
        self.send_upstream(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        let refusal = match self.list_tools().await {
            Err(error) => Some(format!("the server did not list its tools: {error}")),
            Ok(()) => {
                let tools: Vec<Value> = self.lock().tools.values().cloned().collect();
                let empty = Map::new();
                let views: Vec<ToolView<'_>> = tools
                    .iter()
                    .map(|tool| ToolView {
                        name: tool.get("name").and_then(Value::as_str).unwrap_or_default(),
                        input_schema: tool
                            .get("inputSchema")
                            .and_then(Value::as_object)
                            .unwrap_or(&empty),
                    })
                    .collect();
                self.settings
                    .config
                    .check_against(&views)
                    .err()
                    .map(|error| format!("the configuration does not fit the server:\n{error}"))
            }
        };
        let Some(refusal) = refusal else {
            self.send_client(answer).await;
            return;
        };
        let id = answer.get("id").cloned().unwrap_or(Value::Null);
        self.send_client(message::error_response(
            &id,
            message::RELAY_ERROR,
            refusal.clone(),
        ))
        .await;
        {
            let mut state = self.lock();
            state.gone = Some(refusal.clone());
            state.refused = Some(refusal);
        }
        self.stop.notify_one();
    }
}

impl Holder for Session {
    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn gone(&self) -> Option<String> {
        self.lock().gone.clone()
    }

    /// `--name`/`name =`, else the upstream's own.
    fn server_name(&self) -> String {
        self.settings.config.name.clone().unwrap_or_else(|| {
            self.lock()
                .server_name
                .clone()
                .unwrap_or_else(|| "mcp".to_owned())
        })
    }

    fn client_name(&self) -> Option<String> {
        self.lock().client_name.clone()
    }

    fn tool(&self, name: &str) -> impl Future<Output = Option<Value>> + Send {
        Session::tool(self, name)
    }

    fn send_claimed(
        &self,
        request: Value,
    ) -> impl Future<Output = Result<Value, RelayError>> + Send {
        Session::send_claimed(self, request)
    }

    fn send_client(&self, message: Value) -> impl Future<Output = ()> + Send {
        Session::send_client(self, message)
    }
}

/// The tools of a `tools/list` result, kept by name.
fn learn(state: &mut State, result: &Value) {
    let tools = result.get("tools").and_then(Value::as_array);
    for tool in tools.into_iter().flatten() {
        if let Some(name) = tool.get("name").and_then(Value::as_str) {
            state.tools.insert(name.to_owned(), tool.clone());
        }
    }
}

/// Whether a listed tool's annotations say `destructiveHint: true`.
fn destructive(tool: &Value) -> bool {
    tool.pointer("/annotations/destructiveHint") == Some(&Value::Bool(true))
}
