//! The Statement of Applicability (適用宣言書): per organization and framework, every control
//! the framework offers (for the JIPDEC criteria, the 72 detailed controls of clause 5) and the
//! organization's own additional controls, each applicable or excluded with its reasons.
//!
//! Rules (each a function here, so the pages, the API and the store cannot disagree):
//!
//! - **Items.** The candidates of a framework are [`candidates`]: for the JIPDEC criteria the
//!   assessable items under clause 5; for another framework its assessable `control` nodes,
//!   or, when it has none, its assessable `requirement` nodes. The organization may add its
//!   own items (own ref and title), which the criteria allow.
//! - **Decision.** An applicable item needs at least one reason for inclusion (risk treatment
//!   with at least one linked risk, a legal or contractual obligation, a business need — any
//!   combination) and a text explaining it; an excluded item needs a justification. Every
//!   message names the item ([`validate_decision`]).
//! - **Implementation status** is recorded per item by whoever knows it (not started, planned,
//!   partial, implemented): a control can be in operation and still not cover the whole item,
//!   so the status is never computed. [`suggested_status`] derives a cross-check from the
//!   linked controls, shown beside the recorded status.
//! - **Versions.** One editable draft per organization and framework. Approving (a CSMS
//!   manager or an admin) freezes it as version N with who, when and a note; an approved
//!   version never changes. Approval needs every item decided ([`approval_problems`]). A new
//!   draft starts as a copy of the latest approved version.
//! - **Diff** ([`diff`]): items added and removed, and per item the fields that changed.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Uuid;
use crate::assessment::validate_text;
use crate::control::ControlStatus;
use crate::inventory::named_enum;
use crate::org::FieldError;
use crate::trail::Audited;

/// The JIPDEC CSMS criteria's framework id.
pub const JIPDEC: &str = "jipdec-csms-2010";
/// The clause of the JIPDEC criteria that holds the detailed controls.
pub const JIPDEC_CONTROLS_CLAUSE: &str = "5";
/// Longest reason text, exclusion justification or approval note.
pub const MAX_TEXT: usize = 5_000;
/// Longest title of an additional item.
pub const MAX_TITLE: usize = 200;
/// Longest ref of an additional item.
pub const MAX_REF: usize = 40;
/// Most risks or controls an item names (each).
pub const MAX_LINKS: usize = 200;

named_enum! {
    /// Whether an item applies.
    Applicability, "applicability", "an applicability", " (applicable or excluded)" {
        #[default]
        Undecided = "undecided" | "未決定" | "",
        Applicable = "applicable" | "yes" | "included" | "適用",
        Excluded = "excluded" | "no" | "not_applicable" | "除外" | "適用除外",
    }
}

named_enum! {
    /// How far an applicable item is implemented (recorded, not computed).
    ImplStatus, "status", "an implementation status", "" {
        #[default]
        NotStarted = "not_started" | "none" | "未着手",
        Planned = "planned" | "計画" | "計画中",
        Partial = "partial" | "partially_implemented" | "一部実施" | "一部",
        Implemented = "implemented" | "done" | "実施済み" | "実施済" | "導入済み",
    }
}

named_enum! {
    /// Why an item is included.
    ReasonKind, "reasons", "a reason for inclusion",
    " (risk_treatment, legal_contractual or business_need)" {
        #[default]
        RiskTreatment = "risk_treatment" | "risk" | "risks" | "リスク対応",
        LegalContractual = "legal_contractual" | "legal" | "contractual" | "contract" | "法令・契約",
        BusinessNeed = "business_need" | "business" | "事業上の必要",
    }
}

named_enum! {
    /// Whether a version is the draft or approved.
    SoaState, "state", "a version state", "" {
        #[default]
        Draft = "draft",
        Approved = "approved",
    }
}

/// A risk an item names, as it was when linked (so an approved version reads the same after
/// the risk changes or is deleted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RiskRef {
    pub id: Uuid,
    pub code: String,
    pub title: String,
}

