//! Import of CISO Assistant libraries (intuitem's YAML library format) into catalog types.
//!
//! A library holds `objects:` with a `framework:` (or a `frameworks:` list) and/or a
//! `requirement_mapping_set:` (or a `requirement_mapping_sets:` list); `threats`,
//! `reference_controls`, risk matrices and the like are not imported. Scalars are read as text
//! whatever YAML type they have, so `assessable: "True"`, `depth: "2"` and unquoted ref_ids
//! such as `4.10` are read as written.
//!
//! The rules:
//!
//! - **Ids.** A framework or mapping-set id is derived from its URN: the last `:`-separated
//!   segment, lowercased, every character other than `a-z`, `0-9`, `-`, `.` replaced by `-`
//!   (runs collapsed, leading/trailing `-`/`.` dropped), prefixed with `ciso.`
//!   (`urn:intuitem:risk:framework:iec-62443-3-3-2013` → `ciso.iec-62443-3-3-2013`,
//!   `…:zt_ot` → `ciso.zt-ot`). When the URN's namespace (second segment) is not `intuitem`
//!   it is kept, so packagers cannot collide
//!   (`urn:groupe-schmidt:risk:framework:nist-sp-800-82-annex-f` →
//!   `ciso.groupe-schmidt.nist-sp-800-82-annex-f`).
//! - **Refs.** A node's ref is its trimmed `ref_id` when exactly one node of the framework has
//!   that ref_id. A node without a ref_id, or whose ref_id several nodes share, gets the last
//!   segment of its URN (`urn:…:otcc:node4` → `node4`); if that is empty or already taken, a
//!   suffix `#2`, `#3`, … makes it unique (nodes are numbered in file order, so the rule is
//!   stable for a given file; each name counts its own suffixes, skipping those already
//!   taken). Unique ref_ids are assigned first, so a derived ref never takes a ref_id.
//! - **Nodes.** One node per `requirement_node`, in file order; `parent` is the ref of the
//!   node named by `parent_urn`. Kind: `requirement` when assessable; otherwise `clause` at
//!   depth 1 and `element` deeper (depth from `depth`, else counted along the parents).
//!   Title = name, else ref_id, else the first line of the description cut to 80 characters,
//!   else the ref; gist = description, else the title; guidance = `typical_evidence`, else
//!   `annotation`.
//! - **Languages.** The library's text fills `en` (or `ja` when the library's `locale` is
//!   Japanese); the other language comes from `translations: {ja: …}` (or `en`) when present,
//!   else repeats the same text, so both are never empty.
//! - **Mappings.** Source and target frameworks are found by URN (or derived id) among the
//!   frameworks of the same file, then `known`; requirement URNs resolve through the nodes'
//!   URNs. Mappings whose relationship is `not_related` are skipped; equal/subset/superset/
//!   intersect keep their meaning, anything else becomes `related`. A pair given twice with
//!   the same relationship is kept once (bases merged); given twice with different
//!   relationships, it is an error. Basis = `rationale: annotation` (whichever are present).
//!   Every mapping set gets provenance `imported`.
//! - **Limits.** A framework has at most [`crate::MAX_NODES`] nodes and its tree at most
//!   [`crate::MAX_DEPTH`] levels; a report lists at most [`crate::MAX_DIAGNOSTICS`] problems.
//!   Node URNs, ref_ids and parent_urns must be one line of printable text, and names must not
//!   hold a NUL. The node checks run in phases (URNs, then parents, then cycles and depth),
//!   each stopping the framework when it finds a problem; every phase is linear in the
//!   number of nodes.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::limits::{self, Depths, MAX_NODES, Report};
use crate::{
    Bilingual, Catalog, Diagnostic, Framework, Kind, Level, MappingEntry, MappingSet, Node,
    Provenance, Relationship, Scale,
};

/// What an imported file holds, converted to our types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Library {
    pub frameworks: Vec<Catalog>,
    pub mappings: Vec<MappingSet>,
}

const CATALOG_FORMAT: &str = "opencsms-catalog/1";
const MAPPING_FORMAT: &str = "opencsms-mapping/1";
/// Characters of a title cut from a description.
const TITLE_CHARS: usize = 80;

/// A YAML scalar read as its text, whatever type YAML would give it.
#[derive(Debug, Default)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a text, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_string(V)
    }
}

/// The trimmed text, or `None` when absent or blank.
fn text(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(|t| t.0.trim()).filter(|t| !t.is_empty())
}

fn stext(t: &Option<Spanned<Text>>) -> Option<&str> {
    t.as_ref()
        .map(|t| t.value.0.trim())
        .filter(|t| !t.is_empty())
}

#[derive(Debug, Default, Deserialize)]
struct RawTranslation {
    name: Option<Text>,
    description: Option<Text>,
    annotation: Option<Text>,
    typical_evidence: Option<Text>,
}

