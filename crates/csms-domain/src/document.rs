//! Documents and evidence (4.3.2.6, 4.3.4.4, 4.4.2.4): policies, procedures, plans and
//! records, each with immutable versions that carry one file, an approval workflow per version
//! (draft → in review → approved → superseded, or withdrawn) in which the approver is never the
//! author, periodic review and retention, and evidence links from a document to what it proves
//! (requirements, controls, risks, SoA items, audit findings).

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};
use uuid::Uuid;

use crate::org::FieldError;
use crate::trail::Audited;

/// Longest document title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest classification label, in characters.
pub const MAX_LABEL: usize = 40;
/// Most labels in a classification scheme.
pub const MAX_LABELS: usize = 20;
/// Longest stored file name, in bytes (UTF-8), extension kept.
pub const MAX_FILE_NAME: usize = 120;
/// Longest version note, in characters.
pub const MAX_NOTE: usize = 2000;
/// Longest review interval or retention period, in months (50 years).
pub const MAX_MONTHS: i64 = 600;

/// What kind of document it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    #[default]
    Policy,
    Procedure,
    Plan,
    /// A record: evidence that something was done (training log, review minutes, ...).
    Record,
}

impl DocType {
    pub const ALL: [DocType; 4] = [
        DocType::Policy,
        DocType::Procedure,
        DocType::Plan,
        DocType::Record,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocType::Policy => "policy",
            DocType::Procedure => "procedure",
            DocType::Plan => "plan",
            DocType::Record => "record",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| FieldError {
                field: "doc_type",
                message: format!(
                    "unknown document type '{}'; use policy, procedure, plan or record",
                    cut(s, 40)
                ),
            })
    }

    /// The code prefix of documents of this type (`POL-0001`, `PRO-0002`, ...).
    pub fn prefix(self) -> &'static str {
        match self {
            DocType::Policy => "POL",
            DocType::Procedure => "PRO",
            DocType::Plan => "PLN",
            DocType::Record => "REC",
        }
    }
}

/// Where a version stands in the approval workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    Draft,
    InReview,
    Approved,
    /// A later version was approved.
    Superseded,
    Withdrawn,
}

impl VersionStatus {
    pub const ALL: [VersionStatus; 5] = [
        VersionStatus::Draft,
        VersionStatus::InReview,
        VersionStatus::Approved,
        VersionStatus::Superseded,
        VersionStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::InReview => "in_review",
            VersionStatus::Approved => "approved",
            VersionStatus::Superseded => "superseded",
            VersionStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| FieldError {
                field: "status",
                message: format!(
                    "unknown status '{}'; use draft, in_review, approved, superseded or withdrawn",
                    cut(s, 40)
                ),
            })
    }

    /// Whether no further transition is possible.
    pub fn is_final(self) -> bool {
        matches!(self, VersionStatus::Superseded | VersionStatus::Withdrawn)
    }
}

/// A step of the workflow a member asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// draft → in review.
    Submit,
    /// in review → draft (the reviewer sends it back).
    Return,
    /// in review → approved (by a manager who is not the author); the approved version before
    /// it becomes superseded.
    Approve,
    /// draft, in review or approved → withdrawn.
    Withdraw,
}

impl Transition {
    pub const ALL: [Transition; 4] = [
        Transition::Submit,
        Transition::Return,
        Transition::Approve,
        Transition::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Return => "return",
            Transition::Approve => "approve",
            Transition::Withdraw => "withdraw",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| FieldError {
                field: "action",
                message: format!(
                    "unknown action '{}'; use submit, return, approve or withdraw",
                    cut(s, 40)
                ),
            })
    }

    /// Whether the step needs a manager (approving and withdrawing an approved version do;
    /// the others are open to every contributor).
    pub fn needs_manager(self, from: VersionStatus) -> bool {
        match self {
            Transition::Approve => true,
            Transition::Withdraw => from == VersionStatus::Approved,
            Transition::Submit | Transition::Return => false,
        }
    }
}

/// Why a workflow step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("version {number} is {from}; '{action}' applies only to a version that is {expected}")]
    WrongState {
        number: i64,
        from: &'static str,
        action: &'static str,
        expected: &'static str,
    },
    #[error(
        "you wrote version {number}, so you cannot approve it: another CSMS manager must approve it (the approver is never the author)"
    )]
    OwnVersion { number: i64 },
}

