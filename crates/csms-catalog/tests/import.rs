//! Import of CISO Assistant libraries (the real files under `../shared/data`) and of our own
//! formats through `import`; hostile input yields one-line diagnostics, never a panic.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use csms_catalog::{
    Catalog, Diagnostic, Kind, Library, Provenance, Relationship, SHIPPED, SHIPPED_MAPPINGS,
    check_file, import, parse, parse_mapping, shipped,
};
use serde_json::Value;

fn data_dir() -> String {
    format!(
        "{}/../../../shared/data/catalogs/ciso-assistant",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Every library file: (name, text), sorted by name.
fn files() -> Vec<(String, String)> {
    let dir = data_dir();
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}; the tests read ../shared/data beside the checkout"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert_eq!(
        out.len(),
        21,
        "the CISO Assistant sample holds 21 libraries"
    );
    out
}

/// The file parsed independently of the importer (a generic YAML value).
fn value(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("the sample libraries are valid YAML")
}

fn list<'a>(objects: &'a Value, one: &str, many: &str) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = objects.get(one).into_iter().collect();
    if let Some(Value::Array(items)) = objects.get(many) {
        out.extend(items);
    }
    out
}

fn is_mapping_file(text: &str) -> bool {
    !list(
        &value(text)["objects"],
        "requirement_mapping_set",
        "requirement_mapping_sets",
    )
    .is_empty()
}

/// The number of items of the `requirement_nodes:` list, by a line scan: list items at the
/// indentation of the first item, until a line indented less (or a sibling key).
fn count_requirement_nodes(text: &str) -> usize {
    let mut count = 0;
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.trim() != "requirement_nodes:" {
            continue;
        }
        let mut indent = None;
        for l in lines.by_ref() {
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let at = l.len() - trimmed.len();
            let item = trimmed.starts_with("- ");
            let i = *indent.get_or_insert(at);
            if at < i || (at == i && !item) {
                break;
            }
            if at == i {
                count += 1;
            }
        }
    }
    count
}

