//! The cheqpoint gate for agents not written in Rust.
//!
//! - [`relay`]: `cheqpoint mcp`, a relay in front of any MCP server that passes every message as
//!   it came and holds only a gated tool call: it becomes one approval request and runs upstream
//!   only with the approved arguments (an edit validated against the tool's own `inputSchema`),
//!   at most once across restarts; every other outcome is an `isError` tool result the model
//!   can read.
//! - [`gateway`]: the gate the relay and the hook share: which tools, the request, the words.
//! - [`hook`]: `cheqpoint hook claude-code`, Claude Code's `PreToolUse` hook, the same gate for
//!   its own tools (Bash, Write, Edit, MCP tools).
//! - [`setup`]: the client and journal both start from.
//!
//! The binary is `cheqpoint` (`src/main.rs`); `cheqpoint --help` lists its flags.

pub mod gateway;
pub mod hook;
pub mod relay;
pub mod setup;
