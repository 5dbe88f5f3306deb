//! The controls (countermeasures) register, criteria 4.3.4.2: what the organization does to
//! treat its risks, which requirements of any framework each control addresses, and which
//! risks, zones and assets it covers.
//!
//! Rules (enforced here so that the pages, the API and the store cannot disagree):
//!
//! - **Code.** `C-0001`, from a per-organization counter; never reused after a delete.
//! - **Status** is planned, implemented, operating or retired. A planned control needs a due
//!   date (when it is to be in place); a retired control keeps its links for the record.
//! - **Common countermeasures** (4.3.4.2.2): a control names any number of zones, so one set of
//!   countermeasures is recorded once and applied to every similar zone; the zone shows every
//!   control that names it.
//! - **Links** to requirements name the framework id and the node ref; the caller checks them
//!   against the organization's catalogs before the store records them.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::Uuid;
use crate::assessment::validate_text;
use crate::inventory::named_enum;
use crate::org::FieldError;
use crate::trail::Audited;

/// Longest control title.
pub const MAX_TITLE: usize = 200;
/// Longest description.
pub const MAX_TEXT: usize = 5_000;
/// Most requirements, risks, zones or assets a control may name (each).
pub const MAX_LINKS: usize = 500;

named_enum! {
    /// Where a control stands.
    ControlStatus, "status", "a control status", "" {
        #[default]
        Planned = "planned" | "plan" | "計画" | "計画中",
        Implemented = "implemented" | "done" | "導入済" | "導入済み" | "実装済み",
        Operating = "operating" | "operational" | "in_operation" | "運用中",
        Retired = "retired" | "withdrawn" | "廃止",
    }
}

/// A requirement of a framework a control addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequirementLink {
    /// The framework id (`jipdec-csms-2010`, `iso27001-2022-annex-a`, ...).
    pub framework: String,
    /// The node ref in that framework (`5.4.2`, `A.8.20`).
    pub node_ref: String,
}

impl RequirementLink {
    /// Reads `framework:ref` (the form used in forms and filters).
    pub fn parse(text: &str) -> Result<RequirementLink, FieldError> {
        let (framework, node_ref) = text
            .trim()
            .split_once(':')
            .map(|(f, r)| (f.trim(), r.trim()))
            .filter(|(f, r)| !f.is_empty() && !r.is_empty())
            .ok_or_else(|| FieldError {
                field: "requirements",
                message: format!(
                    "'{}' is not a requirement; write it as framework:ref, e.g. jipdec-csms-2010:5.4.2",
                    cut(text)
                ),
            })?;
        Ok(RequirementLink {
            framework: framework.to_owned(),
            node_ref: node_ref.to_owned(),
        })
    }
}

impl std::fmt::Display for RequirementLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.framework, self.node_ref)
    }
}

fn cut(text: &str) -> String {
    let t: String = text.chars().take(60).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

/// What a caller sets on a control; every field is written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewControl {
    pub title: String,
    pub description: String,
    pub status: ControlStatus,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<Date>,
    pub requirements: Vec<RequirementLink>,
    pub risk_ids: Vec<Uuid>,
    pub zone_ids: Vec<Uuid>,
    pub asset_ids: Vec<Uuid>,
}

/// A control of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    pub id: Uuid,
    pub org_id: Uuid,
    /// `C-0001`, assigned in order per organization; never reused.
    pub code: String,
    pub title: String,
    pub description: String,
    pub status: ControlStatus,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<Date>,
    pub requirements: Vec<RequirementLink>,
    pub risk_ids: Vec<Uuid>,
    pub zone_ids: Vec<Uuid>,
    pub asset_ids: Vec<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Control {
    const KIND: &'static str = "control";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl Control {
    /// The control's fields as a caller would set them again.
    pub fn to_new(&self) -> NewControl {
        NewControl {
            title: self.title.clone(),
            description: self.description.clone(),
            status: self.status,
            owner_id: self.owner_id,
            due_date: self.due_date,
            requirements: self.requirements.clone(),
            risk_ids: self.risk_ids.clone(),
            zone_ids: self.zone_ids.clone(),
            asset_ids: self.asset_ids.clone(),
        }
    }

    /// Whether a planned control's due date has passed on `today`.
    pub fn overdue(&self, today: Date) -> bool {
        self.status == ControlStatus::Planned && self.due_date.is_some_and(|d| d < today)
    }
}

