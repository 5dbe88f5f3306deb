//! Security levels of zones and conduits (IEC 62443-3-2 and 62443-3-3): the seven
//! foundational requirements, security-level vectors, the achieved level SL-A derived from a
//! zone's 62443-3-3 assessment, the gap to the target SL-T, and the SL-T proposed from risk.
//!
//! # Security-level vectors
//!
//! A security level is given per foundational requirement (FR1 to FR7) as a vector of seven
//! values from 0 to 4, written `SL-T(3,3,2,2,1,1,3)` or just `3,3,2,2,1,1,3`.
//!
//! # How SL-A is derived
//!
//! Each system requirement (SR) and requirement enhancement (RE) of 62443-3-3 applies at some
//! of the security levels 1 to 4. A zone's assessment marks each one met, not met, not
//! assessed, or not applicable (with a justification). For each FR:
//!
//! - a level L is *reached* when at least one SR/RE of that FR applies at L and every SR/RE
//!   of that FR applying at L is met or not applicable;
//! - SL-A is the highest L from 1 to 4 such that every level from 1 to L is reached, and 0 when
//!   level 1 is not reached.
//!
//! "Not assessed" counts as not met: a level is only claimed on evidence. A level with no
//! requirement at all in the input is not reached, so that an assessment that leaves an FR
//! out yields 0 for it rather than 4. (In 62443-3-3 every FR has requirements at every
//! level, and a requirement that applies at L applies at every higher level, so this is the
//! same as "the highest L whose requirements are all met or not applicable".) An assessment
//! result of "partial" counts as not met (see [`Met::from_outcome`]).
//!
//! # The gap
//!
//! For each FR where SL-A is below SL-T, the gap lists the SRs/REs applying at the levels
//! above SL-A up to SL-T that are not met or not applicable: meeting exactly those closes it.
//!
//! # The proposed SL-T (62443-3-2 ZCR 5)
//!
//! A zone's SL-T is proposed from its worst unmitigated risk: the rank of that risk's level
//! (1 for the lowest level of the organization's risk method, n for the highest) is mapped
//! proportionally onto SL 1 to 4, rounding halves up — the lowest level gives SL 1, the
//! highest SL 4; a zone with no risk gets the SL 1 baseline. The same value is proposed for
//! all seven FRs. The user then adjusts it per FR; every value that differs from the
//! proposal is recorded as an [`SlOverride`] with its justification.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::assessment::{Outcome, validate_text};
use crate::org::FieldError;

/// The highest security level.
pub const MAX_SL: u8 = 4;

/// A foundational requirement of IEC 62443-3-3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Fr {
    /// FR1: identification and authentication control (IAC).
    #[serde(rename = "fr1")]
    Iac,
    /// FR2: use control (UC).
    #[serde(rename = "fr2")]
    Uc,
    /// FR3: system integrity (SI).
    #[serde(rename = "fr3")]
    Si,
    /// FR4: data confidentiality (DC).
    #[serde(rename = "fr4")]
    Dc,
    /// FR5: restricted data flow (RDF).
    #[serde(rename = "fr5")]
    Rdf,
    /// FR6: timely response to events (TRE).
    #[serde(rename = "fr6")]
    Tre,
    /// FR7: resource availability (RA).
    #[serde(rename = "fr7")]
    Ra,
}

impl Fr {
    /// FR1 to FR7 in order.
    pub const ALL: [Fr; 7] = [Fr::Iac, Fr::Uc, Fr::Si, Fr::Dc, Fr::Rdf, Fr::Tre, Fr::Ra];

    /// 1 for FR1 ... 7 for FR7.
    pub fn number(self) -> u8 {
        self.index() as u8 + 1
    }

    /// 0 for FR1 ... 6 for FR7: the position in an [`SlVector`].
    pub fn index(self) -> usize {
        match self {
            Fr::Iac => 0,
            Fr::Uc => 1,
            Fr::Si => 2,
            Fr::Dc => 3,
            Fr::Rdf => 4,
            Fr::Tre => 5,
            Fr::Ra => 6,
        }
    }

    /// The FR with a number from 1 to 7.
    pub fn from_number(n: u8) -> Option<Fr> {
        Fr::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// Identifier for storage and the API: `fr1` ... `fr7`.
    pub fn as_str(self) -> &'static str {
        ["fr1", "fr2", "fr3", "fr4", "fr5", "fr6", "fr7"][self.index()]
    }