/// The status a version takes after `t`, or why it cannot. `actor` is who asks, `author` who
/// uploaded the version.
pub fn apply(
    number: i64,
    from: VersionStatus,
    t: Transition,
    actor: Option<Uuid>,
    author: Option<Uuid>,
) -> Result<VersionStatus, WorkflowError> {
    let wrong = |expected: &'static str| WorkflowError::WrongState {
        number,
        from: from.as_str(),
        action: t.as_str(),
        expected,
    };
    match (t, from) {
        (Transition::Submit, VersionStatus::Draft) => Ok(VersionStatus::InReview),
        (Transition::Submit, _) => Err(wrong("draft")),
        (Transition::Return, VersionStatus::InReview) => Ok(VersionStatus::Draft),
        (Transition::Return, _) => Err(wrong("in_review")),
        (Transition::Approve, VersionStatus::InReview) => {
            // Without an identified author or approver the rule cannot be shown to hold: refuse.
            match (actor, author) {
                (Some(a), Some(b)) if a != b => Ok(VersionStatus::Approved),
                _ => Err(WorkflowError::OwnVersion { number }),
            }
        }
        (Transition::Approve, _) => Err(wrong("in_review")),
        (
            Transition::Withdraw,
            VersionStatus::Draft | VersionStatus::InReview | VersionStatus::Approved,
        ) => Ok(VersionStatus::Withdrawn),
        (Transition::Withdraw, _) => Err(wrong("draft, in_review or approved")),
    }
}

/// The default classification scheme of a new organization (Japanese first, the common
/// practice of Japanese plants; each organization edits its own list).
pub fn default_classifications() -> Vec<String> {
    [
        "社外秘 / Confidential",
        "社内限り / Internal",
        "公開 / Public",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Checks and normalizes an organization's classification labels: trimmed, none empty, none
/// repeated, at most [`MAX_LABELS`] of at most [`MAX_LABEL`] characters.
pub fn validate_classifications(labels: &[String]) -> Result<Vec<String>, FieldError> {
    let err = |message: String| FieldError {
        field: "classifications",
        message,
    };
    let mut out: Vec<String> = Vec::new();
    for raw in labels {
        let label = raw.trim();
        if label.is_empty() {
            continue;
        }
        if label.chars().count() > MAX_LABEL {
            return Err(err(format!(
                "'{}…' is longer than {MAX_LABEL} characters; shorten it",
                cut(label, 20)
            )));
        }
        if label.chars().any(char::is_control) {
            return Err(err("a label holds a control character; remove it".into()));
        }
        if out.iter().any(|l| l == label) {
            return Err(err(format!(
                "'{label}' is listed twice; list each label once"
            )));
        }
        out.push(label.to_owned());
    }
    if out.is_empty() {
        return Err(err(
            "list at least one classification label (one per line)".into()
        ));
    }
    if out.len() > MAX_LABELS {
        return Err(err(format!(
            "{} labels given; a scheme has at most {MAX_LABELS}",
            out.len()
        )));
    }
    Ok(out)
}

/// What a caller sets on a document (not its versions).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewDocument {
    pub title: String,
    pub doc_type: DocType,
    /// One of the organization's classification labels.
    pub classification: String,
    pub owner_id: Option<Uuid>,
    /// Months between reviews (0: no periodic review).
    pub review_months: i64,
    /// Months an obsolete version is kept after it is superseded or withdrawn (0: not set).
    pub retention_months: i64,
}

/// Checks a document's fields against the organization's classification scheme.
pub fn validate_document(
    mut new: NewDocument,
    classifications: &[String],
) -> Result<NewDocument, FieldError> {
    new.title = new.title.trim().to_owned();
    if new.title.is_empty() {
        return Err(FieldError {
            field: "title",
            message: "give the document a title".into(),
        });
    }
    if new.title.chars().count() > MAX_TITLE {
        return Err(FieldError {
            field: "title",
            message: format!("the title is longer than {MAX_TITLE} characters; shorten it"),
        });
    }
    if new.title.chars().any(char::is_control) {
        return Err(FieldError {
            field: "title",
            message: "the title holds a control character (a line break or tab); remove it".into(),
        });
    }
    new.classification = new.classification.trim().to_owned();
    if !classifications.contains(&new.classification) {
        return Err(FieldError {
            field: "classification",
            message: format!(
                "'{}' is not in this organization's classification scheme; pick one of: {}",
                cut(&new.classification, 40),
                classifications.join(", ")
            ),
        });
    }
    for (field, value) in [
        ("review_months", new.review_months),
        ("retention_months", new.retention_months),
    ] {
        if !(0..=MAX_MONTHS).contains(&value) {
            return Err(FieldError {
                field,
                message: format!("give a number of months from 0 to {MAX_MONTHS}"),
            });
        }
    }
    Ok(new)
}

/// Checks a version note (what changed): at most [`MAX_NOTE`] characters.
pub fn validate_note(note: &str) -> Result<String, FieldError> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(FieldError {
            field: "note",
            message: format!("the note is longer than {MAX_NOTE} characters; shorten it"),
        });
    }
    Ok(note.to_owned())
}