fn show(e: &[Diagnostic]) -> String {
    e.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn import_ok(name: &str, text: &str, known: &[&Catalog]) -> Library {
    import(name, text, known).unwrap_or_else(|e| panic!("{name}:\n{}", show(&e)))
}

/// Every framework library, imported alone.
fn frameworks() -> Vec<(String, Catalog)> {
    files()
        .into_iter()
        .filter(|(_, text)| !is_mapping_file(text))
        .map(|(name, text)| {
            let mut lib = import_ok(&name, &text, &[]);
            assert_eq!(lib.frameworks.len(), 1, "{name}");
            (name, lib.frameworks.remove(0))
        })
        .collect()
}

#[test]
fn every_framework_library_imports_whole() {
    let mut ids = HashSet::new();
    let mut framework_files = 0;
    for (name, text) in files() {
        if is_mapping_file(&text) {
            continue;
        }
        framework_files += 1;
        let lib = import_ok(&name, &text, &[]);
        assert!(lib.mappings.is_empty(), "{name}");
        let [c] = &lib.frameworks[..] else {
            panic!("{name}: one framework")
        };
        let v = value(&text);
        let fw = &v["objects"]["framework"];
        assert_eq!(c.framework.urn.as_deref(), fw["urn"].as_str(), "{name}");
        assert!(c.framework.id.starts_with("ciso."), "{name}");
        assert!(
            ids.insert(c.framework.id.clone()),
            "{name}: framework id unique"
        );
        for t in [&c.framework.name.ja, &c.framework.name.en] {
            assert!(!t.trim().is_empty(), "{name}: framework name");
        }

        let raw_nodes = fw["requirement_nodes"].as_array().unwrap();
        assert_eq!(c.nodes.len(), count_requirement_nodes(&text), "{name}");
        assert_eq!(c.nodes.len(), raw_nodes.len(), "{name}");
        let refs: HashSet<&str> = c.nodes.iter().map(|n| n.reference.as_str()).collect();
        assert_eq!(refs.len(), c.nodes.len(), "{name}: refs are unique");
        for (n, raw) in c.nodes.iter().zip(raw_nodes) {
            assert_eq!(n.urn.as_deref(), raw["urn"].as_str(), "{name}: file order");
            if let Some(p) = &n.parent {
                assert!(
                    refs.contains(p.as_str()),
                    "{name}: parent {p} of {}",
                    n.reference
                );
            }
            assert_eq!(
                n.parent.is_some(),
                raw.get("parent_urn").is_some(),
                "{name}"
            );
            let assessable = raw["assessable"].as_bool().unwrap_or(false);
            assert_eq!(n.assessable, assessable, "{name}: {}", n.reference);
            assert_eq!(n.kind == Kind::Requirement, assessable, "{name}");
            for t in [&n.title, &n.gist] {
                assert!(!t.ja.trim().is_empty() && !t.en.trim().is_empty(), "{name}");
            }
            // A unique ref_id is the ref.
            if let Some(r) = raw["ref_id"].as_str() {
                assert_eq!(n.reference, r.trim(), "{name}");
            }
        }
    }
    assert_eq!(framework_files, 16);
}

#[test]
fn conversion_details() {
    let all = frameworks();
    let get = |file: &str| &all.iter().find(|(n, _)| n == file).unwrap().1;

    let c = get("iec-62443-3-3-2013.yaml");
    assert_eq!(c.framework.id, "ciso.iec-62443-3-3-2013");
    assert_eq!(c.framework.publisher, "IEC");
    assert_eq!(c.framework.edition, "1");
    let scale = c.framework.scale.as_ref().unwrap();
    assert_eq!(scale.id, "score");
    assert_eq!(scale.levels.len(), 6);
    assert_eq!(scale.levels[1].value, 1);
    assert_eq!(scale.levels[1].label.en, "Initial");
    assert_eq!(scale.levels[1].label.ja, "Initial");
    assert_eq!(c.nodes.len(), 62);
    assert_eq!(c.assessable().count(), 54);
    let top = &c.nodes[0];
    assert_eq!((top.kind, top.parent.as_deref()), (Kind::Clause, None));

    // Section nodes without ref_id take the URN tail; depth missing is counted.
    let c = get("iso27001-2013.yaml");
    let core = &c.nodes[0];
    assert_eq!(core.reference, "core");
    assert_eq!(core.kind, Kind::Clause);
    assert_eq!(c.node("4").unwrap().parent.as_deref(), Some("core"));

    // Nodes with only a ref_id and a description: title is the ref_id.
    let c = get("nist-csf-1.1.yaml");
    let n = c.node("ID.AM-1").unwrap();
    assert_eq!(n.title.en, "ID.AM-1");
    assert!(n.gist.en.len() > 20);
    assert_eq!(c.framework.scale.as_ref().unwrap().levels.len(), 4);

    // A node with neither name nor description.
    let c = get("otcc.yaml");
    let n = c.node("Appendices").unwrap();
    assert_eq!(
        (n.title.en.as_str(), n.gist.en.as_str()),
        ("Appendices", "Appendices")
    );
    // Section nodes without ref_id ("Objective", "Controls") get URN tails.
    assert_eq!(c.node("node5").unwrap().title.en, "Controls");
    assert_eq!(c.node("node5").unwrap().kind, Kind::Element);

    // Another packager's namespace is kept in the id.
    assert_eq!(
        get("nist-sp-800-82-annex-f.yaml").framework.id,
        "ciso.groupe-schmidt.nist-sp-800-82-annex-f"
    );
    assert_eq!(get("zt_ot.yaml").framework.id, "ciso.zt-ot");
    // min/max without definitions: numbered levels.
    assert_eq!(
        get("zt_ot.yaml")
            .framework
            .scale
            .as_ref()
            .unwrap()
            .levels
            .len(),
        106
    );
    assert!(get("nist-sp-800-53-rev5.yaml").framework.scale.is_none());
    // Guidance from annotation.
    let c = get("nist-sp-800-53-rev5.yaml");
    assert!(c.node("AC-1").unwrap().guidance.is_some());
}

/// The mappings of a set that the importer keeps: not `not_related`, each (source, target)
/// pair once.
fn kept_pairs(set: &Value) -> usize {
    set["requirement_mappings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["relationship"].as_str() != Some("not_related"))
        .map(|m| {
            (
                m["source_requirement_urn"].as_str().unwrap(),
                m["target_requirement_urn"].as_str().unwrap(),
            )
        })
        .collect::<HashSet<_>>()
        .len()
}

#[test]
fn a_mapping_library_alone_names_the_missing_framework() {
    let mut mapping_files = 0;
    for (name, text) in files() {
        if !is_mapping_file(&text) {
            continue;
        }
        mapping_files += 1;
        let e = import(&name, &text, &[]).expect_err(&name);
        let v = value(&text);
        for set in list(
            &v["objects"],
            "requirement_mapping_set",
            "requirement_mapping_sets",
        ) {
            for key in ["source_framework_urn", "target_framework_urn"] {
                let urn = set[key].as_str().unwrap();
                assert!(
                    e.iter().any(|d| d.message.contains(urn)
                        && d.message.contains("import")
                        && d.message.contains("first")
                        && d.line > 0),
                    "{name}: names {urn}:\n{}",
                    show(&e)
                );
            }
        }
    }
    assert_eq!(mapping_files, 5);
}

#[test]
fn a_mapping_library_imports_with_its_frameworks() {
    let all = frameworks();
    let by_urn: HashMap<&str, &Catalog> = all
        .iter()
        .map(|(_, c)| (c.framework.urn.as_deref().unwrap(), c))
        .collect();
    let mut expected_entries = Vec::new();
    for (name, text) in files() {
        if !is_mapping_file(&text) {
            continue;
        }
        let v = value(&text);
        let sets = list(
            &v["objects"],
            "requirement_mapping_set",
            "requirement_mapping_sets",
        );
        let needed: Vec<&str> = sets
            .iter()
            .flat_map(|s| {
                [
                    s["source_framework_urn"].as_str().unwrap(),
                    s["target_framework_urn"].as_str().unwrap(),
                ]
            })
            .collect();
        let missing: Vec<&&str> = needed
            .iter()
            .filter(|u| !by_urn.contains_key(**u))
            .collect();
        // In this sample every framework a mapping library needs is present.
        assert!(missing.is_empty(), "{name} needs {missing:?}");
        let mut known: Vec<&Catalog> = needed.iter().map(|u| by_urn[u]).collect();
        known.dedup();
        let lib = import_ok(&name, &text, &known);
        assert!(lib.frameworks.is_empty(), "{name}");
        assert_eq!(lib.mappings.len(), sets.len(), "{name}");
        for (m, set) in lib.mappings.iter().zip(&sets) {
            let source = by_urn[set["source_framework_urn"].as_str().unwrap()];
            let target = by_urn[set["target_framework_urn"].as_str().unwrap()];
            assert_eq!(m.source_framework, source.framework.id, "{name}");
            assert_eq!(m.target_framework, target.framework.id, "{name}");
            assert_eq!(m.provenance, Provenance::Imported);
            assert!(m.id.starts_with("ciso."), "{name}");
            assert_eq!(m.entries.len(), kept_pairs(set), "{name}: {}", m.id);
            for e in &m.entries {
                assert!(source.node(&e.source).is_some(), "{name}: {}", e.source);
                assert!(target.node(&e.target).is_some(), "{name}: {}", e.target);
            }
            // Our own checker agrees.
            let problems = csms_catalog::check_mapping(&name, m, source, target);
            assert!(problems.is_empty(), "{name}:\n{}", show(&problems));
            expected_entries.push((name.clone(), m.entries.len()));
        }
        // With only one of its frameworks, the other is named.
        let first = needed[0];
        let e = import(&name, &text, &[by_urn[first]]).expect_err(&name);
        assert!(e.iter().all(|d| !d.message.contains(&format!(" {first},"))));
        assert!(
            needed
                .iter()
                .filter(|u| **u != first)
                .all(|u| e.iter().any(|d| d.message.contains(u))),
            "{name}:\n{}",
            show(&e)
        );
    }
    let expected: Vec<(String, usize)> = [
        ("map-nist-csf-1.1-iso27001-2022.yaml", 180),
        ("map-nist-csf-1.1-nist-csf-2.0.yaml", 185),
        ("mapping-iso27001-2013-to-iso27001-2022.yaml", 134),
        // Two pairs are listed twice in each direction: kept once.
        ("mapping-nist-csf-2.0-to-iso27001-2022.yaml", 341),
        ("mapping-nist-csf-2.0-to-iso27001-2022.yaml", 341),
        ("mapping-nist-sp-800-53-rev5-to-iso27001-2022.yaml", 642),
        ("mapping-nist-sp-800-53-rev5-to-iso27001-2022.yaml", 642),
    ]
    .map(|(n, c)| (n.to_owned(), c))
    .into();
    assert_eq!(expected_entries, expected);
}

#[test]
fn relationships_map_and_iso_2013_to_2022_keeps_its_kinds() {
    let all = frameworks();
    let get = |urn: &str| {
        &all.iter()
            .find(|(_, c)| c.framework.urn.as_deref() == Some(urn))
            .unwrap()
            .1
    };
    let text = files()
        .into_iter()
        .find(|(n, _)| n == "mapping-iso27001-2013-to-iso27001-2022.yaml")
        .unwrap()
        .1;
    let lib = import_ok(
        "m.yaml",
        &text,
        &[
            get("urn:intuitem:risk:framework:iso27001-2013"),
            get("urn:intuitem:risk:framework:iso27001-2022"),
        ],
    );
    let m = &lib.mappings[0];
    let count = |r: Relationship| m.entries.iter().filter(|e| e.relationship == r).count();
    assert_eq!(
        (
            count(Relationship::Equal),
            count(Relationship::Subset),
            count(Relationship::Superset),
            count(Relationship::Intersect)
        ),
        (77, 48, 6, 3)
    );
    let first = &m.entries[0];
    assert_eq!(
        (first.source.as_str(), first.target.as_str()),
        ("4.1", "4.1")
    );
    assert_eq!(first.basis.as_deref(), Some("syntactic"));
}

#[test]
fn the_largest_library_imports_fast() {
    let (name, text) = files().into_iter().max_by_key(|(_, t)| t.len()).unwrap();
    let start = Instant::now();
    let lib = import_ok(&name, &text, &[]);
    let took = start.elapsed();
    eprintln!(
        "{name}: {} bytes, {} nodes in {took:?}",
        text.len(),
        lib.frameworks[0].nodes.len()
    );
    assert!(took.as_secs() < 10, "{name} took {took:?}");
}

#[test]
fn our_own_formats_import_too() {
    let catalogs = shipped().unwrap();
    for (name, text) in SHIPPED {
        // `check_file` reads the project's own files as they are.
        let lib = check_file(name, text, &[]).unwrap_or_else(|e| panic!("{}", show(&e)));
        assert!(lib.mappings.is_empty());
        assert_eq!(lib.frameworks, vec![parse(name, text).unwrap()], "{name}");
        // An organization cannot import a catalog under a shipped id …
        let id = &lib.frameworks[0].framework.id;
        let e = import(name, text, &[]).expect_err(name);
        assert_eq!(e.len(), 1, "{}", show(&e));
        assert_eq!(
            e[0].message,
            format!(
                "framework id '{id}' is the id of a catalog shipped with OpenCSMS; give the \
                 imported framework another id"
            )
        );
        assert!(e[0].line > 0, "{}", e[0]);
        assert!(
            text.lines()
                .nth(e[0].line as usize - 1)
                .unwrap()
                .contains(id.as_str())
        );
        // … but under another id it can.
        let renamed = text.replacen(&format!("id: {id}\n"), &format!("id: org.{id}\n"), 1);
        assert_ne!(&renamed, text);
        let lib = import_ok(name, &renamed, &[]);
        assert_eq!(
            lib.frameworks,
            vec![parse(name, &renamed).unwrap()],
            "{name}"
        );
    }
    let known: Vec<&Catalog> = catalogs.iter().collect();
    for (name, text) in SHIPPED_MAPPINGS {
        let lib = check_file(name, text, &known).unwrap_or_else(|e| panic!("{}", show(&e)));
        assert!(lib.frameworks.is_empty());
        let parsed = parse_mapping(name, text).unwrap();
        assert_eq!(lib.mappings, vec![parsed.clone()], "{name}");
        let set = &lib.mappings[0];
        let e = import(name, text, &known).expect_err(name);
        assert_eq!(e.len(), 1, "{}", show(&e));
        assert_eq!(
            e[0].message,
            format!(
                "mapping id '{}' is the id of a mapping set shipped with OpenCSMS; give the \
                 imported mapping another id",
                set.id
            )
        );
        assert!(e[0].line > 0, "{}", e[0]);
        let e = import(name, text, &[]).expect_err(name);
        assert!(
            e.iter()
                .any(|d| d.message.contains(&set.source_framework) && d.message.contains("import")),
            "{}",
            show(&e)
        );
        // Under another id it imports, but never as the provenance the file states.
        let renamed = text.replacen(
            &format!("id: {}\n", set.id),
            &format!("id: org.{}\n", set.id),
            1,
        );
        assert_ne!(&renamed, text);
        let lib = import_ok(name, &renamed, &known);
        let [m] = &lib.mappings[..] else {
            panic!("one mapping")
        };
        assert_eq!(m.id, format!("org.{}", set.id));
        assert_eq!(m.provenance, Provenance::Imported, "{name}");
        assert_eq!(m.entries, parsed.entries);
        let stated = parsed.provenance.as_str();
        assert_ne!(parsed.provenance, Provenance::Imported);
        let notes = m.notes.as_ref().unwrap();
        let old = parsed.notes.as_ref().unwrap();
        assert_eq!(notes.en, format!("{} (the file states: {stated})", old.en));
        assert_eq!(
            notes.ja,
            format!("{}（ファイル上の記載: {stated}）", old.ja)
        );
    }
    // An OpenCSMS catalog with a mistake reports through its own checker.
    let (name, text) = SHIPPED[0];
    let broken = text.replacen("kind: requirement", "kind: wish", 1);
    let e = import(name, &broken, &[]).expect_err("unknown kind");
    assert!(e[0].line > 0, "{}", show(&e));
}

fn one_line_error(text: &str) -> Diagnostic {
    let e = import("x.yaml", text, &[]).expect_err(text.get(..40).unwrap_or(text));
    assert_eq!(e.len(), 1, "{text:.60}: {}", show(&e));
    assert!(!e[0].message.contains('\n'), "{}", e[0].message);
    assert!(!e[0].message.is_empty());
    e.into_iter().next().unwrap()
}

#[test]
fn garbage_gives_one_line_and_no_panic() {
    let deep_seq = "[".repeat(100_000);
    let deep_map = "a: {".repeat(50_000);
    let laughs = {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("l{}", i - 1)
            };
            s.push_str(&format!(
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        s
    };
    let binary: String = (0u8..=255).map(char::from).collect();
    for text in [
        "",
        "   \n",
        "hello",
        "- a\n- b\n",
        "key: value\n",
        "objects: 5\n",
        "objects:\n  framework: []\n",
        "objects:\n\tframework: x\n",
        "urn: x\nobjects:\n  requirement_nodes: {}\n",
        "objects: {framework: {urn: [1, 2]}}\n",
        ": : :\n",
        "\u{0}\u{1}\u{2}",
        binary.as_str(),
        deep_seq.as_str(),
        deep_map.as_str(),
        laughs.as_str(),
        "format: opencsms-catalog/1\nframework: [\n",
        "format: something-else/9\n",
    ] {
        one_line_error(text);
    }
    let d = one_line_error("key: value\n");
    assert!(
        d.message
            .starts_with("not a CISO Assistant library or OpenCSMS catalog: expected `objects:`"),
        "{}",
        d.message
    );
    let d = one_line_error("objects:\n  threats:\n    - urn: x\n");
    assert!(d.message.contains("no `framework`"), "{}", d.message);
    assert_eq!(d.line, 2);
}

const QUIRKS: &str = r#"
urn: urn:example:risk:library:quirks
locale: en
ref_id: Q-1
name: Quirks library
version: 3
provider: Example Org
packager: someone
translations:
  ja:
    name: 癖のあるライブラリ
objects:
  threats:
    - urn: urn:example:risk:threat:t1
      name: A threat
  frameworks:
    - urn: urn:example:risk:framework:Quirks_One
      ref_id: Q1
      name: Quirks one
      translations:
        ja:
          name: 癖その一
      min_score: "1"
      max_score: "3"
      scores_definition:
        - score: "1"
          name: Low
          translations:
            ja:
              name: 低
        - score: 3
          name: High
      requirement_nodes:
        - urn: urn:example:risk:req_node:q1:root
          name: Root only has a name
          assessable: "False"
        - urn: urn:example:risk:req_node:q1:a
          parent_urn: urn:example:risk:req_node:q1:root
          depth: "2"
          ref_id: DUP
          description: "A description only, and a rather long one that goes on and on well past eighty characters.\nSecond line."
          assessable: "True"
          typical_evidence: Minutes of the review.
          translations:
            ja:
              description: 説明だけ
        - urn: urn:example:risk:req_node:q1:b
          parent_urn: urn:example:risk:req_node:q1:root
          ref_id: DUP
          name: Second DUP
          assessable: yes
          annotation: An annotation.
        - urn: urn:example:risk:req_node:q1:b
          parent_urn: urn:example:risk:req_node:q1:a
          ref_id: b
          name: Takes the ref a URN tail wanted
          assessable: true
    - urn: urn:example:risk:framework:quirks-two
      name: Quirks two
      requirement_nodes:
        - urn: urn:example:risk:req_node:q2:x
          ref_id: X
          name: X
          assessable: true
  requirement_mapping_set:
    urn: urn:example:risk:req_mapping_set:q1-to-q2
    source_framework_urn: urn:example:risk:framework:quirks_one
    target_framework_urn: urn:example:risk:framework:quirks-two
    requirement_mappings:
      - source_requirement_urn: urn:example:risk:req_node:q1:a
        target_requirement_urn: urn:example:risk:req_node:q2:x
        relationship: superset
        rationale: semantic
        annotation: Checked by hand.
      - source_requirement_urn: urn:example:risk:req_node:q1:a
        target_requirement_urn: urn:example:risk:req_node:q2:x
        relationship: superset
        rationale: syntactic
      - source_requirement_urn: urn:example:risk:req_node:q1:root
        target_requirement_urn: urn:example:risk:req_node:q2:nowhere
        relationship: not_related
      - source_requirement_urn: urn:example:risk:req_node:q1:root
        target_requirement_urn: urn:example:risk:req_node:q2:x
        relationship: complementary
"#;

#[test]
fn quirks_are_handled() {
    // The duplicate node URN is reported with its line.
    let e = import("q.yaml", QUIRKS, &[]).expect_err("duplicate URN");
    assert_eq!(e.len(), 1, "{}", show(&e));
    assert!(
        e[0].message.contains("duplicate node URN"),
        "{}",
        e[0].message
    );
    assert!(e[0].line > 40, "{}", e[0]);

    let text = QUIRKS.replacen(
        "- urn: urn:example:risk:req_node:q1:b\n          parent_urn: urn:example:risk:req_node:q1:a",
        "- urn: urn:example:risk:req_node:q1:c\n          parent_urn: urn:example:risk:req_node:q1:a",
        1,
    );
    let lib = import_ok("q.yaml", &text, &[]);
    let [one, two] = &lib.frameworks[..] else {
        panic!("two frameworks")
    };
    assert_eq!(one.framework.id, "ciso.example.quirks-one");
    assert_eq!(two.framework.id, "ciso.example.quirks-two");
    assert_eq!(one.framework.name.ja, "癖その一");
    assert_eq!(one.framework.name.en, "Quirks one");
    assert_eq!(one.framework.edition, "3");
    assert_eq!(one.framework.publisher, "Example Org");
    let levels = &one.framework.scale.as_ref().unwrap().levels;
    assert_eq!(levels.len(), 2);
    assert_eq!((levels[0].value, levels[0].label.ja.as_str()), (1, "低"));
    assert_eq!((levels[1].value, levels[1].label.ja.as_str()), (3, "High"));

    let refs: Vec<&str> = one.nodes.iter().map(|n| n.reference.as_str()).collect();
    // DUP is shared: both take URN tails; "b" is a unique ref_id, so the URN tail "b" of the
    // second DUP node gets a suffix.
    assert_eq!(refs, ["root", "a", "b#2", "b"]);
    let [root, a, b, c] = &one.nodes[..] else {
        unreachable!()
    };
    assert_eq!((root.kind, root.assessable), (Kind::Clause, false));
    assert_eq!(root.gist.en, "Root only has a name");
    assert_eq!((a.kind, a.assessable), (Kind::Requirement, true));
    assert_eq!(a.parent.as_deref(), Some("root"));
    assert_eq!(a.title.en, "DUP");
    assert_eq!(a.gist.ja, "説明だけ");
    assert!(a.gist.en.starts_with("A description only"));
    assert_eq!(a.guidance.as_ref().unwrap().en, "Minutes of the review.");
    assert_eq!(a.guidance.as_ref().unwrap().ja, "Minutes of the review.");
    assert!(b.assessable);
    assert_eq!(b.guidance.as_ref().unwrap().en, "An annotation.");
    assert_eq!(c.parent.as_deref(), Some("a"));

    let [m] = &lib.mappings[..] else {
        panic!("one mapping set")
    };
    assert_eq!(m.id, "ciso.example.q1-to-q2");
    assert_eq!(
        (m.source_framework.as_str(), m.target_framework.as_str()),
        ("ciso.example.quirks-one", "ciso.example.quirks-two")
    );
    assert_eq!(m.name.en, "Quirks library");
    assert_eq!(m.name.ja, "癖のあるライブラリ");
    // Duplicate pair merged, not_related skipped, unknown relationship → related.
    assert_eq!(m.entries.len(), 2, "{:?}", m.entries);
    assert_eq!(m.entries[0].relationship, Relationship::Superset);
    assert_eq!(
        m.entries[0].basis.as_deref(),
        Some("semantic: Checked by hand.; syntactic")
    );
    assert_eq!(
        (m.entries[1].source.as_str(), m.entries[1].relationship),
        ("root", Relationship::Related)
    );

    // Hostile structure: a parent cycle, an unknown parent, a bad flag, an unknown node in a
    // mapping; each named with a line.
    let bad = text
        .replacen(
            "name: Root only has a name",
            "name: Root\n          parent_urn: urn:example:risk:req_node:q1:c",
            1,
        )
        .replacen("assessable: yes", "assessable: maybe", 1);
    let e = import("q.yaml", &bad, &[]).expect_err("cycle");
    assert!(
        e.iter().any(|d| d.message.contains("own ancestor")),
        "{}",
        show(&e)
    );
    assert!(e.iter().all(|d| d.line > 0), "{}", show(&e));
    let bad = text.replacen(
        "target_requirement_urn: urn:example:risk:req_node:q2:x\n        relationship: complementary",
        "target_requirement_urn: urn:example:risk:req_node:q2:gone\n        relationship: complementary",
        1,
    );
    let e = import("q.yaml", &bad, &[]).expect_err("unknown node");
    assert!(
        e.iter()
            .any(|d| d.message.contains("urn:example:risk:req_node:q2:gone")),
        "{}",
        show(&e)
    );
    let bad = text.replacen("assessable: yes", "assessable: maybe", 1);
    let e = import("q.yaml", &bad, &[]).expect_err("bad flag");
    assert!(e[0].message.contains("'maybe'"), "{}", show(&e));
}

#[test]
fn a_japanese_library_keeps_japanese_in_ja() {
    let text = r#"
urn: urn:example:risk:library:jp
locale: ja
name: 日本語の枠組み
translations:
  en:
    name: A Japanese framework
objects:
  framework:
    urn: urn:example:risk:framework:jp
    requirement_nodes:
      - urn: urn:example:risk:req_node:jp:1
        ref_id: "1"
        name: 方針
        assessable: true
        translations:
          en:
            name: Policy
"#;
    let lib = import_ok("jp.yaml", text, &[]);
    let c = &lib.frameworks[0];
    assert_eq!(c.framework.name.ja, "日本語の枠組み");
    assert_eq!(c.framework.name.en, "A Japanese framework");
    assert_eq!(c.nodes[0].title.ja, "方針");
    assert_eq!(c.nodes[0].title.en, "Policy");
    assert_eq!(c.framework.publisher, "unknown");
}
