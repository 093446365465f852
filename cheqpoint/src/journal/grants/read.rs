//! What a process remembers of the grants it has read: each live grant's bounds, parsed and made
//! into rules once, by the grant's id. A kept grant's bounds never change (only its uses, its
//! expiry and its revocation do, and those are read from the journal at every call), so a grant
//! read again covers exactly what it covered; a grant no longer live is forgotten with the next
//! read of its tool's grants.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use crate::{
    journal::store::GrantRow,
    policy::grants::{Covering, Grant},
};

/// An approved grant, and what it covers: its own bounds and those asked for.
pub(super) type Bounds = Arc<(Grant, Covering)>;

/// The bounds of the live grants read lately, by id.
#[derive(Debug, Default)]
pub(crate) struct ReadGrants(Mutex<HashMap<String, Bounds>>);

impl ReadGrants {
    /// The bounds of `row`, read once; none when they no longer read (a grant no version of
    /// this crate wrote covers nothing).
    pub(super) fn bounds(&self, row: &GrantRow) -> Option<Bounds> {
        if let Some(known) = self.lock().get(&row.id) {
            return Some(Arc::clone(known));
        }
        let bounds = Arc::new(read(row)?);
        self.lock().insert(row.id.clone(), Arc::clone(&bounds));
        Some(bounds)
    }

    /// Forgets the grants of `tool` that are not among its live `rows`.
    pub(super) fn keep_live(&self, tool: &str, rows: &[GrantRow]) {
        self.lock()
            .retain(|id, bounds| bounds.0.tool != tool || rows.iter().any(|row| row.id == *id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bounds>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The approved grant of `row` and what it covers, when both its grant and the one asked for
/// still read.
fn read(row: &GrantRow) -> Option<(Grant, Covering)> {
    let granted: Grant = serde_json::from_str(&row.granted).ok()?;
    let asked: Grant = serde_json::from_str(&row.asked).ok()?;
    let covering = granted.checked().ok()?.and(asked.checked().ok()?);
    Some((granted, covering))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, tool: &str) -> GrantRow {
        let grant = serde_json::to_string(&Grant::new(tool).uses(3)).unwrap();
        GrantRow {
            id: id.into(),
            tool: tool.into(),
            asked: grant.clone(),
            granted: grant,
            approval_id: None,
            uses: 3,
            uses_left: 3,
            expires_ms: i64::MAX,
            revoked_ms: None,
            created_ms: 0,
        }
    }

    #[test]
    fn a_grant_is_read_once_and_forgotten_once_no_longer_live() {
        let read = ReadGrants::default();
        let (one, two, other) = (row("g1", "Bash"), row("g2", "Bash"), row("g3", "Write"));
        let first = read.bounds(&one).unwrap();
        assert!(
            Arc::ptr_eq(&first, &read.bounds(&one).unwrap()),
            "read once"
        );
        read.bounds(&two).unwrap();
        read.bounds(&other).unwrap();
        // g1 is no longer among Bash's live grants; Write's are not touched.
        read.keep_live("Bash", std::slice::from_ref(&two));
        let known: Vec<String> = {
            let mut ids: Vec<String> = read.lock().keys().cloned().collect();
            ids.sort();
            ids
        };
        assert_eq!(known, ["g2", "g3"]);
        assert!(
            !Arc::ptr_eq(&first, &read.bounds(&one).unwrap()),
            "read anew"
        );

        let mut unreadable = row("g4", "Bash");
        unreadable.granted = "{\"tool\": 7}".into();
        assert!(read.bounds(&unreadable).is_none(), "covers nothing");
        assert!(!read.lock().contains_key("g4"));
    }
}
