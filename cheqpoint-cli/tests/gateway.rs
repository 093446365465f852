//! The gateway binary between an rmcp client and an rmcp upstream server, against the
//! emulator: every outcome, each with the upstream's count of runs proving that nothing ran
//! unapproved. The upstream is this test binary itself, started by the gateway.

#[macro_use]
mod support;

use std::time::Duration;

use cheqpoint_emulator::{Fault, FaultKind, Route};
use serde_json::json;
use support::{World, call, eventually, is_error, text};

const GATED: &str = "[tools.delete_file]\nrisk = 0.9\nsummary = \"Delete {path}\"\n\
                     [tools.transfer]\nreadonly = [\"account\"]\n[tools.fail]\n";

fn main() -> std::process::ExitCode {
    support::main(support::tests![
        tools_list_is_the_upstreams,
        an_ungated_call_is_forwarded_with_no_request,
        an_approved_call_runs_once_per_approval,
        a_rejected_call_made_again_is_asked_again,
        a_configuration_naming_nothing_refuses_to_start,
        rules_allow_deny_and_ask_by_the_arguments,
        an_edit_runs_as_approved_and_the_model_reads_what_changed,
        edits_the_schema_refuses_run_nothing,
        a_changed_readonly_key_runs_nothing,
        a_rejection_is_a_result_with_the_note,
        a_timeout_keeps_the_request_and_the_same_call_reattaches,
        the_service_failing_runs_nothing,
        an_upstream_failure_after_approval_is_never_resent,
        a_crashed_upstream_is_reported_and_nothing_is_asked,
        progress_is_reported_while_a_call_waits,
        a_cancelled_call_keeps_its_request,
        a_killed_gateway_reattaches_after_restart,
        gate_destructive_gates_by_annotation_only,
        streamable_http_on_both_sides,
        the_official_python_sdk_client_through_the_gateway,
    ])
}

async fn tools_list_is_the_upstreams() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let through = client
        .peer()
        .list_all_tools()
        .await
        .map_err(|e| e.to_string())?;
    let through = serde_json::to_value(&through).map_err(|e| e.to_string())?;
    let direct = serde_json::to_value(support::upstream::tools()).map_err(|e| e.to_string())?;
    ensure!(
        through == direct,
        "tools/list differs:\n{through}\n{direct}"
    );
    let info = client.peer().peer_info().ok_or("no server info")?;
    let name = info.server_info.as_ref().map(|s| s.name.clone());
    ensure!(name.as_deref() == Some("testfs"), "server info {name:?}");
    ensure!(
        info.instructions.as_deref() == Some("A file server for the gateway's tests."),
        "instructions"
    );
    ensure!(
        world.emulator.created_count() == 0,
        "listing asked for approval"
    );
    Ok(())
}

async fn an_ungated_call_is_forwarded_with_no_request() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let result = call(&client, "echo", json!({"say": "hi"}), false).await?;
    ensure!(!is_error(&result), "{}", text(&result));
    ensure!(
        text(&result) == r#"ran echo {"say":"hi"}"#,
        "{}",
        text(&result)
    );
    ensure!(world.runs_of("echo") == 1, "runs {:?}", world.runs());
    ensure!(world.emulator.created_count() == 0, "an ungated call asked");
    Ok(())
}

async fn an_approved_call_runs_once_per_approval() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let arguments = json!({"path": "/srv/a.txt", "recursive": false});
    let waiting = call(&client, "delete_file", arguments.clone(), false);
    let reviewer = async {
        let request = world.next_pending().await?;
        ensure!(world.runs_of("delete_file") == 0, "ran before the approval");
        ensure!(
            request.action == "testfs.delete_file",
            "action {}",
            request.action
        );
        ensure!(
            request.summary == "Delete /srv/a.txt",
            "summary {}",
            request.summary
        );
        ensure!(request.details == arguments, "details {}", request.details);
        ensure!(
            request.risk_score == Some(0.9),
            "risk {:?}",
            request.risk_score
        );
        let why = request.justification.clone().unwrap_or_default();
        ensure!(
            why.starts_with("Asked for by the agent "),
            "no agent id: {why}"
        );
        world
            .emulator
            .approve(&request.id)
            .map_err(|e| e.to_string())?;
        Ok(())
    };
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    let result = result?;
    ensure!(!is_error(&result), "{}", text(&result));
    ensure!(
        world.runs() == vec![("delete_file".to_owned(), arguments.clone())],
        "runs {:?}",
        world.runs()
    );
    // The same call again, later: a new call. A person is asked again (and told what became of
    // it before), and it runs again on approval: one run per approval.
    let waiting = call(&client, "delete_file", arguments.clone(), false);
    let (again, reviewed) = tokio::join!(waiting, world.approve_next());
    let why = reviewed?.justification.unwrap_or_default();
    ensure!(
        why.contains("Asked before: approved and ran"),
        "the reviewer is not told: {why}"
    );
    let again = again?;
    ensure!(!is_error(&again), "{}", text(&again));
    ensure!(
        world.runs_of("delete_file") == 2 && world.emulator.created_count() == 2,
        "runs {:?}, requests {}",
        world.runs(),
        world.emulator.created_count()
    );
    Ok(())
}

