//! Grants in the SQLite journal. A use is one `UPDATE … RETURNING` and one `INSERT` in the same
//! transaction, which SQLite's write lock serialises across processes (`BEGIN IMMEDIATE`), and
//! synced to disk before its answer arrives.

use rusqlite::{OptionalExtension, params};

use crate::journal::{
    sqlite::SqliteStore,
    store::{Answer, GRANT_COLUMNS, GrantRow, GrantStore, RulingRow},
};

impl GrantStore for SqliteStore {
    fn keep_grant<'a>(&'a self, row: &'a GrantRow) -> Answer<'a, ()> {
        let row = row.clone();
        self.with(true, move |connection| {
            connection.execute(
                &format!(
                    "INSERT INTO cheqpoint_grants ({GRANT_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                ),
                params![
                    row.id,
                    row.tool,
                    row.asked,
                    row.granted,
                    row.approval_id,
                    row.uses,
                    row.uses_left,
                    row.expires_ms,
                    row.revoked_ms,
                    row.created_ms
                ],
            )?;
            Ok(())
        })
    }

    fn live_grants<'a>(&'a self, tool: &'a str, now_ms: i64) -> Answer<'a, Vec<GrantRow>> {
        let tool = tool.to_owned();
        self.with(false, move |connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {GRANT_COLUMNS} FROM cheqpoint_grants WHERE tool = ?1 \
                 AND revoked_ms IS NULL AND uses_left > 0 AND expires_ms > ?2 \
                 ORDER BY expires_ms"
            ))?;
            let rows = statement.query_map(params![tool, now_ms], read_grant)?;
            rows.collect()
        })
    }

    fn take_use<'a>(
        &'a self,
        id: &'a str,
        now_ms: i64,
        action: &'a str,
        details: &'a str,
    ) -> Answer<'a, Option<i64>> {
        let (id, action, details) = (id.to_owned(), action.to_owned(), details.to_owned());
        self.with(true, move |connection| {
            let left: Option<i64> = connection
                .prepare_cached(
                    "UPDATE cheqpoint_grants SET uses_left = uses_left - 1 WHERE id = ?1 \
                     AND revoked_ms IS NULL AND uses_left > 0 AND expires_ms > ?2 \
                     RETURNING uses_left",
                )?
                .query_row(params![id, now_ms], |row| row.get(0))
                .optional()?;
            if left.is_some() {
                connection
                    .prepare_cached(
                        "INSERT INTO cheqpoint_grant_uses (grant_id, action, details, at_ms) \
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![id, action, details, now_ms])?;
            }
            Ok(left)
        })
    }

    fn revoke_grant<'a>(&'a self, id: &'a str, now_ms: i64) -> Answer<'a, bool> {
        let id = id.to_owned();
        self.with(true, move |connection| {
            let revoked = connection.execute(
                "UPDATE cheqpoint_grants SET revoked_ms = ?2 \
                 WHERE id = ?1 AND revoked_ms IS NULL AND uses_left > 0 AND expires_ms > ?2",
                params![id, now_ms],
            )?;
            Ok(revoked == 1)
        })
    }

    fn grants_since<'a>(&'a self, since_ms: i64) -> Answer<'a, Vec<GrantRow>> {
        self.with(false, move |connection| {
            let mut statement = connection.prepare(&format!(
                "SELECT {GRANT_COLUMNS} FROM cheqpoint_grants \
                 WHERE created_ms >= ?1 OR expires_ms >= ?1 OR revoked_ms >= ?1 \
                 ORDER BY created_ms DESC"
            ))?;
            let rows = statement.query_map([since_ms], read_grant)?;
            rows.collect()
        })
    }

    fn runs_since<'a>(
        &'a self,
        action: &'a str,
        since_ms: i64,
        limit: i64,
    ) -> Answer<'a, Vec<String>> {
        let action = action.to_owned();
        self.with(false, move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT details FROM cheqpoint_journal WHERE action = ?1 AND state = 'finished' \
                 AND updated_ms >= ?2 ORDER BY updated_ms DESC LIMIT ?3",
            )?;
            let rows = statement.query_map(params![action, since_ms, limit], |row| row.get(0))?;
            rows.collect()
        })
    }

    fn touched_since<'a>(&'a self, action: &'a str, since_ms: i64) -> Answer<'a, i64> {
        let action = action.to_owned();
        self.with(false, move |connection| {
            connection
                .prepare_cached(
                    "SELECT count(*) FROM cheqpoint_journal WHERE action = ?1 AND updated_ms >= ?2",
                )?
                .query_row(params![action, since_ms], |row| row.get(0))
        })
    }

    fn record_ruling<'a>(&'a self, ruling: &'a RulingRow) -> Answer<'a, ()> {
        let ruling = ruling.clone();
        self.with(false, move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO cheqpoint_rulings (action, decision, why, line, details, at_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    ruling.action,
                    ruling.decision,
                    ruling.why,
                    ruling.line,
                    ruling.details,
                    ruling.at_ms
                ])?;
            Ok(())
        })
    }

    fn rulings_since<'a>(&'a self, since_ms: i64, limit: i64) -> Answer<'a, Vec<RulingRow>> {
        self.with(false, move |connection| {
            let mut statement = connection.prepare(
                "SELECT action, decision, why, line, details, at_ms FROM cheqpoint_rulings \
                 WHERE at_ms >= ?1 ORDER BY at_ms DESC LIMIT ?2",
            )?;
            let rows = statement.query_map(params![since_ms, limit], |row| {
                Ok(RulingRow {
                    action: row.get(0)?,
                    decision: row.get(1)?,
                    why: row.get(2)?,
                    line: row.get(3)?,
                    details: row.get(4)?,
                    at_ms: row.get(5)?,
                })
            })?;
            rows.collect()
        })
    }
}

fn read_grant(row: &rusqlite::Row<'_>) -> rusqlite::Result<GrantRow> {
    Ok(GrantRow {
        id: row.get(0)?,
        tool: row.get(1)?,
        asked: row.get(2)?,
        granted: row.get(3)?,
        approval_id: row.get(4)?,
        uses: row.get(5)?,
        uses_left: row.get(6)?,
        expires_ms: row.get(7)?,
        revoked_ms: row.get(8)?,
        created_ms: row.get(9)?,
    })
}
