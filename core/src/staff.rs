//! Who staff are and what they may see: roles, and the scope of units a role covers.
//!
//! A scope is a value handed to every query that reads cases (the store's filters, the
//! search index's), never a filter applied to results afterwards, so that counts,
//! facets and pages agree with what the caller may see.

use std::collections::BTreeSet;

crate::coded_enum!(
    /// What a staff member may do.
    StaffRole {
        /// Everything: every case, the organisation, routing models, accounts.
        Admin => "admin",
        /// Every unit's cases; may reassign any of them.
        Triage => "triage",
        /// The cases of their own units.
        Handler => "handler",
    }
);

/// The cases a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everything,
    /// The cases whose unit is one of these (none when the set is empty).
    Units(BTreeSet<String>),
}

impl Scope {
    /// Whether a case handled by `unit` (or by none yet) is in scope. A case without a
    /// unit is still being routed: only callers who see everything see it.
    pub fn covers(&self, unit: Option<&str>) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Units(units) => unit.is_some_and(|unit| units.contains(unit)),
        }
    }

    /// `None` for everything; otherwise the units, for a query's `unit IN (…)`.
    pub fn units(&self) -> Option<&BTreeSet<String>> {
        match self {
            Scope::Everything => None,
            Scope::Units(units) => Some(units),
        }
    }
}

/// An authenticated staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    /// `None` for the bootstrap administrator token, which has no account.
    pub user_id: Option<i64>,
    pub email: String,
    pub role: StaffRole,
    /// The units a handler works for (others' roles cover every unit).
    pub units: BTreeSet<String>,
}

impl StaffMember {
    /// The bootstrap administrator: the token from settings or the data folder.
    pub fn bootstrap_admin() -> Self {
        Self {
            user_id: None,
            email: "admin".to_owned(),
            role: StaffRole::Admin,
            units: BTreeSet::new(),
        }
    }

    pub fn scope(&self) -> Scope {
        match self.role {
            StaffRole::Admin | StaffRole::Triage => Scope::Everything,
            StaffRole::Handler => Scope::Units(self.units.clone()),
        }
    }

    /// How the timeline names them: a real person, never a shared name, except for
    /// the bootstrap token.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handler_sees_only_their_units() {
        let handler = StaffMember {
            user_id: Some(1),
            email: "h@hel.fi".into(),
            role: StaffRole::Handler,
            units: ["rakennusvirasto".to_owned()].into(),
        };
        let scope = handler.scope();
        assert!(scope.covers(Some("rakennusvirasto")));
        assert!(!scope.covers(Some("hkl")));
        assert!(
            !scope.covers(None),
            "a case still being routed is nobody's yet"
        );
        let triage = StaffMember {
            role: StaffRole::Triage,
            ..handler
        };
        assert!(triage.scope().covers(None));
        assert_eq!(StaffRole::from_code("triage"), Some(StaffRole::Triage));
    }
}