/// The two translations OpenCSMS uses; the others are skipped.
#[derive(Debug, Default, Deserialize)]
struct RawTranslations {
    ja: Option<RawTranslation>,
    en: Option<RawTranslation>,
}

#[derive(Debug, Deserialize)]
struct RawScore {
    score: Option<Text>,
    name: Option<Text>,
    description: Option<Text>,
    translations: Option<RawTranslations>,
}

#[derive(Debug, Deserialize)]
struct RawNode {
    urn: Option<Text>,
    ref_id: Option<Text>,
    name: Option<Text>,
    description: Option<Text>,
    annotation: Option<Text>,
    typical_evidence: Option<Text>,
    parent_urn: Option<Text>,
    depth: Option<Text>,
    assessable: Option<Spanned<Text>>,
    translations: Option<RawTranslations>,
}

#[derive(Debug, Deserialize)]
struct RawFramework {
    urn: Option<Text>,
    ref_id: Option<Text>,
    name: Option<Text>,
    description: Option<Text>,
    translations: Option<RawTranslations>,
    min_score: Option<Text>,
    max_score: Option<Text>,
    scores_definition: Option<Vec<Spanned<RawScore>>>,
    requirement_nodes: Option<Vec<Spanned<RawNode>>>,
}

#[derive(Debug, Deserialize)]
struct RawMapping {
    source_requirement_urn: Option<Text>,
    target_requirement_urn: Option<Text>,
    relationship: Option<Text>,
    rationale: Option<Text>,
    annotation: Option<Text>,
}

#[derive(Debug, Deserialize)]
struct RawMappingSet {
    urn: Option<Text>,
    name: Option<Text>,
    description: Option<Text>,
    translations: Option<RawTranslations>,
    source_framework_urn: Option<Spanned<Text>>,
    target_framework_urn: Option<Spanned<Text>>,
    requirement_mappings: Option<Vec<Spanned<RawMapping>>>,
}

#[derive(Debug, Deserialize)]
struct RawObjects {
    framework: Option<Spanned<RawFramework>>,
    frameworks: Option<Vec<Spanned<RawFramework>>>,
    requirement_mapping_set: Option<Spanned<RawMappingSet>>,
    requirement_mapping_sets: Option<Vec<Spanned<RawMappingSet>>>,
}

/// A CISO Assistant library, or (when `format` is present) an OpenCSMS file.
#[derive(Debug, Deserialize)]
struct RawLibrary {
    format: Option<Text>,
    urn: Option<Text>,
    ref_id: Option<Text>,
    name: Option<Text>,
    locale: Option<Text>,
    version: Option<Text>,
    provider: Option<Text>,
    packager: Option<Text>,
    copyright: Option<Text>,
    translations: Option<RawTranslations>,
    dependencies: Option<Vec<Text>>,
    objects: Option<Spanned<RawObjects>>,
}

fn line<T>(s: &Spanned<T>) -> u64 {
    s.defined.line()
}

/// The id OpenCSMS gives a CISO Assistant object, derived from its URN (see the module docs).
pub(crate) fn derived_id(urn: &str) -> String {
    let parts: Vec<&str> = urn.trim().split(':').collect();
    let tail = sanitize(parts.last().copied().unwrap_or_default());
    let tail = if tail.is_empty() {
        "unnamed".to_owned()
    } else {
        tail
    };
    let namespace = if parts.len() >= 3 && parts[0].eq_ignore_ascii_case("urn") {
        sanitize(parts[1])
    } else {
        String::new()
    };
    if namespace.is_empty() || namespace == "intuitem" {
        format!("ciso.{tail}")
    } else {
        format!("ciso.{namespace}.{tail}")
    }
}

fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
            c
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches(|c| c == '-' || c == '.').to_owned()
}

/// URNs compare case-insensitively (CISO Assistant lowercases them).
fn urn_key(urn: &str) -> String {
    urn.trim().to_ascii_lowercase()
}

/// The texts of an object in one language.
#[derive(Debug, Clone, Copy, Default)]
struct Texts<'a> {
    name: Option<&'a str>,
    description: Option<&'a str>,
    annotation: Option<&'a str>,
    typical_evidence: Option<&'a str>,
}

