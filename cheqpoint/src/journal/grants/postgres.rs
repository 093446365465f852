//! Grants in the PostgreSQL journal. A use is one statement — the `UPDATE` that takes it and
//! the `INSERT` that records it, joined by a `WITH` — so PostgreSQL makes it atomic: of several
//! replicas racing for the last use, the row lock lets one through and the others see it gone.
//! Uses, grants and revocations go through the connections that commit to disk.

use crate::journal::{
    postgres::PostgresStore,
    store::{Answer, GRANT_COLUMNS, GrantRow, GrantStore, RulingRow, StoreError},
};

impl GrantStore for PostgresStore {
    fn keep_grant<'a>(&'a self, row: &'a GrantRow) -> Answer<'a, ()> {
        Box::pin(async move {
            self.client(true)
                .execute(
                    &format!(
                        "INSERT INTO cheqpoint_grants ({GRANT_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                    ),
                    &[
                        &row.id,
                        &row.tool,
                        &row.asked,
                        &row.granted,
                        &row.approval_id,
                        &row.uses,
                        &row.uses_left,
                        &row.expires_ms,
                        &row.revoked_ms,
                        &row.created_ms,
                    ],
                )
                .await?;
            Ok(())
        })
    }

    fn live_grants<'a>(&'a self, tool: &'a str, now_ms: i64) -> Answer<'a, Vec<GrantRow>> {
        Box::pin(async move {
            let rows = self
                .client(false)
                .query(
                    &format!(
                        "SELECT {GRANT_COLUMNS} FROM cheqpoint_grants WHERE tool = $1 \
                         AND revoked_ms IS NULL AND uses_left > 0 AND expires_ms > $2 \
                         ORDER BY expires_ms"
                    ),
                    &[&tool, &now_ms],
                )
                .await?;
            rows.iter().map(read_grant).collect()
        })
    }

    fn take_use<'a>(
        &'a self,
        id: &'a str,
        now_ms: i64,
        action: &'a str,
        details: &'a str,
    ) -> Answer<'a, Option<i64>> {
        Box::pin(async move {
            let row = self
                .client(true)
                .query_opt(
                    "WITH taken AS (UPDATE cheqpoint_grants SET uses_left = uses_left - 1 \
                     WHERE id = $1 AND revoked_ms IS NULL AND uses_left > 0 AND expires_ms > $2 \
                     RETURNING id, uses_left), \
                     recorded AS (INSERT INTO cheqpoint_grant_uses (grant_id, action, details, at_ms) \
                     SELECT id, $3, $4, $2 FROM taken) \
                     SELECT uses_left FROM taken",
                    &[&id, &now_ms, &action, &details],
                )
                .await?;
            Ok(row.map(|row| row.try_get(0)).transpose()?)
        })
    }

    fn revoke_grant<'a>(&'a self, id: &'a str, now_ms: i64) -> Answer<'a, bool> {
        Box::pin(async move {
            let revoked = self
                .client(true)
                .execute(
                    "UPDATE cheqpoint_grants SET revoked_ms = $2 \
                     WHERE id = $1 AND revoked_ms IS NULL AND uses_left > 0 AND expires_ms > $2",
                    &[&id, &now_ms],
                )
                .await?;
            Ok(revoked == 1)
        })
    }

    fn grants_since<'a>(&'a self, since_ms: i64) -> Answer<'a, Vec<GrantRow>> {
        Box::pin(async move {
            let rows = self
                .client(false)
                .query(
                    &format!(
                        "SELECT {GRANT_COLUMNS} FROM cheqpoint_grants \
                         WHERE created_ms >= $1 OR expires_ms >= $1 OR revoked_ms >= $1 \
                         ORDER BY created_ms DESC"
                    ),
                    &[&since_ms],
                )
                .await?;
            rows.iter().map(read_grant).collect()
        })
    }

    fn runs_since<'a>(
        &'a self,
        action: &'a str,
        since_ms: i64,
        limit: i64,
    ) -> Answer<'a, Vec<String>> {
        Box::pin(async move {
            let rows = self
                .client(false)
                .query(
                    "SELECT details FROM cheqpoint_journal WHERE action = $1 \
                     AND state = 'finished' AND updated_ms >= $2 \
                     ORDER BY updated_ms DESC LIMIT $3",
                    &[&action, &since_ms, &limit],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?)
        })
    }

    fn touched_since<'a>(&'a self, action: &'a str, since_ms: i64) -> Answer<'a, i64> {
        Box::pin(async move {
            let row = self
                .client(false)
                .query_one(
                    "SELECT count(*) FROM cheqpoint_journal WHERE action = $1 \
                     AND updated_ms >= $2",
                    &[&action, &since_ms],
                )
                .await?;
            Ok(row.try_get(0)?)
        })
    }

    fn record_ruling<'a>(&'a self, ruling: &'a RulingRow) -> Answer<'a, ()> {
        Box::pin(async move {
            self.client(false)
                .execute(
                    "INSERT INTO cheqpoint_rulings (action, decision, why, line, details, at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &ruling.action,
                        &ruling.decision,
                        &ruling.why,
                        &ruling.line,
                        &ruling.details,
                        &ruling.at_ms,
                    ],
                )
                .await?;
            Ok(())
        })
    }

    fn rulings_since<'a>(&'a self, since_ms: i64, limit: i64) -> Answer<'a, Vec<RulingRow>> {
        Box::pin(async move {
            let rows = self
                .client(false)
                .query(
                    "SELECT action, decision, why, line, details, at_ms FROM cheqpoint_rulings \
                     WHERE at_ms >= $1 ORDER BY at_ms DESC LIMIT $2",
                    &[&since_ms, &limit],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(RulingRow {
                        action: row.try_get(0)?,
                        decision: row.try_get(1)?,
                        why: row.try_get(2)?,
                        line: row.try_get(3)?,
                        details: row.try_get(4)?,
                        at_ms: row.try_get(5)?,
                    })
                })
                .collect()
        })
    }
}

fn read_grant(row: &tokio_postgres::Row) -> Result<GrantRow, StoreError> {
    Ok(GrantRow {
        id: row.try_get(0)?,
        tool: row.try_get(1)?,
        asked: row.try_get(2)?,
        granted: row.try_get(3)?,
        approval_id: row.try_get(4)?,
        uses: row.try_get(5)?,
        uses_left: row.try_get(6)?,
        expires_ms: row.try_get(7)?,
        revoked_ms: row.try_get(8)?,
        created_ms: row.try_get(9)?,
    })
}
