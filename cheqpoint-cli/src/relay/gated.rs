//! A held `tools/call`: the gate decides it, and the client reads what came of it. The gate is
//! called from one function, [`decide`]; the rest of the relay knows nothing of it.
//!
//! The message changes here and nowhere else: the approved call goes upstream with the approved
//! arguments (every other field as the client sent it, its id and progress token included), and
//! the upstream's result gains one text block in front saying what the reviewer changed.

use std::{convert::Infallible, future::Future};

use serde_json::{Map, Value};

use crate::{
    gate::{Ask, EditRefusal},
    schema::check_edit,
    summary,
};

use super::{
    RelayError, Settings, message,
    outcome::{into_result, tool_error, upstream_gone},
};

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
    if let Some(why) = session.gone() {
        return tool_error(upstream_gone(&action, &why));
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
        tool: name.to_owned(),
        // The gateway runs beside its upstream server: paths in rules start where both run.
        cwd: std::env::current_dir().unwrap_or_default(),
        summary: summary::render(rule.and_then(|r| r.summary.as_deref()), title, &arguments),
        risk: rule.and_then(|r| r.risk),
        agent: settings.agent.clone().or_else(|| session.client_name()),
        traceparent: meta
            .and_then(|m| m.get("traceparent")?.as_str())
            .map(str::to_owned),
        timeout: rule.and_then(|r| r.timeout).or(settings.config.timeout),
        readonly: rule.map(|r| r.readonly.clone()).unwrap_or_default(),
        scope: None,
        session: None,
        watch: Default::default(),
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
/// arguments), or an `isError` result in the gate's words. The one function that calls the gate.
async fn decide(
    session: &impl Holder,
    ask: &Ask,
    request: &Value,
    arguments: &Map<String, Value>,
    schema: Option<&Map<String, Value>>,
) -> Value {
    let check = |edit: &Map<String, Value>| match schema {
        Some(schema) => check_edit(schema, edit),
        None => Err(EditRefusal {
            path: "/".into(),
            reason: "the tool's inputSchema is not known, so the edit cannot be checked".into(),
        }),
    };
    let run = |approved: Map<String, Value>| send_approved(session, request, arguments, approved);
    let gate = &session.settings().gate;
    let outcome = gate.decide(ask, arguments, check, run).await;
    into_result(gate.words(&ask.action), &ask.action, outcome)
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
        let text = format!(
            "waiting for approval {} of {} — review at {}",
            ask.watch.approval_id().unwrap_or("(being created)"),
            ask.action,
            settings.review_url
        );
        session
            .send_client(message::progress(token, reports, text))
            .await;
    }
}
