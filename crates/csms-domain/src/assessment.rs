//! Conformance assessments: the result of each requirement of a framework, roll-ups over the
//! framework's tree, the readiness list, comparison of two assessments and proposals carried
//! over from another framework's assessment through mappings.
//!
//! Everything here is pure: the callers pass the framework's tree and the results.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Uuid;
use crate::org::FieldError;
use crate::trail::Audited;

/// The result recorded for one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    NotAssessed,
    Conformant,
    Partial,
    Nonconformant,
    NotApplicable,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Conformant,
        Outcome::Partial,
        Outcome::Nonconformant,
        Outcome::NotApplicable,
        Outcome::NotAssessed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NotAssessed => "not_assessed",
            Outcome::Conformant => "conformant",
            Outcome::Partial => "partial",
            Outcome::Nonconformant => "nonconformant",
            Outcome::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(s: &str) -> Result<Outcome, FieldError> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| FieldError {
                field: "result",
                message: format!(
                    "'{s}' is not a result; use conformant, partial, nonconformant, not_applicable or not_assessed"
                ),
            })
    }

    /// How well the requirement is met, for comparisons: higher is better. `None` for results
    /// that say nothing about conformance (not assessed, not applicable).
    pub fn rank(self) -> Option<u8> {
        match self {
            Outcome::Nonconformant => Some(0),
            Outcome::Partial => Some(1),
            Outcome::Conformant => Some(2),
            Outcome::NotAssessed | Outcome::NotApplicable => None,
        }
    }
}

/// Where an assessment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentStatus {
    /// Results may be recorded.
    InProgress,
    /// Approved: locked, nothing changes any more.
    Approved,
}

impl AssessmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentStatus::InProgress => "in_progress",
            AssessmentStatus::Approved => "approved",
        }
    }

    pub fn parse(s: &str) -> AssessmentStatus {
        if s == "approved" {
            AssessmentStatus::Approved
        } else {
            AssessmentStatus::InProgress
        }
    }
}

