//! The rules a catalog file must follow.

use std::collections::HashMap;

use serde_saphyr::Spanned;

use crate::Diagnostic;
use crate::limits::{self, Depths, MAX_NODES, Report};
use crate::model::*;

const FORMAT: &str = "opencsms-catalog/1";
const FLAGS: &[&str] = &["unverified"];

fn line<T>(s: &Spanned<T>) -> u64 {
    s.defined.line()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

pub(crate) fn check(file: &str, raw: RawCatalog) -> Result<Catalog, Vec<Diagnostic>> {
    let mut r = Report::new(file);
    if raw.format.value != FORMAT {
        r.add(
            line(&raw.format),
            format!(
                "format is '{}'; this OpenCSMS reads '{FORMAT}'",
                raw.format.value
            ),
        );
    }
    let fw_line = line(&raw.framework);
    let fw = raw.framework.value;
    if !valid_id(&fw.id.value) {
        r.add(
            line(&fw.id),
            format!(
                "framework id '{}' must use lowercase letters, digits, '-' and '.'",
                fw.id.value
            ),
        );
    }
    let name = r.bilingual(fw_line, "the framework name", fw.name.as_ref());
    let notes = fw
        .notes
        .as_ref()
        .map(|n| r.bilingual(fw_line, "the framework notes", Some(n)));
    let scale = fw.scale.map(|s| Scale {
        id: s.id,
        levels: s
            .levels
            .iter()
            .map(|l| Level {
                value: l.value.value,
                label: r.bilingual(
                    line(l),
                    &format!("scale level {}", l.value.value),
                    l.value.label.as_ref(),
                ),
            })
            .collect(),
    });

    if raw.nodes.len() > MAX_NODES {
        r.add(
            line(&raw.nodes[MAX_NODES]),
            format!(
                "the catalog has {} nodes; OpenCSMS imports at most {}",
                limits::thousands(raw.nodes.len()),
                limits::thousands(MAX_NODES)
            ),
        );
        return Err(r.finish());
    }
    r.nul_name(fw_line, "the framework name", &name);

    // Refs: unique and one line; parents exist; no cycles; not too deep.
    let mut first_seen: HashMap<&str, (u64, usize)> = HashMap::new();
    let mut unprintable = false;
    for (i, n) in raw.nodes.iter().enumerate() {
        let reference = n.value.reference.as_str();
        if reference.trim().is_empty() {
            r.add(line(n), "a node has an empty ref");
        }
        if r.control(line(n), "a node", "ref", reference) {
            unprintable = true;
            continue;
        }
        for x in &n.value.references {
            let who = format!("node {reference:?}");
            unprintable |= r.control(line(n), &who, "reference framework", &x.framework)
                || r.control(line(n), &who, "reference ref", &x.reference);
        }
        if let Some((first, _)) = first_seen.get(reference) {
            r.add(
                line(n),
                format!("duplicate ref '{reference}' (first defined at line {first}); every ref must be unique"),
            );
        } else {
            first_seen.insert(reference, (line(n), i));
        }
    }
    if unprintable {
        // The other messages quote refs; stop before they break lines.
        return Err(r.finish());
    }
    let mut parent: Vec<Option<usize>> = vec![None; raw.nodes.len()];
    for (i, n) in raw.nodes.iter().enumerate() {
        let v = &n.value;
        if let Some(p) = v.parent.as_deref() {
            match first_seen.get(p) {
                Some(&(_, pi)) => parent[i] = Some(pi),
                None => r.add(
                    line(n),
                    format!(
                        "node '{}' names parent '{p}', which is not a ref in this file",
                        v.reference
                    ),
                ),
            }
        }
    }
    let depths = Depths::of(&parent);
    for (i, n) in raw.nodes.iter().enumerate() {
        if depths.on_cycle[i] {
            let v = &n.value;
            r.add(
                line(n),
                format!(
                    "node '{}' is its own ancestor (a cycle through '{}'); fix the parents",
                    v.reference,
                    v.parent.as_deref().unwrap_or_default()
                ),
            );
        }
    }
    if let Some((i, depth)) = depths.too_deep() {
        let n = &raw.nodes[i];
        r.add(line(n), limits::too_deep_message(&n.value.reference, depth));
    }

    let mut nodes = Vec::with_capacity(raw.nodes.len());
    for n in &raw.nodes {
        let l = line(n);
        let v = &n.value;
        let what = format!("node '{}'", v.reference);
        let title = r.bilingual(l, &format!("the title of {what}"), v.title.as_ref());
        let gist = r.bilingual(l, &format!("the gist of {what}"), v.gist.as_ref());
        let guidance = match (&v.guidance, v.assessable) {
            (Some(g), _) => Some(r.bilingual(l, &format!("the guidance of {what}"), Some(g))),
            (None, true) => {
                r.add(l, format!("{what} is assessable but has no guidance; say in ja and en what evidence an auditor expects"));
                None
            }
            (None, false) => None,
        };
        for f in &v.flags {
            if !FLAGS.contains(&f.as_str()) {
                r.add(
                    l,
                    format!(
                        "{what} has unknown flag '{f}'; known flags: {}",
                        FLAGS.join(", ")
                    ),
                );
            }
        }
        for sl in &v.security_levels {
            if !(1..=4).contains(sl) {
                r.add(l, format!("{what} has security level {sl}; use 1 to 4"));
            }
        }
        nodes.push(Node {
            reference: v.reference.clone(),
            kind: v.kind,
            parent: v.parent.clone(),
            title,
            gist,
            guidance,
            assessable: v.assessable,
            flags: v.flags.clone(),
            security_levels: v.security_levels.clone(),
            references: v.references.clone(),
            urn: None,
        });
    }
    if nodes.is_empty() {
        r.add(0, "the catalog has no nodes");
    }
    if r.is_empty() {
        Ok(Catalog {
            framework: Framework {
                id: fw.id.value,
                edition: fw.edition,
                publisher: fw.publisher,
                name,
                scale,
                notes,
                urn: None,
            },
            nodes,
        })
    } else {
        Err(r.finish())
    }
}
