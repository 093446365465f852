//! `cheqpoint hook AGENT`: a coding agent's own hook, the gate in front of the agent's own tools.
//! The agent hands one event on stdin; the hook asks through the same gate, rules and grants as
//! every other door (action `AGENT.TOOL`, `details` = the tool's input) and answers on stdout as
//! that agent reads it. It always answers, and answers deny on every path that is not an
//! approval: an event it cannot read, a service failing, no decision in time, a panic.
//!
//! | file | owns |
//! | --- | --- |
//! | `event` | what the others share: the call read from an event, the agent's powers for it, the answer, the reply, the agent's facts |
//! | `agent` | the agents, each read and write handed to its adapter |
//! | `answer` | what the gate decided, and the one function turning it into the strongest answer the agent honours |
//! | `ask` | the one call into the gate: the action, the call's identity, the edit check, the deadline |
//! | `summary` | the reviewer's sentence for the tools every agent has (a command, an edit, a write) |
//! | `claude_code`, `codex`, `gemini`, `cursor`, `copilot` | each agent's event read and answer written, from its own reference (named at the top of each) |
//! | `claude_code_tools` | Claude Code's built-in tools' input schemas (`claude_code_tools.json`, each with its source) |

mod agent;
mod answer;
mod ask;
mod claude_code;
mod claude_code_tools;
mod codex;
mod copilot;
mod cursor;
mod event;
mod gemini;
mod summary;

pub use agent::Agent;
pub use answer::OnTimeout;
pub use ask::{DEFAULT_HOOK_TIMEOUT, GRACE, wait};
pub use event::{Answer, Edits, Event, Facts, Powers, Reply};

use crate::{config::GateConfig, gate::Gatekeeper};

/// Answers one event of `agent` (`input`, as read from stdin) through `gate`.
pub async fn answer(
    agent: Agent,
    input: &str,
    gate: &Gatekeeper,
    config: &GateConfig,
    on_timeout: OnTimeout,
) -> Reply {
    let event = match agent.read(input) {
        Ok(event) => event,
        Err(reason) => return agent.refuse_unread(&reason),
    };
    let outcome = ask::decide(agent, &event, gate, config).await;
    let answer = answer::strongest(agent, &event, outcome, on_timeout);
    agent.write(&event, &answer)
}

/// The reply to a hook that failed before it could decide (no configuration, no journal, a
/// panic): the agent's deny, in the event's shape when the event can be read.
pub fn refuse(agent: Agent, input: &str, reason: &str) -> Reply {
    let reason = format!("cheqpoint: {reason}; the tool call is refused");
    match agent.read(input) {
        Ok(event) => agent.write(&event, &Answer::Deny(reason)),
        Err(_) => agent.refuse_unread(&reason),
    }
}
