//! Accounts and what they may do on their portal.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A user's role on the one portal the account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may change the portal's own settings (texts, languages, integrations).
    pub fn can_edit_portal(self) -> bool {
        self == Role::Admin
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role `{other}` (expected admin, editor or viewer)")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A syntactic check of an e-mail address used as a login: one `@`, something on both sides,
/// no spaces. Deliverability is not portail's business.
pub fn validate_email(email: &str) -> Result<(), String> {
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{email}` is not an e-mail address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_order() {
        for r in [Role::Viewer, Role::Editor, Role::Admin] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Viewer);
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Admin.can_edit_portal() && !Role::Editor.can_edit_portal());
    }

    #[test]
    fn emails_need_one_at_sign() {
        assert!(validate_email("admin@saintmande.localhost").is_ok());
        assert!(validate_email("admin").is_err());
        assert!(validate_email("a@b@c").is_err());
        assert!(validate_email("a b@c").is_err());
    }
}
