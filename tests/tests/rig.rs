//! `cheqpoint::rig::Gated` in a real rig agent (rig-agent's runtime) driven by rig's scripted
//! model, against the emulator: no network beyond loopback.

mod common;

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use cheqpoint::{
    Client,
    rig::{Gated, RejectAs},
};
use common::{client, emulator, next_pending};
use rig_agent::AgentBuilder;
use rig_core::{
    completion::{Message, message::ToolResultContent, message::UserContent},
    test_utils::{MockCompletionModel, MockTurn},
    tool::{PortableTool, Tool, ToolContext},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RefundArgs {
    order_id: String,
    amount_cents: u64,
}

/// The tool under the gate: records every call it really receives.
#[derive(Clone, Default)]
struct Refund {
    received: Arc<Mutex<Vec<RefundArgs>>>,
}

impl Refund {
    fn calls(&self) -> Vec<RefundArgs> {
        self.received.lock().unwrap().clone()
    }
}

impl PortableTool for Refund {
    const NAME: &'static str = "refund";
    type Args = RefundArgs;
    type Output = String;
    type Error = Infallible;

    fn description(&self) -> String {
        "Refund part or all of an order.\nUse only when the customer asked.".into()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "amount_cents": {"type": "integer"}},
            "required": ["order_id", "amount_cents"]
        })
    }

    async fn call(&self, args: RefundArgs) -> Result<String, Infallible> {
        let text = format!(
            "refunded {} cents on order {}",
            args.amount_cents, args.order_id
        );
        self.received.lock().unwrap().push(args);
        Ok(text)
    }
}

/// A model that asks for one refund, then answers "done".
fn model() -> MockCompletionModel {
    MockCompletionModel::from_turns([
        MockTurn::tool_call(
            "call_1",
            "refund",
            json!({"order_id": "8842", "amount_cents": 12000}),
        ),
        MockTurn::text("done"),
    ])
}

/// Runs the agent on `model` with `tool` while `reviewer` decides; returns the final answer.
async fn run(
    model: &MockCompletionModel,
    tool: Gated<Refund>,
    reviewer: impl Future<Output = ()>,
) -> String {
    let agent = AgentBuilder::new(model.clone()).tool(tool).build();
    let (answer, ()) = tokio::join!(agent.prompt("refund order 8842").max_turns(3), reviewer);
    answer.expect("the agent run succeeds").output()
}

/// The tool result the model received on its second turn: (text, is_error).
fn tool_result_seen(model: &MockCompletionModel) -> (String, bool) {
    let requests = model.requests();
    assert_eq!(requests.len(), 2, "one tool turn, one answer turn");
    let result = requests[1]
        .chat_history
        .iter()
        .find_map(|message| match message {
            Message::User { content } => content.iter().find_map(|c| match c {
                UserContent::ToolResult(result) => Some(result.clone()),
                _ => None,
            }),
            _ => None,
        })
        .expect("the second request carries the tool result");
    assert_eq!(result.name.to_string(), "refund");
    let text = result
        .content
        .iter()
        .map(|c| match c {
            ToolResultContent::Text(text) => text.text.clone(),
            other => panic!("expected text, got {other:?}"),
        })
        .collect::<String>();
    (text, result.is_error)
}

#[tokio::test]
async fn a_rejected_call_never_reaches_the_tool_and_the_model_reads_the_note() {
    let emulator = emulator().await;
    let refund = Refund::default();
    let gated = Gated::new(refund.clone(), client(&emulator))
        .action("process_refund")
        .risk(0.8);
    let model = model();
    let reviewer = async {
        let request = next_pending(&emulator).await;
        assert_eq!(request.action, "process_refund");
        assert_eq!(request.risk_score, Some(0.8));
        assert_eq!(
            request.summary,
            "Run tool `refund`: Refund part or all of an order."
        );
        assert_eq!(
            request.details,
            json!({"order_id": "8842", "amount_cents": 12000})
        );
        emulator
            .reject(&request.id, "not during the freeze")
            .unwrap();
    };

    let answer = run(&model, gated, reviewer).await;

    assert_eq!(answer, "done");
    assert!(refund.calls().is_empty(), "the tool must not run");
    let (text, is_error) = tool_result_seen(&model);
    assert!(!is_error);
    assert!(
        text.starts_with("A reviewer declined this call to refund (approval ")
            && text.contains("did not run")
            && text.contains("The note: \"not during the freeze\"."),
        "{text}"
    );
}

