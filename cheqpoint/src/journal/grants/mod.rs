//! Grants kept in the journal: each approved [`Grant`] with its uses left, its expiry and its
//! revocation, and every use recorded with the call it ran. A use is taken atomically — with N
//! uses, exactly N calls run, across processes and replicas — and on disk before the call runs,
//! as a claim is. Expired, used-up and revoked grants cover nothing. Beside them, each call a
//! rule allowed or refused, with the rule (its line), so that "why did this run without asking"
//! has an answer in the journal too.
//!
//! This folder: the handle's methods (here), what a process remembers of them (`ungranted`, the
//! tools without a grant; `read`, the bounds of the grants it read), and
//! the two databases' statements (`sqlite`, `postgres`); what a database must offer is in the
//! journal's `store`.

#[cfg(feature = "postgres")]
mod postgres;
mod read;
#[cfg(feature = "sqlite")]
mod sqlite;
mod ungranted;

pub(crate) use read::ReadGrants;
pub use ungranted::UNGRANTED_FOR;
pub(crate) use ungranted::Ungranted;

use std::{
    path::Path,
    time::{Duration, SystemTime},
};

use serde_json::Value;

use super::{
    Journal,
    row::{now_ms, time_of},
    store::{GrantRow, RulingRow, failed},
};
use crate::{
    Error,
    policy::{
        grants::{ACTION_PREFIX, Grant, GrantScope, Suggestion},
        rules::{Decide, Ruling},
    },
};

/// How long ended grants stay in [`Journal::grants`]' list.
const RECENT: Duration = Duration::from_secs(24 * 60 * 60);

/// A grant kept in the journal, as [`Journal::grants`] lists it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct KeptGrant {
    /// Its id, for [`Journal::revoke_grant`] and `cheqpoint grant revoke`.
    pub id: String,
    /// What was approved (a reviewer's narrowing, if any).
    pub grant: Grant,
    /// What was asked for, when the reviewer narrowed it.
    pub asked: Option<Grant>,
    /// The request that approved it.
    pub approval_id: Option<String>,
    /// Uses not yet taken.
    pub uses_left: u32,
    /// When it ends.
    pub expires: SystemTime,
    /// When it was revoked, if it was.
    pub revoked: Option<SystemTime>,
    /// When it was approved.
    pub since: SystemTime,
}

impl KeptGrant {
    /// True while it covers calls: not expired, not revoked, uses left.
    pub fn is_live(&self) -> bool {
        self.revoked.is_none() && self.uses_left > 0 && self.expires > SystemTime::now()
    }
}

/// A call a grant might cover: its action, its arguments, where it runs, and who makes it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct GrantCall<'a> {
    /// The action (`claude_code.Bash`, `refund`).
    pub action: &'a str,
    /// Its arguments, as a person would be asked about them.
    pub arguments: &'a Value,
    /// Where relative paths start.
    pub cwd: &'a Path,
    /// The agent session it belongs to, when known.
    pub session: Option<&'a str>,
    /// The agent that makes it, when known.
    pub agent: Option<&'a str>,
}

