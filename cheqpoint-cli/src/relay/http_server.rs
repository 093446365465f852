//! Streamable HTTP towards clients (`--listen ADDR`, the endpoint `/mcp`): each session (its
//! `Mcp-Session-Id`, given in the answer to `initialize`) is a message loop of its own with its
//! own upstream connection. A POST carrying requests is answered as a stream of server-sent
//! events carrying their answers and the progress on their tokens. What the upstream sends
//! unasked (a request for sampling during a call, a notification) goes on the stream of the
//! latest request still unanswered, as a server speaking HTTP itself would send what relates
//! to a request; else on the GET stream when the client keeps one open; else it waits for one. DELETE ends a session. On a loopback address, requests naming another
//! host or coming from another origin are refused (DNS rebinding, pages in a browser).

use std::{
    collections::HashMap,
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event as SseEvent, KeepAlive, Sse},
    },
    routing::get,
};
use serde_json::Value;
use tokio::sync::mpsc;

use super::{
    RelayError, Settings,
    link::{Event, Link},
    message::{self, Kind},
    session, upstream,
};

const SESSION_ID: &str = "mcp-session-id";

/// The most sessions served at once.
const MOST_SESSIONS: usize = 256;

/// Serves `http://ADDR/mcp` until the process is stopped.
pub async fn serve_http(settings: Arc<Settings>, addr: SocketAddr) -> Result<(), RelayError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| RelayError::Listen { addr, source })?;
    let bound = listener.local_addr().map_err(RelayError::Serve)?;
    eprintln!("cheqpoint mcp: serving http://{bound}/mcp");
    let server = Arc::new(Server {
        settings,
        loopback: bound.ip().is_loopback(),
        sessions: Mutex::default(),
    });
    let router = Router::new()
        .route("/mcp", get(listen).post(post).delete(end))
        .with_state(server);
    axum::serve(listener, router)
        .await
        .map_err(RelayError::Serve)
}

#[derive(Debug)]
struct Server {
    settings: Arc<Settings>,
    loopback: bool,
    sessions: Mutex<HashMap<String, ClientSide>>,
}

/// One HTTP session: where its messages go in, and where the loop's messages go out.
#[derive(Debug, Clone)]
struct ClientSide {
    incoming: mpsc::Sender<Event>,
    routes: Arc<Mutex<Routes>>,
}

type Stream = mpsc::UnboundedSender<Value>;

/// A request refused before it reaches a session: its status and why.
type Refusal = (StatusCode, &'static str);

/// Where each message to the client goes.
#[derive(Debug, Default)]
struct Routes {
    /// The POST stream each request's answer goes on, by the request's id; its progress
    /// token's key, if it gave one; and the request's rank, in the order they came.
    answers: HashMap<String, (Stream, Option<String>, u64)>,
    /// Requests so far.
    ranked: u64,
    /// The POST stream each progress token's reports go on.
    progress: HashMap<String, Stream>,
    /// The GET stream, while open.
    listening: Option<Stream>,
    /// Messages sent unasked while no stream was open.
    queued: Vec<Value>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Routes {
    fn route(&mut self, message: Value) {
        let first = message::each(&message)
            .next()
            .cloned()
            .unwrap_or(Value::Null);
        match message::kind(&first) {
            Kind::Response { id } => {
                if let Some((stream, token, _)) = self.answers.remove(&message::id_key(id)) {
                    if let Some(token) = token {
                        self.progress.remove(&token);
                    }
                    let _ = stream.send(message);
                    return;
                }
            }
            Kind::Notification { .. } => {
                let token = message::params(&first).and_then(|p| p.get("progressToken"));
                let stream = token.and_then(|token| self.progress.get(&message::id_key(token)));
                if let Some(stream) = stream
                    && stream.send(message.clone()).is_ok()
                {
                    return;
                }
            }
            Kind::Request { .. } | Kind::Other => {}
        }
        self.unasked(message);
    }

    /// A message no request is waiting for: the stream of the latest request still
    /// unanswered, else the GET stream, else the queue.
    fn unasked(&mut self, message: Value) {
        let latest = self
            .answers
            .values()
            .filter(|(stream, ..)| !stream.is_closed())
            .max_by_key(|(.., rank)| *rank);
        let message = match latest {
            Some((stream, ..)) => match stream.send(message) {
                Ok(()) => return,
                Err(unsent) => unsent.0,
            },
            None => message,
        };
        let message = match &self.listening {
            Some(stream) => match stream.send(message) {
                Ok(()) => return,
                Err(unsent) => {
                    self.listening = None;
                    unsent.0
                }
            },
            None => message,
        };
        self.queued.push(message);
    }
}

/// Refuses a request naming a host other than this one, or from a page of another origin,
/// when serving on loopback.
fn foreign(server: &Server, headers: &HeaderMap) -> Option<Refusal> {
    if !server.loopback {
        return None;
    }
    let local = |host: &str| {
        let name = host
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name);
        matches!(name, "localhost" | "127.0.0.1" | "[::1]")
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if host.is_some_and(|host| !local(host)) {
        return Some((
            StatusCode::FORBIDDEN,
            "this server answers only to localhost",
        ));
    }
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    let origin_host =
        origin.map(|origin| origin.split_once("://").map_or(origin, |(_, rest)| rest));
    if origin_host.is_some_and(|host| !local(host)) {
        return Some((
            StatusCode::FORBIDDEN,
            "requests from other origins are refused",
        ));
    }
    None
}

fn session_of(server: &Server, headers: &HeaderMap) -> Result<(String, ClientSide), Refusal> {
    let id = headers
        .get(SESSION_ID)
        .and_then(|id| id.to_str().ok())
        .ok_or((
            StatusCode::BAD_REQUEST,
            "no Mcp-Session-Id: initialize first",
        ))?;
    let side = lock(&server.sessions).get(id).cloned();
    side.map(|side| (id.to_owned(), side))
        .ok_or((StatusCode::NOT_FOUND, "no such session"))
}

/// A new session: its loop, its upstream, its id.
fn open(server: &Server) -> Result<(String, ClientSide), Refusal> {
    let mut sessions = lock(&server.sessions);
    if sessions.len() >= MOST_SESSIONS {
        return Err((StatusCode::SERVICE_UNAVAILABLE, "too many sessions"));
    }
    let (client, mut outgoing, incoming) = Link::pair();
    let routes = Arc::new(Mutex::new(Routes::default()));
    let dispatch = routes.clone();
    tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            lock(&dispatch).route(message);
        }
    });
    let upstream = upstream::connect(&server.settings.upstream);
    let settings = server.settings.clone();
    tokio::spawn(async move {
        if let Err(error) = session::run(settings, client, upstream).await {
            eprintln!("cheqpoint mcp: a session ended: {error}");
        }
    });
    let id = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let side = ClientSide { incoming, routes };
    sessions.insert(id.clone(), side.clone());
    Ok((id, side))
}