    /// As the standard and the catalog write it: `FR 1` ... `FR 7`.
    pub fn code(self) -> &'static str {
        ["FR 1", "FR 2", "FR 3", "FR 4", "FR 5", "FR 6", "FR 7"][self.index()]
    }

    /// Abbreviation: IAC, UC, SI, DC, RDF, TRE, RA.
    pub fn abbreviation(self) -> &'static str {
        ["IAC", "UC", "SI", "DC", "RDF", "TRE", "RA"][self.index()]
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Fr::Iac => "Identification and authentication control",
            Fr::Uc => "Use control",
            Fr::Si => "System integrity",
            Fr::Dc => "Data confidentiality",
            Fr::Rdf => "Restricted data flow",
            Fr::Tre => "Timely response to events",
            Fr::Ra => "Resource availability",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Fr::Iac => "識別と認証の制御",
            Fr::Uc => "使用制御",
            Fr::Si => "システムの完全性",
            Fr::Dc => "データの機密性",
            Fr::Rdf => "データフローの制限",
            Fr::Tre => "イベントへの適時の対応",
            Fr::Ra => "リソースの可用性",
        }
    }

    /// Parses `fr1`, `FR1`, `FR 1`, `FR-1` or an abbreviation such as `IAC` (any case).
    pub fn parse(s: &str) -> Result<Fr, FieldError> {
        let norm: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        Fr::ALL
            .into_iter()
            .find(|fr| norm == fr.as_str() || norm == fr.abbreviation().to_ascii_lowercase())
            .ok_or_else(|| FieldError {
                field: "fr",
                message: format!(
                    "'{s}' is not a foundational requirement; use FR1 to FR7 (e.g. FR 1 or IAC)"
                ),
            })
    }
}

impl fmt::Display for Fr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

impl FromStr for Fr {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fr::parse(s)
    }
}

/// Which security level a vector gives, for its written form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlKind {
    /// SL-T: what the zone must reach.
    Target,
    /// SL-A: what the zone reaches, from its assessment.
    Achieved,
    /// SL-C: what a component or system can reach when properly configured.
    Capability,
}

impl SlKind {
    pub fn prefix(self) -> &'static str {
        match self {
            SlKind::Target => "SL-T",
            SlKind::Achieved => "SL-A",
            SlKind::Capability => "SL-C",
        }
    }
}

/// A security level per FR (index 0 = FR1), each from 0 to 4.
///
/// Serialized as an array of seven numbers; deserializing checks the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "[u8; 7]", into = "[u8; 7]")]
pub struct SlVector([u8; 7]);

fn sl_error(message: String) -> FieldError {
    FieldError {
        field: "sl",
        message,
    }
}

impl SlVector {
    /// A vector after checking that every value is from 0 to 4.
    pub fn new(values: [u8; 7]) -> Result<SlVector, FieldError> {
        if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| **v > MAX_SL) {
            return Err(sl_error(format!(
                "{v} for {} is not a security level; use 0 to {MAX_SL}",
                Fr::ALL[i]
            )));
        }
        Ok(SlVector(values))
    }

    /// The same level for all seven FRs (clamped to 4).
    pub fn uniform(level: u8) -> SlVector {
        SlVector([level.min(MAX_SL); 7])
    }

    pub fn values(self) -> [u8; 7] {
        self.0
    }

    pub fn get(self, fr: Fr) -> u8 {
        self.0[fr.index()]
    }

    /// Sets the level of one FR (0 to 4).
    pub fn set(&mut self, fr: Fr, level: u8) -> Result<(), FieldError> {
        if level > MAX_SL {
            return Err(sl_error(format!(
                "{level} for {fr} is not a security level; use 0 to {MAX_SL}"
            )));
        }
        self.0[fr.index()] = level;
        Ok(())
    }

    /// Whether this vector reaches `target` in every FR.
    pub fn meets(self, target: SlVector) -> bool {
        self.0.iter().zip(target.0).all(|(a, t)| *a >= t)
    }

    /// The written form with its kind, e.g. `SL-T(3,3,2,2,1,1,3)`.
    pub fn labeled(self, kind: SlKind) -> String {
        format!("{}({self})", kind.prefix())
    }

    /// Parses `3,3,2,2,1,1,3`, or the same in parentheses after `SL`, `SL-T`, `SL-A` or
    /// `SL-C` (`SL-T(3,3,2,2,1,1,3)`); spaces are ignored.
    pub fn parse(s: &str) -> Result<SlVector, FieldError> {
        let example = "write seven levels 0 to 4, one per FR1 to FR7, e.g. 3,3,2,2,1,1,3 or SL-T(3,3,2,2,1,1,3)";
        let t = s.trim();
        let inner = match t.find('(') {
            None => t,
            Some(open) => {
                let prefix = t[..open].trim().to_ascii_uppercase();
                if !["", "SL", "SL-T", "SL-A", "SL-C"].contains(&prefix.as_str()) {
                    return Err(sl_error(format!(
                        "'{s}' does not start with SL, SL-T, SL-A or SL-C; {example}"
                    )));
                }
                t[open + 1..].strip_suffix(')').ok_or_else(|| {
                    sl_error(format!("'{s}' lacks its closing parenthesis; {example}"))
                })?
            }
        };
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
        if parts.len() != 7 {
            return Err(sl_error(format!(
                "'{s}' has {} values; {example}",
                parts.len()
            )));
        }
        let mut values = [0u8; 7];
        for (i, p) in parts.iter().enumerate() {
            values[i] = match p.parse::<u8>() {
                Ok(v) if v <= MAX_SL => v,
                _ => {
                    return Err(sl_error(format!(
                        "'{p}' for {} is not a security level; use 0 to {MAX_SL}",
                        Fr::ALL[i]
                    )));
                }
            };
        }
        Ok(SlVector(values))
    }
}