/// A document of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub id: Uuid,
    pub org_id: Uuid,
    /// `POL-0001`: the type's prefix and a per-organization number; never reused.
    pub code: String,
    pub title: String,
    pub doc_type: DocType,
    pub classification: String,
    pub owner_id: Option<Uuid>,
    pub review_months: i64,
    pub retention_months: i64,
    /// The next periodic review: set when a version is approved (approval date plus the
    /// interval), `None` without an approved version or without an interval.
    pub next_review: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    /// Bumped by every change of the document or of one of its versions' status.
    pub version: i64,
}

impl Audited for Document {
    const KIND: &'static str = "document";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl Document {
    /// Whether the periodic review is due on `today` (on or after the review date).
    pub fn review_due(&self, today: Date) -> bool {
        self.next_review.is_some_and(|d| d <= today)
    }
}

/// One version of a document: its file never changes; only its workflow status does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentVersion {
    pub id: Uuid,
    pub org_id: Uuid,
    pub document_id: Uuid,
    /// 1, 2, ... per document.
    pub number: i64,
    pub status: VersionStatus,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    pub size: i64,
    /// The type sniffed from the bytes (never the client's word).
    pub content_type: String,
    /// The uploaded name, sanitized by [`sanitize_file_name`].
    pub file_name: String,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The author: who uploaded the version.
    pub created_by: Option<Uuid>,
    pub submitted_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
    pub approved_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
    /// When it was superseded or withdrawn (the retention period runs from here).
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    pub closed_by: Option<Uuid>,
}

impl Audited for DocumentVersion {
    const KIND: &'static str = "document_version";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl DocumentVersion {
    /// The date until which an obsolete version must be kept, if the document has a retention
    /// period and the version is closed.
    pub fn retain_until(&self, retention_months: i64) -> Option<Date> {
        if retention_months <= 0 {
            return None;
        }
        self.closed_at
            .map(|t| add_months(t.date(), retention_months))
    }
}

/// What a document is evidence for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "target", rename_all = "snake_case")]
pub enum EvidenceTarget {
    /// A requirement of a framework (`jipdec-csms`, `4.3.2.6`).
    Requirement { framework: String, node_ref: String },
    /// A control of the controls register.
    Control(Uuid),
    /// A risk of the register.
    Risk(Uuid),
    /// An item of the Statement of Applicability (framework and the item's node ref).
    SoaItem { framework: String, node_ref: String },
    /// An audit finding (the audit area).
    Finding(Uuid),
}

impl EvidenceTarget {
    pub const KINDS: [&'static str; 5] = ["requirement", "control", "risk", "soa_item", "finding"];

    /// The kind as stored (`requirement`, `control`, `risk`, `soa_item`, `finding`).
    pub fn kind(&self) -> &'static str {
        match self {
            EvidenceTarget::Requirement { .. } => "requirement",
            EvidenceTarget::Control(_) => "control",
            EvidenceTarget::Risk(_) => "risk",
            EvidenceTarget::SoaItem { .. } => "soa_item",
            EvidenceTarget::Finding(_) => "finding",
        }
    }

    /// The framework (empty for targets named by id).
    pub fn framework(&self) -> &str {
        match self {
            EvidenceTarget::Requirement { framework, .. }
            | EvidenceTarget::SoaItem { framework, .. } => framework,
            _ => "",
        }
    }

    /// The reference as stored: the node ref, or the id as text.
    pub fn reference(&self) -> String {
        match self {
            EvidenceTarget::Requirement { node_ref, .. }
            | EvidenceTarget::SoaItem { node_ref, .. } => node_ref.clone(),
            EvidenceTarget::Control(id)
            | EvidenceTarget::Risk(id)
            | EvidenceTarget::Finding(id) => id.to_string(),
        }
    }