/// A conformance assessment of one framework.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub id: Uuid,
    pub org_id: Uuid,
    pub framework_id: String,
    pub title: String,
    pub scope: String,
    /// First day of the period assessed (`YYYY-MM-DD`).
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// Who assesses: names, one per line (may include people outside the organization).
    pub assessors: String,
    /// The zone a 62443-3-3 assessment assesses (its results give the zone's SL-A); only
    /// assessments of such a framework name one (see [`check_zone_scope`]).
    pub zone_id: Option<Uuid>,
    pub status: AssessmentStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
    pub approved_by: Option<Uuid>,
    pub approval_note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Assessment {
    const KIND: &'static str = "assessment";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// Framework ids whose assessments may name a zone: IEC 62443-3-3 (system security
/// requirements and security levels), whose results give a zone's SL-A.
pub const ZONE_FRAMEWORK_PREFIX: &str = "iec62443-3-3";

/// Whether an assessment of `framework_id` may name a zone as its scope.
pub fn assesses_zones(framework_id: &str) -> bool {
    framework_id.starts_with(ZONE_FRAMEWORK_PREFIX)
}

/// Checks that only a 62443-3-3 assessment names a zone.
pub fn check_zone_scope(framework_id: &str, zone_id: Option<Uuid>) -> Result<(), FieldError> {
    if zone_id.is_some() && !assesses_zones(framework_id) {
        return Err(FieldError {
            field: "zone_id",
            message: format!(
                "an assessment of '{framework_id}' cannot have a zone as its scope; only IEC 62443-3-3 assessments (framework ids starting with '{ZONE_FRAMEWORK_PREFIX}') assess a zone, so leave the zone empty"
            ),
        });
    }
    Ok(())
}

/// The result of one requirement in one assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementResult {
    pub id: Uuid,
    pub assessment_id: Uuid,
    pub node_ref: String,
    pub outcome: Outcome,
    pub maturity: Option<i64>,
    /// Observations; for a not-applicable result, the justification (mandatory).
    pub notes: String,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for RequirementResult {
    const KIND: &'static str = "assessment_result";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// A reference to the evidence behind a result (a document number, a file share path, a
/// record in another system). The document area links its own records here later.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceLink {
    pub id: Uuid,
    pub assessment_id: Uuid,
    pub node_ref: String,
    pub label: String,
    pub location: String,
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

/// What a caller sets on a result; every field is written.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ResultInput {
    pub outcome: Option<Outcome>,
    pub maturity: Option<i64>,
    pub notes: String,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<String>,
}

/// Checks a free text: at most `max` characters, and no control characters other than line
/// breaks and tabs (PostgreSQL refuses NUL in text; the others are never meant).
pub fn validate_text(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.chars().count() > max {
        return Err(FieldError {
            field,
            message: format!("{field} is limited to {max} characters"),
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError {
            field,
            message: format!(
                "{field} contains a control character (such as NUL); remove it and try again"
            ),
        });
    }
    Ok(())
}

/// Checks a requirement ref given by a caller (one line, no control characters).
pub fn validate_ref(value: &str) -> Result<(), FieldError> {
    if value.is_empty() || value.len() > 200 || value.chars().any(char::is_control) {
        return Err(FieldError {
            field: "ref",
            message:
                "a requirement ref is one line of at most 200 characters without control characters"
                    .into(),
        });
    }
    Ok(())
}

/// Validates a date written `YYYY-MM-DD`.
pub fn validate_date(field: &'static str, value: &str) -> Result<(), FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &format)
        .map(|_| ())
        .map_err(|_| FieldError {
            field,
            message: format!("'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01"),
        })
}

/// Checks a result before it is stored. `scale` is the framework's maturity range, if any.
pub fn validate_result(
    outcome: Outcome,
    input: &ResultInput,
    scale: Option<(u8, u8)>,
) -> Result<(), FieldError> {
    if outcome == Outcome::NotApplicable && input.notes.trim().is_empty() {
        return Err(FieldError {
            field: "notes",
            message: "a requirement marked not applicable needs its justification in the notes"
                .into(),
        });
    }
    validate_text("notes", &input.notes, 10_000)?;
    match (input.maturity, scale) {
        (None, _) => {}
        (Some(m), Some((lo, hi))) if (i64::from(lo)..=i64::from(hi)).contains(&m) => {}
        (Some(m), Some((lo, hi))) => {
            return Err(FieldError {
                field: "maturity",
                message: format!("maturity {m} is outside this framework's scale {lo} to {hi}"),
            });
        }
        (Some(_), None) => {
            return Err(FieldError {
                field: "maturity",
                message: "this framework has no maturity scale; leave maturity empty".into(),
            });
        }
    }
    if let Some(d) = &input.due_date {
        validate_date("due_date", d)?;
    }
    Ok(())
}

/// Checks an assessment's header fields.
pub fn validate_header(
    title: &str,
    period_start: Option<&str>,
    period_end: Option<&str>,
) -> Result<(), FieldError> {
    if title.trim().is_empty() || title.chars().count() > 200 {
        return Err(FieldError {
            field: "title",
            message: "give the assessment a title of 1 to 200 characters".into(),
        });
    }
    validate_text("title", title, 200)?;
    if let Some(s) = period_start {
        validate_date("period_start", s)?;
    }
    if let Some(e) = period_end {
        validate_date("period_end", e)?;
    }
    if let (Some(s), Some(e)) = (period_start, period_end)
        && s > e
    {
        return Err(FieldError {
            field: "period_end",
            message: format!("the period ends ({e}) before it starts ({s})"),
        });
    }
    Ok(())
}

/// Counts of results under one node (the node itself if assessable, and every assessable
/// descendant).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub total: u32,
    pub conformant: u32,
    pub partial: u32,
    pub nonconformant: u32,
    pub not_applicable: u32,
    pub not_assessed: u32,
}

impl Tally {
    pub fn add(&mut self, o: Outcome) {
        self.add_many(o, 1);
    }

    /// Counts `n` requirements with the same result.
    pub fn add_many(&mut self, o: Outcome, n: u32) {
        self.total += n;
        match o {
            Outcome::Conformant => self.conformant += n,
            Outcome::Partial => self.partial += n,
            Outcome::Nonconformant => self.nonconformant += n,
            Outcome::NotApplicable => self.not_applicable += n,
            Outcome::NotAssessed => self.not_assessed += n,
        }
    }

    pub fn merge(&mut self, o: &Tally) {
        self.total += o.total;
        self.conformant += o.conformant;
        self.partial += o.partial;
        self.nonconformant += o.nonconformant;
        self.not_applicable += o.not_applicable;
        self.not_assessed += o.not_assessed;
    }

    pub fn count(&self, o: Outcome) -> u32 {
        match o {
            Outcome::Conformant => self.conformant,
            Outcome::Partial => self.partial,
            Outcome::Nonconformant => self.nonconformant,
            Outcome::NotApplicable => self.not_applicable,
            Outcome::NotAssessed => self.not_assessed,
        }
    }

    /// Requirements that count towards conformance (all but not applicable).
    pub fn applicable(&self) -> u32 {
        self.total - self.not_applicable
    }

    /// Share of applicable requirements that are conformant, in percent (0 when none apply).
    pub fn percent_conformant(&self) -> f64 {
        percent(self.conformant, self.applicable())
    }

    /// Share of requirements with a result other than "not assessed", in percent.
    pub fn percent_assessed(&self) -> f64 {
        percent(self.total - self.not_assessed, self.total)
    }
}

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}

