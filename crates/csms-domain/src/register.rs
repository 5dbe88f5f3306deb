//! The risk register (criteria 4.2.3.3 high-level and 4.2.3.9 detailed risk assessment,
//! 4.2.3.10 reassessment): risk scenarios of systems, zones and assets, scored with the
//! organization's [`RiskMethod`], treated, accepted and reviewed.
//!
//! Rules (each enforced by a function here, so that the pages, the API and the store cannot
//! disagree):
//!
//! - **Scope.** A *high-level* assessment rates a system as a whole (4.2.3.3) and names the
//!   system; a *detailed* assessment rates a scenario against zones and assets (4.2.3.9) and
//!   names at least one of them.
//! - **Scoring.** The inherent rating (before the planned controls) and the residual rating
//!   (after them) are each a likelihood and one consequence per category rated; the worst
//!   category drives the level ([`RiskMethod::score`]). The level is stored with the
//!   fingerprint of the method that scored it, so a risk reads as it was scored after the method
//!   changes. The residual level may not exceed the inherent level.
//! - **Treatment** is reduce, accept, transfer or avoid. Reduce needs planned controls; transfer
//!   and avoid need a description of how; a residual rating is needed for every treatment but
//!   accept (where the residual is the inherent risk).
//! - **Acceptance** records who, when and why, at the level in force (the residual level, or the
//!   inherent level without a residual rating). Above the tolerable threshold only a
//!   `csms_manager` or an `admin` accepts ([`RiskMethod::may_accept`]). An acceptance lapses when
//!   a later change raises the level in force, changes the treatment, or rescores the risk with
//!   another method: someone must accept again ([`acceptance_survives`]).
//! - **Review.** Every risk has a review date and the events that trigger an earlier
//!   reassessment (4.2.3.10); a risk past its review date is *due*.
//! - **SL-T from risk.** A zone's worst *unmitigated* risk is the highest inherent level among
//!   the risks naming the zone or one of its assets (62443-3-2 ZCR 5 sets SL-T from the
//!   unmitigated risk); [`worst_unmitigated_rank`] gives its rank for
//!   [`crate::zone::propose_target`].

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::Uuid;
use crate::assessment::validate_text;
use crate::auth::Role;
use crate::inventory::named_enum;
use crate::org::FieldError;
use crate::risk::{RiskMethod, Score};
use crate::trail::Audited;

/// Longest risk title.
pub const MAX_TITLE: usize = 200;
/// Longest one-line attribute (threat source, vector).
pub const MAX_LINE: usize = 500;
/// Longest free text (scenario, vulnerability, controls, acceptance reason).
pub const MAX_TEXT: usize = 5_000;
/// Most zones or assets a risk may name.
pub const MAX_LINKS: usize = 500;

named_enum! {
    /// Which assessment a risk belongs to: the high-level assessment of a system (4.2.3.3) or
    /// the detailed assessment of zones and assets (4.2.3.9).
    RiskKind, "kind", "a kind of risk assessment", " (high_level for a system, detailed for zones and assets)" {
        HighLevel = "high_level" | "high" | "system" | "高レベル" | "高レベルリスクアセスメント",
        #[default]
        Detailed = "detailed" | "detail" | "詳細" | "詳細リスクアセスメント",
    }
}

named_enum! {
    /// How a risk is treated.
    Treatment, "treatment", "a treatment", "" {
        #[default]
        Reduce = "reduce" | "mitigate" | "mitigation" | "低減",
        Accept = "accept" | "retain" | "retention" | "受容" | "保有",
        Transfer = "transfer" | "share" | "移転" | "共有",
        Avoid = "avoid" | "avoidance" | "回避",
    }
}

named_enum! {
    /// An event that calls for reassessing a risk before its review date (4.2.3.10).
    Trigger, "triggers", "a reassessment trigger", "" {
        SystemChange = "system_change" | "change" | "modification",
        NewVulnerability = "new_vulnerability" | "vulnerability" | "advisory",
        ThreatChange = "threat_change" | "threat" | "threat_intelligence",
        Incident = "incident" | "near_miss" | "incident_or_near_miss",
        OrganizationChange = "organization_change" | "organisation_change" | "reorganization",
        RegulationChange = "regulation_change" | "regulatory_change" | "law",
        AuditFinding = "audit_finding" | "audit" | "nonconformity",
        #[default]
        Other = "other",
    }
}