/// What a caller sets on an item.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ItemDecision {
    pub applicability: Applicability,
    pub reasons: Vec<ReasonKind>,
    /// What the reasons are, in words (required for an applicable item).
    pub reason_text: String,
    /// The risks the item treats (required with the risk-treatment reason).
    pub risk_ids: Vec<Uuid>,
    /// Why the item is excluded (required for an excluded item).
    pub exclusion: String,
    pub status: ImplStatus,
    pub control_ids: Vec<Uuid>,
}

/// One item of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoaItem {
    pub id: Uuid,
    pub org_id: Uuid,
    pub version_id: Uuid,
    /// The order in the statement (the framework's order; additional items after it).
    pub position: i64,
    /// The framework's ref, or the organization's own ref for an additional item.
    pub node_ref: String,
    /// Whether the organization added it (not from the framework).
    pub additional: bool,
    /// The title of an additional item (framework items take the catalog's title).
    pub title: String,
    pub applicability: Applicability,
    pub reasons: Vec<ReasonKind>,
    pub reason_text: String,
    pub risks: Vec<RiskRef>,
    pub exclusion: String,
    pub status: ImplStatus,
    pub control_ids: Vec<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for SoaItem {
    const KIND: &'static str = "soa_item";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl SoaItem {
    /// The item's decision as a caller would set it again.
    pub fn decision(&self) -> ItemDecision {
        ItemDecision {
            applicability: self.applicability,
            reasons: self.reasons.clone(),
            reason_text: self.reason_text.clone(),
            risk_ids: self.risks.iter().map(|r| r.id).collect(),
            exclusion: self.exclusion.clone(),
            status: self.status,
            control_ids: self.control_ids.clone(),
        }
    }

    /// Whether the item is decided as approval needs it.
    pub fn decided(&self) -> bool {
        validate_decision(&self.node_ref, self.decision()).is_ok()
            && self.applicability != Applicability::Undecided
    }
}

/// One version of an organization's statement for a framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoaVersion {
    pub id: Uuid,
    pub org_id: Uuid,
    pub framework: String,
    /// 1, 2, ... for approved versions; `None` for the draft.
    pub number: Option<i64>,
    pub state: SoaState,
    /// The approval note.
    pub note: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
    pub approved_by: Option<Uuid>,
    /// The approver's display name at the time (the trail keeps the id).
    pub approved_by_name: String,
    /// The approved version this draft was copied from.
    pub based_on: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    /// Row version: every item change of a draft moves it on, so an approval names the state
    /// of the draft it saw.
    pub version: i64,
}

impl Audited for SoaVersion {
    const KIND: &'static str = "soa_version";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

impl SoaVersion {
    pub fn is_draft(&self) -> bool {
        self.state == SoaState::Draft
    }
}

/// A node of a catalog as [`candidates`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct CandidateNode<'a> {
    pub reference: &'a str,
    pub parent: Option<&'a str>,
    /// The catalog kind: `clause`, `element`, `requirement`, `control`, `enhancement`.
    pub kind: &'a str,
    pub assessable: bool,
}

/// The refs a statement for `framework` lists, in the order given (pass the catalog's tree
/// order). Empty when the framework has nothing a statement can list.
pub fn candidates<'a>(framework: &str, nodes: &[CandidateNode<'a>]) -> Vec<String> {
    if framework == JIPDEC {
        let parents: std::collections::HashMap<&'a str, Option<&'a str>> =
            nodes.iter().map(|n| (n.reference, n.parent)).collect();
        let under_clause = |mut r: &'a str| {
            for _ in 0..=nodes.len() {
                match parents.get(r).copied().flatten() {
                    Some(p) if p == JIPDEC_CONTROLS_CLAUSE => return true,
                    Some(p) => r = p,
                    None => return false,
                }
            }
            false
        };
        return nodes
            .iter()
            .filter(|n| n.assessable && under_clause(n.reference))
            .map(|n| n.reference.to_owned())
            .collect();
    }
    let of_kind = |kind: &str| -> Vec<String> {
        nodes
            .iter()
            .filter(|n| n.assessable && n.kind == kind)
            .map(|n| n.reference.to_owned())
            .collect()
    };
    let controls = of_kind("control");
    if controls.is_empty() {
        of_kind("requirement")
    } else {
        controls
    }
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