/// One node of a framework tree as roll-ups see it: `parent` is the index of the parent in the
/// same slice (parents need not come first).
#[derive(Debug, Clone, Copy)]
pub struct TreeNode<'a> {
    pub reference: &'a str,
    pub parent: Option<usize>,
    pub assessable: bool,
}

/// Per-node tallies: entry `i` counts node `i` (when assessable) and all assessable nodes
/// below it. Assessable nodes without a result count as not assessed.
pub fn rollup(tree: &[TreeNode<'_>], results: &HashMap<&str, Outcome>) -> Vec<Tally> {
    let mut tallies = vec![Tally::default(); tree.len()];
    for (i, node) in tree.iter().enumerate() {
        if !node.assessable {
            continue;
        }
        let outcome = results
            .get(node.reference)
            .copied()
            .unwrap_or(Outcome::NotAssessed);
        let mut at = Some(i);
        let mut steps = 0;
        while let Some(j) = at {
            tallies[j].add(outcome);
            at = tree[j].parent;
            steps += 1;
            if steps > tree.len() {
                break; // a cycle; catalogs are checked for cycles, stay safe anyway
            }
        }
    }
    tallies
}

/// The overall tally of an assessment.
pub fn overall(tree: &[TreeNode<'_>], results: &HashMap<&str, Outcome>) -> Tally {
    let mut t = Tally::default();
    for n in tree.iter().filter(|n| n.assessable) {
        t.add(
            results
                .get(n.reference)
                .copied()
                .unwrap_or(Outcome::NotAssessed),
        );
    }
    t
}

/// Why a requirement stands between the organization and certification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// Not met: a nonconformity an auditor would raise.
    Nonconformant,
    /// Met in part.
    Partial,
    /// No result yet.
    NotAssessed,
    /// Rated conformant or partial without any evidence to show.
    NoEvidence,
}

impl Gap {
    pub fn as_str(self) -> &'static str {
        match self {
            Gap::Nonconformant => "nonconformant",
            Gap::Partial => "partial",
            Gap::NotAssessed => "not_assessed",
            Gap::NoEvidence => "no_evidence",
        }
    }
}

/// The gaps of one assessable requirement (empty when it is ready).
pub fn gaps(outcome: Outcome, evidence_count: usize) -> Vec<Gap> {
    let mut out = Vec::new();
    match outcome {
        Outcome::Nonconformant => out.push(Gap::Nonconformant),
        Outcome::Partial => out.push(Gap::Partial),
        Outcome::NotAssessed => out.push(Gap::NotAssessed),
        Outcome::Conformant | Outcome::NotApplicable => {}
    }
    if matches!(outcome, Outcome::Conformant | Outcome::Partial) && evidence_count == 0 {
        out.push(Gap::NoEvidence);
    }
    out
}