/// Whether a risk is scored before or after its planned controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Inherent,
    Residual,
}

/// A rating as entered: a likelihood and one consequence per category rated.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RatingInput {
    pub likelihood: u8,
    /// Category id → consequence value.
    pub consequences: BTreeMap<String, u8>,
}

/// A scored rating: what was entered and what the method made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub likelihood: u8,
    pub consequences: BTreeMap<String, u8>,
    /// The consequence used in the matrix (the worst category's).
    pub consequence: u8,
    /// The categories at that consequence.
    pub driving_categories: Vec<String>,
    /// Index into the scoring method's levels.
    pub level: usize,
}

impl Rating {
    /// Scores a rating with a method; errors name the field (`inherent` or `residual`).
    pub fn score(
        method: &RiskMethod,
        stage: Stage,
        input: &RatingInput,
    ) -> Result<Rating, FieldError> {
        let field = match stage {
            Stage::Inherent => "inherent",
            Stage::Residual => "residual",
        };
        let pairs: Vec<(&str, u8)> = input
            .consequences
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        let Score {
            consequence,
            driving_categories,
            level,
        } = method
            .score(input.likelihood, &pairs)
            .map_err(|e| FieldError {
                field,
                message: format!("{field} rating: {}", e.message),
            })?;
        Ok(Rating {
            likelihood: input.likelihood,
            consequences: input.consequences.clone(),
            consequence,
            driving_categories,
            level,
        })
    }

    /// The rating as it was entered.
    pub fn input(&self) -> RatingInput {
        RatingInput {
            likelihood: self.likelihood,
            consequences: self.consequences.clone(),
        }
    }
}

/// Who accepted a risk, when, why, and at which level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub by: Uuid,
    /// The accepting member's display name at the time (the trail keeps the id).
    pub by_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: String,
    /// The level in force when accepted (index into the scoring method's levels).
    pub level: usize,
    /// Whether the level was above the tolerable threshold (accepted by a manager).
    pub above_tolerable: bool,
}

/// What a caller sets on a risk; every field is written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NewRisk {
    pub title: String,
    pub kind: RiskKind,
    pub system_id: Option<Uuid>,
    pub zone_ids: Vec<Uuid>,
    pub asset_ids: Vec<Uuid>,
    /// Who or what could cause it (insider, criminal group, malware, contractor, ...).
    pub threat_source: String,
    /// How it reaches the system (remote access, removable media, engineering laptop, ...).
    pub threat_vector: String,
    /// The weakness it exploits.
    pub vulnerability: String,
    /// The scenario and its consequences, in words.
    pub scenario: String,
    pub existing_controls: String,
    pub inherent: RatingInput,
    pub treatment: Treatment,
    pub planned_controls: String,
    /// After the planned controls; `None` for accept (the residual is the inherent risk).
    pub residual: Option<RatingInput>,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<Date>,
    pub review_date: Option<Date>,
    pub triggers: Vec<Trigger>,
    pub trigger_notes: String,
}

/// A risk as scored: the entered fields with both ratings scored by one method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredRisk {
    pub new: NewRisk,
    pub inherent: Rating,
    pub residual: Option<Rating>,
    /// The fingerprint of the method that scored it.
    pub method: String,
}

/// A risk of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub id: Uuid,
    pub org_id: Uuid,
    /// `R-0001`, assigned in order per organization; never reused.
    pub code: String,
    pub title: String,
    pub kind: RiskKind,
    pub system_id: Option<Uuid>,
    pub zone_ids: Vec<Uuid>,
    pub asset_ids: Vec<Uuid>,
    pub threat_source: String,
    pub threat_vector: String,
    pub vulnerability: String,
    pub scenario: String,
    pub existing_controls: String,
    pub inherent: Rating,
    pub treatment: Treatment,
    pub planned_controls: String,
    pub residual: Option<Rating>,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<Date>,
    pub review_date: Option<Date>,
    pub triggers: Vec<Trigger>,
    pub trigger_notes: String,
    pub acceptance: Option<Acceptance>,
    /// The fingerprint of the method that scored both ratings.
    pub method: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<Uuid>,
    pub version: i64,
}

impl Audited for Risk {
    const KIND: &'static str = "risk";
    fn entity_id(&self) -> String {
        self.id.to_string()
    }
}

/// Where a risk stands, derived from its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskStatus {
    /// Treatment decided but not accepted yet.
    Open,
    /// Accepted at the level in force.
    Accepted,
}