async fn a_rejected_call_made_again_is_asked_again() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let arguments = json!({"path": "/srv/b.txt"});
    let waiting = call(&client, "delete_file", arguments.clone(), false);
    let reviewer = async {
        let request = world.next_pending().await?;
        world
            .emulator
            .reject(&request.id, "not now")
            .map_err(|e| e.to_string())
    };
    let (first, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    let first = first?;
    ensure!(
        is_error(&first) && !text(&first).contains("already ran"),
        "{}",
        text(&first)
    );
    let waiting = call(&client, "delete_file", arguments, false);
    let (second, reviewed) = tokio::join!(waiting, world.approve_next());
    let why = reviewed?.justification.unwrap_or_default();
    ensure!(why.contains("Asked before: rejected"), "{why}");
    ensure!(!is_error(&second?), "the call asked anew did not run");
    ensure!(
        world.runs_of("delete_file") == 1 && world.emulator.created_count() == 2,
        "runs {:?}",
        world.runs()
    );
    Ok(())
}

async fn a_configuration_naming_nothing_refuses_to_start() -> Result<(), String> {
    let world = World::new().await;
    let mut command = world.gateway_command(
        "[tools.delete_fiel]\n[tools.transfer]\nsummary = \"Pay {amount} to {acount}\"\n",
    )?;
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut gateway = command.spawn().map_err(|error| error.to_string())?;
    // The client says `initialize` and waits; the relay checks its configuration against the
    // tools the server lists to this client, answers with the problems, and stops.
    let mut stdin = gateway.stdin.take().ok_or("no stdin")?;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    tokio::io::AsyncWriteExt::write_all(&mut stdin, format!("{initialize}\n").as_bytes())
        .await
        .map_err(|error| error.to_string())?;
    let output = tokio::time::timeout(Duration::from_secs(30), gateway.wait_with_output())
        .await
        .map_err(|_| "the gateway did not stop")?
        .map_err(|error| error.to_string())?;
    drop(stdin);
    let said = String::from_utf8_lossy(&output.stderr);
    ensure!(!output.status.success(), "it started: {said}");
    let answer = String::from_utf8_lossy(&output.stdout);
    ensure!(
        answer.contains("\"error\"")
            && answer.contains("delete_fiel")
            && !answer.contains("\"result\""),
        "the client's initialize was answered with {answer}"
    );
    ensure!(
        said.contains(
            "gate.toml:1: `delete_fiel` matches no tool of the server (did you mean `delete_file`"
        ),
        "{said}"
    );
    ensure!(
        said.contains("gate.toml:2: the summary's `{acount}` names no argument of transfer"),
        "{said}"
    );
    ensure!(
        world.runs().is_empty() && world.emulator.created_count() == 0,
        "something ran"
    );
    Ok(())
}

