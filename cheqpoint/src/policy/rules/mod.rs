//! Rules on a call's arguments, the same at every door: a table of `[[rule]]`s that allow a
//! call without a request, send it to a person with settings of their own, or deny it, by the
//! tool (or action) and what its arguments hold.
//!
//! ```toml
//! default = "ask"                # what a call no rule matches gets
//!
//! [[rule]]                       # calls that need nobody
//! tool = "Bash"
//! command = ["git status", "git diff *", "ls *", "cargo test *"]
//! decide = "allow"
//!
//! [[rule]]
//! tool = "Write|Edit|MultiEdit"
//! path = { outside = "{cwd}" }   # or under = [...], matches = [...]; at = "file_path"
//! decide = "ask"
//! risk = 0.8
//!
//! [[rule]]
//! tool = "refund"
//! where = { amount_cents = { max = 20000 }, currency = { one_of = ["EUR", "USD"] } }
//! decide = "allow"
//! ```
//!
//! Where several rules match, `deny` beats `ask` beats `allow`; the first rule of the winning
//! kind in the table is the one named. `command` rules read the `command` argument as a shell
//! line (`shell`): a line is allowed only when every simple command in it is allowed by some
//! allow rule, and a line whose effect cannot be bounded is at least `ask`. A condition that
//! cannot be judged (a path that cannot be placed) never lets an allow rule match; an ask rule
//! then matches, and a deny rule asks (naming itself and its reason).
//!
//! Files: `decide` (the table and its decision), `table` (the serde form of a rule and its checks), `arguments` (`where`), `paths`
//! (`path`), `commands` and `shell` (`command`), `schema` (a table against the tools'
//! input schemas), `wildcard` (the patterns all of them use).

mod arguments;
mod commands;
mod decide;
mod paths;
mod schema;
mod shell;
mod table;
mod wildcard;

pub use decide::{RuleRef, Rules, Ruling};
pub(crate) use paths::DEFAULT_KEYS as PATH_KEYS;
pub use schema::RuleProblem;
pub use table::{AskSettings, Decide, Rule};