impl fmt::Display for SlVector {
    /// `3,3,2,2,1,1,3`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, level) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{level}")?;
        }
        Ok(())
    }
}

impl FromStr for SlVector {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SlVector::parse(s)
    }
}

impl TryFrom<[u8; 7]> for SlVector {
    type Error = FieldError;
    fn try_from(values: [u8; 7]) -> Result<Self, Self::Error> {
        SlVector::new(values)
    }
}

impl From<SlVector> for [u8; 7] {
    fn from(v: SlVector) -> Self {
        v.0
    }
}

/// Whether a 62443-3-3 SR/RE is met in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Met {
    Met,
    NotMet,
    /// Counts as not met: a level is only claimed on evidence.
    NotAssessed,
    /// Does not apply to the zone; the justification is recorded with the assessment result
    /// (the assessment refuses a not-applicable result without one).
    NotApplicable,
}

impl Met {
    pub const ALL: [Met; 4] = [Met::Met, Met::NotMet, Met::NotAssessed, Met::NotApplicable];

    /// Met or not applicable: counts towards a level.
    pub fn satisfied(self) -> bool {
        matches!(self, Met::Met | Met::NotApplicable)
    }

    /// From an assessment result: conformant is met; partial and nonconformant are not met.
    pub fn from_outcome(outcome: Outcome) -> Met {
        match outcome {
            Outcome::Conformant => Met::Met,
            Outcome::Partial | Outcome::Nonconformant => Met::NotMet,
            Outcome::NotAssessed => Met::NotAssessed,
            Outcome::NotApplicable => Met::NotApplicable,
        }
    }
}

/// One 62443-3-3 SR or RE as assessed in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequirementStatus<'a> {
    pub fr: Fr,
    /// The catalog ref, e.g. `SR 1.1 RE 1`.
    pub reference: &'a str,
    /// The security levels (1 to 4) at which the requirement applies.
    pub levels: &'a [u8],
    pub met: Met,
}

impl<'a> From<(Fr, &'a str, &'a [u8], Met)> for RequirementStatus<'a> {
    fn from((fr, reference, levels, met): (Fr, &'a str, &'a [u8], Met)) -> Self {
        RequirementStatus {
            fr,
            reference,
            levels,
            met,
        }
    }
}

impl RequirementStatus<'_> {
    fn applies_at(&self, level: u8) -> bool {
        self.levels.contains(&level)
    }
}

