//! The answer to a create (`POST /api/approvals/request`): the new request's id and first status.

use serde::Deserialize;

use crate::{Error, Status, error::invalid_response, response::fields};

/// The answer to a create: the new request's id and first status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Created {
    /// The request id, e.g. `req_abc123`.
    pub id: String,
    /// Usually pending; a workspace rule may have decided already.
    pub status: Status,
}

impl Created {
    /// Reads the answer to a create: an `id` is required; a missing status reads as pending, an
    /// unknown one is an error.
    pub(crate) fn from_body(body: &[u8]) -> Result<Created, Error> {
        #[derive(Deserialize)]
        struct CreatedWire {
            id: Option<String>,
            status: Option<String>,
        }
        let wire: CreatedWire = serde_json::from_slice(body)
            .map_err(|e| invalid_response(format!("not a created request: {e}"), body))?;
        let id = wire
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| invalid_response("the answer has no `id`".into(), body))?;
        let status = fields::status(wire.status.unwrap_or_else(|| "PENDING".into()), &id)?;
        Ok(Created { id, status })
    }
}
