//! [`Client::ask_grant`]: a grant asked for as an ordinary approval request, and kept in the
//! journal as the reviewer approved it — narrowed by their edit, or nothing at all when the
//! edit widens it.

use crate::{Client, Error, KeptGrant, policy::grants::Grant};

impl Client {
    /// Asks a person for `grant` (action `grant:TOOL`, the grant as details, its words as the
    /// summary), waits for the decision, and keeps what they approved in the client's journal:
    /// from then on, calls the grant covers run with nobody asked, each taking one use.
    ///
    /// The reviewer may narrow it by editing the details (fewer uses, a shorter time, tighter
    /// bounds, a narrower scope); an edit that widens it, or is no grant, grants nothing:
    /// [`Error::GrantRefused`]. A rejection is [`Error::Rejected`], as for any request. Needs a
    /// [`Journal`](crate::Journal), where grants are kept and their uses counted.
    ///
    /// ```no_run
    /// # async fn run(client: cheqpoint::Client) -> Result<(), cheqpoint::Error> {
    /// use std::time::Duration;
    /// use cheqpoint::policy::grants::Grant;
    ///
    /// let kept = client
    ///     .ask_grant(&Grant::new("process_refund")
    ///         .conditions(serde_json::json!({"amount_cents": {"max": 5000}, "currency": {"one_of": ["EUR"]}}))
    ///         .lasting(Duration::from_secs(3600))
    ///         .uses(20))
    ///     .await?;
    /// println!("{}: {} uses left", kept.id, kept.uses_left);
    /// # Ok(()) }
    /// ```
    pub async fn ask_grant(&self, grant: &Grant) -> Result<KeptGrant, Error> {
        let journal = self.journal().ok_or_else(|| {
            Error::Config(
                "a grant is kept in a journal: build the client with `.journal(..)`".into(),
            )
        })?;
        grant
            .checked()
            .map_err(|why| Error::Config(format!("this grant cannot be asked for: {why}")))?;
        let approved = self.checkpoint(grant.request()).await?;
        let granted = match &approved.modified_details {
            Some(edit) => grant
                .narrowed_by(edit)
                .map_err(|reason| Error::GrantRefused {
                    approval_id: approved.approval_id.clone(),
                    reason,
                })?,
            None => grant.clone(),
        };
        journal
            .keep_grant(grant, &granted, Some(&approved.approval_id))
            .await
    }
}