/// The code of the `n`th control of an organization.
pub fn code(n: i64) -> String {
    format!("C-{n:04}")
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn dedup<T: Eq + std::hash::Hash + Clone>(items: &mut Vec<T>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
}

/// Checks a control. Text is trimmed; repeated links are dropped. The message says what to fix.
pub fn validate_control(mut new: NewControl) -> Result<NewControl, FieldError> {
    new.title = new.title.trim().to_owned();
    if new.title.is_empty() {
        return Err(err(
            "title",
            "a control needs a title that says what it does, e.g. 'Remote access through the DMZ jump server only'",
        ));
    }
    validate_text("title", &new.title, MAX_TITLE)?;
    if new.title.contains(['\n', '\r']) {
        return Err(err(
            "title",
            "the title is one line; put details in the description",
        ));
    }
    new.description = new.description.trim().to_owned();
    validate_text("description", &new.description, MAX_TEXT)?;
    if new.status == ControlStatus::Planned && new.due_date.is_none() {
        return Err(err(
            "due_date",
            "a planned control needs a due date: when it is to be in place",
        ));
    }
    for r in &mut new.requirements {
        r.framework = r.framework.trim().to_owned();
        r.node_ref = r.node_ref.trim().to_owned();
        if r.framework.is_empty() || r.node_ref.is_empty() {
            return Err(err(
                "requirements",
                "each requirement names a framework and a ref, e.g. jipdec-csms-2010:5.4.2",
            ));
        }
        if r.framework
            .chars()
            .chain(r.node_ref.chars())
            .any(char::is_control)
            || r.framework.len() > 100
            || r.node_ref.len() > 200
        {
            return Err(err(
                "requirements",
                format!("'{}' is not a requirement ref", cut(&r.to_string())),
            ));
        }
    }
    dedup(&mut new.requirements);
    dedup(&mut new.risk_ids);
    dedup(&mut new.zone_ids);
    dedup(&mut new.asset_ids);
    for (field, n) in [
        ("requirements", new.requirements.len()),
        ("risk_ids", new.risk_ids.len()),
        ("zone_ids", new.zone_ids.len()),
        ("asset_ids", new.asset_ids.len()),
    ] {
        if n > MAX_LINKS {
            return Err(err(
                field,
                format!(
                    "a control names at most {MAX_LINKS} {}",
                    field.trim_end_matches("_ids")
                ),
            ));
        }
    }
    Ok(new)
}

/// Which controls a list shows; every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ControlFilter {
    pub status: Option<ControlStatus>,
    pub owner_id: Option<Uuid>,
    pub zone_id: Option<Uuid>,
    /// A requirement the control addresses.
    pub requirement: Option<RequirementLink>,
    /// A risk the control treats.
    pub risk_id: Option<Uuid>,
}

impl ControlFilter {
    pub fn matches(&self, c: &Control) -> bool {
        self.status.is_none_or(|s| c.status == s)
            && self.owner_id.is_none_or(|o| c.owner_id == Some(o))
            && self.zone_id.is_none_or(|z| c.zone_ids.contains(&z))
            && self.risk_id.is_none_or(|r| c.risk_ids.contains(&r))
            && self
                .requirement
                .as_ref()
                .is_none_or(|r| c.requirements.contains(r))
    }

    pub fn is_empty(&self) -> bool {
        *self == ControlFilter::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned() -> NewControl {
        NewControl {
            title: "  DMZ jump server for remote access ".into(),
            status: ControlStatus::Planned,
            due_date: Some(time::macros::date!(2027 - 03 - 31)),
            ..NewControl::default()
        }
    }

    #[test]
    fn titles_are_trimmed_and_required() {
        let v = validate_control(planned()).unwrap();
        assert_eq!(v.title, "DMZ jump server for remote access");
        let e = validate_control(NewControl {
            title: "  ".into(),
            ..planned()
        })
        .unwrap_err();
        assert_eq!(e.field, "title");
    }

    #[test]
    fn a_planned_control_needs_a_due_date_others_do_not() {
        let e = validate_control(NewControl {
            due_date: None,
            ..planned()
        })
        .unwrap_err();
        assert_eq!(e.field, "due_date");
        assert!(
            validate_control(NewControl {
                due_date: None,
                status: ControlStatus::Operating,
                ..planned()
            })
            .is_ok()
        );
    }

    #[test]
    fn repeated_links_are_dropped() {
        let z = Uuid::now_v7();
        let r = RequirementLink::parse("jipdec-csms-2010:5.4.2").unwrap();
        let v = validate_control(NewControl {
            zone_ids: vec![z, z],
            requirements: vec![r.clone(), r.clone()],
            ..planned()
        })
        .unwrap();
        assert_eq!(v.zone_ids, vec![z]);
        assert_eq!(v.requirements, vec![r]);
    }

    #[test]
    fn requirement_links_read_framework_colon_ref() {
        let r = RequirementLink::parse(" iso27001-2022-annex-a : A.8.20 ").unwrap();
        assert_eq!(r.framework, "iso27001-2022-annex-a");
        assert_eq!(r.node_ref, "A.8.20");
        assert_eq!(r.to_string(), "iso27001-2022-annex-a:A.8.20");
        assert_eq!(
            RequirementLink::parse("5.4.2").unwrap_err().field,
            "requirements"
        );
        assert!(RequirementLink::parse(":5.4.2").is_err());
    }

    #[test]
    fn statuses_read_common_spellings() {
        assert_eq!(
            ControlStatus::parse("運用中").unwrap(),
            ControlStatus::Operating
        );
        assert_eq!(
            ControlStatus::parse("Implemented").unwrap(),
            ControlStatus::Implemented
        );
        assert_eq!(ControlStatus::parse("maybe").unwrap_err().field, "status");
    }

    #[test]
    fn the_filter_matches_every_set_field() {
        let zone = Uuid::now_v7();
        let owner = Uuid::now_v7();
        let req = RequirementLink::parse("jipdec-csms-2010:5.4.2").unwrap();
        let c = Control {
            id: Uuid::now_v7(),
            org_id: Uuid::now_v7(),
            code: code(1),
            title: "t".into(),
            description: String::new(),
            status: ControlStatus::Operating,
            owner_id: Some(owner),
            due_date: None,
            requirements: vec![req.clone()],
            risk_ids: vec![],
            zone_ids: vec![zone],
            asset_ids: vec![],
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: None,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            updated_by: None,
            version: 1,
        };
        assert!(ControlFilter::default().matches(&c));
        let f = ControlFilter {
            status: Some(ControlStatus::Operating),
            owner_id: Some(owner),
            zone_id: Some(zone),
            requirement: Some(req),
            risk_id: None,
        };
        assert!(f.matches(&c));
        assert!(
            !ControlFilter {
                zone_id: Some(Uuid::now_v7()),
                ..f.clone()
            }
            .matches(&c)
        );
        assert!(
            !ControlFilter {
                status: Some(ControlStatus::Planned),
                ..f
            }
            .matches(&c)
        );
        assert_eq!(c.code, "C-0001");
    }
}