/// How a requirement's result moved from one assessment to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    Same,
    Better,
    Worse,
    /// Changed between results that cannot be ranked (e.g. to or from not applicable).
    Changed,
}

pub fn movement(before: Outcome, after: Outcome) -> Movement {
    if before == after {
        return Movement::Same;
    }
    match (before.rank(), after.rank()) {
        (Some(a), Some(b)) if b > a => Movement::Better,
        (Some(a), Some(b)) if b < a => Movement::Worse,
        (None, Some(_)) if before == Outcome::NotAssessed => Movement::Better,
        _ => Movement::Changed,
    }
}

/// How a mapped requirement of another framework relates to the requirement a proposal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Meeting the other requirement meets this one entirely (equal, or it is a superset).
    Full,
    /// It covers part of this one, or concerns the same topic (subset, intersect, related).
    Part,
}

/// Proposes a result for a requirement from the results of mapped requirements of another
/// assessment: the worst of them; capped at partial unless every mapped requirement covers
/// this one fully, because a related control of another framework does not by itself show
/// the IACS-specific part is met. `None` when nothing mapped has a usable result.
pub fn propose(sources: &[(Outcome, Coverage)]) -> Option<Outcome> {
    let usable: Vec<(Outcome, Coverage)> = sources
        .iter()
        .copied()
        .filter(|(o, _)| o.rank().is_some())
        .collect();
    let worst = usable
        .iter()
        .map(|(o, _)| *o)
        .min_by_key(|o| o.rank().unwrap_or(0))?;
    let all_full = usable.iter().all(|(_, c)| *c == Coverage::Full);
    Some(if worst == Outcome::Conformant && !all_full {
        Outcome::Partial
    } else {
        worst
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tree() -> Vec<TreeNode<'static>> {
        vec![
            TreeNode {
                reference: "4",
                parent: None,
                assessable: false,
            },
            TreeNode {
                reference: "4.1",
                parent: Some(0),
                assessable: false,
            },
            TreeNode {
                reference: "4.1.1",
                parent: Some(1),
                assessable: true,
            },
            TreeNode {
                reference: "4.1.2",
                parent: Some(1),
                assessable: true,
            },
            TreeNode {
                reference: "4.2.1",
                parent: Some(0),
                assessable: true,
            },
        ]
    }

    #[test]
    fn rollup_counts_descendants_and_defaults_to_not_assessed() {
        let t = tree();
        let results = HashMap::from([
            ("4.1.1", Outcome::Conformant),
            ("4.2.1", Outcome::NotApplicable),
        ]);
        let r = rollup(&t, &results);
        assert_eq!(r[0].total, 3);
        assert_eq!(r[0].conformant, 1);
        assert_eq!(r[0].not_applicable, 1);
        assert_eq!(r[0].not_assessed, 1);
        assert_eq!(r[1].total, 2);
        assert_eq!(r[1].percent_conformant(), 50.0);
        assert_eq!(
            r[0].percent_conformant(),
            50.0,
            "not applicable leaves the base"
        );
        assert_eq!(overall(&t, &results), r[0]);
    }

    #[test]
    fn not_applicable_needs_a_justification() {
        let input = ResultInput::default();
        let e = validate_result(Outcome::NotApplicable, &input, None).unwrap_err();
        assert_eq!(e.field, "notes");
        let ok = ResultInput {
            notes: "no wireless in scope".into(),
            ..input
        };
        validate_result(Outcome::NotApplicable, &ok, None).unwrap();
    }

    #[test]
    fn maturity_must_fit_the_scale() {
        let input = ResultInput {
            maturity: Some(5),
            ..Default::default()
        };
        assert!(validate_result(Outcome::Conformant, &input, Some((1, 4))).is_err());
        assert!(validate_result(Outcome::Conformant, &input, None).is_err());
        let input = ResultInput {
            maturity: Some(3),
            ..Default::default()
        };
        validate_result(Outcome::Conformant, &input, Some((1, 4))).unwrap();
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(validate_text("notes", "a\0b", 100).is_err());
        assert!(validate_text("notes", "a\u{7}b", 100).is_err());
        validate_text("notes", "行1\n行2\tタブ", 100).unwrap();
        assert!(validate_text("notes", "あいう", 2).is_err());
        assert!(validate_ref("4.2\0").is_err());
        validate_ref("SR 1.1 RE 1").unwrap();
    }

    #[test]
    fn dates_and_periods_are_checked() {
        assert!(validate_date("due_date", "2026-02-30").is_err());
        assert!(validate_date("due_date", "26-01-01").is_err());
        validate_date("due_date", "2026-12-31").unwrap();
        assert!(validate_header("x", Some("2026-05-01"), Some("2026-04-01")).is_err());
        assert!(validate_header(" ", None, None).is_err());
    }

    #[test]
    fn readiness_gaps() {
        assert_eq!(gaps(Outcome::Conformant, 1), vec![]);
        assert_eq!(gaps(Outcome::Conformant, 0), vec![Gap::NoEvidence]);
        assert_eq!(
            gaps(Outcome::Partial, 0),
            vec![Gap::Partial, Gap::NoEvidence]
        );
        assert_eq!(gaps(Outcome::NotApplicable, 0), vec![]);
        assert_eq!(gaps(Outcome::NotAssessed, 3), vec![Gap::NotAssessed]);
    }

    #[test]
    fn proposals_are_capped_by_coverage() {
        use Coverage::*;
        use Outcome::*;
        assert_eq!(propose(&[]), None);
        assert_eq!(propose(&[(NotAssessed, Full)]), None);
        assert_eq!(propose(&[(Conformant, Full)]), Some(Conformant));
        assert_eq!(propose(&[(Conformant, Part)]), Some(Partial));
        assert_eq!(
            propose(&[(Conformant, Full), (Nonconformant, Part)]),
            Some(Nonconformant)
        );
        assert_eq!(
            propose(&[(Conformant, Full), (NotApplicable, Part)]),
            Some(Conformant)
        );
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        prop::sample::select(Outcome::ALL.to_vec())
    }

    proptest! {
        /// Improving one source result never makes the proposal worse.
        #[test]
        fn proposal_is_monotone(sources in prop::collection::vec((outcome(), prop::bool::ANY), 1..6), i in 0usize..6) {
            let src: Vec<(Outcome, Coverage)> = sources.iter().map(|(o, f)| (*o, if *f { Coverage::Full } else { Coverage::Part })).collect();
            let i = i % src.len();
            let mut better = src.clone();
            if src[i].0 == Outcome::Nonconformant { better[i].0 = Outcome::Partial; }
            else if src[i].0 == Outcome::Partial { better[i].0 = Outcome::Conformant; }
            let rank = |o: Option<Outcome>| o.and_then(Outcome::rank);
            let (a, b) = (rank(propose(&src)), rank(propose(&better)));
            if let (Some(a), Some(b)) = (a, b) { prop_assert!(b >= a); }
        }

        /// Every assessable node is counted exactly once at the root, whatever the results.
        #[test]
        fn root_tally_totals_all_assessable(res in prop::collection::vec(outcome(), 3)) {
            let t = tree();
            let refs = ["4.1.1", "4.1.2", "4.2.1"];
            let results: HashMap<&str, Outcome> = refs.iter().copied().zip(res.iter().copied()).collect();
            let r = rollup(&t, &results);
            prop_assert_eq!(r[0].total, 3);
            let sum: u32 = Outcome::ALL.iter().map(|o| r[0].count(*o)).sum();
            prop_assert_eq!(sum, 3);
        }
    }

    #[test]
    fn only_62443_3_3_assessments_name_a_zone() {
        let z = Some(crate::new_id());
        assert!(check_zone_scope("iec62443-3-3-2013", z).is_ok());
        assert!(check_zone_scope("iec62443-3-3-2013", None).is_ok());
        assert!(check_zone_scope("jipdec-csms-2010", None).is_ok());
        let e = check_zone_scope("jipdec-csms-2010", z).unwrap_err();
        assert_eq!(e.field, "zone_id");
        assert!(e.message.contains("62443-3-3"), "{}", e.message);
        assert!(!assesses_zones("iec62443-2-1-2010"));
    }
}