impl Risk {
    /// The level in force: residual when rated, else inherent.
    pub fn level(&self) -> usize {
        self.residual
            .as_ref()
            .map_or(self.inherent.level, |r| r.level)
    }

    pub fn status(&self) -> RiskStatus {
        if self.acceptance.is_some() {
            RiskStatus::Accepted
        } else {
            RiskStatus::Open
        }
    }

    /// Whether the review date has passed on `today`.
    pub fn review_due(&self, today: Date) -> bool {
        self.review_date.is_some_and(|d| d <= today)
    }

    /// Whether the due date of the treatment has passed on `today` without acceptance.
    pub fn overdue(&self, today: Date) -> bool {
        self.acceptance.is_none() && self.due_date.is_some_and(|d| d < today)
    }

    /// The rating of one stage (residual falls back to inherent).
    pub fn rating(&self, stage: Stage) -> &Rating {
        match stage {
            Stage::Inherent => &self.inherent,
            Stage::Residual => self.residual.as_ref().unwrap_or(&self.inherent),
        }
    }

    /// The risk's fields as a caller would set them again.
    pub fn to_new(&self) -> NewRisk {
        NewRisk {
            title: self.title.clone(),
            kind: self.kind,
            system_id: self.system_id,
            zone_ids: self.zone_ids.clone(),
            asset_ids: self.asset_ids.clone(),
            threat_source: self.threat_source.clone(),
            threat_vector: self.threat_vector.clone(),
            vulnerability: self.vulnerability.clone(),
            scenario: self.scenario.clone(),
            existing_controls: self.existing_controls.clone(),
            inherent: self.inherent.input(),
            treatment: self.treatment,
            planned_controls: self.planned_controls.clone(),
            residual: self.residual.as_ref().map(Rating::input),
            owner_id: self.owner_id,
            due_date: self.due_date,
            review_date: self.review_date,
            triggers: self.triggers.clone(),
            trigger_notes: self.trigger_notes.clone(),
        }
    }
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn dedup(ids: &mut Vec<Uuid>) {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
}

/// Checks and scores a risk with the organization's current method. The message says what to
/// fix. Text is trimmed; repeated zone, asset and trigger entries are dropped.
pub fn validate_risk(method: &RiskMethod, mut new: NewRisk) -> Result<ScoredRisk, FieldError> {
    new.title = new.title.trim().to_owned();
    if new.title.is_empty() {
        return Err(err(
            "title",
            "give the risk a title that names the scenario, e.g. 'Ransomware on the engineering workstation stops batch control'",
        ));
    }
    if new.title.contains(['\n', '\r']) {
        return Err(err("title", "the title is one line"));
    }
    validate_text("title", &new.title, MAX_TITLE)?;
    for (field, value) in [
        ("threat_source", &mut new.threat_source),
        ("threat_vector", &mut new.threat_vector),
    ] {
        *value = value.trim().to_owned();
        validate_text(field, value, MAX_LINE)?;
    }
    for (field, value) in [
        ("vulnerability", &mut new.vulnerability),
        ("scenario", &mut new.scenario),
        ("existing_controls", &mut new.existing_controls),
        ("planned_controls", &mut new.planned_controls),
        ("trigger_notes", &mut new.trigger_notes),
    ] {
        *value = value.trim().to_owned();
        validate_text(field, value, MAX_TEXT)?;
    }
    dedup(&mut new.zone_ids);
    dedup(&mut new.asset_ids);
    let mut seen = std::collections::HashSet::new();
    new.triggers.retain(|t| seen.insert(*t));
    if new.zone_ids.len() > MAX_LINKS || new.asset_ids.len() > MAX_LINKS {
        return Err(err(
            "zone_ids",
            format!(
                "a risk names at most {MAX_LINKS} zones and {MAX_LINKS} assets; split the scenario"
            ),
        ));
    }
    match new.kind {
        RiskKind::HighLevel if new.system_id.is_none() => {
            return Err(err(
                "system_id",
                "a high-level risk rates a system as a whole: choose the system (or make it a detailed risk of zones and assets)",
            ));
        }
        RiskKind::Detailed if new.zone_ids.is_empty() && new.asset_ids.is_empty() => {
            return Err(err(
                "zone_ids",
                "a detailed risk names the zones or assets it affects: choose at least one (or make it a high-level risk of a system)",
            ));
        }
        _ => {}
    }
    if new.threat_source.is_empty() {
        return Err(err(
            "threat_source",
            "name the threat source (e.g. criminal group, disgruntled insider, maintenance contractor, malware)",
        ));
    }

    let inherent = Rating::score(method, Stage::Inherent, &new.inherent)?;
    match new.treatment {
        Treatment::Reduce if new.planned_controls.is_empty() => {
            return Err(err(
                "planned_controls",
                "to reduce a risk, name the planned controls (what will be done, e.g. 'remove the direct VPN to the DCS; jump host with MFA')",
            ));
        }
        Treatment::Transfer | Treatment::Avoid if new.planned_controls.is_empty() => {
            return Err(err(
                "planned_controls",
                format!(
                    "say how the risk is {} (e.g. the insurance or contract, or the activity given up)",
                    if new.treatment == Treatment::Transfer {
                        "transferred"
                    } else {
                        "avoided"
                    }
                ),
            ));
        }
        _ => {}
    }
    let residual = match (new.treatment, &new.residual) {
        (Treatment::Accept, Some(_)) => {
            return Err(err(
                "residual",
                "an accepted risk keeps its inherent rating: leave the residual rating empty, or choose another treatment",
            ));
        }
        (Treatment::Accept, None) => None,
        (_, None) => {
            return Err(err(
                "residual",
                "rate the residual risk (likelihood and consequences once the planned controls are in place)",
            ));
        }
        (_, Some(input)) => {
            let r = Rating::score(method, Stage::Residual, input)?;
            if r.level > inherent.level {
                return Err(err(
                    "residual",
                    format!(
                        "the residual level ({}) is above the inherent level ({}); the residual rating is the risk after the planned controls, so it cannot be higher",
                        method.levels[r.level].label_en, method.levels[inherent.level].label_en
                    ),
                ));
            }
            Some(r)
        }
    };
    if let (Some(due), Some(review)) = (new.due_date, new.review_date)
        && review < due
        && new.treatment != Treatment::Accept
    {
        return Err(err(
            "review_date",
            "the review date is before the treatment is due; review the risk once the planned controls are in place",
        ));
    }
    Ok(ScoredRisk {
        new,
        inherent,
        residual,
        method: method.fingerprint(),
    })
}

/// Records an acceptance of `risk` by a member with `role`, if the rules allow it: a reason is
/// given, and above the tolerable threshold the member is a `csms_manager` or an `admin`. The
/// risk must have been scored with `method` (rescore it first otherwise).
pub fn accept(
    method: &RiskMethod,
    risk: &Risk,
    by: Uuid,
    by_name: &str,
    role: Role,
    reason: &str,
    at: OffsetDateTime,
) -> Result<Acceptance, FieldError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(err(
            "reason",
            "say why the risk is acceptable (e.g. the residual level is within the tolerable threshold, the cost of further controls, the compensating measures)",
        ));
    }
    validate_text("reason", reason, MAX_TEXT)?;
    if risk.method != method.fingerprint() {
        return Err(err(
            "method",
            "the risk was scored with an earlier risk method: edit and save it to rescore it with the current method before accepting it",
        ));
    }
    let level = risk.level();
    if !method.may_accept(level, role) {
        let label = method
            .levels
            .get(level)
            .map_or("?", |l| l.label_en.as_str());
        let message = if matches!(role, Role::Auditor | Role::Viewer) {
            "auditors and viewers do not accept risks".to_owned()
        } else {
            format!(
                "the level in force ({label}) is above the tolerable threshold; only a CSMS manager or an administrator accepts it"
            )
        };
        return Err(err("reason", message));
    }
    Ok(Acceptance {
        by,
        by_name: by_name.to_owned(),
        at,
        reason: reason.to_owned(),
        level,
        above_tolerable: method.needs_manager_acceptance(level),
    })
}