/// Whether level `level` of `fr` is reached: some requirement applies at it and all that do
/// are met or not applicable.
fn reached(fr: Fr, level: u8, reqs: &[RequirementStatus<'_>]) -> bool {
    let mut any = false;
    for r in reqs.iter().filter(|r| r.fr == fr && r.applies_at(level)) {
        if !r.met.satisfied() {
            return false;
        }
        any = true;
    }
    any
}

/// The achieved security level SL-A of a zone from its 62443-3-3 requirements; the rule is
/// in the module documentation.
pub fn derive_sl_a(reqs: &[RequirementStatus<'_>]) -> SlVector {
    let mut values = [0u8; 7];
    for fr in Fr::ALL {
        values[fr.index()] = (1..=MAX_SL)
            .take_while(|l| reached(fr, *l, reqs))
            .last()
            .unwrap_or(0);
    }
    SlVector(values)
}

/// The gap of one FR between target and achieved level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrGap {
    pub fr: Fr,
    pub target: u8,
    pub achieved: u8,
    /// The SRs/REs that close the gap: those applying at the levels above `achieved` up to
    /// `target` that are not met or not applicable, in input order.
    pub closing: Vec<String>,
}

/// The gap between SL-T and SL-A per FR, in FR order; only FRs where the achieved level is
/// below the target appear, so the list is empty exactly when `achieved` meets `target`.
pub fn gap(target: SlVector, achieved: SlVector, reqs: &[RequirementStatus<'_>]) -> Vec<FrGap> {
    Fr::ALL
        .into_iter()
        .filter(|fr| achieved.get(*fr) < target.get(*fr))
        .map(|fr| {
            let (t, a) = (target.get(fr), achieved.get(fr));
            let mut closing: Vec<String> = Vec::new();
            for r in reqs.iter().filter(|r| {
                r.fr == fr && !r.met.satisfied() && (a + 1..=t).any(|l| r.applies_at(l))
            }) {
                if !closing.iter().any(|c| c == r.reference) {
                    closing.push(r.reference.to_string());
                }
            }
            FrGap {
                fr,
                target: t,
                achieved: a,
                closing,
            }
        })
        .collect()
}

/// Proposes a zone's SL-T from its worst unmitigated risk (62443-3-2 ZCR 5).
///
/// `worst_unmitigated_rank` is the rank of the level of the zone's worst risk that is not
/// yet mitigated (1 = the lowest level of the risk method, `levels_count` = the highest), or
/// `None` when the zone has no such risk. The rank is mapped proportionally onto SL 1 to 4,
/// rounding halves up: the lowest level gives SL 1, the highest SL 4; `None`, a rank of 0 or
/// a method with fewer than two levels gives the SL 1 baseline; a rank above
/// `levels_count` counts as the highest. The same level is proposed for every FR; the user
/// adjusts it per FR and records each change as an [`SlOverride`].
pub fn propose_target(worst_unmitigated_rank: Option<u8>, levels_count: u8) -> SlVector {
    let n = u32::from(levels_count);
    let level = match worst_unmitigated_rank {
        Some(rank) if rank >= 1 && n >= 2 => {
            let r = u32::from(rank).min(n);
            // 1 + round((r - 1) * 3 / (n - 1)), halves up
            1 + ((r - 1) * 6 + (n - 1)) / (2 * (n - 1))
        }
        _ => 1,
    };
    SlVector::uniform(level as u8)
}

/// A target level chosen for one FR of a zone, against the proposal from risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlOverride {
    pub fr: Fr,
    pub proposed: u8,
    pub chosen: u8,
    /// Why the chosen level differs from the proposal; required when it does.
    #[serde(default)]
    pub justification: String,
}

impl SlOverride {
    /// Checks the levels (0 to 4) and that a change from the proposal is justified.
    pub fn validate(&self) -> Result<(), FieldError> {
        for (field, v) in [("proposed", self.proposed), ("chosen", self.chosen)] {
            if v > MAX_SL {
                return Err(FieldError {
                    field,
                    message: format!(
                        "{v} for {} is not a security level; use 0 to {MAX_SL}",
                        self.fr
                    ),
                });
            }
        }
        if self.chosen != self.proposed && self.justification.trim().is_empty() {
            return Err(FieldError {
                field: "justification",
                message: format!(
                    "SL-T {} for {} differs from the proposed {}; say why (e.g. the risk assessment's assumptions, a compensating control, or a customer requirement)",
                    self.chosen, self.fr, self.proposed
                ),
            });
        }
        validate_text("justification", &self.justification, 2000)
    }
}

/// The SL-T after applying overrides to a proposal. Each override must name the proposal's
/// level for its FR, be valid, and be the only one for its FR.
pub fn apply_overrides(
    proposed: SlVector,
    overrides: &[SlOverride],
) -> Result<SlVector, FieldError> {
    let mut target = proposed;
    let mut seen = [false; 7];
    for o in overrides {
        o.validate()?;
        if o.proposed != proposed.get(o.fr) {
            return Err(FieldError {
                field: "proposed",
                message: format!(
                    "the override for {} was made against SL {} but the proposal is now SL {}; review it against the current proposal",
                    o.fr,
                    o.proposed,
                    proposed.get(o.fr)
                ),
            });
        }
        if std::mem::replace(&mut seen[o.fr.index()], true) {
            return Err(FieldError {
                field: "fr",
                message: format!("{} is overridden twice; keep one override per FR", o.fr),
            });
        }
        target.set(o.fr, o.chosen)?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One row of the 62443-3-3 reference table.
    struct Row {
        fr: Fr,
        reference: String,
        is_re: bool,
        levels: Vec<u8>,
    }

    /// Splits a CSV line, honouring double-quoted fields (the table has commas in titles).
    fn split_csv(line: &str) -> Vec<String> {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(String::new()),
                _ => fields.last_mut().unwrap().push(c),
            }
        }
        fields
    }

    fn table() -> Vec<Row> {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/reference/iec62443-3-3-2013.csv"
        ))
        .expect("the 62443-3-3 reference table at ../shared/reference/");
        let mut lines = text.lines();
        let header = split_csv(lines.next().unwrap());
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (id, fr, kind) = (col("id"), col("fr"), col("kind"));
        let sl: Vec<usize> = (1..=4).map(|l| col(&format!("sl{l}"))).collect();
        let rows: Vec<Row> = lines
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let f = split_csv(line);
                Row {
                    fr: Fr::parse(&f[fr]).unwrap(),
                    reference: f[id].clone(),
                    is_re: f[kind] == "RE",
                    levels: (1..=4u8)
                        .filter(|l| f[sl[usize::from(*l) - 1]] == "x")
                        .collect(),
                }
            })
            .collect();
        assert!(rows.len() > 90, "the table has every SR and RE");
        rows
    }

    fn statuses<'a>(rows: &'a [Row], met: impl Fn(&Row) -> Met) -> Vec<RequirementStatus<'a>> {
        rows.iter()
            .map(|r| RequirementStatus {
                fr: r.fr,
                reference: &r.reference,
                levels: &r.levels,
                met: met(r),
            })
            .collect()
    }

    #[test]
    fn all_met_reaches_sl4_everywhere() {
        let rows = table();
        let reqs = statuses(&rows, |_| Met::Met);
        assert_eq!(derive_sl_a(&reqs), SlVector::uniform(4));
        assert!(gap(SlVector::uniform(4), derive_sl_a(&reqs), &reqs).is_empty());
    }

    #[test]
    fn not_applicable_counts_like_met() {
        let rows = table();
        let reqs = statuses(&rows, |r| {
            if r.is_re {
                Met::NotApplicable
            } else {
                Met::Met
            }
        });
        assert_eq!(derive_sl_a(&reqs), SlVector::uniform(4));
    }

    #[test]
    fn all_srs_without_res_reach_the_level_below_the_first_re() {
        let rows = table();
        let reqs = statuses(&rows, |r| if r.is_re { Met::NotMet } else { Met::Met });
        // Expected from the data: for each FR, the lowest level at which an RE applies, minus one.
        let mut expected = [MAX_SL; 7];
        for r in rows.iter().filter(|r| r.is_re) {
            let first = *r.levels.iter().min().unwrap();
            expected[r.fr.index()] = expected[r.fr.index()].min(first - 1);
        }
        assert_eq!(derive_sl_a(&reqs).values(), expected);
        // SL 1 needs no RE anywhere; FR6's first RE applies from SL 3.
        assert_eq!(expected, [1, 1, 1, 1, 1, 2, 1]);
    }

    #[test]
    fn one_sl2_re_not_met_in_fr1() {
        let rows = table();
        let missing = rows
            .iter()
            .find(|r| r.fr == Fr::Iac && r.is_re && r.levels.first() == Some(&2))
            .unwrap()
            .reference
            .clone();
        assert_eq!(missing, "SR 1.1 RE 1");
        let reqs = statuses(&rows, |r| {
            if r.reference == missing {
                Met::NotMet
            } else {
                Met::Met
            }
        });
        let achieved = derive_sl_a(&reqs);
        assert_eq!(achieved.values(), [1, 4, 4, 4, 4, 4, 4]);
        let target = SlVector::parse("SL-T(2,2,2,2,2,2,2)").unwrap();
        let g = gap(target, achieved, &reqs);
        assert_eq!(
            g,
            vec![FrGap {
                fr: Fr::Iac,
                target: 2,
                achieved: 1,
                closing: vec![missing],
            }]
        );
    }

    #[test]
    fn not_assessed_counts_as_not_met_and_closes_in_the_gap() {
        let rows = table();
        let reqs = statuses(&rows, |r| {
            if r.reference == "SR 7.1" {
                Met::NotAssessed
            } else {
                Met::Met
            }
        });
        let achieved = derive_sl_a(&reqs);
        assert_eq!(achieved.get(Fr::Ra), 0);
        let g = gap(SlVector::uniform(1), achieved, &reqs);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].closing, vec!["SR 7.1"]);
    }

    #[test]
    fn gap_to_sl3_lists_sl2_and_sl3_requirements() {
        let rows = table();
        let reqs = statuses(&rows, |r| {
            if r.fr == Fr::Tre && r.levels.first() != Some(&1) {
                Met::NotMet
            } else {
                Met::Met
            }
        });
        let achieved = derive_sl_a(&reqs);
        assert_eq!(achieved.get(Fr::Tre), 1);
        let g = gap(SlVector::uniform(3), achieved, &reqs);
        assert_eq!(g.len(), 1);
        let expected: Vec<String> = rows
            .iter()
            .filter(|r| r.fr == Fr::Tre && matches!(r.levels.first(), Some(2 | 3)))
            .map(|r| r.reference.clone())
            .collect();
        assert!(expected.len() >= 2);
        assert_eq!(g[0].closing, expected);
    }

    #[test]
    fn missing_fr_gives_zero_not_four() {
        assert_eq!(derive_sl_a(&[]), SlVector::uniform(0));
        let levels = [1u8, 2, 3, 4];
        let reqs = [RequirementStatus::from((
            Fr::Iac,
            "SR 1.1",
            &levels[..],
            Met::Met,
        ))];
        assert_eq!(derive_sl_a(&reqs).values(), [4, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn met_from_assessment_outcomes() {
        assert_eq!(Met::from_outcome(Outcome::Conformant), Met::Met);
        assert_eq!(Met::from_outcome(Outcome::Partial), Met::NotMet);
        assert_eq!(Met::from_outcome(Outcome::Nonconformant), Met::NotMet);
        assert_eq!(Met::from_outcome(Outcome::NotAssessed), Met::NotAssessed);
        assert_eq!(
            Met::from_outcome(Outcome::NotApplicable),
            Met::NotApplicable
        );
        assert!(Met::NotApplicable.satisfied() && !Met::NotAssessed.satisfied());
    }

    #[test]
    fn fr_names_and_parsing() {
        for (i, fr) in Fr::ALL.into_iter().enumerate() {
            assert_eq!(fr.index(), i);
            assert_eq!(Fr::from_number(fr.number()), Some(fr));
            assert_eq!(Fr::parse(fr.code()).unwrap(), fr);
            assert_eq!(Fr::parse(fr.as_str()).unwrap(), fr);
            assert_eq!(fr.to_string().parse::<Fr>().unwrap(), fr);
            assert!(!fr.label_ja().is_empty() && !fr.label_en().is_empty());
        }
        assert_eq!(Fr::parse("FR7").unwrap(), Fr::Ra);
        assert_eq!(Fr::parse("fr-5").unwrap(), Fr::Rdf);
        assert_eq!(Fr::parse("iac").unwrap(), Fr::Iac);
        assert_eq!(Fr::from_number(0), None);
        assert_eq!(Fr::from_number(8), None);
        let e = Fr::parse("FR8").unwrap_err();
        assert_eq!(e.field, "fr");
        assert_eq!(serde_json::to_string(&Fr::Si).unwrap(), "\"fr3\"");
    }

    #[test]
    fn sl_vectors_parse_and_format() {
        let v = SlVector::parse("SL-T(3,3,2,2,1,1,3)").unwrap();
        assert_eq!(v.values(), [3, 3, 2, 2, 1, 1, 3]);
        assert_eq!(v.to_string(), "3,3,2,2,1,1,3");
        assert_eq!(v.labeled(SlKind::Target), "SL-T(3,3,2,2,1,1,3)");
        assert_eq!(v.labeled(SlKind::Achieved), "SL-A(3,3,2,2,1,1,3)");
        assert_eq!(SlVector::parse("3,3,2,2,1,1,3").unwrap(), v);
        assert_eq!(SlVector::parse(" sl-a( 3, 3,2,2 ,1,1,3 ) ").unwrap(), v);
        assert_eq!(SlVector::parse("SL(0,0,0,0,0,0,4)").unwrap().get(Fr::Ra), 4);
        assert_eq!(v.get(Fr::Rdf), 1);

        let e = SlVector::parse("3,3,2").unwrap_err();
        assert_eq!(e.field, "sl");
        assert!(e.message.contains("3 values"), "{e}");
        let e = SlVector::parse("3,3,2,5,1,1,3").unwrap_err();
        assert!(e.message.contains("'5' for FR 4"), "{e}");
        assert!(SlVector::parse("3,3,2,x,1,1,3").is_err());
        assert!(SlVector::parse("SL-X(3,3,2,2,1,1,3)").is_err());
        assert!(SlVector::parse("SL-T(3,3,2,2,1,1,3").is_err());
        assert!(SlVector::parse("").is_err());
        assert!(SlVector::new([0, 0, 0, 0, 0, 0, 5]).is_err());
        let mut w = v;
        assert!(w.set(Fr::Iac, 5).is_err());
        w.set(Fr::Iac, 4).unwrap();
        assert_eq!(w.get(Fr::Iac), 4);
        assert!(w.meets(v) && !v.meets(w));
    }

    #[test]
    fn sl_vectors_serialize_as_arrays_and_check_range() {
        let v = SlVector::parse("3,3,2,2,1,1,3").unwrap();
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "[3,3,2,2,1,1,3]");
        assert_eq!(serde_json::from_str::<SlVector>(&json).unwrap(), v);
        assert!(serde_json::from_str::<SlVector>("[3,3,2,2,1,1,9]").is_err());
        assert!(serde_json::from_str::<SlVector>("[3,3,2]").is_err());
    }

    #[test]
    fn target_is_proposed_from_the_worst_risk() {
        assert_eq!(propose_target(None, 4), SlVector::uniform(1));
        for r in 1..=4 {
            assert_eq!(propose_target(Some(r), 4), SlVector::uniform(r));
        }
        let five: Vec<u8> = (1..=5)
            .map(|r| propose_target(Some(r), 5).get(Fr::Iac))
            .collect();
        assert_eq!(five, vec![1, 2, 3, 3, 4]);
        let three: Vec<u8> = (1..=3)
            .map(|r| propose_target(Some(r), 3).get(Fr::Iac))
            .collect();
        assert_eq!(three, vec![1, 3, 4]);
        let two: Vec<u8> = (1..=2)
            .map(|r| propose_target(Some(r), 2).get(Fr::Iac))
            .collect();
        assert_eq!(two, vec![1, 4]);
        assert_eq!(propose_target(Some(0), 4), SlVector::uniform(1));
        assert_eq!(propose_target(Some(9), 4), SlVector::uniform(4));
        assert_eq!(propose_target(Some(1), 1), SlVector::uniform(1));
    }

    #[test]
    fn overrides_need_a_justification() {
        let mut o = SlOverride {
            fr: Fr::Ra,
            proposed: 2,
            chosen: 3,
            justification: " ".into(),
        };
        let e = o.validate().unwrap_err();
        assert_eq!(e.field, "justification");
        o.justification = "A trip of this zone stops the whole site.".into();
        o.validate().unwrap();
        let same = SlOverride {
            fr: Fr::Ra,
            proposed: 2,
            chosen: 2,
            justification: String::new(),
        };
        same.validate().unwrap();
        let bad = SlOverride {
            chosen: 5,
            ..o.clone()
        };
        assert_eq!(bad.validate().unwrap_err().field, "chosen");

        let proposed = propose_target(Some(2), 4);
        let t = apply_overrides(proposed, std::slice::from_ref(&o)).unwrap();
        assert_eq!(t.values(), [2, 2, 2, 2, 2, 2, 3]);
        assert!(apply_overrides(proposed, &[o.clone(), o.clone()]).is_err());
        let stale = SlOverride { proposed: 1, ..o };
        assert_eq!(
            apply_overrides(proposed, &[stale]).unwrap_err().field,
            "proposed"
        );
    }

    /// Owned random requirements; borrowed into `RequirementStatus` by `view`.
    type Owned = Vec<(Fr, String, Vec<u8>, Met)>;

    fn requirements() -> impl Strategy<Value = Owned> {
        prop::collection::vec(
            (
                prop::sample::select(Fr::ALL.to_vec()),
                prop::sample::subsequence(vec![1u8, 2, 3, 4], 0..=4),
                prop::sample::select(Met::ALL.to_vec()),
            ),
            0..40,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (fr, levels, met))| (fr, format!("R{i}"), levels, met))
                .collect()
        })
    }

    fn view(owned: &Owned) -> Vec<RequirementStatus<'_>> {
        owned
            .iter()
            .map(|(fr, r, l, m)| RequirementStatus {
                fr: *fr,
                reference: r,
                levels: l,
                met: *m,
            })
            .collect()
    }

    fn sl_vector() -> impl Strategy<Value = SlVector> {
        prop::array::uniform7(0u8..=4).prop_map(|v| SlVector::new(v).unwrap())
    }

    proptest! {
        /// SL-A never exceeds 4.
        #[test]
        fn sl_a_is_at_most_4(owned in requirements()) {
            let a = derive_sl_a(&view(&owned));
            prop_assert!(a.values().iter().all(|v| *v <= MAX_SL));
        }

        /// Marking one more requirement met never lowers SL-A in any FR.
        #[test]
        fn meeting_a_requirement_never_lowers_sl_a(owned in requirements(), i in 0usize..40) {
            prop_assume!(!owned.is_empty());
            let before = derive_sl_a(&view(&owned));
            let mut more = owned.clone();
            more[i % owned.len()].3 = Met::Met;
            let after = derive_sl_a(&view(&more));
            prop_assert!(after.meets(before), "{before} -> {after}");
        }

        /// The gap is empty exactly when the achieved level reaches the target in every FR,
        /// and it lists one entry per FR below target.
        #[test]
        fn gap_is_empty_iff_target_is_met(owned in requirements(), target in sl_vector(), achieved in sl_vector()) {
            let g = gap(target, achieved, &view(&owned));
            prop_assert_eq!(g.is_empty(), achieved.meets(target));
            let below = Fr::ALL.iter().filter(|fr| achieved.get(**fr) < target.get(**fr)).count();
            prop_assert_eq!(g.len(), below);
        }

        /// With SL-A derived from the same requirements, every closing ref is unsatisfied and
        /// applies in the gap's range, every such ref is listed, and meeting them all reaches
        /// the target wherever the levels in between have requirements.
        #[test]
        fn gap_lists_exactly_what_closes_it(owned in requirements(), target in sl_vector()) {
            let reqs = view(&owned);
            let achieved = derive_sl_a(&reqs);
            for g in gap(target, achieved, &reqs) {
                let expected: Vec<String> = owned
                    .iter()
                    .filter(|(fr, _, l, m)| *fr == g.fr && !m.satisfied() && l.iter().any(|x| *x > g.achieved && *x <= g.target))
                    .map(|(_, r, _, _)| r.clone())
                    .collect();
                prop_assert_eq!(&g.closing, &expected);
                let mut fixed = owned.clone();
                for item in fixed.iter_mut() {
                    if g.closing.contains(&item.1) {
                        item.3 = Met::Met;
                    }
                }
                let has_reqs = (1..=g.target).all(|l| owned.iter().any(|(fr, _, ls, _)| *fr == g.fr && ls.contains(&l)));
                if has_reqs {
                    prop_assert!(derive_sl_a(&view(&fixed)).get(g.fr) >= g.target);
                }
            }
        }

        /// The proposal stays in 1..=4, is the same for all FRs, and never falls as the risk rises.
        #[test]
        fn proposal_is_monotone(n in 0u8..=8, r in 0u8..=9) {
            let p = propose_target(Some(r), n);
            let first = p.get(Fr::Iac);
            prop_assert!((1..=MAX_SL).contains(&first));
            prop_assert_eq!(p, SlVector::uniform(first));
            prop_assert!(p.meets(propose_target(None, n)));
            if r < 9 {
                prop_assert!(propose_target(Some(r + 1), n).meets(p));
            }
            if n >= 2 {
                prop_assert_eq!(propose_target(Some(1), n), SlVector::uniform(1));
                prop_assert_eq!(propose_target(Some(n), n), SlVector::uniform(4));
            }
        }

        /// Formatting and parsing are inverse.
        #[test]
        fn sl_vector_round_trips(v in sl_vector()) {
            prop_assert_eq!(SlVector::parse(&v.to_string()).unwrap(), v);
            prop_assert_eq!(SlVector::parse(&v.labeled(SlKind::Capability)).unwrap(), v);
        }
    }
}
