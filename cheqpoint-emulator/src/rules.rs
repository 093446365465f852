//! Workspace rules that decide a request at creation from its risk: approve below one score,
//! reject above another. A request that matches both is rejected.

use crate::record::{ApprovalRecord, Decision, Status};

/// The configured thresholds; neither is set by default.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Rules {
    /// Approve when the risk is strictly below this.
    pub approve_below: Option<f64>,
    /// Reject when the risk is strictly above this.
    pub reject_above: Option<f64>,
}

impl Rules {
    /// The rule's decision for a request of this `risk`, if a rule applies.
    pub(crate) fn decide(&self, risk: Option<f64>) -> Option<Decision> {
        let risk = risk?;
        let (status, verb, relation, threshold) = match (self.reject_above, self.approve_below) {
            (Some(limit), _) if risk > limit => (Status::Rejected, "reject", "above", limit),
            (_, Some(limit)) if risk < limit => (Status::Approved, "approve", "below", limit),
            _ => return None,
        };
        let rule_name = format!("auto-{verb} {relation} {threshold}");
        Some(Decision {
            status,
            modified_details: None,
            note: Some(format!("{verb}d by rule \"{rule_name}\": risk {risk}")),
            reason_code: None,
            rule_name: Some(rule_name),
            retryable: false,
        })
    }
}

/// The risk a request carries: its `riskScore`, else the score of its `riskLevel`.
pub(crate) fn risk(record: &ApprovalRecord) -> Option<f64> {
    record
        .risk_score
        .or_else(|| record.risk_level.as_deref().and_then(risk_level_score))
}

/// The score a risk level stands for: low 0.2, medium 0.5, high 0.9.
pub(crate) fn risk_level_score(level: &str) -> Option<f64> {
    match level {
        "low" => Some(0.2),
        "medium" => Some(0.5),
        "high" => Some(0.9),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(rules: Rules, risk: Option<f64>) -> Option<(Status, String)> {
        rules
            .decide(risk)
            .map(|decision| (decision.status, decision.rule_name.unwrap()))
    }

    #[test]
    fn thresholds_are_strict_and_reject_wins() {
        let rules = Rules {
            approve_below: Some(0.3),
            reject_above: Some(0.8),
        };
        let approved = Some((Status::Approved, "auto-approve below 0.3".to_owned()));
        let rejected = Some((Status::Rejected, "auto-reject above 0.8".to_owned()));
        assert_eq!(outcome(rules, Some(0.1)), approved);
        assert_eq!(outcome(rules, Some(0.3)), None);
        assert_eq!(outcome(rules, Some(0.8)), None);
        assert_eq!(outcome(rules, Some(0.81)), rejected);
        assert_eq!(outcome(rules, None), None);

        let overlapping = Rules {
            approve_below: Some(0.9),
            reject_above: Some(0.1),
        };
        assert_eq!(outcome(overlapping, Some(0.5)).unwrap().0, Status::Rejected);
        assert_eq!(outcome(Rules::default(), Some(0.0)), None);
    }

    #[test]
    fn risk_levels_map_to_scores() {
        assert_eq!(risk_level_score("low"), Some(0.2));
        assert_eq!(risk_level_score("medium"), Some(0.5));
        assert_eq!(risk_level_score("high"), Some(0.9));
        assert_eq!(risk_level_score("HIGH"), None);
    }
}