impl<'a> Texts<'a> {
    fn overlay(self, tr: Option<&'a RawTranslation>) -> Texts<'a> {
        let Some(tr) = tr else { return self };
        Texts {
            name: text(&tr.name).or(self.name),
            description: text(&tr.description).or(self.description),
            annotation: text(&tr.annotation).or(self.annotation),
            typical_evidence: text(&tr.typical_evidence).or(self.typical_evidence),
        }
    }

    /// (en, ja): the library's text in its own language, the translation (or the same text)
    /// in the other.
    fn languages(self, tr: Option<&'a RawTranslations>, locale_ja: bool) -> (Texts<'a>, Texts<'a>) {
        if locale_ja {
            (self.overlay(tr.and_then(|t| t.en.as_ref())), self)
        } else {
            (self, self.overlay(tr.and_then(|t| t.ja.as_ref())))
        }
    }
}

/// The first line of a description, cut at a word boundary to about [`TITLE_CHARS`].
fn short(description: &str) -> String {
    let first = description
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    if first.chars().count() <= TITLE_CHARS {
        return first.to_owned();
    }
    let cut: String = first.chars().take(TITLE_CHARS).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > TITLE_CHARS / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

fn flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" | "1" => Some(true),
        "false" | "no" | "n" | "off" | "0" | "" => Some(false),
        _ => None,
    }
}

/// Reads a CISO Assistant library or an OpenCSMS file; see [`crate::import`].
pub(crate) fn import(
    file: &str,
    yaml: &str,
    known: &[&Catalog],
) -> Result<Library, Vec<Diagnostic>> {
    let raw: RawLibrary = match serde_saphyr::from_str(yaml) {
        Ok(raw) => raw,
        Err(e) => {
            if let Some(format) = yaml
                .lines()
                .find(|l| l.starts_with("format:") && l.contains("opencsms-"))
            {
                // An OpenCSMS file with a syntax error: its own reader says what is wrong.
                let format = if format.contains(MAPPING_FORMAT) {
                    MAPPING_FORMAT
                } else {
                    CATALOG_FORMAT
                };
                return opencsms(file, yaml, format, known);
            }
            let message = e.to_string();
            let message = message.lines().next().unwrap_or("not valid YAML");
            return Err(vec![Diagnostic {
                file: file.to_owned(),
                line: e.location().map_or(0, |l| l.line()),
                message: format!(
                    "{message}; expected a CISO Assistant library (with `objects:`) or an \
                     OpenCSMS catalog (`format: {CATALOG_FORMAT}`); check the YAML syntax and \
                     indentation (spaces only)"
                ),
            }]);
        }
    };
    if let Some(format) = text_of(&raw.format) {
        return opencsms(file, yaml, format, known);
    }
    let mut r = Report::new(file);
    let Some(objects) = &raw.objects else {
        r.add(
            0,
            format!(
                "not a CISO Assistant library or OpenCSMS catalog: expected `objects:` (a CISO \
                 Assistant library holding a framework or mapping set) or `format: \
                 {CATALOG_FORMAT}` at the top level"
            ),
        );
        return Err(r.finish());
    };
    let objects_line = line(objects);
    let objects = &objects.value;

    let mut frameworks = Vec::new();
    // Frameworks of this file that could not be read (already reported): mapping sets that
    // need them are skipped without a second message.
    let mut failed = Vec::new();
    for fw in objects
        .framework
        .iter()
        .chain(objects.frameworks.iter().flatten())
    {
        let Some(c) = framework(&mut r, &raw, fw) else {
            failed.extend(text(&fw.value.urn).map(urn_key));
            continue;
        };
        if let Some(other) = frameworks
            .iter()
            .find(|o: &&Catalog| o.framework.id == c.framework.id)
        {
            r.add(
                line(fw),
                format!(
                    "framework {} has id '{}' like framework {}; give the frameworks of a \
                     library distinct URNs",
                    c.framework.urn.as_deref().unwrap_or_default(),
                    c.framework.id,
                    other.framework.urn.as_deref().unwrap_or_default()
                ),
            );
        }
        frameworks.push(c);
    }
    let mut mappings: Vec<MappingSet> = Vec::new();
    for set in objects
        .requirement_mapping_set
        .iter()
        .chain(objects.requirement_mapping_sets.iter().flatten())
    {
        if let Some(m) = mapping_set(&mut r, &raw, set, &frameworks, &failed, known) {
            if mappings.iter().any(|o| o.id == m.id) {
                r.add(
                    line(set),
                    format!(
                        "two mapping sets of this library have id '{}'; give them distinct URNs",
                        m.id
                    ),
                );
            }
            mappings.push(m);
        }
    }
    if frameworks.is_empty() && mappings.is_empty() && r.is_empty() {
        r.add(
            objects_line,
            "the library holds no `framework` and no `requirement_mapping_set`; OpenCSMS imports \
             frameworks and mapping sets only (threats, reference controls and risk matrices \
             are not imported)",
        );
    }
    if r.is_empty() {
        Ok(Library {
            frameworks,
            mappings,
        })
    } else {
        Err(r.finish())
    }
}

fn text_of(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(|t| t.0.trim())
}