    /// Builds a target from its stored or submitted parts, checking them.
    pub fn from_parts(kind: &str, framework: &str, reference: &str) -> Result<Self, FieldError> {
        let framework = framework.trim();
        let reference = reference.trim();
        let id = |what: &str| {
            Uuid::parse_str(reference).map_err(|_| FieldError {
                field: "target_ref",
                message: format!(
                    "give the {what}'s id (a UUID), not '{}'",
                    cut(reference, 40)
                ),
            })
        };
        let node = |what: &str| -> Result<(String, String), FieldError> {
            if framework.is_empty() || framework.len() > 100 {
                return Err(FieldError {
                    field: "framework",
                    message: format!("name the framework of the {what} (e.g. jipdec-csms)"),
                });
            }
            if reference.is_empty()
                || reference.len() > 100
                || reference.chars().any(char::is_control)
            {
                return Err(FieldError {
                    field: "target_ref",
                    message: format!("give the {what}'s reference (e.g. 4.3.2.6)"),
                });
            }
            Ok((framework.to_owned(), reference.to_owned()))
        };
        match kind {
            "requirement" => {
                let (framework, node_ref) = node("requirement")?;
                Ok(EvidenceTarget::Requirement {
                    framework,
                    node_ref,
                })
            }
            "soa_item" => {
                let (framework, node_ref) = node("SoA item")?;
                Ok(EvidenceTarget::SoaItem {
                    framework,
                    node_ref,
                })
            }
            "control" => Ok(EvidenceTarget::Control(id("control")?)),
            "risk" => Ok(EvidenceTarget::Risk(id("risk")?)),
            "finding" => Ok(EvidenceTarget::Finding(id("finding")?)),
            other => Err(FieldError {
                field: "target_kind",
                message: format!(
                    "unknown evidence target '{}'; use requirement, control, risk, soa_item or finding",
                    cut(other, 40)
                ),
            }),
        }
    }
}

/// A document shown as evidence of a target: the version in force (the approved one, else the
/// latest) of a linked document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    pub document_id: Uuid,
    pub code: String,
    pub title: String,
    pub doc_type: DocType,
    /// 0 when the document has no version yet.
    pub version_number: i64,
    pub version_id: Option<Uuid>,
    /// `None` when the document has no version yet.
    pub status: Option<VersionStatus>,
    /// Empty when the document has no version yet.
    pub sha256: String,
}

/// An evidence link as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceLink {
    pub id: Uuid,
    pub org_id: Uuid,
    pub document_id: Uuid,
    pub target: EvidenceTarget,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
}

impl Audited for EvidenceLink {
    const KIND: &'static str = "evidence_link";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// The code of the `n`-th document of an organization (`POL-0001`); the number runs across
/// types so that a code says its type and never collides.
pub fn code(doc_type: DocType, n: i64) -> String {
    format!("{}-{n:04}", doc_type.prefix())
}

/// `date` plus `months` calendar months, clamped to the last day of the target month
/// (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: Date, months: i64) -> Date {
    let total = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + months;
    let year = i32::try_from(total.div_euclid(12)).unwrap_or(date.year());
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1))
        .unwrap_or(Month::January);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

/// A file name safe to store and to send back: the last path component only (both `/` and `\`
/// separate), control characters and characters Windows refuses (`<>:"|?*`) replaced by `_`,
/// leading dots and spaces dropped (no hidden files, no `..`), trailing dots and spaces dropped,
/// cut to [`MAX_FILE_NAME`] bytes keeping the extension, and `file` when nothing is left.
pub fn sanitize_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mapped: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = mapped
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let mut name = if trimmed.is_empty() || trimmed.chars().all(|c| c == '_') {
        "file".to_owned()
    } else {
        trimmed.to_owned()
    };
    if name.len() > MAX_FILE_NAME {
        let (stem, ext) = match name.rfind('.') {
            Some(i) if name.len() - i <= 16 && i > 0 => {
                (name[..i].to_owned(), name[i..].to_owned())
            }
            _ => (name.clone(), String::new()),
        };
        let mut keep = MAX_FILE_NAME - ext.len();
        while !stem.is_char_boundary(keep) {
            keep -= 1;
        }
        name = format!("{}{ext}", &stem[..keep]);
    }
    name
}

