//! An upstream MCP server written at the JSON level, with no SDK: it lists a tool with fields
//! no SDK knows (`execution`, `x-` fields), advertises `tasks` and an experimental capability,
//! and during a call sends progress on the client's token and a notification of an unknown
//! method, then asks the client for sampling, elicitation and `roots/list`, answering with
//! what it received. `x/seen` (a method no SDK knows) answers every message it has received.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

/// Set in the environment of the JSON-level upstream: this binary then serves it on stdio.
pub const RAW_ROLE: &str = "CHEQPOINT_TEST_RAW_UPSTREAM";

/// The tool this server lists.
pub fn tools() -> Value {
    json!([{
        "name": "ask",
        "title": "Ask around",
        "description": "Asks the client for a sample, an answer and its roots",
        "inputSchema": {
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
            "additionalProperties": false
        },
        "execution": {"taskSupport": "optional"},
        "annotations": {"readOnlyHint": false, "x-hint": "kept"},
        "x-cost": 3,
        "_meta": {"x-origin": "raw"}
    }])
}

struct Wire {
    out: std::io::Stdout,
    lines: std::io::Lines<std::io::StdinLock<'static>>,
    seen: Vec<Value>,
    asked: u32,
}

impl Wire {
    fn send(&mut self, message: Value) {
        let mut out = self.out.lock();
        let _ = writeln!(out, "{message}");
        let _ = out.flush();
    }

    fn next(&mut self) -> Option<Value> {
        loop {
            let line = self.lines.next()?.ok()?;
            if line.trim().is_empty() {
                continue;
            }
            let message: Value = serde_json::from_str(&line).ok()?;
            self.seen.push(message.clone());
            return Some(message);
        }
    }

    /// Asks the client `method`; its answer (the whole response) once it comes.
    fn ask(&mut self, method: &str, params: Value) -> Option<Value> {
        self.asked += 1;
        let id = format!("srv-{}", self.asked);
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next()?;
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return Some(message);
            }
        }
    }
}

fn result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// Serves on stdin/stdout until stdin ends.
pub fn serve() -> std::process::ExitCode {
    let mut wire = Wire {
        out: std::io::stdout(),
        lines: std::io::stdin().lock().lines(),
        seen: Vec::new(),
        asked: 0,
    };
    while let Some(message) = wire.next() {
        let (Some(id), Some(method)) = (
            message.get("id").cloned(),
            message.get("method").and_then(Value::as_str),
        ) else {
            continue;
        };
        let answer = match method {
            "initialize" => result(
                &id,
                json!({
                    "protocolVersion": message["params"]["protocolVersion"],
                    "capabilities": {
                        "tools": {"listChanged": true},
                        "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
                        "experimental": {"x-raw": {"on": true}}
                    },
                    "serverInfo": {"name": "rawfs", "version": "0.0.1", "x-build": "7"},
                    "instructions": "A server no SDK wrote.",
                    "_meta": {"x-session": 1}
                }),
            ),
            "tools/list" => result(&id, json!({"tools": tools(), "x-page": 1})),
            "tools/call" => {
                let token = message.pointer("/params/_meta/progressToken").cloned();
                if let Some(token) = &token {
                    wire.send(json!({"jsonrpc": "2.0", "method": "notifications/progress",
                                     "params": {"progressToken": token, "progress": 1, "total": 2}}));
                }
                wire.send(
                    json!({"jsonrpc": "2.0", "method": "notifications/x-raw/heartbeat",
                                 "params": {"beat": 1}}),
                );
                let sampled = wire.ask(
                    "sampling/createMessage",
                    json!({"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}],
                           "maxTokens": 5}),
                );
                let elicited = wire.ask(
                    "elicitation/create",
                    json!({"message": "Sure?", "requestedSchema": {"type": "object",
                           "properties": {"ok": {"type": "boolean"}}}}),
                );
                let roots = wire.ask("roots/list", json!({}));
                if let Some(token) = &token {
                    wire.send(json!({"jsonrpc": "2.0", "method": "notifications/progress",
                                     "params": {"progressToken": token, "progress": 2, "total": 2}}));
                }
                result(
                    &id,
                    json!({
                        "content": [{"type": "text", "text": "asked"}],
                        "structuredContent": {
                            "request": message,
                            "answers": [sampled, elicited, roots]
                        },
                        "isError": false,
                        "_meta": {"x-took": 1}
                    }),
                )
            }
            "x/seen" => result(&id, json!({"seen": wire.seen})),
            other => json!({"jsonrpc": "2.0", "id": id,
                            "error": {"code": -32601, "message": format!("no method {other}")}}),
        };
        wire.send(answer);
    }
    std::process::ExitCode::SUCCESS
}
