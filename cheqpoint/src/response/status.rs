//! The three statuses of an approval request, read without regard to letter case.

use std::fmt;

/// Where a request stands. The service writes `PENDING` on `/api/approvals/*` and `pending` on
/// `/api/webhooks/inbound`; both read the same here. Any other value is refused when parsed
/// (see [`Status::parse`]): an unknown status is never taken for an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Waiting for a reviewer.
    Pending,
    /// A reviewer or a rule approved it.
    Approved,
    /// A reviewer, a rule or the system declined it.
    Rejected,
}

impl Status {
    /// Reads a status in any letter case; `None` for anything but pending, approved or rejected.
    pub fn parse(raw: &str) -> Option<Status> {
        [Status::Pending, Status::Approved, Status::Rejected]
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(raw))
    }

    /// The lower-case name: `pending`, `approved` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn parses_every_letter_case_and_nothing_else() {
        assert_eq!(Status::parse("APPROVED"), Some(Status::Approved));
        assert_eq!(Status::parse("approved"), Some(Status::Approved));
        assert_eq!(Status::parse("Rejected"), Some(Status::Rejected));
        assert_eq!(Status::parse("pending"), Some(Status::Pending));
        for unknown in ["EXPIRED", "cancelled", "", "approved ", "APPROVE"] {
            assert_eq!(Status::parse(unknown), None, "{unknown:?}");
        }
    }
}