#[tokio::test]
async fn an_edited_argument_is_what_the_tool_runs_with() {
    let emulator = emulator().await;
    let refund = Refund::default();
    let gated = Gated::new(refund.clone(), client(&emulator)).summary_with(|args: &RefundArgs| {
        format!(
            "Refund {} cents on order {}",
            args.amount_cents, args.order_id
        )
    });
    let model = model();
    let reviewer = async {
        let request = next_pending(&emulator).await;
        assert_eq!(request.action, "refund");
        assert_eq!(request.summary, "Refund 12000 cents on order 8842");
        emulator
            .approve_with(
                &request.id,
                json!({"order_id": "8842", "amount_cents": 9000}),
            )
            .unwrap();
    };

    let answer = run(&model, gated, reviewer).await;

    assert_eq!(answer, "done");
    assert_eq!(
        refund.calls(),
        [RefundArgs {
            order_id: "8842".into(),
            amount_cents: 9000
        }]
    );
    assert_eq!(
        tool_result_seen(&model),
        (
            "A reviewer changed the arguments before approving (`amount_cents` from 12000 \
             to 9000); refund ran with the approved arguments.\nrefunded 9000 cents on order 8842"
                .to_owned(),
            false
        )
    );
}

/// Runs one gated refund while the reviewer approves `edit`; the tool's calls and the result
/// the model read.
async fn approve_with(
    gated: impl FnOnce(Refund, Client) -> Gated<Refund>,
    edit: Value,
) -> (Vec<RefundArgs>, (String, bool)) {
    let emulator = emulator().await;
    let refund = Refund::default();
    let model = model();
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator.approve_with(&request.id, edit).unwrap();
    };
    run(&model, gated(refund.clone(), client(&emulator)), reviewer).await;
    (refund.calls(), tool_result_seen(&model))
}

#[tokio::test]
async fn with_reports_off_the_model_reads_the_tools_result_alone() {
    let (calls, seen) = approve_with(
        |refund, client| Gated::new(refund, client).report_edits(false),
        json!({"order_id": "8842", "amount_cents": 9000}),
    )
    .await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        seen,
        ("refunded 9000 cents on order 8842".to_owned(), false)
    );
}

#[tokio::test]
async fn an_edit_with_a_key_the_arguments_do_not_have_fails_closed() {
    let (calls, (text, is_error)) = approve_with(
        Gated::new,
        json!({"order_id": "8842", "amount_cents": 9000, "currency": "USD"}),
    )
    .await;
    assert!(calls.is_empty());
    assert!(is_error && text.contains("`arguments.currency`"), "{text}");
}

#[tokio::test]
async fn an_edit_that_removes_a_required_argument_fails_closed() {
    let (calls, (text, is_error)) = approve_with(Gated::new, json!({"order_id": "8842"})).await;
    assert!(calls.is_empty());
    assert!(is_error && text.contains("amount_cents"), "{text}");
}

#[tokio::test]
async fn when_false_runs_the_tool_without_asking() {
    let emulator = emulator().await;
    let refund = Refund::default();
    let model = model();
    let gated = Gated::new(refund.clone(), client(&emulator))
        .when(|args: &RefundArgs| args.amount_cents >= 50_000);
    run(&model, gated, async {}).await;
    assert_eq!(refund.calls().len(), 1, "the tool ran");
    assert!(emulator.requests().is_empty(), "nothing was asked");
}

#[tokio::test]
async fn reject_as_error_shows_the_model_an_error() {
    let emulator = emulator().await;
    let refund = Refund::default();
    let gated = Gated::new(refund.clone(), client(&emulator)).on_reject(RejectAs::Error);
    let model = model();
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator.reject(&request.id, "ask a manager").unwrap();
    };

    let answer = run(&model, gated, reviewer).await;

    assert_eq!(answer, "done", "an error result does not abort the agent");
    assert!(refund.calls().is_empty());
    let (text, is_error) = tool_result_seen(&model);
    assert!(is_error);
    assert!(
        text.starts_with("A reviewer declined this call to refund")
            && text.contains("\"ask a manager\""),
        "{text}"
    );
}