/// Whether an acceptance still holds after a risk is changed from `before` to `after` (a newly
/// scored version): the same method, the same treatment, and a level in force no higher than
/// the level accepted.
pub fn acceptance_survives(before: &Risk, after: &ScoredRisk) -> bool {
    let Some(a) = &before.acceptance else {
        return false;
    };
    let level = after
        .residual
        .as_ref()
        .map_or(after.inherent.level, |r| r.level);
    after.method == before.method && after.new.treatment == before.treatment && level <= a.level
}

/// The rank (1 = lowest level of the method) of the worst unmitigated (inherent) risk among
/// `risks`, for [`crate::zone::propose_target`]; `None` without risks.
pub fn worst_unmitigated_rank<'a>(
    method: &RiskMethod,
    risks: impl IntoIterator<Item = &'a Risk>,
) -> Option<u8> {
    risks
        .into_iter()
        .map(|r| r.inherent.level.min(method.levels.len().saturating_sub(1)))
        .max()
        .map(|l| method.levels.get(l).map_or(l as u8 + 1, |lv| lv.rank))
}

/// Whether a risk concerns a zone: it names the zone, or an asset in it (`zone_assets` are the
/// zone's asset ids).
pub fn concerns_zone(risk: &Risk, zone_id: Uuid, zone_assets: &[Uuid]) -> bool {
    risk.zone_ids.contains(&zone_id) || risk.asset_ids.iter().any(|a| zone_assets.contains(a))
}