impl<'a> GrantCall<'a> {
    /// A call of `action` with `arguments`, run in `cwd`, of no known session or agent.
    pub fn new(action: &'a str, arguments: &'a Value, cwd: &'a Path) -> GrantCall<'a> {
        GrantCall {
            action,
            arguments,
            cwd,
            session: None,
            agent: None,
        }
    }

    /// Made in agent session `session`.
    pub fn session(mut self, session: Option<&'a str>) -> GrantCall<'a> {
        self.session = session;
        self
    }

    /// Made by `agent`.
    pub fn agent(mut self, agent: Option<&'a str>) -> GrantCall<'a> {
        self.agent = agent;
        self
    }
}

/// One use of a grant, taken for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrantUse {
    /// The grant's id.
    pub grant_id: String,
    /// Uses left after this one.
    pub uses_left: u32,
}

impl Journal {
    /// Keeps `granted` (what a person approved of `asked`, by request `approval_id`), live from
    /// now for its duration. Refuses a grant that is not within `asked`.
    pub async fn keep_grant(
        &self,
        asked: &Grant,
        granted: &Grant,
        approval_id: Option<&str>,
    ) -> Result<KeptGrant, Error> {
        let invalid = |why: String| Error::Config(format!("a grant that cannot be kept: {why}"));
        let asked_json = serde_json::to_value(asked).map_err(|e| invalid(e.to_string()))?;
        if asked != granted {
            asked
                .narrowed_by(&serde_json::to_value(granted).map_err(|e| invalid(e.to_string()))?)
                .map_err(invalid)?;
        }
        granted.checked().map_err(invalid)?;
        let now = now_ms();
        let row = GrantRow {
            id: format!("g{:016x}", fastrand::u64(..)),
            tool: granted.tool.clone(),
            asked: asked_json.to_string(),
            granted: serde_json::to_string(granted).map_err(|e| invalid(e.to_string()))?,
            approval_id: approval_id.map(str::to_owned),
            uses: i64::from(granted.uses),
            uses_left: i64::from(granted.uses),
            expires_ms: now.saturating_add(granted.duration().as_millis() as i64),
            revoked_ms: None,
            created_ms: now,
        };
        self.store()
            .keep_grant(&row)
            .await
            .map_err(|error| failed("keep the grant", error))?;
        self.ungranted().forget(&row.tool);
        KeptGrant::try_from(row).map_err(invalid)
    }

    /// Takes a use of a live grant that covers `call`, if one does: the call may then run
    /// with nobody asked. `None` when no grant covers it (or the last use went to another
    /// process first). A grant whose stored form no longer reads covers nothing. A tool found
    /// with no live grant is not read again for [`UNGRANTED_FOR`] in this process (a grant
    /// kept here is seen at once; one kept by another process, that much later).
    pub async fn use_grant(&self, call: GrantCall<'_>) -> Result<Option<GrantUse>, Error> {
        if self.ungranted().lately(call.action) {
            return Ok(None);
        }
        let now = now_ms();
        let rows = self
            .store()
            .live_grants(call.action, now)
            .await
            .map_err(|error| failed("read the grants", error))?;
        if rows.is_empty() {
            self.ungranted().found_none(call.action);
        }
        self.read_grants().keep_live(call.action, &rows);
        let mut details = None;
        for row in rows {
            let Some(bounds) = self.read_grants().bounds(&row) else {
                continue;
            };
            let (granted, covering) = &*bounds;
            if !granted.scope.holds(call.session, call.agent)
                || !covering.covers(call.action, call.arguments, call.cwd)
            {
                continue;
            }
            let details = details.get_or_insert_with(|| call.arguments.to_string());
            let taken = self
                .store()
                .take_use(&row.id, now, call.action, details)
                .await
                .map_err(|error| failed("take a use of the grant", error))?;
            if let Some(left) = taken {
                #[cfg(feature = "tracing")]
                tracing::info!(
                    action = call.action,
                    grant = row.id,
                    uses_left = left,
                    "grant: {} runs under grant {} ({left} uses left)",
                    call.action,
                    row.id
                );
                return Ok(Some(GrantUse {
                    grant_id: row.id,
                    uses_left: left.clamp(0, i64::from(u32::MAX)) as u32,
                }));
            }
        }
        Ok(None)
    }

    /// The live grants, and those that ended in the last day, newest first.
    pub async fn grants(&self) -> Result<Vec<KeptGrant>, Error> {
        let since = now_ms().saturating_sub(RECENT.as_millis() as i64);
        let rows = self
            .store()
            .grants_since(since)
            .await
            .map_err(|error| failed("read the grants", error))?;
        // A row no version of this crate wrote is left out of the list, as it covers nothing.
        Ok(rows
            .into_iter()
            .filter_map(|row| KeptGrant::try_from(row).ok())
            .collect())
    }

    /// Revokes grant `id`, at once for every process on the journal; true when a live grant
    /// was revoked.
    pub async fn revoke_grant(&self, id: &str) -> Result<bool, Error> {
        self.store()
            .revoke_grant(id, now_ms())
            .await
            .map_err(|error| failed("revoke the grant", error))
    }
}

impl Journal {
    /// What the journal does with a call once the rules have decided it (`ruling`; `None`
    /// where there are no rules), the same at every door: an allow or a deny is recorded (an
    /// allow that cannot be recorded fails, so it does not run), and a call still to be asked
    /// takes a use of a live grant that covers it, if one does ([`Journal::use_grant`]). The
    /// use, when one was taken: the call then runs with nobody asked.
    pub async fn settle(
        &self,
        ruling: Option<&Ruling>,
        call: GrantCall<'_>,
    ) -> Result<Option<GrantUse>, Error> {
        match ruling {
            Some(ruling) if ruling.decide != Decide::Ask => {
                self.record_ruling(call.action, ruling, call.arguments)
                    .await?;
                Ok(None)
            }
            _ => self.use_grant(call).await,
        }
    }

    /// Records that a rule decided `ruling` of a call of `action` with `details` (an `ask`
    /// leaves its record as the request it makes). Not synced: a record, not a guard.
    async fn record_ruling(
        &self,
        action: &str,
        ruling: &Ruling,
        details: &Value,
    ) -> Result<(), Error> {
        let row = RulingRow {
            action: action.to_owned(),
            decision: ruling.decide.as_str().to_owned(),
            why: ruling.explain(),
            line: ruling
                .rules
                .first()
                .and_then(|rule| rule.line)
                .map(|line| line as i64),
            details: details.to_string(),
            at_ms: now_ms(),
        };
        self.store()
            .record_ruling(&row)
            .await
            .map_err(|error| failed("record the rule's decision", error))
    }

    /// What the rules decided in the last `within`, newest first, at most `limit` records.
    pub async fn rulings(&self, within: Duration, limit: u32) -> Result<Vec<RulingRow>, Error> {
        let since = now_ms().saturating_sub(within.as_millis() as i64);
        self.store()
            .rulings_since(since, i64::from(limit))
            .await
            .map_err(|error| failed("read the journal", error))
    }

    /// The grant `suggestion` says to ask for after the latest approved run of `tool`: shaped
    /// on the calls of `tool` run within its window, when there were enough of them and no
    /// grant of `tool` was asked for within it. `None` otherwise.
    pub async fn suggested_grant(
        &self,
        tool: &str,
        suggestion: &Suggestion,
        scope: GrantScope,
    ) -> Result<Option<Grant>, Error> {
        let since = now_ms().saturating_sub(suggestion.within.as_millis() as i64);
        let read = |error| failed("read the journal", error);
        let runs = self
            .store()
            .runs_since(tool, since, i64::from(suggestion.after))
            .await
            .map_err(read)?;
        if runs.len() < suggestion.after as usize {
            return Ok(None);
        }
        let asked = self
            .store()
            .touched_since(&format!("{ACTION_PREFIX}{tool}"), since)
            .await
            .map_err(read)?;
        if asked > 0 {
            return Ok(None);
        }
        let calls: Vec<Value> = runs
            .iter()
            .filter_map(|details| serde_json::from_str(details).ok())
            .collect();
        Ok(suggestion.shape(tool, &calls, scope))
    }
}

impl TryFrom<GrantRow> for KeptGrant {
    type Error = String;

    fn try_from(row: GrantRow) -> Result<KeptGrant, String> {
        let granted: Grant = serde_json::from_str(&row.granted).map_err(|e| e.to_string())?;
        let asked: Grant = serde_json::from_str(&row.asked).map_err(|e| e.to_string())?;
        Ok(KeptGrant {
            id: row.id,
            asked: (asked != granted).then_some(asked),
            grant: granted,
            approval_id: row.approval_id,
            uses_left: row.uses_left.clamp(0, i64::from(u32::MAX)) as u32,
            expires: time_of(row.expires_ms),
            revoked: row.revoked_ms.map(time_of),
            since: time_of(row.created_ms),
        })
    }
}