/// An OpenCSMS file, read by its own reader: a catalog, or a mapping file whose two
/// frameworks are among `known` (found by id).
fn opencsms(
    file: &str,
    text: &str,
    format: &str,
    known: &[&Catalog],
) -> Result<Library, Vec<Diagnostic>> {
    if format.starts_with("opencsms-catalog/") {
        return crate::parse(file, text).map(|c| Library {
            frameworks: vec![c],
            mappings: Vec::new(),
        });
    }
    if !format.starts_with("opencsms-mapping/") {
        return Err(vec![Diagnostic {
            file: file.to_owned(),
            line: 0,
            message: format!(
                "format is '{format}'; OpenCSMS imports {CATALOG_FORMAT} catalogs, \
                 {MAPPING_FORMAT} mappings and CISO Assistant libraries (with `objects:`)"
            ),
        }]);
    }
    let set = crate::parse_mapping(file, text)?;
    let find = |id: &str| known.iter().copied().find(|c| c.framework.id == id);
    let (source, target) = (find(&set.source_framework), find(&set.target_framework));
    let missing: Vec<Diagnostic> = [
        ("source", &set.source_framework, source),
        ("target", &set.target_framework, target),
    ]
    .into_iter()
    .filter(|(_, _, found)| found.is_none())
    .map(|(side, id, _)| Diagnostic {
        file: file.to_owned(),
        line: 0,
        message: format!(
            "mapping {} needs its {side} framework '{id}', which is not imported; import that \
             catalog first",
            set.id
        ),
    })
    .collect();
    let (Some(source), Some(target)) = (source, target) else {
        return Err(missing);
    };
    let problems = crate::check_mapping(file, &set, source, target);
    if problems.is_empty() {
        Ok(Library {
            frameworks: Vec::new(),
            mappings: vec![set],
        })
    } else {
        Err(problems)
    }
}

fn locale_ja(lib: &RawLibrary) -> bool {
    text(&lib.locale).is_some_and(|l| l.to_ascii_lowercase().starts_with("ja"))
}

/// Where an imported object comes from, in both languages.
fn provenance_note(lib: &RawLibrary) -> Bilingual {
    let urn = text(&lib.urn).or(text(&lib.ref_id)).unwrap_or("(no URN)");
    let mut en = format!("Imported from the CISO Assistant library {urn}");
    let mut ja = format!("CISO Assistant ライブラリ {urn}");
    let mut details_en = Vec::new();
    let mut details_ja = Vec::new();
    if let Some(v) = text(&lib.version) {
        details_en.push(format!("version {v}"));
        details_ja.push(format!("バージョン {v}"));
    }
    if let Some(p) = text(&lib.packager) {
        details_en.push(format!("packaged by {p}"));
        details_ja.push(format!("パッケージ作成 {p}"));
    }
    if details_en.is_empty() {
        ja.push(' ');
    } else {
        en.push_str(&format!(" ({})", details_en.join(", ")));
        ja.push_str(&format!("（{}）", details_ja.join("、")));
    }
    en.push('.');
    ja.push_str("から取り込み。");
    if let Some(c) = text(&lib.copyright) {
        en.push_str(&format!(" Copyright: {c}"));
        ja.push_str(&format!("著作権表示: {c}"));
    }
    Bilingual { ja, en }
}

/// An object's name in both languages: its own with its translations (or the library's
/// translations when it repeats the library's name), else the library's, else `fallback`.
fn name_of(
    own: &Option<Text>,
    own_tr: Option<&RawTranslations>,
    lib: &RawLibrary,
    fallback: &str,
) -> Bilingual {
    let (name, tr) = match text(own) {
        Some(n) if text(&lib.name) == Some(n) => (Some(n), own_tr.or(lib.translations.as_ref())),
        Some(n) => (Some(n), own_tr),
        None => (text(&lib.name), lib.translations.as_ref()),
    };
    let (en, ja) = Texts {
        name,
        ..Texts::default()
    }
    .languages(tr, locale_ja(lib));
    Bilingual {
        ja: ja.name.unwrap_or(fallback).to_owned(),
        en: en.name.unwrap_or(fallback).to_owned(),
    }
}

/// The object's description (when it has one) above the provenance note.
fn with_description(mut notes: Bilingual, en: Texts<'_>, ja: Texts<'_>) -> Bilingual {
    if let (Some(d_en), Some(d_ja)) = (en.description, ja.description) {
        notes.en = format!("{d_en}\n\n{}", notes.en);
        notes.ja = format!("{d_ja}\n\n{}", notes.ja);
    }
    notes
}