#[tokio::test]
async fn an_edit_that_does_not_fit_the_arguments_fails_closed() {
    let emulator = emulator().await;
    let refund = Refund::default();
    let gated = Gated::new(refund.clone(), client(&emulator));
    let model = model();
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator
            .approve_with(
                &request.id,
                json!({"order_id": "8842", "amount_cents": "lots"}),
            )
            .unwrap();
    };

    run(&model, gated, reviewer).await;

    assert!(refund.calls().is_empty());
    let (text, is_error) = tool_result_seen(&model);
    assert!(is_error);
    assert!(
        text.starts_with("A reviewer approved this call to refund (approval ")
            && text.contains("did not run")
            && text.contains("does not fit"),
        "{text}"
    );
}

#[tokio::test]
async fn no_decision_in_time_fails_closed() {
    let emulator = emulator().await;
    let refund = Refund::default();
    let gated = Gated::new(refund.clone(), client(&emulator)).timeout(Duration::from_millis(100));
    let model = model();

    // Nobody decides.
    run(&model, gated, async {}).await;

    assert!(refund.calls().is_empty());
    let (text, is_error) = tool_result_seen(&model);
    assert!(is_error);
    assert!(
        text.contains("did not run") && text.contains("may still decide"),
        "{text}"
    );
    assert_eq!(emulator.requests().len(), 1);
}

#[tokio::test]
async fn the_model_sees_the_inner_tools_name_description_and_schema() {
    let emulator = emulator().await;
    let refund = Refund::default();
    let model = MockCompletionModel::from_turns([MockTurn::text("nothing to do")]);
    let agent = AgentBuilder::new(model.clone())
        .tool(Gated::new(refund.clone(), client(&emulator)))
        .build();
    agent.prompt("hello").await.unwrap();

    let requests = model.requests();
    let tools = &requests[0].tools;
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0].name.to_string(), "refund");
    assert_eq!(tools[0].description, PortableTool::description(&refund));
    assert_eq!(tools[0].parameters, PortableTool::parameters(&refund));
    assert!(emulator.requests().is_empty());
}

#[tokio::test]
async fn a_direct_call_keeps_the_cheqpoint_error_as_the_source() {
    let emulator = emulator().await;
    let refund = Refund::default();
    let gated = Gated::new(refund.clone(), client(&emulator)).on_reject(RejectAs::Error);
    let args = RefundArgs {
        order_id: "1".into(),
        amount_cents: 5,
    };
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator.reject(&request.id, "no").unwrap();
        request.id
    };
    let mut context = ToolContext::new();
    let (result, id) = tokio::join!(Tool::call(&gated, &mut context, args), reviewer);

    let error = result.unwrap_err();
    assert!(error.is_refusal());
    match error.downcast_ref::<cheqpoint::Error>() {
        Some(cheqpoint::Error::Rejected {
            approval_id, note, ..
        }) => {
            assert_eq!(approval_id, &id);
            assert_eq!(note.as_deref(), Some("no"));
        }
        other => panic!("expected the rejection as the source, got {other:?}"),
    }
    assert!(refund.calls().is_empty());
}

#[tokio::test]
async fn gated_global_asks_through_the_client_given_to_init() {
    // The only test in this file that touches the global client.
    let emulator = emulator().await;
    cheqpoint::init(client(&emulator)).unwrap();
    let refund = Refund::default();
    let model = model();
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator.approve(&request.id).unwrap();
    };

    run(&model, Gated::global(refund.clone()), reviewer).await;

    assert_eq!(
        refund.calls(),
        [RefundArgs {
            order_id: "8842".into(),
            amount_cents: 12000
        }]
    );
    assert_eq!(
        tool_result_seen(&model),
        ("refunded 12000 cents on order 8842".to_owned(), false)
    );
}

#[tokio::test]
async fn a_rejection_by_a_workspace_rule_says_so() {
    let emulator = cheqpoint_emulator::Emulator::builder()
        .api_key(common::KEY)
        .auto_reject_above(0.9)
        .start()
        .await
        .unwrap();
    let refund = Refund::default();
    let gated = Gated::new(refund.clone(), client(&emulator)).risk(0.95);
    let model = model();

    run(&model, gated, async {}).await;

    assert!(refund.calls().is_empty());
    let (text, is_error) = tool_result_seen(&model);
    assert!(!is_error);
    assert!(
        text.contains("workspace rule") && text.contains("declined this call to refund"),
        "{text}"
    );
}