/// Checks the decision on item `item` (its ref, named in every message). Texts are trimmed;
/// an excluded item keeps no reasons, risks, controls or status, an applicable one no
/// exclusion justification. An undecided item is accepted as it is (a draft may hold it).
pub fn validate_decision(item: &str, mut d: ItemDecision) -> Result<ItemDecision, FieldError> {
    d.reason_text = d.reason_text.trim().to_owned();
    d.exclusion = d.exclusion.trim().to_owned();
    validate_text("reason_text", &d.reason_text, MAX_TEXT)?;
    validate_text("exclusion", &d.exclusion, MAX_TEXT)?;
    dedup(&mut d.reasons);
    d.reasons.sort();
    dedup(&mut d.risk_ids);
    dedup(&mut d.control_ids);
    if d.risk_ids.len() > MAX_LINKS || d.control_ids.len() > MAX_LINKS {
        return Err(err(
            "risk_ids",
            format!(
                "item {item}: an item names at most {MAX_LINKS} risks and {MAX_LINKS} controls"
            ),
        ));
    }
    match d.applicability {
        Applicability::Applicable => {
            if d.reasons.is_empty() {
                return Err(err(
                    "reasons",
                    format!(
                        "item {item} is applicable but has no reason for inclusion; tick risk treatment, legal or contractual obligation, or business need"
                    ),
                ));
            }
            if d.reason_text.is_empty() {
                return Err(err(
                    "reason_text",
                    format!("item {item} is applicable: say in words why it is included"),
                ));
            }
            if d.reasons.contains(&ReasonKind::RiskTreatment) && d.risk_ids.is_empty() {
                return Err(err(
                    "risk_ids",
                    format!(
                        "item {item} is included for risk treatment: link at least one risk of the register, or choose another reason"
                    ),
                ));
            }
            d.exclusion.clear();
        }
        Applicability::Excluded => {
            if d.exclusion.is_empty() {
                return Err(err(
                    "exclusion",
                    format!(
                        "item {item} is excluded: a justification is mandatory (why the control is not needed, e.g. no wireless networks in scope)"
                    ),
                ));
            }
            d.reasons.clear();
            d.reason_text.clear();
            d.risk_ids.clear();
            d.control_ids.clear();
            d.status = ImplStatus::NotStarted;
        }
        Applicability::Undecided => {}
    }
    Ok(d)
}

/// An additional item the organization adds: its own ref and title.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewAdditional {
    pub node_ref: String,
    pub title: String,
}

/// Checks an additional item against the refs the version already lists.
pub fn validate_additional(
    mut a: NewAdditional,
    existing: &[&str],
) -> Result<NewAdditional, FieldError> {
    a.node_ref = a.node_ref.trim().to_owned();
    a.title = a.title.trim().to_owned();
    if a.node_ref.is_empty() {
        return Err(err(
            "node_ref",
            "an additional control needs its own ref, e.g. ORG-1",
        ));
    }
    if a.node_ref.chars().count() > MAX_REF
        || a.node_ref
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(err(
            "node_ref",
            format!("a ref is one word of at most {MAX_REF} characters, e.g. ORG-1"),
        ));
    }
    if existing.contains(&a.node_ref.as_str()) {
        return Err(err(
            "node_ref",
            format!(
                "the statement already lists {}; choose another ref",
                a.node_ref
            ),
        ));
    }
    if a.title.is_empty() {
        return Err(err("title", "an additional control needs a title"));
    }
    validate_text("title", &a.title, MAX_TITLE)?;
    Ok(a)
}