fn framework(
    r: &mut Report<'_>,
    lib: &RawLibrary,
    spanned: &Spanned<RawFramework>,
) -> Option<Catalog> {
    let fw_line = line(spanned);
    let fw = &spanned.value;
    let Some(urn) = text(&fw.urn) else {
        r.add(
            fw_line,
            "a framework has no `urn`; give it one (mapping sets name frameworks by URN)",
        );
        return None;
    };
    let id = derived_id(urn);
    let ja_locale = locale_ja(lib);
    let name = name_of(
        &fw.name,
        fw.translations.as_ref(),
        lib,
        text(&fw.ref_id).unwrap_or(urn),
    );
    r.control(fw_line, "a framework", "urn", urn);
    r.nul_name(fw_line, &format!("the name of framework {urn:?}"), &name);
    let (en, ja) = Texts {
        description: text(&fw.description),
        ..Texts::default()
    }
    .languages(fw.translations.as_ref(), ja_locale);
    let notes = with_description(provenance_note(lib), en, ja);
    let edition = text(&lib.version)
        .or(text(&fw.ref_id))
        .or(text(&lib.ref_id))
        .unwrap_or_default()
        .to_owned();
    let publisher = text(&lib.provider)
        .or(text(&lib.packager))
        .unwrap_or("unknown")
        .to_owned();
    let scale = scale(r, fw_line, fw, ja_locale);

    let empty = Vec::new();
    let raw_nodes = fw.requirement_nodes.as_ref().unwrap_or(&empty);
    if raw_nodes.is_empty() {
        r.add(
            fw_line,
            format!("framework {urn} has no `requirement_nodes`; there is nothing to assess"),
        );
        return None;
    }
    if raw_nodes.len() > MAX_NODES {
        r.add(
            fw_line,
            format!(
                "the framework has {} requirement nodes; OpenCSMS imports at most {}",
                limits::thousands(raw_nodes.len()),
                limits::thousands(MAX_NODES)
            ),
        );
        return None;
    }
    let before = r.count();

    // Nodes by URN; URNs and ref_ids on one line.
    let mut by_urn: HashMap<String, usize> = HashMap::with_capacity(raw_nodes.len());
    for (i, n) in raw_nodes.iter().enumerate() {
        let v = &n.value;
        let urn = text(&v.urn);
        let who = match urn {
            Some(u) => format!("node {u:?}"),
            None => "a requirement node".to_owned(),
        };
        if let Some(ref_id) = text(&v.ref_id) {
            r.control(line(n), &who, "ref_id", ref_id);
        }
        if let Some(p) = text(&v.parent_urn) {
            r.control(line(n), &who, "parent_urn", p);
        }
        match urn {
            None => r.add(
                line(n),
                "a requirement node has no `urn`; every node needs one (parents and mappings \
                 name nodes by URN)",
            ),
            Some(u) => {
                if r.control(line(n), "a requirement node", "urn", u) {
                    continue;
                }
                if let Some(&first) = by_urn.get(&urn_key(u)) {
                    r.add(
                        line(n),
                        format!(
                            "duplicate node URN {u} (first at line {}); every node needs its own URN",
                            line(&raw_nodes[first])
                        ),
                    );
                } else {
                    by_urn.insert(urn_key(u), i);
                }
            }
        }
    }
    if r.count() > before {
        return None;
    }

    let refs = references(raw_nodes);

    // Parents, then depths (which finds cycles).
    let mut parent: Vec<Option<usize>> = vec![None; raw_nodes.len()];
    for (i, n) in raw_nodes.iter().enumerate() {
        if let Some(p) = text(&n.value.parent_urn) {
            match by_urn.get(&urn_key(p)) {
                Some(&pi) => parent[i] = Some(pi),
                None => r.add(
                    line(n),
                    format!(
                        "node '{}' names parent_urn {p}, which is not a node of framework {urn}; \
                         fix the parent_urn or add the parent node",
                        refs[i]
                    ),
                ),
            }
        }
    }
    if r.count() > before {
        return None;
    }
    let depths = Depths::of(&parent);
    for (i, n) in raw_nodes.iter().enumerate() {
        if depths.on_cycle[i] {
            r.add(
                line(n),
                format!(
                    "node '{}' is its own ancestor (a cycle of parent_urn); fix the parents",
                    refs[i]
                ),
            );
        }
    }
    if let Some((i, depth)) = depths.too_deep() {
        r.add(
            line(&raw_nodes[i]),
            limits::too_deep_message(&refs[i], depth),
        );
    }
    if r.count() > before {
        return None;
    }

    let mut nodes = Vec::with_capacity(raw_nodes.len());
    for (i, n) in raw_nodes.iter().enumerate() {
        let v = &n.value;
        let assessable = match &v.assessable {
            None => false,
            Some(a) => flag(&a.value.0).unwrap_or_else(|| {
                r.add(
                    line(a),
                    format!(
                        "node '{}' has assessable '{}'; use true or false",
                        refs[i], a.value.0
                    ),
                );
                false
            }),
        };
        let depth = text(&v.depth)
            .and_then(|d| d.parse::<usize>().ok())
            .or(depths.depth[i])
            .unwrap_or(1);
        let kind = if assessable {
            Kind::Requirement
        } else if depth <= 1 {
            Kind::Clause
        } else {
            Kind::Element
        };
        let base = Texts {
            name: text(&v.name),
            description: text(&v.description),
            annotation: text(&v.annotation),
            typical_evidence: text(&v.typical_evidence),
        };
        let (en, ja) = base.languages(v.translations.as_ref(), ja_locale);
        let ref_id = text(&v.ref_id);
        let title_of = |t: &Texts<'_>| {
            t.name
                .map(str::to_owned)
                .or(ref_id.map(str::to_owned))
                .or(t.description.map(short).filter(|s| !s.is_empty()))
                .unwrap_or_else(|| refs[i].clone())
        };
        let title = Bilingual {
            ja: title_of(&ja),
            en: title_of(&en),
        };
        let gist = Bilingual {
            ja: ja
                .description
                .map_or_else(|| title.ja.clone(), str::to_owned),
            en: en
                .description
                .map_or_else(|| title.en.clone(), str::to_owned),
        };
        let guidance_of = |t: &Texts<'_>| t.typical_evidence.or(t.annotation).map(str::to_owned);
        let guidance = guidance_of(&en)
            .zip(guidance_of(&ja))
            .map(|(en, ja)| Bilingual { ja, en });
        nodes.push(Node {
            reference: refs[i].clone(),
            kind,
            parent: parent[i].map(|p| refs[p].clone()),
            title,
            gist,
            guidance,
            assessable,
            flags: Vec::new(),
            security_levels: Vec::new(),
            references: Vec::new(),
            urn: text(&v.urn).map(str::to_owned),
        });
    }
    if r.count() > before {
        return None;
    }
    Some(Catalog {
        framework: Framework {
            id,
            edition,
            publisher,
            name,
            scale,
            notes: Some(notes),
            urn: Some(urn.to_owned()),
        },
        nodes,
    })
}

