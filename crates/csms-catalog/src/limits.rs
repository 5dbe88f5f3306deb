//! What a file may hold, and the diagnostics report shared by the readers.
//!
//! Any CSMS manager can import a file, and the server reads it on a shared pool of threads, so
//! the readers bound their work: a framework has at most [`MAX_NODES`] nodes, its tree at most
//! [`MAX_DEPTH`] levels, and a report lists at most [`MAX_DIAGNOSTICS`] problems (then one
//! line saying how many more there are). Every step that walks the nodes is linear in their
//! number, so a file at the limits reads in well under a second.
//!
//! Text that PostgreSQL cannot store (a NUL character) or that would break a line (control
//! characters in refs and ids) is refused with a diagnostic naming where it is.

use crate::{Bilingual, Catalog, Diagnostic, MappingSet};

/// The most nodes a framework (or an OpenCSMS catalog) may have.
pub const MAX_NODES: usize = 20_000;
/// The most levels a framework's tree may have (a top-level node is at level 1).
pub const MAX_DEPTH: usize = 32;
/// The most problems a report lists; any further ones are counted in one last line.
pub const MAX_DIAGNOSTICS: usize = 50;

/// A number with thousands separators (`20,000`).
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The problems found in one file, at most [`MAX_DIAGNOSTICS`] of them kept.
pub(crate) struct Report<'f> {
    file: &'f str,
    diagnostics: Vec<Diagnostic>,
    /// Problems found beyond [`MAX_DIAGNOSTICS`].
    more: usize,
}

impl<'f> Report<'f> {
    pub(crate) fn new(file: &'f str) -> Self {
        Report {
            file,
            diagnostics: Vec::new(),
            more: 0,
        }
    }

    pub(crate) fn add(&mut self, line: u64, message: impl Into<String>) {
        if self.diagnostics.len() >= MAX_DIAGNOSTICS {
            self.more += 1;
            return;
        }
        self.diagnostics.push(Diagnostic {
            file: self.file.to_owned(),
            line,
            message: message.into(),
        });
    }

    /// How many problems were found (kept or not).
    pub(crate) fn count(&self) -> usize {
        self.diagnostics.len() + self.more
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// The kept problems, then (when some were not kept) a line saying how many more there are.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        if self.more > 0 {
            let s = if self.more == 1 { "" } else { "s" };
            self.diagnostics.push(Diagnostic {
                file: self.file.to_owned(),
                line: 0,
                message: format!("… and {} more problem{s}", thousands(self.more)),
            });
        }
        self.diagnostics
    }

    /// Both languages of a text, reporting what is missing.
    pub(crate) fn bilingual(
        &mut self,
        line: u64,
        what: &str,
        text: Option<&crate::model::RawText>,
    ) -> Bilingual {
        let empty = crate::model::RawText::default();
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

    /// Refuses a ref or id holding a control character (NUL, a line break, a tab, …): `who`
    /// names its owner, `field` what it is (`ref`, `ref_id`, `urn`). True when refused.
    pub(crate) fn control(&mut self, line: u64, who: &str, field: &str, value: &str) -> bool {
        let Some(c) = value.chars().find(|c| c.is_control()) else {
            return false;
        };
        self.add(
            line,
            format!(
                "{who} has {field} {value:?}, which holds a control character (U+{:04X}); a \
                 {field} must be one line of printable text",
                u32::from(c)
            ),
        );
        true
    }

    /// Refuses a name holding a NUL character (PostgreSQL cannot store it). True when refused.
    pub(crate) fn nul_name(&mut self, line: u64, what: &str, name: &Bilingual) -> bool {
        if !(name.ja.contains('\0') || name.en.contains('\0')) {
            return false;
        }
        self.add(
            line,
            format!("{what} contains a NUL character (\\0); remove it"),
        );
        true
    }
}

