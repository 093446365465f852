//! A held `tools/call`: the gate decides it, and the client reads what came of it. The gate is
//! called from one function, [`decide`]; the rest of the relay knows nothing of it.
//!
//! The message changes here and nowhere else: the approved call goes upstream with the approved
//! arguments (every other field as the client sent it, its id and progress token included), and
//! the upstream's result gains one text block in front saying what the reviewer changed.

use std::{convert::Infallible, future::Future};

use serde_json::{Map, Value};

use crate::gateway::{
    self, Ask, Verdict, call_key, check_edit, into_result, render_summary, upstream_gone,
};

use super::{RelayError, Settings, message};

/// What a held call needs of the session it came in.
pub(super) trait Holder: Sync {
    /// What the relay runs with.
    fn settings(&self) -> &Settings;
    /// Why the upstream is gone, if it is.
    fn gone(&self) -> Option<String>;
    /// The server's name in actions.
    fn server_name(&self) -> String;
    /// The client's name from its `initialize`.
    fn client_name(&self) -> Option<String>;
    /// The tool as the upstream lists it.
    fn tool(&self, name: &str) -> impl Future<Output = Option<Value>> + Send;
    /// Sends `request` upstream; its answer, kept from the client.
    fn send_claimed(
        &self,
        request: Value,
    ) -> impl Future<Output = Result<Value, RelayError>> + Send;
    /// Sends a message to the client.
    fn send_client(&self, message: Value) -> impl Future<Output = ()> + Send;
}

/// The result the client reads for the held call `request`.
pub(super) async fn answer(session: &impl Holder, request: &Value) -> Value {
    let name = message::tool_name(request);
    let action = format!("{}.{name}", session.server_name());
    if session.gone().is_some() {
        return message::tool_error(upstream_gone(&action));
    }
    let tool = session.tool(name).await;
    let params = message::params(request);
    let arguments = params
        .and_then(|p| p.get("arguments")?.as_object())
        .cloned()
        .unwrap_or_default();
    let meta = params.and_then(|p| p.get("_meta"));
    let settings = session.settings();
    let rule = settings.config.rule(name);
    let title = tool
        .as_ref()
        .and_then(|tool| {
            tool.get("title")
                .or_else(|| tool.pointer("/annotations/title"))
        })
        .and_then(Value::as_str)
        .unwrap_or(name);
    let ask = Ask {
        summary: render_summary(rule.and_then(|r| r.summary.as_deref()), title, &arguments),
        risk: rule.and_then(|r| r.risk),
        agent: settings.agent.clone().or_else(|| session.client_name()),
        traceparent: meta
            .and_then(|m| m.get("traceparent")?.as_str())
            .map(str::to_owned),
        timeout: rule.and_then(|r| r.timeout).or(settings.config.timeout),
        readonly: rule.map(|r| r.readonly.clone()).unwrap_or_default(),
        key: call_key("mcp", &session.server_name(), name, &arguments),
        action,
    };
    let schema = tool
        .as_ref()
        .and_then(|tool| tool.get("inputSchema")?.as_object());
    let decided = decide(session, &ask, request, &arguments, schema);
    let waiting = report_waiting(session, &ask, message::progress_token(request));
    tokio::select! {
        result = decided => result,
        never = waiting => match never {},
    }
}

/// The gate's decision on one call, as the result the client reads: the approved call's
/// result as the upstream sent it (with a line in front when the reviewer changed the
/// arguments), or an `isError` result in the gate's words.
async fn decide(
    session: &impl Holder,
    ask: &Ask,
    request: &Value,
    arguments: &Map<String, Value>,
    schema: Option<&Map<String, Value>>,
) -> Value {
    let check = |edit: &Map<String, Value>| match schema {
        Some(schema) => check_edit(schema, &Value::Object(edit.clone())),
        None => Err("the tool's inputSchema is not known, so the edit cannot be checked".into()),
    };
    let run = |approved: Map<String, Value>| send_approved(session, request, arguments, approved);
    let verdict = session
        .settings()
        .gate
        .decide(ask, arguments, check, run)
        .await;
    // The gate's words for the verdict; a run's result stays the upstream's own, with the
    // words (what the reviewer changed, if anything) in front.
    let (ran, verdict) = match verdict {
        Verdict::Ran {
            approval_id,
            output: Ok(result),
            changed,
        } => (
            Some(result),
            Verdict::Ran {
                approval_id,
                output: Ok(rmcp::model::CallToolResult::success(Vec::new())),
                changed,
            },
        ),
        Verdict::Ran {
            approval_id,
            output: Err(failure),
            changed,
        } => (
            None,
            Verdict::Ran {
                approval_id,
                output: Err(failure),
                changed,
            },
        ),
        Verdict::EditRefused {
            approval_id,
            reason,
        } => (
            None,
            Verdict::EditRefused {
                approval_id,
                reason,
            },
        ),
        Verdict::Refused(error) => (None, Verdict::Refused(error)),
    };
    let words = serde_json::to_value(into_result(ask, verdict))
        .unwrap_or_else(|error| message::tool_error(error.to_string()));
    match ran {
        Some(result) => with_words_in_front(result, &words),
        None => words,
    }
}

/// The upstream's `result` with the text blocks of `words` in front of its `content`.
fn with_words_in_front(mut result: Value, words: &Value) -> Value {
    let blocks = words.get("content").and_then(Value::as_array);
    let Some(blocks) = blocks.filter(|blocks| !blocks.is_empty()) else {
        return result;
    };
    if let Some(content) = result.get_mut("content").and_then(Value::as_array_mut) {
        content.splice(0..0, blocks.iter().cloned());
    }
    result
}

/// Sends the approved call upstream: the client's request with the approved arguments, under
/// the client's own id (held, so no other request of the client's has it); its result, or why
/// there is none.
async fn send_approved(
    session: &impl Holder,
    request: &Value,
    sent: &Map<String, Value>,
    approved: Map<String, Value>,
) -> Result<Value, String> {
    let mut forwarded = request.clone();
    if &approved != sent
        && let Some(params) = forwarded.get_mut("params").and_then(Value::as_object_mut)
    {
        params.insert("arguments".into(), Value::Object(approved));
    }
    let answer = session
        .send_claimed(forwarded)
        .await
        .map_err(|error| error.to_string())?;
    match answer.get("error") {
        Some(error) => Err(error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned)),
        None => Ok(answer.get("result").cloned().unwrap_or(Value::Null)),
    }
}

/// Sends `notifications/progress` on the client's own token every interval while a call
/// waits, when the client gave one; never ends.
async fn report_waiting(session: &impl Holder, ask: &Ask, token: Option<&Value>) -> Infallible {
    let Some(token) = token else {
        return std::future::pending().await;
    };
    let settings = session.settings();
    let mut reports = 0u32;
    loop {
        tokio::time::sleep(settings.progress_interval).await;
        reports += 1;
        let id = waiting_request(&settings.gate, ask).await;
        let text = format!(
            "waiting for approval {} of {} — review at {}",
            id.as_deref().unwrap_or("(being created)"),
            ask.action,
            settings.review_url
        );
        session
            .send_client(message::progress(token, reports, text))
            .await;
    }
}

/// The id of the request a call waits on, from the journal.
async fn waiting_request(gate: &gateway::Gate, ask: &Ask) -> Option<String> {
    let entries = gate.journal()?.unfinished().await.ok()?;
    entries
        .into_iter()
        .find(|entry| entry.key.as_deref() == Some(ask.key.as_str()))
        .and_then(|entry| entry.approval_id)
}