/// The refs of a framework's nodes (see the module docs for the rule).
fn references(raw_nodes: &[Spanned<RawNode>]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for n in raw_nodes {
        if let Some(r) = text(&n.value.ref_id) {
            *count.entry(r).or_default() += 1;
        }
    }
    let mut taken: HashSet<String> = HashSet::new();
    let mut refs: Vec<Option<String>> = raw_nodes
        .iter()
        .map(|n| {
            text(&n.value.ref_id)
                .filter(|r| count.get(r) == Some(&1))
                .map(|r| {
                    taken.insert(r.to_owned());
                    r.to_owned()
                })
        })
        .collect();
    // The next suffix to try for each base name: each try either takes a name or skips one
    // already taken, so all nodes together take time linear in their number.
    let mut next: HashMap<String, usize> = HashMap::new();
    for (i, n) in raw_nodes.iter().enumerate() {
        if refs[i].is_some() {
            continue;
        }
        let tail = text(&n.value.urn)
            .and_then(|u| u.rsplit(':').next())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or("node");
        let k = next.entry(tail.to_owned()).or_insert(1);
        let candidate = loop {
            let candidate = if *k == 1 {
                tail.to_owned()
            } else {
                format!("{tail}#{k}")
            };
            *k += 1;
            if !taken.contains(&candidate) {
                break candidate;
            }
        };
        taken.insert(candidate.clone());
        refs[i] = Some(candidate);
    }
    refs.into_iter().map(Option::unwrap_or_default).collect()
}

fn score_value(r: &mut Report<'_>, line: u64, what: &str, value: &str) -> Option<u8> {
    let parsed = value.trim().parse::<u8>().ok();
    if parsed.is_none() {
        r.add(
            line,
            format!("{what} is '{value}'; scores must be whole numbers from 0 to 255"),
        );
    }
    parsed
}

fn scale(r: &mut Report<'_>, fw_line: u64, fw: &RawFramework, ja_locale: bool) -> Option<Scale> {
    let defs = fw.scores_definition.as_deref().unwrap_or_default();
    if !defs.is_empty() {
        let mut levels = Vec::with_capacity(defs.len());
        for d in defs {
            let v = &d.value;
            let Some(score) = text(&v.score) else {
                r.add(
                    line(d),
                    "a scores_definition entry has no `score`; give its number",
                );
                continue;
            };
            let Some(value) = score_value(r, line(d), "a score", score) else {
                continue;
            };
            let base = Texts {
                name: text(&v.name).or(text(&v.description)).or(Some(score)),
                ..Texts::default()
            };
            let (en, ja) = base.languages(v.translations.as_ref(), ja_locale);
            levels.push(Level {
                value,
                label: Bilingual {
                    ja: ja.name.unwrap_or(score).to_owned(),
                    en: en.name.unwrap_or(score).to_owned(),
                },
            });
        }
        return Some(Scale {
            id: "score".to_owned(),
            levels,
        });
    }
    let (min, max) = (text(&fw.min_score), text(&fw.max_score));
    if min.is_none() && max.is_none() {
        return None;
    }
    let min = score_value(r, fw_line, "min_score", min.unwrap_or("0"))?;
    let max = score_value(r, fw_line, "max_score", max.unwrap_or("0"))?;
    if min > max {
        r.add(
            fw_line,
            format!("min_score {min} is above max_score {max}; swap them"),
        );
        return None;
    }
    Some(Scale {
        id: "score".to_owned(),
        levels: (min..=max)
            .map(|value| Level {
                value,
                label: Bilingual {
                    ja: value.to_string(),
                    en: value.to_string(),
                },
            })
            .collect(),
    })
}