/// The table every door shares (`fixtures/rules.toml`): under /srv/tmp runs with no request,
/// under /etc is refused with the rule's reason and no request, anything else is asked.
async fn rules_allow_deny_and_ask_by_the_arguments() -> Result<(), String> {
    let world = World::new().await;
    let rules = include_str!("fixtures/rules.toml");
    let (client, _) = world.gateway(rules).await?;
    let allowed = call(&client, "delete_file", json!({"path": "/srv/tmp/a"}), false).await?;
    ensure!(!is_error(&allowed), "{}", text(&allowed));
    ensure!(world.emulator.created_count() == 0, "an allowed call asked");
    let denied = call(
        &client,
        "delete_file",
        json!({"path": "/etc/../etc/passwd"}),
        false,
    )
    .await?;
    let said = text(&denied);
    ensure!(
        is_error(&denied)
            && said.contains("nothing under /etc is touched")
            && said.contains("line 11"),
        "{said}"
    );
    ensure!(world.emulator.created_count() == 0, "a denied call asked");
    let waiting = call(
        &client,
        "delete_file",
        json!({"path": "/srv/tmp/../other"}),
        false,
    );
    let reviewer = world.approve_next();
    let (asked, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    ensure!(!is_error(&asked?), "the asked call did not run");
    ensure!(
        world.runs()
            == vec![
                ("delete_file".to_owned(), json!({"path": "/srv/tmp/a"})),
                (
                    "delete_file".to_owned(),
                    json!({"path": "/srv/tmp/../other"})
                ),
            ],
        "runs {:?}",
        world.runs()
    );
    ensure!(world.emulator.created_count() == 1, "asked more than once");
    Ok(())
}

async fn an_edit_runs_as_approved_and_the_model_reads_what_changed() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let waiting = call(
        &client,
        "delete_file",
        json!({"path": "/srv/all", "recursive": true}),
        false,
    );
    let reviewer = async {
        let request = world.next_pending().await?;
        world
            .emulator
            .approve_with(
                &request.id,
                json!({"path": "/srv/all/tmp", "recursive": true}),
            )
            .map_err(|e| e.to_string())
    };
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    let result = result?;
    let said = text(&result);
    ensure!(!is_error(&result), "{said}");
    ensure!(said.starts_with("A reviewer changed the arguments before approving (`path` from \"/srv/all\" to \"/srv/all/tmp\")"), "{said}");
    ensure!(
        world.runs()
            == vec![(
                "delete_file".to_owned(),
                json!({"path": "/srv/all/tmp", "recursive": true})
            )],
        "runs {:?}",
        world.runs()
    );
    Ok(())
}

/// Approves the next request with `edit` and returns what the model read.
async fn edited(
    world: &World,
    client: &support::Client,
    tool: &str,
    sent: serde_json::Value,
    edit: serde_json::Value,
) -> Result<String, String> {
    let waiting = call(client, tool, sent, false);
    let reviewer = async {
        let request = world.next_pending().await?;
        world
            .emulator
            .approve_with(&request.id, edit)
            .map_err(|e| e.to_string())
    };
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    let result = result?;
    ensure!(
        is_error(&result),
        "an edit that cannot run did not fail: {}",
        text(&result)
    );
    Ok(text(&result))
}

async fn edits_the_schema_refuses_run_nothing() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let sent = json!({"path": "/srv/x"});
    let wrong_type = edited(
        &world,
        &client,
        "delete_file",
        sent.clone(),
        json!({"path": 7}),
    )
    .await?;
    ensure!(
        wrong_type.contains("(`/path`: ") && wrong_type.contains("\"string\""),
        "{wrong_type}"
    );
    let missing = edited(
        &world,
        &client,
        "delete_file",
        sent.clone(),
        json!({"recursive": true}),
    )
    .await?;
    ensure!(
        missing.contains("\"path\" is a required property"),
        "{missing}"
    );
    let extra = edited(
        &world,
        &client,
        "delete_file",
        sent.clone(),
        json!({"path": "/srv/x", "force": true}),
    )
    .await?;
    ensure!(extra.contains("additionalProperties"), "{extra}");
    // Draft-07, the transfer tool's own dialect: `minimum`.
    let below = edited(
        &world,
        &client,
        "transfer",
        json!({"account": "a", "amount": 5}),
        json!({"account": "a", "amount": 0}),
    )
    .await?;
    ensure!(
        below.contains("(`/amount`: ") && below.contains("minimum"),
        "{below}"
    );
    ensure!(
        world.runs().is_empty(),
        "an unapproved edit ran: {:?}",
        world.runs()
    );
    // Nothing ran, so the same call asks again (a new request), rather than "already done".
    let waiting = call(&client, "delete_file", sent, false);
    let reviewer = world.approve_next();
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    ensure!(!is_error(&result?), "the call asked anew did not run");
    ensure!(
        world.runs_of("delete_file") == 1 && world.emulator.created_count() == 5,
        "runs {:?}",
        world.runs()
    );
    Ok(())
}

