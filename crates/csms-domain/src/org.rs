//! Organizations: the tenants of the CSMS (an operator's plant, an integrator's client).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::trail::Audited;

/// An organization and its profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: Uuid,
    /// Short unique name used in URLs and on the command line (`kashima-plant`).
    pub slug: String,
    pub name: String,
    pub description: String,
    /// IANA time zone in which the organization's dates are shown.
    pub timezone: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Organization {
    const KIND: &'static str = "organization";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// What a caller may change on an organization's profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub timezone: Option<String>,
}

/// A field that failed validation, with a message saying how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Validates an organization slug: 2 to 63 characters, lowercase ASCII letters, digits and
/// hyphens, starting with a letter.
pub fn validate_slug(slug: &str) -> Result<(), FieldError> {
    let ok_len = (2..=63).contains(&slug.len());
    let ok_first = slug.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let ok_chars = slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok_len && ok_first && ok_chars && !slug.ends_with('-') {
        Ok(())
    } else {
        Err(FieldError {
            field: "slug",
            message: format!(
                "'{slug}' is not a valid organization slug; use 2-63 lowercase letters, digits and hyphens, starting with a letter (e.g. kashima-plant)"
            ),
        })
    }
}

/// Validates a display name: not blank, at most 200 characters.
pub fn validate_name(field: &'static str, name: &str) -> Result<(), FieldError> {
    if name.trim().is_empty() {
        return Err(FieldError {
            field,
            message: "must not be empty".into(),
        });
    }
    if name.chars().count() > 200 {
        return Err(FieldError {
            field,
            message: "must be at most 200 characters".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(validate_slug("kashima-plant").is_ok());
        assert!(validate_slug("a1").is_ok());
        for bad in [
            "",
            "a",
            "1abc",
            "Kashima",
            "ab_c",
            "ab-",
            "工場",
            &"a".repeat(64),
        ] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(validate_name("name", "鹿島工場").is_ok());
        assert!(validate_name("name", "  ").is_err());
        assert!(validate_name("name", &"あ".repeat(201)).is_err());
    }
}
