//! Risk method: how an organization scores cybersecurity risk (criteria 4.2.3.1, 4.2.3.8).
//!
//! A [`RiskMethod`] is recorded per organization and holds
//!
//! - a likelihood scale and a consequence scale of 3 to 6 steps each, numbered 1 to n,
//!   lowest first, with Japanese and English labels;
//! - the consequence categories in which a scenario's consequences are rated (health and
//!   safety, environment, production/availability, ...);
//! - the risk levels (low to critical), ordered by rank;
//! - the matrix giving the level of each (likelihood, consequence) pair;
//! - the tolerable threshold: the highest level that anyone allowed to edit the register may
//!   accept. A risk above it is accepted only by a `csms_manager` or an `admin`.
//!
//! Rules:
//!
//! - **The worst category drives the level.** A scenario rates its consequence in one or
//!   more categories; the consequence used in the matrix is the highest of them.
//! - **The matrix is monotone**: a higher likelihood or a higher consequence never gives a
//!   lower level. [`RiskMethod::validate`] refuses any other matrix, so that a risk never
//!   looks better because it got worse.
//! - **Old risks stay readable.** The method is serializable and
//!   [`RiskMethod::fingerprint`] gives a stable hash of it; a scored risk records the
//!   fingerprint of the method that scored it, so the store can keep each method version and
//!   show an old risk as it was scored even after the method has changed.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assessment::validate_text;
use crate::auth::Role;
use crate::org::FieldError;

/// Fewest steps a scale may have.
pub const MIN_STEPS: usize = 3;
/// Most steps a scale may have.
pub const MAX_STEPS: usize = 6;
/// Fewest risk levels a method may have.
pub const MIN_LEVELS: usize = 2;
/// Most risk levels a method may have.
pub const MAX_LEVELS: usize = 6;

/// One step of a likelihood or consequence scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// 1 for the lowest step, n for the highest.
    pub value: u8,
    pub label_ja: String,
    pub label_en: String,
    /// What the step means, so that two people rate alike (may be empty).
    #[serde(default)]
    pub description_ja: String,
    #[serde(default)]
    pub description_en: String,
}

/// A likelihood or consequence scale: 3 to 6 steps, values 1 to n in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scale {
    pub steps: Vec<Step>,
}

impl Scale {
    /// The number of steps (the highest value).
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The step with the given value, if the scale has one.
    pub fn step(&self, value: u8) -> Option<&Step> {
        self.steps.iter().find(|s| s.value == value)
    }

    fn contains(&self, value: u8) -> bool {
        value >= 1 && usize::from(value) <= self.steps.len()
    }
}

/// A consequence category in which a scenario's consequence is rated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Stable identifier (`health_safety`): lowercase ASCII letters, digits and underscores.
    pub id: String,
    pub label_ja: String,
    pub label_en: String,
}

/// A risk level (low, medium, high, critical).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Stable identifier (`high`): lowercase ASCII letters, digits and underscores.
    pub id: String,
    pub label_ja: String,
    pub label_en: String,
    /// 1 for the lowest level, n for the highest; equal to the level's position plus one.
    pub rank: u8,
}

/// How an organization scores risk. See the module documentation for the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskMethod {
    pub likelihood: Scale,
    pub consequence: Scale,
    pub categories: Vec<Category>,
    /// Lowest first; a level is referred to by its index in this list.
    pub levels: Vec<Level>,
    /// `cells[likelihood - 1][consequence - 1]` is the index of the level in `levels`.
    pub cells: Vec<Vec<usize>>,
    /// Index of the highest level that may be accepted by anyone with write permission.
    pub tolerable: usize,
}