async fn a_changed_readonly_key_runs_nothing() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let said = edited(
        &world,
        &client,
        "transfer",
        json!({"account": "a", "amount": 5}),
        json!({"account": "b", "amount": 5}),
    )
    .await?;
    ensure!(
        said.contains("changed `account`, which may not be changed"),
        "{said}"
    );
    ensure!(world.runs().is_empty(), "ran: {:?}", world.runs());
    Ok(())
}

async fn a_rejection_is_a_result_with_the_note() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let waiting = call(&client, "delete_file", json!({"path": "/etc"}), false);
    let reviewer = async {
        let request = world.next_pending().await?;
        world
            .emulator
            .reject(&request.id, "never /etc")
            .map_err(|e| e.to_string())
    };
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    let result = result?;
    let said = text(&result);
    ensure!(
        is_error(&result) && said.contains("declined") && said.contains("never /etc"),
        "{said}"
    );
    ensure!(world.runs().is_empty(), "ran: {:?}", world.runs());
    Ok(())
}

async fn a_timeout_keeps_the_request_and_the_same_call_reattaches() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway("[tools.delete_file]\ntimeout = 1\n").await?;
    let arguments = json!({"path": "/srv/slow"});
    let result = call(&client, "delete_file", arguments.clone(), false).await?;
    let said = text(&result);
    let request = world.next_pending().await?;
    ensure!(
        is_error(&result) && said.contains(&request.id) && said.contains("waits on that request"),
        "{said}"
    );
    ensure!(world.runs().is_empty(), "ran: {:?}", world.runs());
    world
        .emulator
        .approve(&request.id)
        .map_err(|e| e.to_string())?;
    let again = call(&client, "delete_file", arguments, false).await?;
    ensure!(!is_error(&again), "{}", text(&again));
    ensure!(
        world.emulator.created_count() == 1,
        "asked twice: {}",
        world.emulator.created_count()
    );
    ensure!(world.runs_of("delete_file") == 1, "runs {:?}", world.runs());
    Ok(())
}

async fn the_service_failing_runs_nothing() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    world
        .emulator
        .inject(Fault::new(Route::Create, FaultKind::Status(500)));
    let result = call(&client, "delete_file", json!({"path": "/a"}), false).await?;
    let said = text(&result);
    ensure!(
        is_error(&result) && said.contains("approval service") && said.contains("500"),
        "{said}"
    );
    world
        .emulator
        .inject(Fault::new(Route::Create, FaultKind::NotJson));
    let result = call(&client, "delete_file", json!({"path": "/b"}), false).await?;
    let said = text(&result);
    ensure!(
        is_error(&result) && said.contains("approval service"),
        "{said}"
    );
    world
        .emulator
        .inject(Fault::new(Route::Any, FaultKind::Refuse).for_duration(Duration::from_secs(30)));
    let result = call(&client, "delete_file", json!({"path": "/c"}), false).await?;
    world.emulator.clear_faults();
    ensure!(
        is_error(&result) && text(&result).contains("approval service"),
        "{}",
        text(&result)
    );
    ensure!(world.runs().is_empty(), "ran: {:?}", world.runs());
    Ok(())
}

async fn an_upstream_failure_after_approval_is_never_resent() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let waiting = call(&client, "fail", json!({"n": 1}), false);
    let reviewer = world.approve_next();
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    let result = result?;
    let said = text(&result);
    ensure!(
        is_error(&result) && said.contains("It was not sent again"),
        "{said}"
    );
    // The gateway never re-sends an approved call by itself: one run, one request, and no
    // request waits (the same call made again would be a new one, asked anew).
    ensure!(world.runs_of("fail") == 1, "re-sent: {:?}", world.runs());
    ensure!(world.emulator.created_count() == 1, "asked twice");
    ensure!(
        world
            .emulator
            .next_pending(Duration::from_millis(300))
            .await
            .is_none(),
        "a request waits"
    );
    Ok(())
}

