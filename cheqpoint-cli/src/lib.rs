//! The cheqpoint gate for agents not written in Rust.
//!
//! | module | owns |
//! | --- | --- |
//! | [`relay`] | `cheqpoint mcp`, a relay in front of any MCP server that passes every message as it came and holds only a gated tool call: it becomes one approval request and runs upstream only with the approved arguments |
//! | [`hooks`] | `cheqpoint hook AGENT`, the coding agents' own hooks (Claude Code, Codex, Gemini CLI, Cursor, GitHub Copilot): the same gate for their own tools |
//! | [`install`] | `cheqpoint install AGENT` and `uninstall`: the hook written into each agent's own configuration |
//! | [`doctor`] | `cheqpoint doctor`: each installed agent's wiring checked end to end |
//! | [`grants`] | `cheqpoint grant ask\|list\|revoke`: grants asked for from a shell, listed, revoked |
//! | [`gate`] | one gated call through the `cheqpoint` library, shared by every door |
//! | [`config`] | `gate.toml`: which tools are gated, and how; checked against the tools the upstream lists |
//! | [`schema`], [`summary`] | an edit checked against a tool's `inputSchema`; the sentence a reviewer reads |
//! | [`setup`] | the client and journal every door starts from |
//!
//! What every door shares with Rust code — a call's identity, the words a model reads, the
//! comparison of an edit with what was asked — is the library's ([`cheqpoint::policy`]).
//! The binary is `cheqpoint` (`src/main.rs`); `cheqpoint --help` lists its commands.

pub mod config;
pub mod doctor;
pub mod gate;
pub mod grants;
pub mod hooks;
pub mod install;
pub mod relay;
pub mod schema;
pub mod setup;
pub mod summary;
