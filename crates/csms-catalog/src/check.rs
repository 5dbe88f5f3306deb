//! The rules a catalog file must follow.

use std::collections::HashMap;

use serde_saphyr::Spanned;

use crate::Diagnostic;
use crate::model::*;

const FORMAT: &str = "opencsms-catalog/1";
const FLAGS: &[&str] = &["unverified"];

struct Report<'f> {
    file: &'f str,
    diagnostics: Vec<Diagnostic>,
}

impl Report<'_> {
    fn add(&mut self, line: u64, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            file: self.file.to_owned(),
            line,
            message: message.into(),
        });
    }

    /// Both languages of a text, reporting what is missing.
    fn bilingual(&mut self, line: u64, what: &str, text: Option<&RawText>) -> Bilingual {
        let empty = RawText::default();
        let text = text.unwrap_or(&empty);
        let mut pick = |lang: &str, value: &Option<String>| match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => v.to_owned(),
            _ => {
                self.add(
                    line,
                    format!("{what} has no {lang} text; give both ja and en"),
                );
                String::new()
            }
        };
        let ja = pick("ja", &text.ja);
        let en = pick("en", &text.en);
        Bilingual { ja, en }
    }
}

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
    let mut r = Report {
        file,
        diagnostics: Vec::new(),
    };
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

    // Refs: unique; parents exist; no cycles.
    let mut first_seen: HashMap<&str, u64> = HashMap::new();
    for n in &raw.nodes {
        let reference = n.value.reference.as_str();
        if reference.trim().is_empty() {
            r.add(line(n), "a node has an empty ref");
        }
        if let Some(first) = first_seen.get(reference) {
            r.add(
                line(n),
                format!("duplicate ref '{reference}' (first defined at line {first}); every ref must be unique"),
            );
        } else {
            first_seen.insert(reference, line(n));
        }
    }
    let parent_of: HashMap<&str, &str> = raw
        .nodes
        .iter()
        .filter_map(|n| {
            n.value
                .parent
                .as_deref()
                .map(|p| (n.value.reference.as_str(), p))
        })
        .collect();
    for n in &raw.nodes {
        let v = &n.value;
        if let Some(p) = v.parent.as_deref() {
            if !first_seen.contains_key(p) {
                r.add(
                    line(n),
                    format!(
                        "node '{}' names parent '{p}', which is not a ref in this file",
                        v.reference
                    ),
                );
            } else {
                // Walk up; a walk longer than the node count means a cycle.
                let mut at = p;
                let mut steps = 0;
                while let Some(next) = parent_of.get(at) {
                    steps += 1;
                    if *next == v.reference || steps > raw.nodes.len() {
                        r.add(
                            line(n),
                            format!("node '{}' is its own ancestor (a cycle through '{p}'); fix the parents", v.reference),
                        );
                        break;
                    }
                    at = next;
                }
            }
        }
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
    if r.diagnostics.is_empty() {
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
        Err(r.diagnostics)
    }
}