async fn a_crashed_upstream_is_reported_and_nothing_is_asked() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let _ = call(&client, "crash", json!({}), false).await;
    eventually("the crash is recorded", || world.runs_of("crash") == 1).await?;
    let mut said = String::new();
    for _ in 0..50 {
        let result = call(&client, "delete_file", json!({"path": "/x"}), false).await?;
        said = text(&result);
        ensure!(is_error(&result), "{said}");
        if said.contains("is gone") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(said.contains("is gone"), "{said}");
    ensure!(world.runs_of("delete_file") == 0, "ran: {:?}", world.runs());
    ensure!(
        world.emulator.created_count() == 0,
        "asked for a call that cannot run"
    );
    Ok(())
}

async fn progress_is_reported_while_a_call_waits() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let progress = client.service().progress.clone();
    let waiting = call(&client, "delete_file", json!({"path": "/p"}), true);
    let reviewer = async {
        let request = world.next_pending().await?;
        let expected = format!(
            "waiting for approval {} of testfs.delete_file — review at http://",
            request.id
        );
        eventually("two reports, one naming the request", || {
            let reports = progress.lock().unwrap();
            reports.len() >= 2 && reports.iter().any(|m| m.starts_with(&expected))
        })
        .await?;
        world
            .emulator
            .approve(&request.id)
            .map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    };
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    ensure!(!is_error(&result?), "the approved call failed");
    Ok(())
}

async fn a_cancelled_call_keeps_its_request() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway(GATED).await?;
    let arguments = json!({"path": "/cancel"});
    let mut params = rmcp::model::CallToolRequestParams::new("delete_file");
    params.arguments = Some(support::object(arguments.clone()));
    let cancelled =
        tokio::time::timeout(Duration::from_millis(1500), client.peer().call_tool(params)).await;
    ensure!(cancelled.is_err(), "the call ended before it was cancelled");
    let request = world.next_pending().await?;
    world
        .emulator
        .approve(&request.id)
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure!(
        world.runs().is_empty(),
        "a cancelled call ran: {:?}",
        world.runs()
    );
    let again = call(&client, "delete_file", arguments, false).await?;
    ensure!(!is_error(&again), "{}", text(&again));
    ensure!(
        world.emulator.created_count() == 1 && world.runs_of("delete_file") == 1,
        "runs {:?}",
        world.runs()
    );
    Ok(())
}

async fn a_killed_gateway_reattaches_after_restart() -> Result<(), String> {
    let world = World::new().await;
    let arguments = json!({"path": "/srv/killed"});
    let (client, pid) = world.gateway(GATED).await?;
    let progress = client.service().progress.clone();
    let first = tokio::spawn({
        let arguments = arguments.clone();
        async move {
            call(&client, "delete_file", arguments, true)
                .await
                .map(|_| client)
        }
    });
    let request = world.next_pending().await?;
    // Killed once the journal holds the request's id (the progress reports read it there).
    eventually("the request's id is in the journal", || {
        progress
            .lock()
            .unwrap()
            .iter()
            .any(|message| message.contains(&request.id))
    })
    .await?;
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
    ensure!(
        killed.is_ok_and(|status| status.success()),
        "kill -9 {pid} failed"
    );
    let first = first.await.map_err(|e| e.to_string())?;
    ensure!(first.is_err(), "the killed gateway answered");
    let (client, _) = world.gateway(GATED).await?;
    let again = call(&client, "delete_file", arguments.clone(), false);
    let reviewer = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        world
            .emulator
            .approve(&request.id)
            .map_err(|e| e.to_string())
    };
    let (result, reviewed) = tokio::join!(again, reviewer);
    reviewed?;
    let result = result?;
    ensure!(!is_error(&result), "{}", text(&result));
    ensure!(
        world.emulator.created_count() == 1,
        "asked twice: {}",
        world.emulator.created_count()
    );
    ensure!(
        world.runs() == vec![("delete_file".to_owned(), arguments)],
        "runs {:?}",
        world.runs()
    );
    Ok(())
}

async fn gate_destructive_gates_by_annotation_only() -> Result<(), String> {
    let world = World::new().await;
    let (client, _) = world.gateway("gate_destructive = true\n").await?;
    let result = call(
        &client,
        "transfer",
        json!({"account": "a", "amount": 1}),
        false,
    )
    .await?;
    ensure!(
        !is_error(&result) && world.emulator.created_count() == 0,
        "an unannotated tool was gated"
    );
    let waiting = call(&client, "delete_file", json!({"path": "/d"}), false);
    let reviewer = async {
        let request = world.next_pending().await?;
        ensure!(world.runs_of("delete_file") == 0, "ran before the approval");
        world
            .emulator
            .reject(&request.id, "no")
            .map_err(|e| e.to_string())
    };
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    ensure!(is_error(&result?), "a rejected call succeeded");
    ensure!(world.runs_of("delete_file") == 0, "ran: {:?}", world.runs());
    Ok(())
}

