//! The shipped mapping sets are valid against the shipped catalogs and complete against the
//! facts they come from (the NIST CSF 1.1 informative references, ISO/IEC 27002:2022 Annex B
//! as encoded by CISO Assistant), and the mapping checker names file and line for every kind
//! of mistake.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use csms_catalog::{
    Catalog, MappingSet, Provenance, Relationship, check_mapping, parse_mapping, shipped,
    shipped_mappings,
};

const A: &str = "iec62443-2-1-2010--iso27001-2013-annex-a";
const B: &str = "iso27001-2013-annex-a--iso27001-2022-annex-a";
const C: &str = "iec62443-2-1-2010--iso27001-2022-annex-a";
const D: &str = "iec62443-2-1-2010--iec62443-2-1-2024";

/// Controls of ISO/IEC 27001:2022 Annex A without a 2013 predecessor.
const NEW_IN_2022: [&str; 11] = [
    "A.5.7", "A.5.23", "A.5.30", "A.7.4", "A.8.9", "A.8.10", "A.8.11", "A.8.12", "A.8.16",
    "A.8.23", "A.8.28",
];

fn shared(path: &str) -> String {
    let path = format!("{}/../../../shared/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; the tests read ../shared beside the checkout"))
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| {
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut quoted = false;
            for c in l.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(std::mem::take(&mut field)),
                    c => field.push(c),
                }
            }
            fields.push(field);
            fields
        })
        .collect()
}

fn show(e: &[csms_catalog::Diagnostic]) -> String {
    e.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn catalogs() -> Vec<Catalog> {
    shipped().unwrap_or_else(|e| panic!("{}", show(&e)))
}

fn catalog<'a>(all: &'a [Catalog], id: &str) -> &'a Catalog {
    all.iter().find(|c| c.framework.id == id).unwrap()
}

fn mappings() -> Vec<MappingSet> {
    shipped_mappings().unwrap_or_else(|e| panic!("{}", show(&e)))
}

fn mapping<'a>(all: &'a [MappingSet], id: &str) -> &'a MappingSet {
    all.iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("{id} ships"))
}

fn pairs(m: &MappingSet) -> BTreeSet<(String, String)> {
    m.entries
        .iter()
        .map(|e| (e.source.clone(), e.target.clone()))
        .collect()
}

#[test]
fn every_shipped_mapping_parses_and_names_only_existing_nodes() {
    let cats = catalogs();
    let maps = mappings();
    assert_eq!(maps.len(), 4);
    let mut ids = HashSet::new();
    for (file, _) in csms_catalog::SHIPPED_MAPPINGS {
        let m = maps
            .iter()
            .find(|m| format!("{}.yaml", m.id) == *file)
            .unwrap_or_else(|| panic!("{file} is named after its mapping id"));
        assert!(ids.insert(m.id.clone()), "mapping id {} is unique", m.id);
        let e = check_mapping(
            file,
            m,
            catalog(&cats, &m.source_framework),
            catalog(&cats, &m.target_framework),
        );
        assert!(e.is_empty(), "{}", show(&e));
        let notes = m.notes.as_ref().expect("every shipped mapping has notes");
        assert!(!notes.ja.is_empty() && !notes.en.is_empty());
        assert!(
            m.entries.iter().all(|e| e.basis.is_some()),
            "{}: every entry says why",
            m.id
        );
    }
    assert_eq!(mapping(&maps, A).provenance, Provenance::Derived);
    assert_eq!(mapping(&maps, B).provenance, Provenance::Official);
    assert_eq!(mapping(&maps, C).provenance, Provenance::Derived);
    assert_eq!(mapping(&maps, D).provenance, Provenance::Indicative);
}

/// (2-1 ref, 27001:2013 ref) → CSF subcategories, recomputed from the CSV.
fn csf_pairs(cats: &[Catalog]) -> BTreeMap<(String, String), Vec<String>> {
    let iec = catalog(cats, "iec62443-2-1-2010");
    let iso = catalog(cats, "iso27001-2013-annex-a");
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for row in csv_rows(&shared("reference/nist-csf-1.1-informative-refs.csv")) {
        for i in row[1].split_whitespace() {
            for c in row[3].split_whitespace() {
                if iec.node(i).is_some() && iso.node(c).is_some() {
                    out.entry((i.to_owned(), c.to_owned()))
                        .or_default()
                        .push(row[0].clone());
                }
            }
        }
    }
    out
}