fn matches(catalog: &Catalog, framework_urn: &str) -> bool {
    catalog
        .framework
        .urn
        .as_deref()
        .is_some_and(|u| urn_key(u) == urn_key(framework_urn))
        || catalog.framework.id == derived_id(framework_urn)
}

fn relationship(value: &str) -> Option<Relationship> {
    let key: String = value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    match key.as_str() {
        "notrelated" => None,
        "equal" => Some(Relationship::Equal),
        "subset" => Some(Relationship::Subset),
        "superset" => Some(Relationship::Superset),
        "intersect" => Some(Relationship::Intersect),
        _ => Some(Relationship::Related),
    }
}

fn mapping_set(
    r: &mut Report<'_>,
    lib: &RawLibrary,
    spanned: &Spanned<RawMappingSet>,
    in_file: &[Catalog],
    failed: &[String],
    known: &[&Catalog],
) -> Option<MappingSet> {
    let set_line = line(spanned);
    let set = &spanned.value;
    let Some(urn) = text(&set.urn) else {
        r.add(
            set_line,
            "a requirement mapping set has no `urn`; give it one",
        );
        return None;
    };
    let mut sides = Vec::new();
    for (side, field, key) in [
        ("source", &set.source_framework_urn, "source_framework_urn"),
        ("target", &set.target_framework_urn, "target_framework_urn"),
    ] {
        let at = field.as_ref().map_or(set_line, line);
        let Some(fw_urn) = stext(field) else {
            r.add(
                at,
                format!("mapping set {urn} has no `{key}`; name the {side} framework's URN"),
            );
            continue;
        };
        let found = in_file
            .iter()
            .chain(known.iter().copied())
            .find(|c| matches(c, fw_urn));
        match found {
            Some(c) => sides.push(c),
            None if failed.contains(&urn_key(fw_urn)) => {}
            None => {
                let deps: Vec<&str> = lib
                    .dependencies
                    .iter()
                    .flatten()
                    .filter_map(|d| Some(d.0.trim()).filter(|d| !d.is_empty()))
                    .collect();
                let hint = if deps.is_empty() {
                    String::new()
                } else {
                    format!(" (this library depends on {})", deps.join(", "))
                };
                r.add(
                    at,
                    format!(
                        "mapping set {urn} needs its {side} framework {fw_urn}, which is neither \
                         in this file nor imported; import the library that defines {fw_urn} \
                         first{hint}"
                    ),
                );
            }
        }
    }
    let [source, target] = sides[..] else {
        return None;
    };
    let index = |c: &Catalog| -> HashMap<String, usize> {
        c.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.urn.as_deref().map(|u| (urn_key(u), i)))
            .collect()
    };
    let (source_nodes, target_nodes) = (index(source), index(target));
    let before = r.count();
    let mut entries: Vec<MappingEntry> = Vec::new();
    let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
    for m in set.requirement_mappings.iter().flatten() {
        let l = line(m);
        let v = &m.value;
        let Some(rel) = relationship(text(&v.relationship).unwrap_or_default()) else {
            continue;
        };
        let mut resolve =
            |side: &str, u: &Option<Text>, c: &Catalog, nodes: &HashMap<String, usize>| {
                let Some(u) = text(u) else {
                    r.add(
                        l,
                        format!(
                            "a mapping has no `{side}_requirement_urn`; name the {side} requirement"
                        ),
                    );
                    return None;
                };
                let found = nodes.get(&urn_key(u)).copied();
                if found.is_none() {
                    r.add(
                    l,
                    format!(
                        "{side} requirement {u} is not a node of framework {} ({}); fix the URN \
                         or import the framework's current library",
                        c.framework.urn.as_deref().unwrap_or(&c.framework.id),
                        c.framework.id
                    ),
                );
                }
                found
            };
        let s = resolve("source", &v.source_requirement_urn, source, &source_nodes);
        let t = resolve("target", &v.target_requirement_urn, target, &target_nodes);
        let (Some(s), Some(t)) = (s, t) else { continue };
        let basis = match (text(&v.rationale), text(&v.annotation)) {
            (Some(r), Some(a)) => Some(format!("{r}: {a}")),
            (r, a) => r.or(a).map(str::to_owned),
        };
        if let Some(&at) = seen.get(&(s, t)) {
            let e: &mut MappingEntry = &mut entries[at];
            if e.relationship != rel {
                r.add(
                    l,
                    format!(
                        "'{}' → '{}' is mapped twice, as {} and as {}; keep one relationship",
                        e.source,
                        e.target,
                        e.relationship.as_str(),
                        rel.as_str()
                    ),
                );
            } else if let Some(b) = basis {
                match &mut e.basis {
                    Some(eb) if eb.split("; ").any(|x| x == b) => {}
                    Some(eb) => {
                        eb.push_str("; ");
                        eb.push_str(&b);
                    }
                    None => e.basis = Some(b),
                }
            }
            continue;
        }
        seen.insert((s, t), entries.len());
        entries.push(MappingEntry {
            source: source.nodes[s].reference.clone(),
            target: target.nodes[t].reference.clone(),
            relationship: rel,
            basis,
        });
    }
    if r.count() > before {
        return None;
    }
    if entries.is_empty() {
        r.add(
            set_line,
            format!(
                "mapping set {urn} has no mappings to import (those with relationship \
                 not_related are skipped)"
            ),
        );
        return None;
    }
    let fallback = format!("{} → {}", source.framework.id, target.framework.id);
    let name = name_of(&set.name, set.translations.as_ref(), lib, &fallback);
    if r.nul_name(set_line, &format!("the name of mapping set {urn:?}"), &name) {
        return None;
    }
    let (en, ja) = Texts {
        description: text(&set.description),
        ..Texts::default()
    }
    .languages(set.translations.as_ref(), locale_ja(lib));
    let notes = with_description(provenance_note(lib), en, ja);
    Some(MappingSet {
        id: derived_id(urn),
        source_framework: source.framework.id.clone(),
        target_framework: target.framework.id.clone(),
        provenance: Provenance::Imported,
        name,
        notes: Some(notes),
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_derive_from_urns() {
        assert_eq!(
            derived_id("urn:intuitem:risk:framework:iec-62443-3-3"),
            "ciso.iec-62443-3-3"
        );
        assert_eq!(
            derived_id("urn:intuitem:risk:framework:zt_ot"),
            "ciso.zt-ot"
        );
        assert_eq!(
            derived_id("urn:groupe-schmidt:risk:framework:nist-sp-800-82-annex-f"),
            "ciso.groupe-schmidt.nist-sp-800-82-annex-f"
        );
        assert_eq!(derived_id("urn:x:risk:framework:"), "ciso.x.unnamed");
        assert_eq!(derived_id("  Weird__Name!! "), "ciso.weird-name");
        assert_eq!(derived_id(""), "ciso.unnamed");
    }

    #[test]
    fn titles_are_cut_at_a_word() {
        let long = "word ".repeat(40);
        let t = short(&long);
        assert!(t.ends_with('…'));
        assert!(t.chars().count() <= TITLE_CHARS + 1);
        assert_eq!(short("first line\nsecond"), "first line");
        assert_eq!(short(&"x".repeat(100)).chars().count(), TITLE_CHARS + 1);
    }

    #[test]
    fn refs_of_many_nameless_nodes_take_linear_time() {
        let n = crate::MAX_NODES;
        let yaml = "- {}\n".repeat(n);
        let nodes: Vec<Spanned<RawNode>> = serde_saphyr::from_str(&yaml).unwrap();
        let start = std::time::Instant::now();
        let refs = references(&nodes);
        let took = start.elapsed();
        eprintln!("refs of {n} nodes `{{}}` in {took:?}");
        assert!(took.as_secs() < 5, "{took:?}");
        assert_eq!(refs[0], "node");
        assert_eq!(refs[1], "node#2");
        assert_eq!(refs[n - 1], format!("node#{n}"));
        assert_eq!(refs.iter().collect::<HashSet<_>>().len(), n);
    }

    #[test]
    fn derived_refs_skip_names_already_taken() {
        let yaml = r#"
- {urn: "u:1:x"}
- {urn: "u:2:x", ref_id: "x#2"}
- {urn: "u:3:x#2"}
- {urn: "u:4:x"}
- {urn: "u:5:x"}
- {ref_id: "dup"}
- {ref_id: "dup"}
"#;
        let nodes: Vec<Spanned<RawNode>> = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(
            references(&nodes),
            ["x", "x#2", "x#2#2", "x#3", "x#4", "node", "node#2"]
        );
    }

    #[test]
    fn relationships() {
        assert_eq!(relationship("not_related"), None);
        assert_eq!(relationship("Not related"), None);
        assert_eq!(relationship("equal"), Some(Relationship::Equal));
        assert_eq!(relationship("SUBSET"), Some(Relationship::Subset));
        assert_eq!(relationship("superset"), Some(Relationship::Superset));
        assert_eq!(relationship("intersect"), Some(Relationship::Intersect));
        assert_eq!(relationship(""), Some(Relationship::Related));
        assert_eq!(relationship("complementary"), Some(Relationship::Related));
    }
}