async fn post(State(server): State<Arc<Server>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = foreign(&server, &headers) {
        return refused.into_response();
    }
    let message: Value = match serde_json::from_slice(&body) {
        Ok(message) => message,
        Err(error) => {
            let answer = message::error_response(
                &Value::Null,
                message::PARSE_ERROR,
                format!("Parse error: the body is not JSON ({error})"),
            );
            return (StatusCode::BAD_REQUEST, axum::Json(answer)).into_response();
        }
    };
    let requests: Vec<(String, Option<String>)> = message::requests(&message)
        .map(|(id, _, request)| {
            let token = message::progress_token(request).map(message::id_key);
            (message::id_key(id), token)
        })
        .collect();
    let initialize = message::requests(&message).any(|(_, method, _)| method == "initialize");
    let opened = if initialize && headers.get(SESSION_ID).is_none() {
        open(&server)
    } else {
        session_of(&server, &headers)
    };
    let (id, side) = match opened {
        Ok(opened) => opened,
        Err(refused) => return refused.into_response(),
    };
    if requests.is_empty() {
        let _ = side.incoming.send(Event::Message(message)).await;
        return StatusCode::ACCEPTED.into_response();
    }
    let (stream, answers) = mpsc::unbounded_channel();
    {
        let mut routes = lock(&side.routes);
        for (request, token) in requests {
            if let Some(token) = &token {
                routes.progress.insert(token.clone(), stream.clone());
            }
            routes.ranked += 1;
            let rank = routes.ranked;
            routes
                .answers
                .insert(request, (stream.clone(), token, rank));
        }
        for queued in std::mem::take(&mut routes.queued) {
            let _ = stream.send(queued);
        }
    }
    drop(stream);
    let _ = side.incoming.send(Event::Message(message)).await;
    let mut response = events(answers).into_response();
    if initialize && let Ok(id) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(SESSION_ID, id);
    }
    response
}

async fn listen(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    if let Some(refused) = foreign(&server, &headers) {
        return refused.into_response();
    }
    let (_, side) = match session_of(&server, &headers) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let (stream, unasked) = mpsc::unbounded_channel();
    {
        let mut routes = lock(&side.routes);
        for queued in std::mem::take(&mut routes.queued) {
            let _ = stream.send(queued);
        }
        routes.listening = Some(stream);
    }
    events(unasked).into_response()
}

async fn end(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    if let Some(refused) = foreign(&server, &headers) {
        return refused.into_response();
    }
    let (id, side) = match session_of(&server, &headers) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    lock(&server.sessions).remove(&id);
    let _ = side
        .incoming
        .send(Event::Ended("the client ended the session".into()))
        .await;
    StatusCode::OK.into_response()
}

/// An SSE response carrying each message sent to `messages`, ending when every sender is gone.
fn events(
    messages: mpsc::UnboundedReceiver<Value>,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let stream = futures_util::stream::unfold(messages, |mut messages| async move {
        let message = messages.recv().await?;
        Some((Ok(SseEvent::default().data(message.to_string())), messages))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
