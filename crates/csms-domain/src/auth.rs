//! Users, memberships and roles.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::org::FieldError;
use crate::trail::Audited;

/// A user's role within one organization. Order matters only for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users, memberships and settings of the organization.
    Admin,
    /// Everything in the CSMS.
    CsmsManager,
    /// Edits items assigned to them and adds evidence.
    Contributor,
    /// Reads everything, writes audit findings only.
    Auditor,
    /// Reads.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::CsmsManager,
        Role::Contributor,
        Role::Auditor,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CsmsManager => "csms_manager",
            Role::Contributor => "contributor",
            Role::Auditor => "auditor",
            Role::Viewer => "viewer",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| FieldError {
                field: "role",
                message: format!(
                    "unknown role '{s}'; use one of admin, csms_manager, contributor, auditor, viewer"
                ),
            })
    }
}

/// A person who signs in. Users are global; what they may do is given per organization by
/// their memberships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// Preferred UI language (`ja` or `en`); `None` follows the browser.
    pub locale: Option<String>,
    /// IANA time zone for dates; `None` uses the organization's.
    pub timezone: Option<String>,
    /// The user must choose a new password at next sign-in (set for one-time passwords).
    pub must_change_password: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub disabled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for User {
    const KIND: &'static str = "user";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// A user's role in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Membership {
    const KIND: &'static str = "membership";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// An API token's metadata (the secret itself is shown once and only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
}

impl Audited for ApiToken {
    const KIND: &'static str = "api_token";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl ApiToken {
    /// Whether the token may be used at `now`.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// Minimum password length. Long passphrases beat composition rules (NIST SP 800-63B).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Validates a user name: 2 to 64 characters of lowercase ASCII letters, digits, `.`, `_`, `-`.
pub fn validate_username(name: &str) -> Result<(), FieldError> {
    let ok = (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(FieldError {
            field: "username",
            message: format!(
                "'{name}' is not a valid user name; use 2-64 lowercase letters, digits, '.', '_' or '-'"
            ),
        })
    }
}

/// Validates a new password.
pub fn validate_password(password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError {
            field: "password",
            message: format!(
                "is {chars} characters long; use at least {MIN_PASSWORD_CHARS} (a passphrase of several words works well)"
            ),
        });
    }
    if chars > 1024 {
        return Err(FieldError {
            field: "password",
            message: "is longer than 1024 characters".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn usernames_and_passwords() {
        assert!(validate_username("yamada.taro").is_ok());
        assert!(validate_username("Yamada").is_err());
        assert!(validate_username("y").is_err());
        assert!(validate_password("short").is_err());
        assert!(validate_password("correct horse battery").is_ok());
        assert!(validate_password("あいうえおかきくけこさし").is_ok());
    }
}

/// Sign-in throttling: after `threshold` consecutive failures, a key (an account or an address)
/// is locked for 1 minute, doubling with each further failure, at most 1 hour.
pub fn lockout_duration(failures: i64, threshold: i64) -> Option<time::Duration> {
    if failures < threshold {
        return None;
    }
    let doublings = (failures - threshold).min(6) as u32; // 2^6 min > 1 h
    let seconds = (60i64 << doublings).min(3600);
    Some(time::Duration::seconds(seconds))
}

/// Failures that lock an account.
pub const ACCOUNT_LOCK_THRESHOLD: i64 = 5;
/// Failures that lock a client address (many accounts tried from one place).
pub const ADDRESS_LOCK_THRESHOLD: i64 = 20;

/// An organization must keep at least one administrator: refuse a change that would leave it
/// with none.
pub fn check_admin_kept(
    admins_now: i64,
    target_is_admin: bool,
    target_stays_admin: bool,
) -> Result<(), FieldError> {
    if target_is_admin && !target_stays_admin && admins_now <= 1 {
        return Err(FieldError {
            field: "role",
            message: "this is the organization's last administrator; make someone else admin first"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod lockout_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lockout_grows_and_caps() {
        assert_eq!(lockout_duration(4, 5), None);
        assert_eq!(lockout_duration(5, 5), Some(time::Duration::minutes(1)));
        assert_eq!(lockout_duration(6, 5), Some(time::Duration::minutes(2)));
        assert_eq!(lockout_duration(500, 5), Some(time::Duration::hours(1)));
    }

    #[test]
    fn last_admin_is_kept() {
        assert!(check_admin_kept(1, true, false).is_err());
        assert!(check_admin_kept(2, true, false).is_ok());
        assert!(check_admin_kept(1, true, true).is_ok());
        assert!(check_admin_kept(1, false, false).is_ok());
    }

    proptest! {
        #[test]
        fn lockout_never_shrinks_with_more_failures(f in 0i64..1000, t in 1i64..50) {
            let a = lockout_duration(f, t).unwrap_or_default();
            let b = lockout_duration(f + 1, t).unwrap_or_default();
            prop_assert!(b >= a);
            prop_assert!(b <= time::Duration::hours(1));
        }
    }
}
