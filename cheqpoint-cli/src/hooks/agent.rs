//! The agents with a hook protocol, and for each the adapter that reads its event and writes
//! its answer (`claude_code`, `codex`, `gemini`, `cursor`, `copilot`).

use super::{
    claude_code, codex, copilot, cursor,
    event::{Answer, Event, Facts, Reply},
    gemini,
};

/// A coding agent with a hook protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agent {
    /// Anthropic's Claude Code: `PreToolUse` and `PermissionRequest`.
    ClaudeCode,
    /// OpenAI's Codex CLI: `PreToolUse` and `PermissionRequest`.
    Codex,
    /// Google's Gemini CLI: `BeforeTool`.
    Gemini,
    /// Cursor: `beforeShellExecution`, `beforeMCPExecution`, `beforeReadFile`.
    Cursor,
    /// GitHub Copilot (CLI and coding agent): `preToolUse`.
    Copilot,
}

impl Agent {
    /// Every agent, in the order the docs list them.
    pub const ALL: [Agent; 5] = [
        Agent::ClaudeCode,
        Agent::Codex,
        Agent::Gemini,
        Agent::Cursor,
        Agent::Copilot,
    ];

    /// The agent named `name` on the command line (`claude-code`, `codex`, …).
    pub fn named(name: &str) -> Option<Agent> {
        Agent::ALL
            .into_iter()
            .find(|agent| agent.facts().name == name)
    }

    /// What is true of this agent.
    pub fn facts(self) -> &'static Facts {
        match self {
            Agent::ClaudeCode => &claude_code::FACTS,
            Agent::Codex => &codex::FACTS,
            Agent::Gemini => &gemini::FACTS,
            Agent::Cursor => &cursor::FACTS,
            Agent::Copilot => &copilot::FACTS,
        }
    }

    /// Reads one event as this agent sends it; `Err` says what could not be read.
    pub fn read(self, input: &str) -> Result<Event, String> {
        match self {
            Agent::ClaudeCode => claude_code::read(input),
            Agent::Codex => codex::read(input),
            Agent::Gemini => gemini::read(input),
            Agent::Cursor => cursor::read(input),
            Agent::Copilot => copilot::read(input),
        }
    }

    /// The answer to `event`, written as this agent reads it.
    pub fn write(self, event: &Event, answer: &Answer) -> Reply {
        match self {
            Agent::ClaudeCode => claude_code::write(event, answer),
            Agent::Codex => codex::write(event, answer),
            Agent::Gemini => gemini::write(event, answer),
            Agent::Cursor => cursor::write(event, answer),
            Agent::Copilot => copilot::write(event, answer),
        }
    }

    /// This agent's deny for an event that could not be read (so whose shape is unknown).
    pub fn refuse_unread(self, reason: &str) -> Reply {
        let reason = format!(
            "cheqpoint hook {} could not read the event ({reason}); the tool call is refused",
            self.facts().name
        );
        match self {
            Agent::ClaudeCode | Agent::Codex | Agent::Gemini => Reply::blocked(reason),
            Agent::Cursor => cursor::refuse_unread(reason),
            Agent::Copilot => copilot::refuse_unread(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agent_is_named_and_found_by_its_name() {
        for agent in Agent::ALL {
            assert_eq!(Agent::named(agent.facts().name), Some(agent));
        }
        assert_eq!(Agent::named("vim"), None);
    }

    #[test]
    fn an_unread_event_is_each_agents_deny() {
        for agent in Agent::ALL {
            let reply = agent.refuse_unread("no `tool_name`");
            let said = format!("{}{}", reply.stdout, reply.stderr);
            assert!(said.contains("no `tool_name`"), "{agent:?}: {reply:?}");
            assert!(said.contains("refused"), "{agent:?}: {reply:?}");
        }
    }
}