async fn streamable_http_on_both_sides() -> Result<(), String> {
    let world = World::new().await;
    let (client, _gateway) = world.http_gateway(GATED).await?;
    let listed = client
        .peer()
        .list_all_tools()
        .await
        .map_err(|e| e.to_string())?;
    let listed = serde_json::to_value(&listed).map_err(|e| e.to_string())?;
    let direct = serde_json::to_value(support::upstream::tools()).map_err(|e| e.to_string())?;
    ensure!(listed == direct, "tools/list differs:\n{listed}\n{direct}");
    let echoed = call(&client, "echo", json!({"n": 1}), false).await?;
    ensure!(
        !is_error(&echoed) && world.emulator.created_count() == 0,
        "{}",
        text(&echoed)
    );
    let waiting = call(&client, "delete_file", json!({"path": "/h"}), false);
    let reviewer = async {
        let request = world.next_pending().await?;
        ensure!(world.runs_of("delete_file") == 0, "ran before the approval");
        world
            .emulator
            .approve(&request.id)
            .map_err(|e| e.to_string())
    };
    let (result, reviewed) = tokio::join!(waiting, reviewer);
    reviewed?;
    ensure!(!is_error(&result?), "the approved call failed");
    ensure!(
        world.runs_of("delete_file") == 1 && world.runs_of("echo") == 1,
        "runs {:?}",
        world.runs()
    );
    Ok(())
}

/// A client nobody here wrote: the official Python SDK's (`pip install mcp`). Where it is
/// missing the test says so and passes, except under `CI=true`.
async fn the_official_python_sdk_client_through_the_gateway() -> Result<(), String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let has_sdk = std::process::Command::new(&python)
        .args(["-c", "import mcp.client.stdio"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !has_sdk {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        ensure!(
            !ci,
            "the official Python MCP SDK is missing: pip install mcp"
        );
        return Err(format!(
            "{}the official Python MCP SDK is missing (pip install mcp)",
            support::SKIP
        ));
    }
    let world = World::new().await;
    let gateway = world.gateway_command(GATED)?;
    let gateway = gateway.as_std();
    let args: Vec<String> = gateway
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut python = tokio::process::Command::new(python);
    python
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/python_client.py"
        ))
        .env("GATEWAY", gateway.get_program())
        .env(
            "GATEWAY_ARGS",
            serde_json::to_string(&args).map_err(|e| e.to_string())?,
        )
        .envs(gateway.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    let client = python.spawn().map_err(|e| e.to_string())?;
    let reviewer = async {
        let request = world.next_pending().await?;
        ensure!(world.runs_of("delete_file") == 0, "ran before the approval");
        world
            .emulator
            .approve(&request.id)
            .map_err(|e| e.to_string())
    };
    let (output, reviewed) = tokio::join!(
        tokio::time::timeout(support::WAIT * 2, client.wait_with_output()),
        reviewer
    );
    reviewed?;
    let output = output
        .map_err(|_| "the Python client did not finish".to_owned())?
        .map_err(|e| e.to_string())?;
    ensure!(
        output.status.success(),
        "the Python client failed: {:?}",
        output.status
    );
    let seen: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
    ensure!(seen["server"] == "testfs", "{seen}");
    let names: Vec<&str> = seen["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    ensure!(
        names == ["echo", "delete_file", "transfer", "fail", "crash"],
        "{names:?}"
    );
    ensure!(
        seen["tools"][1]["inputSchema"]["required"] == json!(["path"]),
        "{seen}"
    );
    ensure!(
        seen["echo"] == json!([r#"ran echo {"say":"hi"}"#]) && seen["echo_error"] == false,
        "{seen}"
    );
    ensure!(seen["deleted_error"] == false, "{seen}");
    ensure!(
        world.runs_of("delete_file") == 1 && world.emulator.created_count() == 1,
        "runs {:?}",
        world.runs()
    );
    Ok(())
}
