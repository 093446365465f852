//! The cheqpoint gate for agents not written in Rust.
//!
//! - [`gateway`]: `cheqpoint mcp`, a gateway in front of any MCP server. Tools/list is answered
//!   as the upstream answers it; a gated tool call becomes one approval request and runs
//!   upstream only with the approved arguments (an edit validated against the tool's own
//!   `inputSchema`), at most once across restarts; every other outcome is an `isError` tool
//!   result the model can read.
//! - [`hooks`]: `cheqpoint hook AGENT`, the coding agents' own hooks (Claude Code, Codex, Gemini
//!   CLI, Cursor, GitHub Copilot), the same gate for their own tools.
//! - [`install`]: `cheqpoint install AGENT` and `uninstall`, the hook written into each agent's
//!   own configuration.
//! - [`setup`]: the client and journal both start from.
//!
//! The binary is `cheqpoint` (`src/main.rs`); `cheqpoint --help` lists its flags.

pub mod gateway;
pub mod hooks;
pub mod install;
pub mod setup;