/// Checks an approval note.
pub fn validate_note(note: &str) -> Result<String, FieldError> {
    let note = note.trim().to_owned();
    validate_text("note", &note, MAX_TEXT)?;
    Ok(note)
}

/// Why a draft cannot be approved: the refs of the items not decided (undecided, or decided
/// without what the decision needs). Empty when it can.
pub fn approval_problems(items: &[SoaItem]) -> Vec<String> {
    items
        .iter()
        .filter(|i| !i.decided())
        .map(|i| i.node_ref.clone())
        .collect()
}

/// The message refusing an approval, naming the undecided items (the first twenty).
pub fn approval_refusal(undecided: &[String]) -> String {
    let shown: Vec<&str> = undecided.iter().take(20).map(String::as_str).collect();
    let more = undecided.len().saturating_sub(shown.len());
    let mut msg = format!(
        "{} item(s) are not decided yet: {}",
        undecided.len(),
        shown.join(", ")
    );
    if more > 0 {
        msg.push_str(&format!(" and {more} more"));
    }
    msg.push_str(
        "; mark each applicable with a reason or excluded with a justification, then approve",
    );
    msg
}

/// The status the linked controls suggest: implemented when every one is implemented or
/// operating, partial when some are, planned when all are planned, not started without any
/// (retired controls do not count).
pub fn suggested_status(controls: &[ControlStatus]) -> ImplStatus {
    let live: Vec<ControlStatus> = controls
        .iter()
        .copied()
        .filter(|s| *s != ControlStatus::Retired)
        .collect();
    let done = live
        .iter()
        .filter(|s| matches!(s, ControlStatus::Implemented | ControlStatus::Operating))
        .count();
    if live.is_empty() {
        ImplStatus::NotStarted
    } else if done == live.len() {
        ImplStatus::Implemented
    } else if done > 0 {
        ImplStatus::Partial
    } else {
        ImplStatus::Planned
    }
}

/// How an item differs between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Added,
    Removed,
    Changed,
}

/// One item that differs, with the names of the fields that changed (`applicability`,
/// `reasons`, `reason_text`, `risks`, `exclusion`, `status`, `controls`, `title`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDiff<'a> {
    pub node_ref: &'a str,
    pub kind: DiffKind,
    pub before: Option<&'a SoaItem>,
    pub after: Option<&'a SoaItem>,
    pub fields: Vec<&'static str>,
}

/// The items that differ from `from` to `to`, in `to`'s order then the removed ones in
/// `from`'s order.
pub fn diff<'a>(from: &'a [SoaItem], to: &'a [SoaItem]) -> Vec<ItemDiff<'a>> {
    let old: std::collections::HashMap<&str, &SoaItem> =
        from.iter().map(|i| (i.node_ref.as_str(), i)).collect();
    let new: std::collections::HashSet<&str> = to.iter().map(|i| i.node_ref.as_str()).collect();
    let mut out = Vec::new();
    for b in to {
        match old.get(b.node_ref.as_str()) {
            None => out.push(ItemDiff {
                node_ref: &b.node_ref,
                kind: DiffKind::Added,
                before: None,
                after: Some(b),
                fields: Vec::new(),
            }),
            Some(a) => {
                let fields = changed_fields(a, b);
                if !fields.is_empty() {
                    out.push(ItemDiff {
                        node_ref: &b.node_ref,
                        kind: DiffKind::Changed,
                        before: Some(a),
                        after: Some(b),
                        fields,
                    });
                }
            }
        }
    }
    for a in from {
        if !new.contains(a.node_ref.as_str()) {
            out.push(ItemDiff {
                node_ref: &a.node_ref,
                kind: DiffKind::Removed,
                before: Some(a),
                after: None,
                fields: Vec::new(),
            });
        }
    }
    out
}

