//! What an importer may send: the limits on nodes, depth and diagnostics, text PostgreSQL
//! cannot store, and what an import may not claim (a shipped id, an official provenance).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use csms_catalog::{
    Catalog, Diagnostic, Library, MAX_DEPTH, MAX_DIAGNOSTICS, MAX_NODES, Provenance, SHIPPED,
    import, parse, shipped,
};

fn show(e: &[Diagnostic]) -> String {
    e.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn import_ok(name: &str, text: &str, known: &[&Catalog]) -> Library {
    import(name, text, known).unwrap_or_else(|e| panic!("{name}:\n{}", show(&e)))
}

/// A CISO Assistant library with one framework whose nodes are the given YAML flow mappings.
fn library(nodes: impl IntoIterator<Item = String>) -> String {
    let mut s = String::from(
        "urn: urn:example:risk:library:big\nname: Big\nobjects:\n  framework:\n    \
         urn: urn:example:risk:framework:big\n    name: Big\n    requirement_nodes:\n",
    );
    for n in nodes {
        writeln!(s, "      - {n}").unwrap();
    }
    s
}

/// The CPU time budget: far above what the import takes (well under a second in a debug
/// build), low enough to catch a quadratic step again.
const BUDGET: Duration = Duration::from_secs(5);

#[test]
fn twenty_thousand_nodes_without_urns_are_refused_quickly() {
    // The file the review timed at 31 s: every node `{}`.
    let text = library((0..MAX_NODES).map(|_| "{}".to_owned()));
    let start = Instant::now();
    let e = import("big.yaml", &text, &[]).expect_err("nodes without URNs");
    let took = start.elapsed();
    eprintln!("{} bytes, {MAX_NODES} nodes `{{}}` in {took:?}", text.len());
    assert!(took < BUDGET, "took {took:?}");
    assert_eq!(e.len(), MAX_DIAGNOSTICS + 1, "{}", show(&e));
    assert!(e[0].message.starts_with("a requirement node has no `urn`"));
    assert_eq!(
        e[MAX_DIAGNOSTICS].message,
        format!("… and {} more problems", "19,950")
    );
}

#[test]
fn twenty_thousand_nodes_sharing_a_urn_tail_import_quickly() {
    // Distinct URNs with the same last segment and no ref_id: every node's ref is derived
    // from the same base name. One node's ref_id takes a name the others would take.
    let text = library((0..MAX_NODES).map(|i| {
        if i == 1 {
            format!("{{urn: \"urn:example:risk:req_node:big:{i}:x\", ref_id: \"x#3\"}}")
        } else {
            format!("{{urn: \"urn:example:risk:req_node:big:{i}:x\"}}")
        }
    }));
    let start = Instant::now();
    let lib = import_ok("big.yaml", &text, &[]);
    let took = start.elapsed();
    eprintln!(
        "{} bytes, {MAX_NODES} nodes with one URN tail in {took:?}",
        text.len()
    );
    assert!(took < BUDGET, "took {took:?}");
    let refs: Vec<&str> = lib.frameworks[0]
        .nodes
        .iter()
        .map(|n| n.reference.as_str())
        .collect();
    assert_eq!(refs.len(), MAX_NODES);
    assert_eq!(&refs[..5], ["x", "x#3", "x#2", "x#4", "x#5"]);
    assert_eq!(refs[MAX_NODES - 1], format!("x#{MAX_NODES}"));
    let unique: std::collections::HashSet<&str> = refs.iter().copied().collect();
    assert_eq!(unique.len(), MAX_NODES);
}

#[test]
fn one_node_too_many_is_refused() {
    let text = library((0..=MAX_NODES).map(|i| format!("{{urn: \"urn:x:n:{i}\"}}")));
    let start = Instant::now();
    let e = import("big.yaml", &text, &[]).expect_err("too many nodes");
    assert!(start.elapsed() < BUDGET);
    assert_eq!(e.len(), 1, "{}", show(&e));
    assert_eq!(
        e[0].message,
        "the framework has 20,001 requirement nodes; OpenCSMS imports at most 20,000"
    );
    assert_eq!(e[0].line, 5, "the framework's first line");

    // The OpenCSMS format has the same limit. (Its nodes are small here: the YAML reader
    // refuses a file of more than 250,000 YAML values before the checker sees it.)
    let catalog = |n: usize| {
        let mut text = String::from(
            "format: opencsms-catalog/1\nframework:\n  id: big\n  edition: \"1\"\n  \
             publisher: X\n  name: {ja: 大, en: Big}\n  scale: null\nnodes:\n",
        );
        for i in 0..n {
            writeln!(text, "  - {{ref: \"{i}\", kind: clause}}").unwrap();
        }
        text
    };
    let e = import("big.yaml", &catalog(MAX_NODES + 1), &[]).expect_err("too many nodes");
    assert_eq!(e.len(), 1, "{}", show(&e));
    assert_eq!(
        e[0].message,
        "the catalog has 20,001 nodes; OpenCSMS imports at most 20,000"
    );
    // At the limit the nodes are checked (each lacks its title and gist), quickly.
    let start = Instant::now();
    let e = parse("big.yaml", &catalog(MAX_NODES)).expect_err("no titles");
    assert!(start.elapsed() < BUDGET, "{:?}", start.elapsed());
    assert_eq!(e.len(), MAX_DIAGNOSTICS + 1, "{}", show(&e));
    assert!(e[0].message.contains("no ja text"), "{}", show(&e));
}

#[test]
fn a_tree_deeper_than_the_limit_is_refused() {
    let chain = |depth: usize| {
        library((1..=depth).map(|i| {
            let parent = if i == 1 {
                String::new()
            } else {
                format!(", parent_urn: \"urn:x:n:{}\"", i - 1)
            };
            format!("{{urn: \"urn:x:n:{i}\", ref_id: \"n{i}\"{parent}}}")
        }))
    };
    let lib = import_ok("deep.yaml", &chain(MAX_DEPTH), &[]);
    assert_eq!(lib.frameworks[0].nodes.len(), MAX_DEPTH);
    let e = import("deep.yaml", &chain(40), &[]).expect_err("40 deep");
    assert_eq!(e.len(), 1, "{}", show(&e));
    assert_eq!(
        e[0].message,
        "node 'n40' is 40 levels deep; OpenCSMS imports trees at most 32 levels deep (shorten \
         the chain of parents)"
    );
    assert_eq!(e[0].line, 8 + 39, "the deepest node's line");

    // The OpenCSMS format, with the deepest node listed first.
    let mut text = String::from(
        "format: opencsms-catalog/1\nframework:\n  id: deep\n  edition: \"1\"\n  \
         publisher: X\n  name: {ja: 深, en: Deep}\n  scale: null\nnodes:\n",
    );
    for i in (1..=40).rev() {
        let parent = if i == 1 {
            String::new()
        } else {
            format!(", parent: \"{}\"", i - 1)
        };
        writeln!(
            text,
            "  - {{ref: \"{i}\", kind: clause{parent}, title: {{ja: t, en: t}}, gist: {{ja: g, en: g}}}}"
        )
        .unwrap();
    }
    let e = import("deep.yaml", &text, &[]).expect_err("40 deep");
    assert_eq!(e.len(), 1, "{}", show(&e));
    assert_eq!(
        e[0].to_string(),
        "deep.yaml:9: node '40' is 40 levels deep; OpenCSMS imports trees at most 32 levels \
         deep (shorten the chain of parents)"
    );
}

#[test]
fn a_long_parent_cycle_is_found_quickly() {
    let n = MAX_NODES;
    let text = library((0..n).map(|i| {
        format!(
            "{{urn: \"urn:x:n:{i}\", parent_urn: \"urn:x:n:{}\"}}",
            (i + 1) % n
        )
    }));
    let start = Instant::now();
    let e = import("cycle.yaml", &text, &[]).expect_err("a cycle");
    assert!(start.elapsed() < BUDGET, "{:?}", start.elapsed());
    assert_eq!(e.len(), MAX_DIAGNOSTICS + 1);
    assert!(e[0].message.contains("own ancestor"), "{}", show(&e));
}

#[test]
fn two_hundred_broken_nodes_give_fifty_one_lines() {
    let text = library((0..200).map(|_| "{}".to_owned()));
    let e = import("broken.yaml", &text, &[]).expect_err("broken");
    let shown = show(&e);
    assert_eq!(shown.lines().count(), 51, "{shown}");
    assert_eq!(e.len(), 51);
    assert!(e[..50].iter().all(|d| d.line > 0));
    assert_eq!(
        shown.lines().last().unwrap(),
        "broken.yaml: … and 150 more problems"
    );
    // The OpenCSMS format caps its report too.
    let mut text = String::from(
        "format: opencsms-catalog/1\nframework:\n  id: broken\n  edition: \"1\"\n  \
         publisher: X\n  name: {ja: 壊, en: Broken}\n  scale: null\nnodes:\n",
    );
    for _ in 0..200 {
        text.push_str(
            "  - {ref: \"1\", kind: clause, title: {ja: t, en: t}, gist: {ja: g, en: g}}\n",
        );
    }
    let e = import("broken.yaml", &text, &[]).expect_err("duplicate refs");
    assert_eq!(e.len(), 51, "{}", show(&e));
    assert_eq!(e[50].message, "… and 149 more problems");
}

#[test]
fn control_characters_in_refs_and_nul_in_names_are_refused() {
    // A YAML escape puts a NUL in a ref_id.
    let text = library([
        r#"{urn: "urn:x:n:1", ref_id: "a\0b", name: One}"#.to_owned(),
        r#"{urn: "urn:x:n:2", ref_id: "line\nbreak", name: Two}"#.to_owned(),
        r#"{urn: "urn:x:n:3", ref_id: "ok", name: Three}"#.to_owned(),
    ]);
    let e = import("nul.yaml", &text, &[]).expect_err("NUL in a ref_id");
    assert_eq!(e.len(), 2, "{}", show(&e));
    assert_eq!(
        e[0].to_string(),
        r#"nul.yaml:8: node "urn:x:n:1" has ref_id "a\0b", which holds a control character (U+0000); a ref_id must be one line of printable text"#
    );
    assert_eq!(
        e[1].to_string(),
        r#"nul.yaml:9: node "urn:x:n:2" has ref_id "line\nbreak", which holds a control character (U+000A); a ref_id must be one line of printable text"#
    );
    // A control character in a node URN (whose tail could become a ref).
    let text = library([r#"{urn: "urn:x:n:\t1"}"#.to_owned()]);
    let e = import("ctl.yaml", &text, &[]).expect_err("tab in a URN");
    assert_eq!(
        e[0].message,
        r#"a requirement node has urn "urn:x:n:\t1", which holds a control character (U+0009); a urn must be one line of printable text"#
    );

    // A NUL in the framework's name.
    let text = library([r#"{urn: "urn:x:n:1", ref_id: "1"}"#.to_owned()])
        .replace("    name: Big\n", "    name: \"B\\0ig\"\n");
    assert!(text.contains("\\0"));
    let e = import("nul.yaml", &text, &[]).expect_err("NUL in a name");
    assert_eq!(e.len(), 1, "{}", show(&e));
    assert_eq!(
        e[0].message,
        r#"the name of framework "urn:example:risk:framework:big" contains a NUL character (\0); remove it"#
    );

    // Elsewhere in a node's text: named by node and field.
    let text = library([r#"{urn: "urn:x:n:1", ref_id: "1", description: "x\0y"}"#.to_owned()]);
    let e = import("nul.yaml", &text, &[]).expect_err("NUL in a description");
    assert!(
        e.iter().any(|d| d.message
            == r#"the gist of node "1" of framework "ciso.example.big" contains a NUL character (\0); remove it"#),
        "{}",
        show(&e)
    );

    // The OpenCSMS formats: a ref and a name.
    let (name, shipped_text) = SHIPPED[0];
    let own = shipped_text.replacen("id: jipdec-csms-2010\n", "id: org.jipdec\n", 1);
    let bad_ref = own.replacen("ref: \"4.2.3.1\"", "ref: \"4.2.3.1\\0\"", 1);
    assert_ne!(bad_ref, own);
    let e = import(name, &bad_ref, &[]).expect_err("NUL in a ref");
    assert!(
        e.iter().any(|d| d.message
            == r#"a node has ref "4.2.3.1\0", which holds a control character (U+0000); a ref must be one line of printable text"#
            && d.line > 0),
        "{}",
        show(&e)
    );
    let catalogs = shipped().unwrap();
    let known: Vec<&Catalog> = catalogs.iter().collect();
    let mapping = |name_en: &str, source: &str| {
        format!(
            "format: opencsms-mapping/1\nmapping:\n  id: org-map\n  source: jipdec-csms-2010\n  \
             target: iso27001-2022-annex-a\n  provenance: official\n  name:\n    ja: 対応\n    \
             en: \"{name_en}\"\nentries:\n  - {{source: \"{source}\", target: \"A.5.1\", \
             relationship: related}}\n"
        )
    };
    let e = import("m.yaml", &mapping("a \\0 name", "4.2.2.1"), &known).expect_err("NUL name");
    assert_eq!(e.len(), 1, "{}", show(&e));
    assert_eq!(
        e[0].message,
        r"the mapping name contains a NUL character (\0); remove it"
    );
    let e = import("m.yaml", &mapping("Map", "4.2.2.1\\0"), &known).expect_err("NUL ref");
    assert_eq!(
        e[0].message,
        r#"entry "4.2.2.1\0" → "A.5.1" has source ref "4.2.2.1\0", which holds a control character (U+0000); a source ref must be one line of printable text"#
    );

    // The same mapping, clean: imported, never official.
    let lib = import_ok("m.yaml", &mapping("Map", "4.2.2.1"), &known);
    let m = &lib.mappings[0];
    assert_eq!(m.provenance, Provenance::Imported);
    let notes = m.notes.as_ref().unwrap();
    assert_eq!(notes.en, "(the file states: official)");
    assert_eq!(notes.ja, "（ファイル上の記載: official）");
}

#[test]
fn a_library_mapping_set_is_imported_whatever_it_says() {
    let text = r#"
urn: urn:example:risk:library:m
name: M
objects:
  frameworks:
    - urn: urn:example:risk:framework:a
      requirement_nodes:
        - {urn: "urn:example:risk:req_node:a:1", ref_id: "1", assessable: true}
    - urn: urn:example:risk:framework:b
      requirement_nodes:
        - {urn: "urn:example:risk:req_node:b:1", ref_id: "1", assessable: true}
  requirement_mapping_set:
    urn: urn:example:risk:req_mapping_set:a-to-b
    provenance: official
    source_framework_urn: urn:example:risk:framework:a
    target_framework_urn: urn:example:risk:framework:b
    requirement_mappings:
      - source_requirement_urn: urn:example:risk:req_node:a:1
        target_requirement_urn: urn:example:risk:req_node:b:1
        relationship: equal
"#;
    let lib = import_ok("m.yaml", text, &[]);
    assert_eq!(lib.mappings[0].provenance, Provenance::Imported);
}