#[test]
fn the_csf_derived_mapping_has_every_pair_the_csf_implies() {
    let cats = catalogs();
    let maps = mappings();
    let a = mapping(&maps, A);
    let expected = csf_pairs(&cats);
    assert!(expected.len() > 300, "{}", expected.len());
    let got = pairs(a);
    let wanted: BTreeSet<_> = expected.keys().cloned().collect();
    assert_eq!(
        got.difference(&wanted).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "pairs the CSF does not imply"
    );
    assert_eq!(
        wanted.difference(&got).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "pairs the CSF implies that are missing"
    );
    for e in &a.entries {
        assert_eq!(e.relationship, Relationship::Related);
        let basis = e.basis.as_deref().unwrap();
        assert!(basis.starts_with("NIST CSF 1.1 "), "{basis}");
        for sub in &expected[&(e.source.clone(), e.target.clone())] {
            assert!(
                basis
                    .trim_start_matches("NIST CSF 1.1 ")
                    .split(", ")
                    .any(|s| s == sub),
                "{} → {}: basis '{basis}' names {sub}",
                e.source,
                e.target
            );
        }
    }
    // Element refs of the 2-1 catalog come through too (ID.RA-1 cites element 4.2.3).
    assert!(got.contains(&("4.2.3".to_owned(), "A.12.6.1".to_owned())));
}

/// CISO Assistant pairs (2013 ref, 2022 ref, relationship) of Annex A controls.
fn ciso_pairs() -> Vec<(String, String, String)> {
    let text = shared("data/catalogs/ciso-assistant/mapping-iso27001-2013-to-iso27001-2022.yaml");
    let field = |l: &str, key: &str| -> Option<String> {
        l.trim()
            .trim_start_matches("- ")
            .strip_prefix(key)
            .map(|v| v.trim().to_owned())
    };
    let to_ref = |urn: &str| {
        let node = urn.rsplit(':').next().unwrap();
        node.strip_prefix("a.").map(|n| format!("A.{n}"))
    };
    let mut out = Vec::new();
    let (mut s, mut t) = (None, None);
    for l in text.lines() {
        if let Some(v) = field(l, "source_requirement_urn:") {
            s = Some(v);
        } else if let Some(v) = field(l, "target_requirement_urn:") {
            t = Some(v);
        } else if let Some(rel) = field(l, "relationship:") {
            let (su, tu) = (s.take().unwrap(), t.take().unwrap());
            if let (Some(sr), Some(tr)) = (to_ref(&su), to_ref(&tu)) {
                out.push((sr, tr, rel));
            }
        }
    }
    out
}

#[test]
fn the_2013_to_2022_mapping_follows_annex_b() {
    let cats = catalogs();
    let maps = mappings();
    let b = mapping(&maps, B);
    let iso22 = catalog(&cats, "iso27001-2022-annex-a");
    let iso13 = catalog(&cats, "iso27001-2013-annex-a");
    let targets: HashSet<&str> = b.entries.iter().map(|e| e.target.as_str()).collect();
    let sources: HashSet<&str> = b.entries.iter().map(|e| e.source.as_str()).collect();
    for n in iso22.assessable() {
        let new = NEW_IN_2022.contains(&n.reference.as_str());
        assert_eq!(
            targets.contains(n.reference.as_str()),
            !new,
            "{} {} a 2013 source",
            n.reference,
            if new { "is new and has no" } else { "has" }
        );
    }
    assert_eq!(iso22.assessable().count(), 93);
    for n in iso13.assessable() {
        assert!(
            sources.contains(n.reference.as_str()),
            "2013 control {} goes somewhere in 2022",
            n.reference
        );
    }

    // Every pair of the CISO Assistant library is kept with its relationship, except its
    // misprint A.13.2.x → A.8.14 (Annex B: A.5.14).
    let ciso = ciso_pairs();
    assert!(ciso.len() > 100, "{}", ciso.len());
    for (s, t, rel) in &ciso {
        let t = if s.starts_with("A.13.2.") && t == "A.8.14" {
            "A.5.14"
        } else {
            t.as_str()
        };
        let e = b
            .entries
            .iter()
            .find(|e| e.source == *s && e.target == t)
            .unwrap_or_else(|| panic!("CISO pair {s} → {t} is in the mapping"));
        assert_eq!(e.relationship.as_str(), rel, "{s} → {t}");
        assert_eq!(e.basis.as_deref(), Some("ISO/IEC 27002:2022 Annex B"));
    }
}