/// The result of scoring a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// The consequence used in the matrix: the highest over the categories rated.
    pub consequence: u8,
    /// The categories rated at that consequence, in the method's order.
    pub driving_categories: Vec<String>,
    /// Index of the level in the method's `levels`.
    pub level: usize,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn is_identifier(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn validate_labels(
    field: &'static str,
    what: &str,
    label_ja: &str,
    label_en: &str,
) -> Result<(), FieldError> {
    if label_ja.trim().is_empty() || label_en.trim().is_empty() {
        return Err(err(
            field,
            format!("{what} needs a label in both Japanese and English"),
        ));
    }
    validate_text(field, label_ja, 100)?;
    validate_text(field, label_en, 100)
}

fn validate_scale(field: &'static str, name: &str, scale: &Scale) -> Result<(), FieldError> {
    let n = scale.steps.len();
    if !(MIN_STEPS..=MAX_STEPS).contains(&n) {
        return Err(err(
            field,
            format!("the {name} scale has {n} steps; give it {MIN_STEPS} to {MAX_STEPS}"),
        ));
    }
    for (i, step) in scale.steps.iter().enumerate() {
        let expected = i + 1;
        if usize::from(step.value) != expected {
            return Err(err(
                field,
                format!(
                    "step {expected} of the {name} scale has value {}; number the steps 1 to {n} in order, lowest first",
                    step.value
                ),
            ));
        }
        validate_labels(
            field,
            &format!("step {expected} of the {name} scale"),
            &step.label_ja,
            &step.label_en,
        )?;
        validate_text(field, &step.description_ja, 1000)?;
        validate_text(field, &step.description_en, 1000)?;
    }
    Ok(())
}

impl RiskMethod {
    /// The level of a (likelihood, consequence) pair, as an index into `levels`.
    pub fn level(&self, likelihood: u8, consequence: u8) -> Result<usize, FieldError> {
        if !self.likelihood.contains(likelihood) {
            return Err(err(
                "likelihood",
                format!(
                    "likelihood {likelihood} is outside the scale; use 1 to {}",
                    self.likelihood.len()
                ),
            ));
        }
        if !self.consequence.contains(consequence) {
            return Err(err(
                "consequence",
                format!(
                    "consequence {consequence} is outside the scale; use 1 to {}",
                    self.consequence.len()
                ),
            ));
        }
        self.cells
            .get(usize::from(likelihood) - 1)
            .and_then(|row| row.get(usize::from(consequence) - 1))
            .copied()
            .filter(|l| *l < self.levels.len())
            .ok_or_else(|| {
                err(
                    "cells",
                    format!(
                        "the risk method has no valid cell for likelihood {likelihood} and consequence {consequence}; fix the method's matrix"
                    ),
                )
            })
    }

    /// Scores a scenario: `consequences` rates it in one or more categories (by category id);
    /// the worst of them drives the level.
    ///
    /// Errors name the culprit: a likelihood or consequence outside its scale, a category the
    /// method does not have, a category rated twice, or no category rated at all.
    pub fn score<S: AsRef<str>>(
        &self,
        likelihood: u8,
        consequences: &[(S, u8)],
    ) -> Result<Score, FieldError> {
        if consequences.is_empty() {
            return Err(err(
                "consequences",
                "rate the consequence in at least one category",
            ));
        }
        let mut seen = HashSet::new();
        let mut worst = 0u8;
        for (category, value) in consequences {
            let category = category.as_ref();
            if !self.categories.iter().any(|c| c.id == category) {
                let known: Vec<&str> = self.categories.iter().map(|c| c.id.as_str()).collect();
                return Err(err(
                    "consequences",
                    format!(
                        "'{category}' is not a consequence category of this method; use one of {}",
                        known.join(", ")
                    ),
                ));
            }
            if !seen.insert(category) {
                return Err(err(
                    "consequences",
                    format!("category '{category}' is rated twice; give one rating per category"),
                ));
            }
            if !self.consequence.contains(*value) {
                return Err(err(
                    "consequences",
                    format!(
                        "the consequence for '{category}' is {value}, outside the scale; use 1 to {}",
                        self.consequence.len()
                    ),
                ));
            }
            worst = worst.max(*value);
        }
        let level = self.level(likelihood, worst)?;
        let driving_categories = self
            .categories
            .iter()
            .filter(|c| {
                consequences
                    .iter()
                    .any(|(id, v)| id.as_ref() == c.id && *v == worst)
            })
            .map(|c| c.id.clone())
            .collect();
        Ok(Score {
            consequence: worst,
            driving_categories,
            level,
        })
    }

    /// Whether accepting a risk at this level needs a `csms_manager` or an `admin`: true for
    /// every level above the tolerable threshold.
    pub fn needs_manager_acceptance(&self, level: usize) -> bool {
        level > self.tolerable
    }

    /// Whether a member with this role may accept a risk at this level. Contributors (who may
    /// edit the register) accept up to the tolerable threshold; above it only a
    /// `csms_manager` or an `admin`; auditors and viewers never.
    pub fn may_accept(&self, level: usize, role: Role) -> bool {
        match role {
            Role::Admin | Role::CsmsManager => true,
            Role::Contributor => !self.needs_manager_acceptance(level),
            Role::Auditor | Role::Viewer => false,
        }
    }

    /// A stable hash of the method (SHA-256 over its JSON serialization, lowercase hex).
    /// A scored risk records it so that it can be shown later with the method that scored it.
    pub fn fingerprint(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }

    /// Checks the method before it is stored. The message says what to fix.
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_scale("likelihood", "likelihood", &self.likelihood)?;
        validate_scale("consequence", "consequence", &self.consequence)?;

        if self.categories.is_empty() {
            return Err(err(
                "categories",
                "give at least one consequence category (e.g. health_safety)",
            ));
        }
        let mut ids = HashSet::new();
        for c in &self.categories {
            if !is_identifier(&c.id) {
                return Err(err(
                    "categories",
                    format!(
                        "'{}' is not a valid category id; use 1 to 40 lowercase letters, digits and underscores (e.g. health_safety)",
                        c.id
                    ),
                ));
            }
            if !ids.insert(c.id.as_str()) {
                return Err(err(
                    "categories",
                    format!(
                        "category id '{}' is used twice; give each category its own id",
                        c.id
                    ),
                ));
            }
            validate_labels(
                "categories",
                &format!("category '{}'", c.id),
                &c.label_ja,
                &c.label_en,
            )?;
        }

        let n = self.levels.len();
        if !(MIN_LEVELS..=MAX_LEVELS).contains(&n) {
            return Err(err(
                "levels",
                format!("the method has {n} risk levels; give it {MIN_LEVELS} to {MAX_LEVELS}"),
            ));
        }
        let mut ids = HashSet::new();
        for (i, level) in self.levels.iter().enumerate() {
            if !is_identifier(&level.id) {
                return Err(err(
                    "levels",
                    format!(
                        "'{}' is not a valid level id; use 1 to 40 lowercase letters, digits and underscores (e.g. high)",
                        level.id
                    ),
                ));
            }
            if !ids.insert(level.id.as_str()) {
                return Err(err(
                    "levels",
                    format!(
                        "level id '{}' is used twice; give each level its own id",
                        level.id
                    ),
                ));
            }
            if usize::from(level.rank) != i + 1 {
                return Err(err(
                    "levels",
                    format!(
                        "level '{}' is number {} in the list but has rank {}; list the levels lowest first with ranks 1 to {n}",
                        level.id,
                        i + 1,
                        level.rank
                    ),
                ));
            }
            validate_labels(
                "levels",
                &format!("level '{}'", level.id),
                &level.label_ja,
                &level.label_en,
            )?;
        }
        if self.tolerable >= n {
            return Err(err(
                "tolerable",
                format!(
                    "the tolerable threshold {} is not a level; choose one of the {n} levels",
                    self.tolerable
                ),
            ));
        }

        let (nl, nc) = (self.likelihood.len(), self.consequence.len());
        if self.cells.len() != nl || self.cells.iter().any(|row| row.len() != nc) {
            return Err(err(
                "cells",
                format!(
                    "the matrix must have {nl} rows (one per likelihood) of {nc} cells (one per consequence)"
                ),
            ));
        }
        for (l, row) in self.cells.iter().enumerate() {
            for (c, &cell) in row.iter().enumerate() {
                if cell >= n {
                    return Err(err(
                        "cells",
                        format!(
                            "the cell for likelihood {} and consequence {} is level {cell}, which does not exist; use 0 to {}",
                            l + 1,
                            c + 1,
                            n - 1
                        ),
                    ));
                }
            }
        }
        let name = |i: usize| self.levels[i].id.as_str();
        for (l, row) in self.cells.iter().enumerate() {
            for (c, &cell) in row.iter().enumerate() {
                if l > 0 && cell < self.cells[l - 1][c] {
                    let below = self.cells[l - 1][c];
                    return Err(err(
                        "cells",
                        format!(
                            "the cell for likelihood {} and consequence {} is '{}' but likelihood {} gives '{}'; a higher likelihood must never give a lower level: raise this cell to at least '{}' or lower the other",
                            l + 1,
                            c + 1,
                            name(cell),
                            l,
                            name(below),
                            name(below)
                        ),
                    ));
                }
                if c > 0 && cell < row[c - 1] {
                    let left = row[c - 1];
                    return Err(err(
                        "cells",
                        format!(
                            "the cell for likelihood {} and consequence {} is '{}' but consequence {} gives '{}'; a higher consequence must never give a lower level: raise this cell to at least '{}' or lower the other",
                            l + 1,
                            c + 1,
                            name(cell),
                            c,
                            name(left),
                            name(left)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The default method: 5 x 5, consequence categories led by health and safety,
    /// environment and production/availability (an IACS puts safety and availability first),
    /// levels low, medium, high and critical, tolerable up to medium.
    ///
    /// The matrix leans towards consequence: a catastrophic consequence is at least high
    /// however rare.
    pub fn default_5x5() -> RiskMethod {
        fn step(value: u8, ja: &str, en: &str, dja: &str, den: &str) -> Step {
            Step {
                value,
                label_ja: ja.into(),
                label_en: en.into(),
                description_ja: dja.into(),
                description_en: den.into(),
            }
        }
        fn named(id: &str, ja: &str, en: &str) -> Category {
            Category {
                id: id.into(),
                label_ja: ja.into(),
                label_en: en.into(),
            }
        }
        fn level(id: &str, ja: &str, en: &str, rank: u8) -> Level {
            Level {
                id: id.into(),
                label_ja: ja.into(),
                label_en: en.into(),
                rank,
            }
        }
        let likelihood = Scale {
            steps: vec![
                step(
                    1,
                    "まれ",
                    "Rare",
                    "システムの使用期間中に起きるとは考えにくい。",
                    "Not expected during the life of the system.",
                ),
                step(
                    2,
                    "起こりにくい",
                    "Unlikely",
                    "起こり得るが、同種の設備でもほとんど例がない。",
                    "Could happen, but has seldom been seen at similar plants.",
                ),
                step(
                    3,
                    "起こり得る",
                    "Possible",
                    "同種の設備で例があり、数年に一度は起こり得る。",
                    "Has happened at similar plants; could happen once in a few years.",
                ),
                step(
                    4,
                    "起こりやすい",
                    "Likely",
                    "年に一度程度は起こると見込まれる。",
                    "Expected about once a year.",
                ),
                step(
                    5,
                    "ほぼ確実",
                    "Almost certain",
                    "対策がなければ一年以内に起こると見込まれる。",
                    "Expected within a year unless something is done.",
                ),
            ],
        };
        let consequence = Scale {
            steps: vec![
                step(
                    1,
                    "軽微",
                    "Negligible",
                    "けが人なし。生産への影響なし。環境影響なし。",
                    "No injury, no effect on production, no environmental effect.",
                ),
                step(
                    2,
                    "小",
                    "Minor",
                    "応急手当程度のけが。短時間の生産低下。敷地内で収まる軽微な漏えい。",
                    "First-aid injury; a short production slowdown; a small release contained on site.",
                ),
                step(
                    3,
                    "中",
                    "Moderate",
                    "休業を伴うけが。一シフト程度の停止。届出を要する環境事象。",
                    "Lost-time injury; a stop of about one shift; a reportable environmental event.",
                ),
                step(
                    4,
                    "大",
                    "Major",
                    "重傷者。数日間の停止や主要設備の損傷。敷地外への影響。",
                    "Serious injury; a stop of several days or damage to major equipment; an effect beyond the site.",
                ),
                step(
                    5,
                    "甚大",
                    "Catastrophic",
                    "死亡事故。長期の操業停止。地域社会に及ぶ環境被害や事業の存続に関わる損失。",
                    "Fatality; a prolonged shutdown; environmental harm to the community or a loss that threatens the business.",
                ),
            ],
        };
        let categories = vec![
            named("health_safety", "健康・安全", "Health and safety"),
            named("environment", "環境", "Environment"),
            named("production", "生産・可用性", "Production and availability"),
            named("equipment", "設備", "Equipment"),
            named("financial", "財務", "Financial"),
            named("reputation", "評判", "Reputation"),
            named("regulatory", "法令・規制", "Legal and regulatory"),
        ];
        let levels = vec![
            level("low", "低", "Low", 1),
            level("medium", "中", "Medium", 2),
            level("high", "高", "High", 3),
            level("critical", "重大", "Critical", 4),
        ];
        let cells = vec![
            vec![0, 0, 0, 1, 2],
            vec![0, 0, 1, 1, 2],
            vec![0, 1, 1, 2, 3],
            vec![1, 1, 2, 3, 3],
            vec![1, 2, 3, 3, 3],
        ];
        RiskMethod {
            likelihood,
            consequence,
            categories,
            levels,
            cells,
            tolerable: 1,
        }
    }
}

impl Default for RiskMethod {
    fn default() -> Self {
        RiskMethod::default_5x5()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_method_is_valid() {
        let m = RiskMethod::default_5x5();
        m.validate().unwrap();
        assert_eq!(m.likelihood.len(), 5);
        assert_eq!(m.consequence.len(), 5);
        assert_eq!(m.categories[0].id, "health_safety");
        assert!(m.categories.iter().any(|c| c.id == "production"));
        assert_eq!(m.categories.len(), 7);
        assert_eq!(m.levels[m.tolerable].id, "medium");
        assert_eq!(m, RiskMethod::default());
    }

    #[test]
    fn default_matrix_corners() {
        let m = RiskMethod::default_5x5();
        assert_eq!(m.level(1, 1).unwrap(), 0);
        assert_eq!(m.level(5, 5).unwrap(), 3);
        assert_eq!(
            m.levels[m.level(1, 5).unwrap()].id,
            "high",
            "a catastrophic consequence is at least high however rare"
        );
        assert!(m.level(0, 1).is_err());
        assert!(m.level(1, 6).is_err());
    }

    #[test]
    fn worst_category_drives_the_level() {
        let m = RiskMethod::default_5x5();
        let s = m
            .score(
                3,
                &[("financial", 2), ("health_safety", 4), ("production", 4)],
            )
            .unwrap();
        assert_eq!(s.consequence, 4);
        assert_eq!(s.driving_categories, vec!["health_safety", "production"]);
        assert_eq!(s.level, m.level(3, 4).unwrap());
        let owned: Vec<(String, u8)> = vec![("reputation".into(), 1)];
        assert_eq!(m.score(1, &owned).unwrap().level, 0);
    }

    #[test]
    fn scoring_errors_name_the_culprit() {
        let m = RiskMethod::default_5x5();
        let e = m.score(3, &[("cyber", 2)]).unwrap_err();
        assert_eq!(e.field, "consequences");
        assert!(e.message.contains("'cyber'"), "{e}");
        let e = m.score(3, &[("environment", 6)]).unwrap_err();
        assert!(
            e.message.contains("'environment'") && e.message.contains("1 to 5"),
            "{e}"
        );
        let e = m.score(3, &[("environment", 0)]).unwrap_err();
        assert!(e.message.contains("'environment'"), "{e}");
        let e = m
            .score(3, &[("environment", 2), ("environment", 3)])
            .unwrap_err();
        assert!(e.message.contains("twice"), "{e}");
        let none: [(&str, u8); 0] = [];
        assert!(m.score(3, &none).is_err());
        let e = m.score(6, &[("environment", 2)]).unwrap_err();
        assert_eq!(e.field, "likelihood");
    }

    #[test]
    fn acceptance_above_the_threshold_needs_a_manager() {
        let m = RiskMethod::default_5x5();
        assert!(!m.needs_manager_acceptance(0));
        assert!(!m.needs_manager_acceptance(1));
        assert!(m.needs_manager_acceptance(2));
        assert!(m.needs_manager_acceptance(3));
        assert!(m.may_accept(1, Role::Contributor));
        assert!(!m.may_accept(2, Role::Contributor));
        assert!(m.may_accept(3, Role::CsmsManager));
        assert!(m.may_accept(3, Role::Admin));
        assert!(!m.may_accept(0, Role::Viewer));
        assert!(!m.may_accept(0, Role::Auditor));
    }

    #[test]
    fn validation_explains_each_problem() {
        let base = RiskMethod::default_5x5();

        let mut m = base.clone();
        m.likelihood.steps.truncate(2);
        let e = m.validate().unwrap_err();
        assert_eq!(e.field, "likelihood");
        assert!(e.message.contains("3 to 6"), "{e}");

        let mut m = base.clone();
        m.consequence.steps.swap(1, 2);
        let e = m.validate().unwrap_err();
        assert_eq!(e.field, "consequence");
        assert!(e.message.contains("in order"), "{e}");

        let mut m = base.clone();
        m.likelihood.steps[2].label_ja = " ".into();
        assert!(
            m.validate()
                .unwrap_err()
                .message
                .contains("Japanese and English")
        );

        let mut m = base.clone();
        m.categories.clear();
        assert_eq!(m.validate().unwrap_err().field, "categories");

        let mut m = base.clone();
        m.categories[1].id = "health_safety".into();
        assert!(m.validate().unwrap_err().message.contains("twice"));

        let mut m = base.clone();
        m.categories[1].id = "Health Safety".into();
        assert_eq!(m.validate().unwrap_err().field, "categories");

        let mut m = base.clone();
        m.categories[1].label_en.clear();
        assert_eq!(m.validate().unwrap_err().field, "categories");

        let mut m = base.clone();
        m.levels.swap(0, 1);
        assert!(m.validate().unwrap_err().message.contains("rank"));

        let mut m = base.clone();
        m.levels.truncate(1);
        m.tolerable = 0;
        assert_eq!(m.validate().unwrap_err().field, "levels");

        let mut m = base.clone();
        m.tolerable = 4;
        assert_eq!(m.validate().unwrap_err().field, "tolerable");

        let mut m = base.clone();
        m.cells[2].pop();
        assert!(m.validate().unwrap_err().message.contains("5 rows"));

        let mut m = base.clone();
        m.cells[2][2] = 4;
        assert!(m.validate().unwrap_err().message.contains("does not exist"));

        let mut m = base.clone();
        m.cells[3][1] = 0; // below it (likelihood 3, consequence 2) is medium
        let e = m.validate().unwrap_err();
        assert_eq!(e.field, "cells");
        assert!(
            e.message.contains(
                "likelihood 4 and consequence 2 is 'low' but likelihood 3 gives 'medium'"
            ),
            "{e}"
        );

        let mut m = base.clone();
        m.cells[0][4] = 0; // consequence 4 on the same row is medium
        let e = m.validate().unwrap_err();
        assert!(
            e.message.contains(
                "likelihood 1 and consequence 5 is 'low' but consequence 4 gives 'medium'"
            ),
            "{e}"
        );
    }

    #[test]
    fn fingerprint_is_stable_and_tracks_changes() {
        let m = RiskMethod::default_5x5();
        let f = m.fingerprint();
        assert_eq!(f.len(), 64);
        assert!(f.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(f, RiskMethod::default_5x5().fingerprint());
        let json = serde_json::to_string(&m).unwrap();
        let back: RiskMethod = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.fingerprint(), f);
        let mut changed = m.clone();
        changed.cells[0][0] = 1;
        assert_ne!(changed.fingerprint(), f);
        let mut relabelled = m;
        relabelled.levels[0].label_en = "Minor".into();
        assert_ne!(relabelled.fingerprint(), f);
    }

    #[test]
    fn descriptions_may_be_omitted_in_stored_json() {
        let json = r#"{"value":1,"label_ja":"低","label_en":"Low"}"#;
        let s: Step = serde_json::from_str(json).unwrap();
        assert!(s.description_ja.is_empty() && s.description_en.is_empty());
    }

    /// Whether a matrix is monotone, checked independently of `validate`.
    fn monotone(cells: &[Vec<usize>]) -> bool {
        (0..cells.len()).all(|l| {
            (0..cells[l].len()).all(|c| {
                (l == 0 || cells[l][c] >= cells[l - 1][c])
                    && (c == 0 || cells[l][c] >= cells[l][c - 1])
            })
        })
    }

    fn with_shape(nl: usize, nc: usize, nlev: usize, cells: Vec<Vec<usize>>) -> RiskMethod {
        let mut m = RiskMethod::default_5x5();
        let scale = |n: usize| Scale {
            steps: (1..=n)
                .map(|v| Step {
                    value: v as u8,
                    label_ja: format!("段階{v}"),
                    label_en: format!("Step {v}"),
                    description_ja: String::new(),
                    description_en: String::new(),
                })
                .collect(),
        };
        m.likelihood = scale(nl);
        m.consequence = scale(nc);
        m.levels = (0..nlev)
            .map(|i| Level {
                id: format!("l{i}"),
                label_ja: format!("水準{i}"),
                label_en: format!("Level {i}"),
                rank: i as u8 + 1,
            })
            .collect();
        m.tolerable = nlev / 2;
        m.cells = cells;
        m
    }

    /// Any matrix of the right shape with cells in range (monotone or not).
    fn any_method() -> impl Strategy<Value = RiskMethod> {
        (3usize..=6, 3usize..=6, 2usize..=6).prop_flat_map(|(nl, nc, nlev)| {
            prop::collection::vec(prop::collection::vec(0..nlev, nc), nl)
                .prop_map(move |cells| with_shape(nl, nc, nlev, cells))
        })
    }

    /// A valid method with a random monotone matrix: random cells made monotone by taking
    /// the running maximum from the low corner.
    fn monotone_method() -> impl Strategy<Value = RiskMethod> {
        any_method().prop_map(|mut m| {
            for l in 0..m.cells.len() {
                for c in 0..m.cells[l].len() {
                    let mut v = m.cells[l][c];
                    if l > 0 {
                        v = v.max(m.cells[l - 1][c]);
                    }
                    if c > 0 {
                        v = v.max(m.cells[l][c - 1]);
                    }
                    m.cells[l][c] = v;
                }
            }
            m
        })
    }

    /// A valid monotone method with a scenario on it: likelihood and one rating per chosen
    /// category.
    fn scored() -> impl Strategy<Value = (RiskMethod, u8, Vec<(String, u8)>)> {
        monotone_method().prop_flat_map(|m| {
            let nl = m.likelihood.len() as u8;
            let nc = m.consequence.len() as u8;
            let ids: Vec<String> = m.categories.iter().map(|c| c.id.clone()).collect();
            (
                Just(m),
                1..=nl,
                prop::sample::subsequence(ids.clone(), 1..=ids.len()),
                prop::collection::vec(1..=nc, ids.len()),
            )
                .prop_map(|(m, l, cats, vals)| {
                    let ratings = cats.into_iter().zip(vals).collect();
                    (m, l, ratings)
                })
        })
    }

    proptest! {
        /// Generated monotone methods are accepted.
        #[test]
        fn monotone_methods_validate(m in monotone_method()) {
            prop_assert!(m.validate().is_ok(), "{:?}", m.validate());
        }

        /// validate() accepts a matrix exactly when it is monotone.
        #[test]
        fn validate_refuses_non_monotone_matrices(m in any_method()) {
            let result = m.validate();
            prop_assert_eq!(result.is_ok(), monotone(&m.cells), "{:?}", result);
            if let Err(e) = result {
                prop_assert_eq!(e.field, "cells");
            }
        }

        /// Lowering one cell of a monotone matrix below a neighbour is refused.
        #[test]
        fn breaking_one_cell_is_refused(m in monotone_method(), l in 0usize..6, c in 0usize..6) {
            let (l, c) = (l % m.cells.len(), c % m.cells[0].len());
            let floor = [
                l.checked_sub(1).map(|p| m.cells[p][c]),
                c.checked_sub(1).map(|p| m.cells[l][p]),
            ].into_iter().flatten().max();
            if let Some(floor) = floor.filter(|f| *f > 0) {
                let mut broken = m.clone();
                broken.cells[l][c] = floor - 1;
                prop_assert!(broken.validate().is_err());
            }
        }

        /// Raising the likelihood never lowers the level.
        #[test]
        fn higher_likelihood_never_lowers_the_level((m, l, ratings) in scored()) {
            let before = m.score(l, &ratings).unwrap();
            if usize::from(l) < m.likelihood.len() {
                let after = m.score(l + 1, &ratings).unwrap();
                prop_assert!(after.level >= before.level);
            }
        }

        /// Raising any one consequence never lowers the level.
        #[test]
        fn higher_consequence_never_lowers_the_level((m, l, ratings) in scored(), i in 0usize..7) {
            let before = m.score(l, &ratings).unwrap();
            let i = i % ratings.len();
            if usize::from(ratings[i].1) < m.consequence.len() {
                let mut raised = ratings.clone();
                raised[i].1 += 1;
                let after = m.score(l, &raised).unwrap();
                prop_assert!(after.level >= before.level);
                prop_assert!(after.consequence >= before.consequence);
            }
        }

        /// The score is the score of the worst category alone.
        #[test]
        fn worst_category_alone_gives_the_same_score((m, l, ratings) in scored()) {
            let all = m.score(l, &ratings).unwrap();
            let worst = ratings.iter().max_by_key(|(_, v)| *v).unwrap().clone();
            let alone = m.score(l, std::slice::from_ref(&worst)).unwrap();
            prop_assert_eq!(all.level, alone.level);
            prop_assert_eq!(all.consequence, alone.consequence);
            prop_assert_eq!(all.consequence, worst.1);
            prop_assert!(all.driving_categories.contains(&worst.0));
            for id in &all.driving_categories {
                prop_assert!(ratings.iter().any(|(c, v)| c == id && *v == worst.1));
            }
        }
    }
}