/// The level of every node (1 for a top-level node) given the index of its parent, in time
/// linear in the number of nodes. `None` for a node on a cycle of parents or below one.
pub(crate) struct Depths {
    pub(crate) depth: Vec<Option<usize>>,
    /// The nodes that are their own ancestors.
    pub(crate) on_cycle: Vec<bool>,
}

impl Depths {
    pub(crate) fn of(parent: &[Option<usize>]) -> Depths {
        const NEW: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let n = parent.len();
        let mut depth: Vec<Option<usize>> = vec![None; n];
        let mut on_cycle = vec![false; n];
        let mut state = vec![NEW; n];
        let mut path: Vec<usize> = Vec::new();
        for start in 0..n {
            if state[start] == DONE {
                continue;
            }
            path.clear();
            let mut at = start;
            // The depth of the node above the path's last node: Some(0) above a top-level node,
            // None when the path runs into a cycle.
            let above = loop {
                match state[at] {
                    DONE => break depth[at],
                    ON_PATH => {
                        let from = path.iter().position(|&p| p == at).unwrap_or(0);
                        for &p in &path[from..] {
                            on_cycle[p] = true;
                        }
                        break None;
                    }
                    _ => {
                        state[at] = ON_PATH;
                        path.push(at);
                        match parent[at] {
                            Some(p) if p < n => at = p,
                            _ => break Some(0),
                        }
                    }
                }
            };
            let mut d = above;
            for &p in path.iter().rev() {
                d = d.map(|d| d + 1);
                if on_cycle[p] {
                    d = None;
                }
                depth[p] = d;
                state[p] = DONE;
            }
        }
        Depths { depth, on_cycle }
    }

    /// The first of the deepest nodes, when it is deeper than [`MAX_DEPTH`].
    pub(crate) fn too_deep(&self) -> Option<(usize, usize)> {
        let mut deepest: Option<(usize, usize)> = None;
        for (i, d) in self.depth.iter().enumerate() {
            if let Some(d) = *d
                && d > MAX_DEPTH
                && deepest.is_none_or(|(_, best)| d > best)
            {
                deepest = Some((i, d));
            }
        }
        deepest
    }
}

/// The message for a tree deeper than [`MAX_DEPTH`], naming its deepest node.
pub(crate) fn too_deep_message(reference: &str, depth: usize) -> String {
    format!(
        "node '{reference}' is {depth} levels deep; OpenCSMS imports trees at most {MAX_DEPTH} \
         levels deep (shorten the chain of parents)"
    )
}