#[test]
fn the_composed_mapping_is_the_csf_mapping_followed_by_annex_b() {
    let maps = mappings();
    let (a, b, c) = (mapping(&maps, A), mapping(&maps, B), mapping(&maps, C));
    let mut expected = BTreeSet::new();
    for ea in &a.entries {
        for eb in b.entries.iter().filter(|eb| eb.source == ea.target) {
            expected.insert((ea.source.clone(), eb.target.clone()));
        }
    }
    assert_eq!(pairs(c), expected);
    for e in &c.entries {
        assert_eq!(e.relationship, Relationship::Related);
        let basis = e.basis.as_deref().unwrap();
        assert!(
            basis.starts_with("NIST CSF 1.1 ") && basis.contains(" via ISO/IEC 27001:2013 A."),
            "{basis}"
        );
    }
    assert!(
        c.entries
            .iter()
            .all(|e| !NEW_IN_2022.contains(&e.target.as_str()))
    );
}

#[test]
fn the_edition_mapping_covers_every_2010_element() {
    let cats = catalogs();
    let maps = mappings();
    let d = mapping(&maps, D);
    let iec = catalog(&cats, "iec62443-2-1-2010");
    let elements: Vec<&str> = iec
        .nodes
        .iter()
        .filter(|n| n.kind == csms_catalog::Kind::Element)
        .map(|n| n.reference.as_str())
        .collect();
    assert_eq!(elements.len(), 19);
    for el in elements {
        assert!(
            d.from_source(el).next().is_some(),
            "element {el} is related to the 2024 edition"
        );
    }
    assert!(d.entries.iter().all(|e| matches!(
        e.relationship,
        Relationship::Related | Relationship::Intersect
    )));
    let notes = d.notes.as_ref().unwrap();
    assert!(notes.en.contains("starting point") && notes.en.contains("not a correspondence"));
}

const GOOD: &str = r#"format: opencsms-mapping/1
mapping:
  id: test-a--test-b
  source: test-a
  target: test-b
  provenance: indicative
  name:
    ja: テスト
    en: Test
entries:
  - {source: "1", target: "X.1", relationship: related, basis: "same topic"}
  - {source: "1.1", target: "X.1", relationship: subset}
"#;

/// A minimal checked catalog with framework `id` and one control per ref.
fn test_catalog(id: &str, refs: &[&str]) -> Catalog {
    let mut text = format!(
        "format: opencsms-catalog/1\nframework:\n  id: {id}\n  edition: \"1\"\n  \
         publisher: Test\n  name: {{ja: テスト, en: Test}}\n  scale: null\nnodes:\n"
    );
    for r in refs {
        text.push_str(&format!(
            "  - ref: \"{r}\"\n    kind: control\n    title: {{ja: 一, en: One}}\n    \
             gist: {{ja: 要旨, en: Gist}}\n"
        ));
    }
    csms_catalog::parse("cat.yaml", &text).unwrap_or_else(|e| panic!("{}", show(&e)))
}