/// How many risks fall in each cell of the method's matrix at a stage:
/// `counts[likelihood - 1][consequence - 1]`. Risks whose rating lies outside the method's
/// scales (scored with an older, larger method) are counted in `outside`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatCounts {
    pub counts: Vec<Vec<usize>>,
    pub outside: usize,
}

pub fn heat_counts<'a>(
    method: &RiskMethod,
    risks: impl IntoIterator<Item = &'a Risk>,
    stage: Stage,
) -> HeatCounts {
    let mut counts = vec![vec![0; method.consequence.len()]; method.likelihood.len()];
    let mut outside = 0;
    for r in risks {
        let rating = r.rating(stage);
        match counts
            .get_mut(usize::from(rating.likelihood).wrapping_sub(1))
            .and_then(|row| row.get_mut(usize::from(rating.consequence).wrapping_sub(1)))
        {
            Some(c) => *c += 1,
            None => outside += 1,
        }
    }
    HeatCounts { counts, outside }
}

/// What the register shows: every filter given narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RiskFilter {
    pub kind: Option<RiskKind>,
    pub system_id: Option<Uuid>,
    pub zone_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub treatment: Option<Treatment>,
    pub status: Option<RiskStatus>,
    /// Only risks whose level in force is at least this level index.
    pub min_level: Option<usize>,
    /// A heat map cell: stage, likelihood and consequence.
    pub cell: Option<(Stage, u8, u8)>,
    /// Only risks whose review date has passed.
    pub review_due: bool,
    /// Part of the code, title, threat source or vector, vulnerability or scenario
    /// (case-insensitive).
    pub q: Option<String>,
}

impl RiskFilter {
    /// Whether `risk` passes. `zone_assets` are the asset ids of `zone_id`'s zone (a risk naming
    /// one of them concerns the zone).
    pub fn matches(&self, risk: &Risk, zone_assets: &[Uuid], today: Date) -> bool {
        if self.kind.is_some_and(|k| k != risk.kind)
            || self.system_id.is_some_and(|s| risk.system_id != Some(s))
            || self
                .zone_id
                .is_some_and(|z| !concerns_zone(risk, z, zone_assets))
            || self.asset_id.is_some_and(|a| !risk.asset_ids.contains(&a))
            || self.owner_id.is_some_and(|o| risk.owner_id != Some(o))
            || self.treatment.is_some_and(|t| t != risk.treatment)
            || self.status.is_some_and(|s| s != risk.status())
            || self.min_level.is_some_and(|l| risk.level() < l)
            || (self.review_due && !risk.review_due(today))
        {
            return false;
        }
        if let Some((stage, l, c)) = self.cell {
            let r = risk.rating(stage);
            if r.likelihood != l || r.consequence != c {
                return false;
            }
        }
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let q = q.to_lowercase();
            let hit = [
                &risk.code,
                &risk.title,
                &risk.threat_source,
                &risk.threat_vector,
                &risk.vulnerability,
                &risk.scenario,
            ]
            .iter()
            .any(|f| f.to_lowercase().contains(&q));
            if !hit {
                return false;
            }
        }
        true
    }
}

named_enum! {
    /// How the register is ordered.
    RiskSort, "sort", "a sort order", "" {
        /// Highest level in force first, then highest inherent level, then code.
        #[default]
        Level = "level",
        /// Highest inherent level first.
        Inherent = "inherent",
        /// Earliest due date first (none last).
        Due = "due",
        /// Earliest review date first (none last).
        Review = "review",
        /// By code (the order risks were recorded).
        Code = "code",
        /// By title.
        Title = "title",
    }
}