fn changed_fields(a: &SoaItem, b: &SoaItem) -> Vec<&'static str> {
    let sorted = |v: &[Uuid]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let risk_ids = |i: &SoaItem| sorted(&i.risks.iter().map(|r| r.id).collect::<Vec<_>>());
    let mut f = Vec::new();
    if a.title != b.title {
        f.push("title");
    }
    if a.applicability != b.applicability {
        f.push("applicability");
    }
    if a.reasons != b.reasons {
        f.push("reasons");
    }
    if a.reason_text != b.reason_text {
        f.push("reason_text");
    }
    if risk_ids(a) != risk_ids(b) {
        f.push("risks");
    }
    if a.exclusion != b.exclusion {
        f.push("exclusion");
    }
    if a.status != b.status {
        f.push("status");
    }
    if sorted(&a.control_ids) != sorted(&b.control_ids) {
        f.push("controls");
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(r: &str, applicability: Applicability) -> SoaItem {
        SoaItem {
            id: Uuid::now_v7(),
            org_id: Uuid::nil(),
            version_id: Uuid::nil(),
            position: 0,
            node_ref: r.into(),
            additional: false,
            title: String::new(),
            applicability,
            reasons: vec![ReasonKind::BusinessNeed],
            reason_text: "plant policy".into(),
            risks: vec![],
            exclusion: if applicability == Applicability::Excluded {
                "no wireless".into()
            } else {
                String::new()
            },
            status: ImplStatus::Implemented,
            control_ids: vec![],
            updated_at: OffsetDateTime::UNIX_EPOCH,
            updated_by: None,
            version: 1,
        }
    }

    #[test]
    fn jipdec_candidates_are_the_items_under_clause_5() {
        let n = |reference, parent, kind, assessable| CandidateNode {
            reference,
            parent,
            kind,
            assessable,
        };
        let nodes = [
            n("4", None, "clause", false),
            n("4.1.1", Some("4"), "requirement", true),
            n("5", None, "clause", false),
            n("5.1", Some("5"), "clause", false),
            n("5.1.1", Some("5.1"), "requirement", true),
            n("5.1.2", Some("5.1"), "requirement", true),
        ];
        assert_eq!(candidates(JIPDEC, &nodes), vec!["5.1.1", "5.1.2"]);
        // Another framework: its requirements when it has no controls.
        assert_eq!(candidates("other", &nodes), vec!["4.1.1", "5.1.1", "5.1.2"]);
        let annex = [
            n("A.5", None, "clause", false),
            n("A.5.1", Some("A.5"), "control", true),
            n("4.1", None, "requirement", true),
        ];
        assert_eq!(candidates("iso", &annex), vec!["A.5.1"]);
    }

    #[test]
    fn an_applicable_item_needs_a_reason_and_its_text() {
        let d = ItemDecision {
            applicability: Applicability::Applicable,
            ..ItemDecision::default()
        };
        let e = validate_decision("5.1.1", d.clone()).unwrap_err();
        assert_eq!(e.field, "reasons");
        assert!(e.message.contains("5.1.1"), "{}", e.message);
        let e = validate_decision(
            "5.1.1",
            ItemDecision {
                reasons: vec![ReasonKind::LegalContractual],
                ..d.clone()
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "reason_text");
        let e = validate_decision(
            "5.1.1",
            ItemDecision {
                reasons: vec![ReasonKind::RiskTreatment],
                reason_text: "R-0001".into(),
                ..d.clone()
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "risk_ids");
        let ok = validate_decision(
            "5.1.1",
            ItemDecision {
                reasons: vec![ReasonKind::BusinessNeed, ReasonKind::LegalContractual],
                reason_text: " 顧客契約 ".into(),
                exclusion: "left over".into(),
                ..d
            },
        )
        .unwrap();
        assert_eq!(ok.reason_text, "顧客契約");
        assert_eq!(ok.exclusion, "", "an applicable item keeps no exclusion");
        assert_eq!(
            ok.reasons,
            vec![ReasonKind::LegalContractual, ReasonKind::BusinessNeed]
        );
    }

    #[test]
    fn an_excluded_item_needs_a_justification_naming_the_item() {
        let d = ItemDecision {
            applicability: Applicability::Excluded,
            exclusion: "   ".into(),
            reasons: vec![ReasonKind::BusinessNeed],
            ..ItemDecision::default()
        };
        let e = validate_decision("5.6.3", d.clone()).unwrap_err();
        assert_eq!(e.field, "exclusion");
        assert!(e.message.contains("5.6.3"));
        let ok = validate_decision(
            "5.6.3",
            ItemDecision {
                exclusion: "無線LANは使用していない".into(),
                ..d
            },
        )
        .unwrap();
        assert!(ok.reasons.is_empty());
    }

    #[test]
    fn approval_names_the_undecided_items() {
        let mut bad = item("5.1.3", Applicability::Applicable);
        bad.reasons.clear();
        let items = vec![
            item("5.1.1", Applicability::Applicable),
            item("5.1.2", Applicability::Undecided),
            bad,
            item("5.1.4", Applicability::Excluded),
        ];
        let p = approval_problems(&items);
        assert_eq!(p, vec!["5.1.2", "5.1.3"]);
        let msg = approval_refusal(&p);
        assert!(msg.contains("5.1.2, 5.1.3"), "{msg}");
        let many: Vec<String> = (0..25).map(|i| format!("5.{i}")).collect();
        assert!(approval_refusal(&many).contains("and 5 more"));
    }

    #[test]
    fn the_diff_finds_added_removed_and_changed_fields() {
        let a = vec![
            item("5.1.1", Applicability::Applicable),
            item("5.1.2", Applicability::Applicable),
            item("ORG-1", Applicability::Applicable),
        ];
        let mut b = vec![
            item("5.1.1", Applicability::Applicable),
            item("5.1.2", Applicability::Excluded),
            item("ORG-2", Applicability::Applicable),
        ];
        b[0].status = ImplStatus::Partial;
        let d = diff(&a, &b);
        let summary: Vec<(&str, DiffKind, Vec<&str>)> = d
            .iter()
            .map(|x| (x.node_ref, x.kind, x.fields.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("5.1.1", DiffKind::Changed, vec!["status"]),
                (
                    "5.1.2",
                    DiffKind::Changed,
                    vec!["applicability", "exclusion"]
                ),
                ("ORG-2", DiffKind::Added, vec![]),
                ("ORG-1", DiffKind::Removed, vec![]),
            ]
        );
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn the_suggested_status_follows_the_controls() {
        use ControlStatus::*;
        assert_eq!(suggested_status(&[]), ImplStatus::NotStarted);
        assert_eq!(suggested_status(&[Retired]), ImplStatus::NotStarted);
        assert_eq!(suggested_status(&[Planned]), ImplStatus::Planned);
        assert_eq!(suggested_status(&[Planned, Operating]), ImplStatus::Partial);
        assert_eq!(
            suggested_status(&[Implemented, Operating, Retired]),
            ImplStatus::Implemented
        );
    }

    #[test]
    fn additional_items_need_a_free_ref_and_a_title() {
        let ok = validate_additional(
            NewAdditional {
                node_ref: " ORG-1 ".into(),
                title: "工場独自の入構管理".into(),
            },
            &["5.1.1"],
        )
        .unwrap();
        assert_eq!(ok.node_ref, "ORG-1");
        let e = validate_additional(
            NewAdditional {
                node_ref: "5.1.1".into(),
                title: "x".into(),
            },
            &["5.1.1"],
        )
        .unwrap_err();
        assert_eq!(e.field, "node_ref");
        let e = validate_additional(
            NewAdditional {
                node_ref: "ORG 1".into(),
                title: "x".into(),
            },
            &[],
        )
        .unwrap_err();
        assert_eq!(e.field, "node_ref");
        assert_eq!(
            validate_additional(
                NewAdditional {
                    node_ref: "ORG-1".into(),
                    title: " ".into()
                },
                &[]
            )
            .unwrap_err()
            .field,
            "title"
        );
    }
}