/// Where a NUL character hides in an imported library (any text: PostgreSQL cannot store it),
/// named by framework, node and field.
pub(crate) fn nul_anywhere(
    file: &str,
    frameworks: &[Catalog],
    mappings: &[MappingSet],
) -> Vec<Diagnostic> {
    let mut r = Report::new(file);
    let nul = |s: &str| s.contains('\0');
    let bi = |b: &Bilingual| nul(&b.ja) || nul(&b.en);
    for c in frameworks {
        let f = &c.framework;
        let id = &f.id;
        let mut fields: Vec<&str> = Vec::new();
        if nul(&f.edition) {
            fields.push("edition");
        }
        if nul(&f.publisher) {
            fields.push("publisher");
        }
        if bi(&f.name) {
            fields.push("name");
        }
        if f.notes.as_ref().is_some_and(bi) {
            fields.push("notes");
        }
        if f.urn.as_deref().is_some_and(nul) {
            fields.push("urn");
        }
        if let Some(s) = &f.scale
            && (nul(&s.id) || s.levels.iter().any(|l| bi(&l.label)))
        {
            fields.push("scale");
        }
        for field in fields {
            r.add(
                0,
                format!(
                    "the {field} of framework {id:?} contains a NUL character (\\0); remove it"
                ),
            );
        }
        for n in &c.nodes {
            let mut fields: Vec<&str> = Vec::new();
            if nul(&n.reference) || n.parent.as_deref().is_some_and(nul) {
                fields.push("ref");
            }
            if bi(&n.title) {
                fields.push("title");
            }
            if bi(&n.gist) {
                fields.push("gist");
            }
            if n.guidance.as_ref().is_some_and(bi) {
                fields.push("guidance");
            }
            if n.flags.iter().any(|x| nul(x)) {
                fields.push("flags");
            }
            if n.references
                .iter()
                .any(|x| nul(&x.framework) || nul(&x.reference))
            {
                fields.push("references");
            }
            if n.urn.as_deref().is_some_and(nul) {
                fields.push("urn");
            }
            for field in fields {
                r.add(
                    0,
                    format!(
                        "the {field} of node {:?} of framework {id:?} contains a NUL character \
                         (\\0); remove it",
                        n.reference
                    ),
                );
            }
        }
    }
    for m in mappings {
        let id = &m.id;
        let mut fields: Vec<&str> = Vec::new();
        if nul(&m.source_framework) {
            fields.push("source framework");
        }
        if nul(&m.target_framework) {
            fields.push("target framework");
        }
        if bi(&m.name) {
            fields.push("name");
        }
        if m.notes.as_ref().is_some_and(bi) {
            fields.push("notes");
        }
        for field in fields {
            r.add(
                0,
                format!("the {field} of mapping {id:?} contains a NUL character (\\0); remove it"),
            );
        }
        for e in &m.entries {
            if nul(&e.source) || nul(&e.target) || e.basis.as_deref().is_some_and(nul) {
                r.add(
                    0,
                    format!(
                        "the entry {:?} → {:?} of mapping {id:?} contains a NUL character (\\0); \
                         remove it",
                        e.source, e.target
                    ),
                );
            }
        }
    }
    r.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn reports_stop_at_the_limit() {
        let mut r = Report::new("f.yaml");
        for i in 0..MAX_DIAGNOSTICS {
            r.add(1, format!("problem {i}"));
        }
        assert_eq!(r.count(), MAX_DIAGNOSTICS);
        assert_eq!(Report::new("f").finish().len(), 0);
        r.add(2, "one too many");
        assert_eq!(r.count(), MAX_DIAGNOSTICS + 1);
        let d = r.finish();
        assert_eq!(d.len(), MAX_DIAGNOSTICS + 1);
        assert_eq!(
            d[MAX_DIAGNOSTICS].to_string(),
            "f.yaml: … and 1 more problem"
        );
    }

    #[test]
    fn depths_cycles_and_depth_limit() {
        // 0 ← 1 ← 2; 3 ↔ 4 (a cycle); 5 under the cycle; 6 names no node.
        let parent = [None, Some(0), Some(1), Some(4), Some(3), Some(3), Some(99)];
        let d = Depths::of(&parent);
        assert_eq!(
            d.depth,
            [Some(1), Some(2), Some(3), None, None, None, Some(1)]
        );
        assert_eq!(d.on_cycle, [false, false, false, true, true, false, false]);
        assert_eq!(d.too_deep(), None);
        // A self-parent is a cycle.
        let d = Depths::of(&[Some(0)]);
        assert_eq!((d.depth[0], d.on_cycle[0]), (None, true));
        // A chain one past the limit, listed leaf first: the leaf is named.
        let n = MAX_DEPTH + 1;
        let parent: Vec<Option<usize>> = (0..n).map(|i| (i + 1 < n).then_some(i + 1)).collect();
        let d = Depths::of(&parent);
        assert_eq!(d.too_deep(), Some((0, MAX_DEPTH + 1)));
        let parent: Vec<Option<usize>> = (0..MAX_DEPTH).map(|i| i.checked_sub(1)).collect();
        assert_eq!(Depths::of(&parent).too_deep(), None);
    }

    #[test]
    fn a_long_chain_is_linear() {
        let n = 200_000;
        let parent: Vec<Option<usize>> = (0..n).map(|i: usize| i.checked_sub(1)).collect();
        let start = std::time::Instant::now();
        let d = Depths::of(&parent);
        assert_eq!(d.depth[n - 1], Some(n));
        assert!(start.elapsed().as_secs() < 5);
    }
}