/// Cuts `s` to at most `n` characters (for quoting user input in messages).
fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Whether `s` is a lowercase hex SHA-256.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn approver_is_never_the_author() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert_eq!(
            apply(
                1,
                VersionStatus::InReview,
                Transition::Approve,
                Some(a),
                Some(a)
            ),
            Err(WorkflowError::OwnVersion { number: 1 })
        );
        assert_eq!(
            apply(
                1,
                VersionStatus::InReview,
                Transition::Approve,
                None,
                Some(a)
            ),
            Err(WorkflowError::OwnVersion { number: 1 })
        );
        assert_eq!(
            apply(
                1,
                VersionStatus::InReview,
                Transition::Approve,
                Some(b),
                Some(a)
            ),
            Ok(VersionStatus::Approved)
        );
    }

    #[test]
    fn workflow_steps() {
        let a = Some(Uuid::from_u128(1));
        let b = Some(Uuid::from_u128(2));
        use Transition::*;
        use VersionStatus::*;
        assert_eq!(apply(1, Draft, Submit, a, a), Ok(InReview));
        assert_eq!(apply(1, InReview, Return, b, a), Ok(Draft));
        assert!(apply(1, Draft, Approve, b, a).is_err());
        assert!(apply(1, Approved, Submit, b, a).is_err());
        assert_eq!(apply(1, Approved, Withdraw, b, a), Ok(Withdrawn));
        assert!(apply(1, Superseded, Withdraw, b, a).is_err());
        assert!(apply(1, Withdrawn, Submit, b, a).is_err());
        assert!(Approve.needs_manager(InReview));
        assert!(Withdraw.needs_manager(Approved));
        assert!(!Withdraw.needs_manager(Draft));
    }

    #[test]
    fn file_names_are_neutralized() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("..\\..\\windows\\win.ini"), "win.ini");
        assert_eq!(sanitize_file_name(".."), "file");
        assert_eq!(sanitize_file_name("../"), "file");
        assert_eq!(sanitize_file_name(".htaccess"), "htaccess");
        assert_eq!(sanitize_file_name("a\u{0}b\nc.pdf"), "a_b_c.pdf");
        assert_eq!(sanitize_file_name("手順書 v2.pdf"), "手順書 v2.pdf");
        assert_eq!(sanitize_file_name("rep<o>rt?.txt"), "rep_o_rt_.txt");
        let long = format!("{}.pdf", "あ".repeat(100));
        let s = sanitize_file_name(&long);
        assert!(s.len() <= MAX_FILE_NAME, "{}", s.len());
        assert!(s.ends_with(".pdf"));
    }

    proptest! {
        #[test]
        fn sanitized_names_are_safe(raw in ".{0,300}") {
            let s = sanitize_file_name(&raw);
            prop_assert!(!s.is_empty());
            prop_assert!(s.len() <= MAX_FILE_NAME);
            prop_assert!(!s.contains('/') && !s.contains('\\'));
            prop_assert!(!s.starts_with('.'));
            prop_assert!(!s.chars().any(char::is_control));
        }
    }

    #[test]
    fn months_are_added_by_the_calendar() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 11 - 15), 12), date!(2027 - 11 - 15));
        assert_eq!(add_months(date!(2026 - 11 - 15), 3), date!(2027 - 02 - 15));
    }

    #[test]
    fn targets_round_trip_through_their_parts() {
        let t = EvidenceTarget::Requirement {
            framework: "jipdec-csms".into(),
            node_ref: "4.3.2.6".into(),
        };
        assert_eq!(
            EvidenceTarget::from_parts(t.kind(), t.framework(), &t.reference()),
            Ok(t)
        );
        let r = EvidenceTarget::Risk(Uuid::from_u128(7));
        assert_eq!(
            EvidenceTarget::from_parts(r.kind(), r.framework(), &r.reference()),
            Ok(r)
        );
        assert!(EvidenceTarget::from_parts("risk", "", "R-0001").is_err());
        assert!(EvidenceTarget::from_parts("requirement", "", "4.1").is_err());
        assert!(EvidenceTarget::from_parts("nonsense", "", "x").is_err());
    }

    #[test]
    fn classifications_are_checked() {
        assert_eq!(
            validate_classifications(&[" A ".into(), "".into(), "B".into()]),
            Ok(vec!["A".into(), "B".into()])
        );
        assert!(validate_classifications(&["A".into(), "A".into()]).is_err());
        assert!(validate_classifications(&[]).is_err());
        let scheme = default_classifications();
        let ok = validate_document(
            NewDocument {
                title: " CSMS基本方針 ".into(),
                classification: scheme[1].clone(),
                review_months: 12,
                ..NewDocument::default()
            },
            &scheme,
        )
        .unwrap();
        assert_eq!(ok.title, "CSMS基本方針");
        let bad = validate_document(
            NewDocument {
                title: "x".into(),
                classification: "Secret".into(),
                ..NewDocument::default()
            },
            &scheme,
        );
        assert_eq!(bad.unwrap_err().field, "classification");
    }
}

/// An organization's classification labels (the default until it sets its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassificationScheme {
    pub org_id: Uuid,
    pub labels: Vec<String>,
    /// 0 while the organization uses the default scheme.
    pub version: i64,
}

impl Audited for ClassificationScheme {
    const KIND: &'static str = "classification_scheme";
    fn entity_id(&self) -> String {
        self.org_id.to_string()
    }
}
