//! [`Decider`]: who declined a request, read from its flags the same way by the error's message
//! and by the words a model reads. A leaf: it calls nothing.

/// Who declined a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// A person, in the review inbox.
    Person,
    /// A rule of the workspace, at creation.
    WorkspaceRule,
    /// The service itself (the request expired, no reviewer): not a judgement of the call.
    Service,
}

impl Decider {
    /// Who declined, from a rejection's flags: the service when it is `retryable`, else a rule
    /// when `auto_decided`, else a person.
    pub fn of(auto_decided: bool, retryable: bool) -> Decider {
        if retryable {
            Decider::Service
        } else if auto_decided {
            Decider::WorkspaceRule
        } else {
            Decider::Person
        }
    }

    /// In words, lower case: `a reviewer`, `a workspace rule`, `the approval service`.
    pub fn name(self) -> &'static str {
        match self {
            Decider::Person => "a reviewer",
            Decider::WorkspaceRule => "a workspace rule",
            Decider::Service => "the approval service",
        }
    }
}
