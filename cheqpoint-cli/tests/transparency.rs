//! The relay is transparent: a client written at the JSON level talks to a server written at
//! the JSON level (`support/raw.rs`: tools with fields no SDK knows, `tasks` and experimental
//! capabilities, sampling, elicitation and `roots/list` asked of the client during a call,
//! progress on the client's token, notifications and methods no SDK knows), directly and
//! through the gateway, on stdio and on streamable HTTP both ways. Every message the client
//! sees through the gateway equals, as a JSON value and in order, what it sees directly; a
//! gated call reaches the server changed in its arguments alone.

#[macro_use]
mod support;

use std::process::Stdio;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{Child, ChildStdin, ChildStdout},
    sync::{Notify, mpsc},
};

use support::{World, raw::RAW_ROLE};

fn main() -> std::process::ExitCode {
    support::main(support::tests![
        every_message_passes_as_it_came_on_stdio,
        every_message_passes_as_it_came_to_a_listening_gateway,
        every_message_passes_as_it_came_from_an_http_upstream,
        a_gated_call_reaches_the_server_changed_in_its_arguments_alone,
    ])
}

/// A client's connection, at the JSON level.
enum Wire {
    Stdio {
        stdin: ChildStdin,
        lines: Lines<BufReader<ChildStdout>>,
        _child: Box<Child>,
    },
    Http {
        http: reqwest::Client,
        url: String,
        session: Option<String>,
        streams: mpsc::UnboundedSender<Value>,
        incoming: mpsc::UnboundedReceiver<Value>,
    },
}

impl Wire {
    fn stdio(mut command: tokio::process::Command) -> Result<Wire, String> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start: {e}"))?;
        Ok(Wire::Stdio {
            stdin: child.stdin.take().ok_or("no stdin")?,
            lines: BufReader::new(child.stdout.take().ok_or("no stdout")?).lines(),
            _child: Box::new(child),
        })
    }

    fn http(url: String) -> Wire {
        let (streams, incoming) = mpsc::unbounded_channel();
        Wire::Http {
            http: cheqpoint::http_client_builder()
                .expect("TLS is set up")
                .build()
                .expect("the HTTP client builds"),
            url,
            session: None,
            streams,
            incoming,
        }
    }

    async fn send(&mut self, message: Value) -> Result<(), String> {
        match self {
            Wire::Stdio { stdin, .. } => {
                let line = format!("{message}\n");
                stdin
                    .write_all(line.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                stdin.flush().await.map_err(|e| e.to_string())
            }
            Wire::Http {
                http,
                url,
                session,
                streams,
                ..
            } => {
                let mut post = http
                    .post(url.as_str())
                    .header("accept", "application/json, text/event-stream")
                    .header("content-type", "application/json")
                    .body(message.to_string());
                if let Some(session) = session.as_deref() {
                    post = post.header("mcp-session-id", session);
                }
                let response = post.send().await.map_err(|e| e.to_string())?;
                if let Some(id) = response.headers().get("mcp-session-id") {
                    *session = Some(id.to_str().map_err(|e| e.to_string())?.to_owned());
                }
                let status = response.status();
                ensure!(status.is_success(), "HTTP {status} for {message}");
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if content_type.starts_with("text/event-stream") {
                    let streams = streams.clone();
                    let body = http::Response::<reqwest::Body>::from(response).into_body();
                    tokio::spawn(async move {
                        let mut events = sse_stream::SseStream::new(body);
                        while let Some(Ok(event)) = events.next().await {
                            let parsed = event.data.as_deref().map(serde_json::from_str);
                            if let Some(Ok(message)) = parsed {
                                let _ = streams.send(message);
                            }
                        }
                    });
                } else if content_type.starts_with("application/json") {
                    let answer = response.json().await.map_err(|e| e.to_string())?;
                    let _ = streams.send(answer);
                }
                Ok(())
            }
        }
    }

    async fn next(&mut self) -> Result<Value, String> {
        let next = async {
            match self {
                Wire::Stdio { lines, .. } => {
                    let line = lines.next_line().await.map_err(|e| e.to_string())?;
                    let line = line.ok_or("the other side closed")?;
                    serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))
                }
                Wire::Http { incoming, .. } => incoming
                    .recv()
                    .await
                    .ok_or_else(|| "no more messages".to_owned()),
            }
        };
        tokio::time::timeout(support::WAIT, next)
            .await
            .map_err(|_| format!("no message within {:?}", support::WAIT))?
    }
}

/// The call the client makes.
fn call(arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
        "name": "ask",
        "arguments": arguments,
        "_meta": {"progressToken": "tok-1", "x-trace": "t"},
        "x-unknown-param": true
    }})
}

