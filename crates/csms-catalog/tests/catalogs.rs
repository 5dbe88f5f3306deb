//! The shipped catalogs are valid, complete against the reference facts, and the checker names
//! file and line for every kind of mistake.

use csms_catalog::{Kind, parse, shipped};

fn reference_rows(file: &str) -> Vec<Vec<String>> {
    let path = format!(
        "{}/../../../shared/reference/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{path}: {e}; the tests read ../shared/reference beside the checkout")
    });
    text.lines()
        .skip(1)
        .map(|l| {
            // The reference CSVs quote fields that contain commas.
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

#[test]
fn every_shipped_catalog_is_valid() {
    let catalogs = shipped().unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let ids: Vec<&str> = catalogs.iter().map(|c| c.framework.id.as_str()).collect();
    for id in [
        "jipdec-csms-2010",
        "iec62443-2-1-2010",
        "iec62443-3-3-2013",
        "iec62443-2-1-2024",
        "iso27001-2022-annex-a",
        "iso27001-2013-annex-a",
    ] {
        assert!(ids.contains(&id), "{id} ships");
    }
}

#[test]
fn iec62443_2_1_has_every_reference_requirement() {
    let c = shipped().unwrap();
    let c = c
        .iter()
        .find(|c| c.framework.id == "iec62443-2-1-2010")
        .unwrap();
    let rows = reference_rows("iec62443-2-1-2010.csv");
    let requirements: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "requirement").collect();
    assert_eq!(requirements.len(), 127);
    for r in &requirements {
        let n = c
            .node(&r[0])
            .unwrap_or_else(|| panic!("{} is in the catalog", r[0]));
        assert!(n.assessable, "{}", r[0]);
        assert_eq!(n.parent.as_deref(), Some(r[2].as_str()), "{}", r[0]);
        assert_eq!(
            n.flags.iter().any(|f| f == "unverified"),
            r[6].starts_with("unverified"),
            "{}",
            r[0]
        );
    }
    assert_eq!(c.assessable().count(), 127);
}

#[test]
fn jipdec_criteria_keep_the_seed_titles_and_place_every_requirement() {
    let c = shipped().unwrap();
    let j = c
        .iter()
        .find(|c| c.framework.id == "jipdec-csms-2010")
        .unwrap();
    for row in reference_rows("jipdec-csms-criteria.csv") {
        let n = j
            .node(&row[0])
            .unwrap_or_else(|| panic!("clause {} is in the catalog", row[0]));
        assert_eq!(
            n.title.ja, row[1],
            "clause {} keeps the seed's Japanese title",
            row[0]
        );
    }
    let mut placed: Vec<String> = j
        .assessable()
        .map(|n| {
            let r = n
                .references
                .iter()
                .find(|r| r.framework == "iec62443-2-1-2010")
                .unwrap();
            r.reference.clone()
        })
        .collect();
    placed.sort();
    let before = placed.len();
    placed.dedup();
    assert_eq!(before, 127);
    assert_eq!(placed.len(), 127, "each 2-1 requirement is placed once");
}

#[test]
fn iec62443_3_3_security_levels_match_the_reference() {
    let c = shipped().unwrap();
    let c = c
        .iter()
        .find(|c| c.framework.id == "iec62443-3-3-2013")
        .unwrap();
    let rows = reference_rows("iec62443-3-3-2013.csv");
    assert_eq!(rows.iter().filter(|r| r[2] == "SR").count(), 51);
    assert_eq!(rows.iter().filter(|r| r[2] == "RE").count(), 49);
    for r in rows {
        let n = c.node(&r[0]).unwrap_or_else(|| panic!("{}", r[0]));
        let levels: Vec<u8> = (1..=4).filter(|l| r[4 + *l as usize] == "x").collect();
        assert_eq!(n.security_levels, levels, "{}", r[0]);
        assert_eq!(
            n.kind,
            if r[2] == "SR" {
                Kind::Requirement
            } else {
                Kind::Enhancement
            }
        );
    }
    assert_eq!(c.framework.scale.as_ref().unwrap().levels.len(), 4);
}

const GOOD: &str = r#"format: opencsms-catalog/1
framework:
  id: test-fw
  edition: "1"
  publisher: Test
  name:
    ja: テスト
    en: Test
  scale: null
nodes:
  - ref: "1"
    kind: clause
    title: {ja: 一, en: One}
    gist: {ja: 要旨, en: Gist}
  - ref: "1.1"
    kind: requirement
    parent: "1"
    title: {ja: 一の一, en: One one}
    gist: {ja: 要旨, en: Gist}
    guidance: {ja: 証跡, en: Evidence}
    assessable: true
"#;

fn errors(text: &str) -> Vec<String> {
    match parse("bad.yaml", text) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_good_file_parses() {
    let c = parse("good.yaml", GOOD).unwrap();
    assert_eq!(c.nodes.len(), 2);
    assert_eq!(c.node("1.1").unwrap().title.ja, "一の一");
}

#[test]
fn mistakes_are_named_with_file_and_line() {
    let dup = GOOD.replace("  - ref: \"1.1\"", "  - ref: \"1\"");
    let e = errors(&dup);
    assert!(
        e.iter().any(|m| m.starts_with("bad.yaml:15:")
            && m.contains("duplicate ref '1'")
            && m.contains("line 11")),
        "{e:?}"
    );

    let orphan = GOOD.replace("parent: \"1\"", "parent: \"9\"");
    let e = errors(&orphan);
    assert!(
        e.iter()
            .any(|m| m.starts_with("bad.yaml:15:") && m.contains("parent '9'")),
        "{e:?}"
    );

    let cycle = GOOD.replace(
        "    kind: clause\n",
        "    kind: clause\n    parent: \"1.1\"\n",
    );
    let e = errors(&cycle);
    assert!(e.iter().any(|m| m.contains("own ancestor")), "{e:?}");

    let no_ja = GOOD.replace("title: {ja: 一の一, en: One one}", "title: {en: One one}");
    let e = errors(&no_ja);
    assert!(
        e.iter()
            .any(|m| m.starts_with("bad.yaml:15:") && m.contains("no ja text")),
        "{e:?}"
    );

    let no_guidance = GOOD.replace("    guidance: {ja: 証跡, en: Evidence}\n", "");
    let e = errors(&no_guidance);
    assert!(e.iter().any(|m| m.contains("no guidance")), "{e:?}");

    let bad_indent = GOOD.replace("    kind: requirement", "      kind: requirement");
    let e = errors(&bad_indent);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("bad.yaml:") && e[0].contains("indentation"),
        "{e:?}"
    );

    let bad_kind = GOOD.replace("kind: requirement", "kind: rule");
    let e = errors(&bad_kind);
    assert!(
        e[0].starts_with("bad.yaml:16:") && e[0].contains("rule"),
        "{e:?}"
    );

    let bad_format = GOOD.replace("opencsms-catalog/1", "opencsms-catalog/9");
    assert!(errors(&bad_format)[0].starts_with("bad.yaml:1:"));
}

#[test]
fn the_committed_json_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.schema.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = csms_catalog::json_schema();
    assert!(
        committed == generated,
        "{path} is out of date with the Rust types; regenerate it with \
         `cargo run -p csms -- catalog schema > crates/csms-catalog/catalog.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(schema["title"], "Catalog");
    assert_eq!(schema["additionalProperties"], false);
    assert!(
        schema["$defs"]["Node"]["properties"]["ref"].is_object(),
        "{generated}"
    );
}