fn errors(text: &str) -> Vec<String> {
    match parse_mapping("bad.yaml", text) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_good_mapping_parses_and_checks() {
    let m = parse_mapping("good.yaml", GOOD).unwrap();
    assert_eq!(m.id, "test-a--test-b");
    assert_eq!(m.source_framework, "test-a");
    assert_eq!(m.provenance, Provenance::Indicative);
    assert_eq!(m.entries.len(), 2);
    assert_eq!(m.entries[1].relationship, Relationship::Subset);
    assert_eq!(m.entries[1].basis, None);
    let a = test_catalog("test-a", &["1", "1.1"]);
    let b = test_catalog("test-b", &["X.1"]);
    assert_eq!(check_mapping("good.yaml", &m, &a, &b), Vec::new());
}

#[test]
fn mapping_mistakes_are_named_with_file_and_line() {
    let dup = GOOD.replace("source: \"1.1\"", "source: \"1\"");
    let e = errors(&dup);
    assert!(
        e.iter().any(|m| m.starts_with("bad.yaml:12:")
            && m.contains("duplicate entry '1' → 'X.1'")
            && m.contains("line 11")),
        "{e:?}"
    );

    let rel = GOOD.replace("relationship: subset", "relationship: same");
    let e = errors(&rel);
    assert!(
        e.iter().any(|m| m.starts_with("bad.yaml:12:")
            && m.contains("unknown relationship 'same'")
            && m.contains("intersect")),
        "{e:?}"
    );

    let prov = GOOD.replace("provenance: indicative", "provenance: guessed");
    let e = errors(&prov);
    assert!(
        e.iter()
            .any(|m| m.starts_with("bad.yaml:6:") && m.contains("unknown provenance 'guessed'")),
        "{e:?}"
    );

    let no_en = GOOD.replace("    en: Test\n", "");
    let e = errors(&no_en);
    assert!(
        e.iter().any(|m| m.starts_with("bad.yaml:")
            && !m.starts_with("bad.yaml: ")
            && m.contains("mapping name has no en text")),
        "{e:?}"
    );

    let bad_format = GOOD.replace("opencsms-mapping/1", "opencsms-catalog/1");
    let e = errors(&bad_format);
    assert!(
        e[0].starts_with("bad.yaml:1:") && e[0].contains("opencsms-mapping/1"),
        "{e:?}"
    );

    let bad_id = GOOD.replace("id: test-a--test-b", "id: Test A");
    let e = errors(&bad_id);
    assert!(
        e.iter()
            .any(|m| m.starts_with("bad.yaml:3:") && m.contains("mapping id 'Test A'")),
        "{e:?}"
    );

    let empty = format!("{}entries: []\n", &GOOD[..GOOD.find("entries:").unwrap()]);
    let e = errors(&empty);
    assert!(e.iter().any(|m| m.contains("no entries")), "{e:?}");

    let unknown_field = GOOD.replace("relationship: subset", "relationship: subset, weight: 3");
    let e = errors(&unknown_field);
    assert!(
        e.len() == 1 && e[0].starts_with("bad.yaml:12:") && e[0].contains("weight"),
        "{e:?}"
    );
}

#[test]
fn check_mapping_names_unknown_refs_and_frameworks() {
    let m = parse_mapping("m.yaml", GOOD).unwrap();
    let a = test_catalog("test-a", &["1"]);
    let b = test_catalog("test-b", &["X.1"]);
    let e: Vec<String> = check_mapping("m.yaml", &m, &a, &b)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("m.yaml: ")
            && e[0].contains("source ref '1.1'")
            && e[0].contains("framework 'test-a'"),
        "{e:?}"
    );

    let other = test_catalog("test-c", &["X.1"]);
    let e: Vec<String> = check_mapping("m.yaml", &m, &a, &other)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        e.iter()
            .any(|m| m.contains("target framework is 'test-b'") && m.contains("'test-c'")),
        "{e:?}"
    );
}

#[test]
fn the_committed_mapping_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/mapping.schema.json");
    let generated = csms_catalog::mapping_json_schema();
    if std::env::var_os("OPENCSMS_WRITE_SCHEMA").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{path} is out of date with the Rust types; regenerate it with \
         `OPENCSMS_WRITE_SCHEMA=1 cargo test -p csms-catalog --test mappings`"
    );
    let schema: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(schema["title"], "MappingFile");
    assert_eq!(schema["additionalProperties"], false);
    let defs = &schema["$defs"];
    assert!(
        defs["Entry"]["properties"]["relationship"].is_object(),
        "{generated}"
    );
    assert!(defs["Relationship"].is_object(), "{generated}");
    assert!(defs["Provenance"].is_object(), "{generated}");
}