/// The client's answer to a request of the server's.
fn answer(request: &Value) -> Value {
    let result = match request["method"].as_str() {
        Some("sampling/createMessage") => json!({"role": "assistant", "model": "m",
            "content": {"type": "text", "text": "sampled"}, "stopReason": "endTurn"}),
        Some("elicitation/create") => json!({"action": "accept", "content": {"ok": true}}),
        Some("roots/list") => json!({"roots": [{"uri": "file:///srv/only", "name": "only"}]}),
        _ => json!({}),
    };
    json!({"jsonrpc": "2.0", "id": request["id"], "result": result})
}

/// Reads (answering the server's requests) until the answer to `id`; `reported` is told of
/// each report of the gateway's while a call waits.
async fn until(
    wire: &mut Wire,
    seen: &mut Vec<Value>,
    id: Value,
    reported: &Notify,
) -> Result<(), String> {
    loop {
        let message = wire.next().await?;
        if is_waiting_report(&message) {
            reported.notify_one();
        }
        seen.push(message.clone());
        match (message.get("method"), message.get("id")) {
            (Some(_), Some(_)) => wire.send(answer(&message)).await?,
            (None, Some(answered)) if *answered == id => return Ok(()),
            _ => {}
        }
    }
}

/// The whole conversation; every message the client received, in order.
async fn converse(wire: &mut Wire, reported: &Notify) -> Result<Vec<Value>, String> {
    let mut seen = Vec::new();
    wire.send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {"sampling": {}, "elicitation": {"form": {}},
                             "roots": {"listChanged": true}, "experimental": {"x-client": {}}},
            "clientInfo": {"name": "json-client", "version": "1", "x-extra": true},
            "_meta": {"x-client-meta": 1}
        }}),
    )
    .await?;
    until(wire, &mut seen, json!(0), reported).await?;
    wire.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await?;
    wire.send(
        json!({"jsonrpc": "2.0", "id": "list-1", "method": "tools/list",
                     "params": {"_meta": {"x": 1}}}),
    )
    .await?;
    until(wire, &mut seen, json!("list-1"), reported).await?;
    wire.send(call(json!({"q": "why"}))).await?;
    until(wire, &mut seen, json!(7), reported).await?;
    wire.send(json!({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"}))
        .await?;
    wire.send(
        json!({"jsonrpc": "2.0", "method": "notifications/x-client/thing",
                     "params": {"a": [1, 2.5, "3"]}}),
    )
    .await?;
    wire.send(json!({"jsonrpc": "2.0", "id": 8, "method": "x/seen"}))
        .await?;
    until(wire, &mut seen, json!(8), reported).await?;
    Ok(seen)
}

fn raw_upstream() -> Result<tokio::process::Command, String> {
    let mut command =
        tokio::process::Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    command.env(RAW_ROLE, "1");
    Ok(command)
}

async fn direct() -> Result<Vec<Value>, String> {
    let seen = converse(&mut Wire::stdio(raw_upstream()?)?, &Notify::new()).await?;
    // What the test proves rests on these being in the conversation at all.
    let text = Value::Array(seen.clone()).to_string();
    for part in [
        "\"execution\"",
        "\"x-cost\"",
        "\"tasks\"",
        "\"x-raw\"",
        "sampling/createMessage",
        "elicitation/create",
        "roots/list",
        "notifications/x-raw/heartbeat",
        "notifications/roots/list_changed",
        "notifications/x-client/thing",
        "\"tok-1\"",
    ] {
        ensure!(text.contains(part), "the conversation lacks {part}: {text}");
    }
    Ok(seen)
}

fn same(direct: &[Value], through: &[Value]) -> Result<(), String> {
    for (i, (d, t)) in direct.iter().zip(through).enumerate() {
        ensure!(d == t, "message {i} differs:\ndirect  {d}\nthrough {t}");
    }
    ensure!(
        direct.len() == through.len(),
        "{} messages direct, {} through:\n{}",
        direct.len(),
        through.len(),
        Value::Array(through.to_vec())
    );
    Ok(())
}

async fn every_message_passes_as_it_came_on_stdio() -> Result<(), String> {
    let world = World::new().await;
    let direct = direct().await?;
    let gateway = world.gateway_command_for("", RAW_ROLE, &[])?;
    let through = converse(&mut Wire::stdio(gateway)?, &Notify::new()).await?;
    same(&direct, &through)
}

async fn every_message_passes_as_it_came_to_a_listening_gateway() -> Result<(), String> {
    let world = World::new().await;
    let direct = direct().await?;
    let gateway = world.gateway_command_for("", RAW_ROLE, &["--listen", "127.0.0.1:0"])?;
    let (url, _gateway) = support::listening(gateway).await?;
    let through = converse(&mut Wire::http(url), &Notify::new()).await?;
    same(&direct, &through)
}

async fn every_message_passes_as_it_came_from_an_http_upstream() -> Result<(), String> {
    let world = World::new().await;
    let direct = direct().await?;
    // The upstream: the raw server behind a listening relay of its own (checked above).
    let upstream = world.gateway_command_for("", RAW_ROLE, &["--listen", "127.0.0.1:0"])?;
    let (url, _upstream) = support::listening(upstream).await?;
    let path = world.dir.join("outer.toml");
    std::fs::write(&path, "").map_err(|e| e.to_string())?;
    let mut gateway = tokio::process::Command::new(env!("CARGO_BIN_EXE_cheqpoint"));
    gateway
        .arg("mcp")
        .arg("--config")
        .arg(&path)
        .arg("--journal")
        .arg(world.dir.join("outer.db"))
        .args(["--upstream", &url])
        .env("CHEQPOINT_API_KEY", "cq_test_gateway")
        .env("CHEQPOINT_BASE_URL", world.emulator.url());
    let through = converse(&mut Wire::stdio(gateway)?, &Notify::new()).await?;
    same(&direct, &through)
}

fn is_waiting_report(message: &Value) -> bool {
    message["method"] == "notifications/progress"
        && message["params"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("waiting for approval"))
}

async fn a_gated_call_reaches_the_server_changed_in_its_arguments_alone() -> Result<(), String> {
    let world = World::new().await;
    let direct = direct().await?;
    let gateway = world.gateway_command_for("[tools.ask]\n", RAW_ROLE, &[])?;
    let mut wire = Wire::stdio(gateway)?;
    let reported = Notify::new();
    let reviewer = async {
        let request = world.next_pending().await?;
        // Approved once the client has had a report while it waited.
        tokio::time::timeout(support::WAIT, reported.notified())
            .await
            .map_err(|_| "no report while the call waited")?;
        ensure!(request.action == "rawfs.ask", "action {}", request.action);
        ensure!(
            request.details == json!({"q": "why"}),
            "{}",
            request.details
        );
        world
            .emulator
            .approve_with(&request.id, json!({"q": "why not"}))
            .map_err(|e| e.to_string())
    };
    let (through, reviewed) = tokio::join!(converse(&mut wire, &reported), reviewer);
    reviewed?;
    let through = through?;
    // The gateway's own reports while the call waited, on the client's own token.
    let reports: Vec<&Value> = through.iter().filter(|m| is_waiting_report(m)).collect();
    ensure!(!reports.is_empty(), "no report while the call waited");
    ensure!(
        reports
            .iter()
            .all(|r| r["params"]["progressToken"] == "tok-1"),
        "a report on another token: {reports:?}"
    );
    let through: Vec<Value> = through
        .into_iter()
        .filter(|m| !is_waiting_report(m))
        .collect();
    ensure!(through.len() == direct.len(), "{through:?}");
    for (i, (d, t)) in direct.iter().zip(&through).enumerate() {
        if d["id"] == 7 && d.get("result").is_some() {
            // The call's answer: the server received the client's request with the approved
            // arguments and nothing else changed; the result is the server's, with one line in
            // front saying what the reviewer changed.
            let received = &t["result"]["structuredContent"]["request"];
            let mut expected = call(json!({"q": "why not"}));
            ensure!(*received == expected, "the server received {received}");
            expected["params"]["arguments"] = json!({"q": "why"});
            ensure!(
                d["result"]["structuredContent"]["request"] == expected,
                "direct"
            );
            let mut result = t["result"].clone();
            let line = result["content"]
                .as_array_mut()
                .ok_or("no content")?
                .remove(0);
            let said = line["text"].as_str().unwrap_or_default();
            ensure!(
                said.contains("changed the arguments") && said.contains("why not"),
                "{said}"
            );
            result["structuredContent"]["request"] =
                d["result"]["structuredContent"]["request"].clone();
            ensure!(
                result == d["result"],
                "result {result}\ndirect {}",
                d["result"]
            );
        } else if d["id"] == 8 {
            // What the server saw: the same, but for the call's arguments.
            let mut seen = t["result"]["seen"].clone();
            let calls = seen.as_array_mut().ok_or("no seen")?;
            // The relay's own `tools/list`, to check its configuration against the tools: an
            // id no client has, its answer kept from the client.
            let own = |m: &Value| {
                m["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("cheqpoint-"))
            };
            let asked: Vec<Value> = calls.iter().filter(|m| own(m)).cloned().collect();
            ensure!(
                asked.len() == 1 && asked[0]["method"] == "tools/list",
                "the relay asked {asked:?}"
            );
            calls.retain(|m| !own(m));
            for message in calls.iter_mut().filter(|m| m["method"] == "tools/call") {
                ensure!(
                    message["params"]["arguments"] == json!({"q": "why not"}),
                    "{message}"
                );
                message["params"]["arguments"] = json!({"q": "why"});
            }
            ensure!(
                seen == d["result"]["seen"],
                "seen {seen}\ndirect {}",
                d["result"]["seen"]
            );
        } else {
            ensure!(d == t, "message {i} differs:\ndirect  {d}\nthrough {t}");
        }
    }
    Ok(())
}