fn date_first(a: Option<Date>, b: Option<Date>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Orders risks; ties fall back to the code so the order is stable.
pub fn sort(risks: &mut [Risk], by: RiskSort) {
    risks.sort_by(|a, b| {
        let primary = match by {
            RiskSort::Level => b
                .level()
                .cmp(&a.level())
                .then(b.inherent.level.cmp(&a.inherent.level)),
            RiskSort::Inherent => b.inherent.level.cmp(&a.inherent.level),
            RiskSort::Due => date_first(a.due_date, b.due_date),
            RiskSort::Review => date_first(a.review_date, b.review_date),
            RiskSort::Code => Ordering::Equal,
            RiskSort::Title => a.title.cmp(&b.title),
        };
        primary.then_with(|| a.code.cmp(&b.code))
    });
}

/// The code of the `n`-th risk of an organization (`R-0001`).
pub fn code(n: i64) -> String {
    format!("R-{n:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    fn method() -> RiskMethod {
        RiskMethod::default_5x5()
    }

    fn rating(l: u8, pairs: &[(&str, u8)]) -> RatingInput {
        RatingInput {
            likelihood: l,
            consequences: pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        }
    }

    fn category(m: &RiskMethod, i: usize) -> String {
        m.categories[i].id.clone()
    }

    fn detailed() -> NewRisk {
        let m = method();
        NewRisk {
            title: "Ransomware on the engineering workstation".into(),
            kind: RiskKind::Detailed,
            zone_ids: vec![Uuid::from_u128(1)],
            threat_source: "criminal group".into(),
            inherent: rating(4, &[(&category(&m, 0), 4), (&category(&m, 2), 5)]),
            treatment: Treatment::Reduce,
            planned_controls: "application allow-listing; offline backups".into(),
            residual: Some(rating(2, &[(&category(&m, 2), 3)])),
            ..Default::default()
        }
    }

    fn stored(s: ScoredRisk) -> Risk {
        let at = datetime!(2026-11-01 09:00 UTC);
        Risk {
            id: Uuid::from_u128(9),
            org_id: Uuid::from_u128(8),
            code: code(1),
            title: s.new.title.clone(),
            kind: s.new.kind,
            system_id: s.new.system_id,
            zone_ids: s.new.zone_ids.clone(),
            asset_ids: s.new.asset_ids.clone(),
            threat_source: s.new.threat_source.clone(),
            threat_vector: s.new.threat_vector.clone(),
            vulnerability: s.new.vulnerability.clone(),
            scenario: s.new.scenario.clone(),
            existing_controls: s.new.existing_controls.clone(),
            inherent: s.inherent,
            treatment: s.new.treatment,
            planned_controls: s.new.planned_controls.clone(),
            residual: s.residual,
            owner_id: None,
            due_date: s.new.due_date,
            review_date: s.new.review_date,
            triggers: s.new.triggers.clone(),
            trigger_notes: String::new(),
            acceptance: None,
            method: s.method,
            created_at: at,
            created_by: None,
            updated_at: at,
            updated_by: None,
            version: 1,
        }
    }

    #[test]
    fn a_detailed_risk_is_scored_with_the_worst_category() {
        let m = method();
        let s = validate_risk(&m, detailed()).unwrap();
        assert_eq!(s.inherent.consequence, 5);
        assert_eq!(s.inherent.driving_categories, vec![category(&m, 2)]);
        assert_eq!(s.inherent.level, m.level(4, 5).unwrap());
        assert!(s.residual.as_ref().unwrap().level <= s.inherent.level);
        assert_eq!(s.method, m.fingerprint());
    }

    #[test]
    fn scope_treatment_and_residual_rules_name_the_field() {
        let m = method();
        let cases: Vec<(NewRisk, &str)> = vec![
            (
                NewRisk {
                    title: " ".into(),
                    ..detailed()
                },
                "title",
            ),
            (
                NewRisk {
                    zone_ids: vec![],
                    ..detailed()
                },
                "zone_ids",
            ),
            (
                NewRisk {
                    kind: RiskKind::HighLevel,
                    ..detailed()
                },
                "system_id",
            ),
            (
                NewRisk {
                    threat_source: String::new(),
                    ..detailed()
                },
                "threat_source",
            ),
            (
                NewRisk {
                    planned_controls: String::new(),
                    ..detailed()
                },
                "planned_controls",
            ),
            (
                NewRisk {
                    residual: None,
                    ..detailed()
                },
                "residual",
            ),
            (
                NewRisk {
                    treatment: Treatment::Accept,
                    ..detailed()
                },
                "residual",
            ),
            (
                NewRisk {
                    inherent: rating(2, &[(&category(&m, 0), 2)]),
                    residual: Some(rating(5, &[(&category(&m, 0), 5)])),
                    ..detailed()
                },
                "residual",
            ),
            (
                NewRisk {
                    inherent: rating(9, &[(&category(&m, 0), 1)]),
                    ..detailed()
                },
                "inherent",
            ),
            (
                NewRisk {
                    inherent: rating(3, &[("no_such_category", 1)]),
                    ..detailed()
                },
                "inherent",
            ),
            (
                NewRisk {
                    due_date: Some(date!(2027 - 03 - 31)),
                    review_date: Some(date!(2027 - 01 - 31)),
                    ..detailed()
                },
                "review_date",
            ),
        ];
        for (new, field) in cases {
            let e = validate_risk(&m, new.clone()).unwrap_err();
            assert_eq!(e.field, field, "{new:?}: {}", e.message);
            assert!(!e.message.is_empty());
        }
        // Accept without residual is fine.
        let ok = validate_risk(
            &m,
            NewRisk {
                treatment: Treatment::Accept,
                residual: None,
                planned_controls: String::new(),
                ..detailed()
            },
        )
        .unwrap();
        assert!(ok.residual.is_none());
        // A high-level risk of a system needs no zone.
        validate_risk(
            &m,
            NewRisk {
                kind: RiskKind::HighLevel,
                system_id: Some(Uuid::from_u128(3)),
                zone_ids: vec![],
                ..detailed()
            },
        )
        .unwrap();
    }

    #[test]
    fn acceptance_above_the_threshold_needs_a_manager() {
        let m = method();
        let at = datetime!(2026-11-26 10:00 UTC);
        let high = stored(
            validate_risk(
                &m,
                NewRisk {
                    treatment: Treatment::Accept,
                    residual: None,
                    ..detailed()
                },
            )
            .unwrap(),
        );
        assert!(m.needs_manager_acceptance(high.level()));
        let who = Uuid::from_u128(5);
        let e = accept(&m, &high, who, "c", Role::Contributor, "ok", at).unwrap_err();
        assert!(e.message.contains("tolerable"), "{}", e.message);
        assert!(accept(&m, &high, who, "v", Role::Viewer, "ok", at).is_err());
        assert_eq!(
            accept(&m, &high, who, "m", Role::CsmsManager, " ", at)
                .unwrap_err()
                .field,
            "reason"
        );
        let a = accept(
            &m,
            &high,
            who,
            "m",
            Role::CsmsManager,
            "budgeted for 2027",
            at,
        )
        .unwrap();
        assert!(a.above_tolerable);
        assert_eq!(a.level, high.level());

        // Low residual: a contributor may accept.
        let low = stored(
            validate_risk(
                &m,
                NewRisk {
                    residual: Some(rating(1, &[(&category(&m, 0), 1)])),
                    ..detailed()
                },
            )
            .unwrap(),
        );
        assert!(!m.needs_manager_acceptance(low.level()));
        accept(
            &m,
            &low,
            who,
            "c",
            Role::Contributor,
            "within tolerance",
            at,
        )
        .unwrap();

        // Another method: rescore first.
        let mut old = low.clone();
        old.method = "0".repeat(64);
        assert_eq!(
            accept(&m, &old, who, "c", Role::Admin, "x", at)
                .unwrap_err()
                .field,
            "method"
        );
    }

    #[test]
    fn acceptance_lapses_when_the_level_rises_or_treatment_changes() {
        let m = method();
        let at = datetime!(2026-11-26 10:00 UTC);
        let mut risk = stored(validate_risk(&m, detailed()).unwrap());
        risk.acceptance =
            Some(accept(&m, &risk, Uuid::from_u128(5), "m", Role::Admin, "ok", at).unwrap());
        let same = validate_risk(&m, risk.to_new()).unwrap();
        assert!(acceptance_survives(&risk, &same));
        let worse = validate_risk(
            &m,
            NewRisk {
                residual: Some(rating(4, &[(&category(&m, 0), 4)])),
                ..risk.to_new()
            },
        )
        .unwrap();
        assert!(!acceptance_survives(&risk, &worse));
        let transfer = validate_risk(
            &m,
            NewRisk {
                treatment: Treatment::Transfer,
                ..risk.to_new()
            },
        )
        .unwrap();
        assert!(!acceptance_survives(&risk, &transfer));
    }

    #[test]
    fn worst_unmitigated_rank_and_heat_counts() {
        let m = method();
        assert_eq!(worst_unmitigated_rank(&m, []), None);
        let a = stored(validate_risk(&m, detailed()).unwrap());
        let mut b = a.clone();
        b.inherent =
            Rating::score(&m, Stage::Inherent, &rating(1, &[(&category(&m, 0), 1)])).unwrap();
        b.residual = None;
        let rank = worst_unmitigated_rank(&m, [&a, &b]).unwrap();
        assert_eq!(rank, m.levels[a.inherent.level].rank);
        let h = heat_counts(&m, [&a, &b], Stage::Inherent);
        assert_eq!(h.counts[3][4], 1);
        assert_eq!(h.counts[0][0], 1);
        assert_eq!(h.counts.iter().flatten().sum::<usize>(), 2);
        let r = heat_counts(&m, [&a, &b], Stage::Residual);
        // b has no residual rating: it counts at its inherent cell.
        assert_eq!(r.counts[0][0], 1);
        assert_eq!(r.counts[1][2], 1);
        assert_eq!(r.outside, 0);
    }

    #[test]
    fn filter_and_sort() {
        let m = method();
        let today = date!(2026 - 11 - 26);
        let mut a = stored(validate_risk(&m, detailed()).unwrap());
        a.review_date = Some(date!(2026 - 11 - 01));
        let mut b = stored(
            validate_risk(
                &m,
                NewRisk {
                    title: "Contractor laptop brings malware".into(),
                    zone_ids: vec![],
                    asset_ids: vec![Uuid::from_u128(77)],
                    inherent: rating(2, &[(&category(&m, 0), 2)]),
                    residual: Some(rating(1, &[(&category(&m, 0), 1)])),
                    ..detailed()
                },
            )
            .unwrap(),
        );
        b.code = code(2);
        let zone = Uuid::from_u128(1);
        let f = RiskFilter {
            zone_id: Some(zone),
            ..Default::default()
        };
        assert!(f.matches(&a, &[], today));
        assert!(!f.matches(&b, &[], today));
        assert!(f.matches(&b, &[Uuid::from_u128(77)], today));
        let due = RiskFilter {
            review_due: true,
            ..Default::default()
        };
        assert!(due.matches(&a, &[], today) && !due.matches(&b, &[], today));
        let q = RiskFilter {
            q: Some("LAPTOP".into()),
            ..Default::default()
        };
        assert!(!q.matches(&a, &[], today) && q.matches(&b, &[], today));
        let cell = RiskFilter {
            cell: Some((Stage::Inherent, 2, 2)),
            ..Default::default()
        };
        assert!(!cell.matches(&a, &[], today) && cell.matches(&b, &[], today));
        let mut list = vec![b.clone(), a.clone()];
        sort(&mut list, RiskSort::Code);
        assert_eq!(list[0].code, "R-0001");
        sort(&mut list, RiskSort::Level);
        assert!(list[0].level() >= list[1].level());
        sort(&mut list, RiskSort::Review);
        assert_eq!(list[0].code, a.code);
    }

    proptest! {
        /// Raising the inherent likelihood or any consequence never lowers the inherent level,
        /// and so never lowers the zone's worst unmitigated rank.
        #[test]
        fn worse_inputs_never_lower_the_level(
            l in 1u8..=5, c1 in 1u8..=5, c2 in 1u8..=5, dl in 0u8..=4, dc in 0u8..=4,
        ) {
            let m = method();
            let cat0 = category(&m, 0);
            let cat1 = category(&m, 1);
            let base = Rating::score(&m, Stage::Inherent, &rating(l, &[(&cat0, c1), (&cat1, c2)])).unwrap();
            let l2 = (l + dl).min(5);
            let c12 = (c1 + dc).min(5);
            let worse = Rating::score(&m, Stage::Inherent, &rating(l2, &[(&cat0, c12), (&cat1, c2)])).unwrap();
            prop_assert!(worse.level >= base.level);
        }
    }
}
