//! The agent trace a request can carry: the steps that led the agent to ask.

use std::time::SystemTime;

use serde::Serialize;

/// What the agent thought and did before asking, shown to the reviewer beside the request.
///
/// ```
/// let trace = cheqpoint::Trace::new()
///     .thought("The customer was charged twice for order 8842.")
///     .tool_call("lookup_order(8842)")
///     .observation("two captures of 120.00")
///     .model("gpt-4o")
///     .total_tokens(1_834);
/// assert_eq!(trace.steps().len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    steps: Vec<TraceStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_tokens: Option<u64>,
}

/// One step of a [`Trace`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceStep {
    /// What kind of step it was.
    #[serde(rename = "type")]
    pub kind: StepKind,
    /// What was thought, called or seen.
    pub content: String,
    /// When, as RFC 3339.
    pub timestamp: String,
}

/// The kinds of [`TraceStep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The model's reasoning.
    Thought,
    /// A tool the agent called.
    ToolCall,
    /// What a tool returned.
    Observation,
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a step stamped with the current time.
    pub fn step(mut self, kind: StepKind, content: impl Into<String>) -> Self {
        let timestamp = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        self.steps.push(TraceStep {
            kind,
            content: content.into(),
            timestamp,
        });
        self
    }

    /// Adds a [`StepKind::Thought`].
    pub fn thought(self, content: impl Into<String>) -> Self {
        self.step(StepKind::Thought, content)
    }

    /// Adds a [`StepKind::ToolCall`].
    pub fn tool_call(self, content: impl Into<String>) -> Self {
        self.step(StepKind::ToolCall, content)
    }

    /// Adds a [`StepKind::Observation`].
    pub fn observation(self, content: impl Into<String>) -> Self {
        self.step(StepKind::Observation, content)
    }

    /// Names the model that produced the steps.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Records the tokens the agent used.
    pub fn total_tokens(mut self, tokens: u64) -> Self {
        self.total_tokens = Some(tokens);
        self
    }

    /// The steps so far, oldest first.
    pub fn steps(&self) -> &[TraceStep] {
        &self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::Trace;

    #[test]
    fn serializes_as_the_protocol_names_it() {
        let trace = Trace::new()
            .tool_call("lookup(1)")
            .model("m")
            .total_tokens(7);
        let json = serde_json::to_value(&trace).unwrap();
        assert_eq!(json["steps"][0]["type"], "tool_call");
        assert_eq!(json["steps"][0]["content"], "lookup(1)");
        assert!(
            json["steps"][0]["timestamp"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
        assert_eq!(json["model"], "m");
        assert_eq!(json["totalTokens"], 7);
    }
}
