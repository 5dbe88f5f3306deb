//! A minimal XML checker for the SVG renderers' tests: balanced tags, one root element, quoted
//! attributes without duplicates, only the five predefined entities or numeric references, no
//! raw `<` or `&` in text. Returns the elements (name, attributes, text content) in document
//! order so tests can read geometry back.

#![allow(dead_code)]

use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    pub attrs: HashMap<String, String>,
    /// Names of the open ancestors, outermost first.
    pub ancestors: Vec<String>,
    /// Unescaped text directly inside the element.
    pub text: String,
}

impl Element {
    pub fn num(&self, attr: &str) -> f64 {
        self.attrs
            .get(attr)
            .unwrap_or_else(|| panic!("<{}> has no {attr}", self.name))
            .parse()
            .unwrap_or_else(|_| panic!("<{}> {attr} is not a number", self.name))
    }
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after
            .find(';')
            .ok_or_else(|| format!("unterminated entity in {s:?}"))?;
        let ent = &after[..end];
        match ent {
            "amp" => out.push('&'),
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            _ if ent.starts_with("#x") => out.push(
                u32::from_str_radix(&ent[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad reference &{ent};"))?,
            ),
            _ if ent.starts_with('#') => out.push(
                ent[1..]
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad reference &{ent};"))?,
            ),
            _ => return Err(format!("unknown entity &{ent};")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-')
}

/// Parses `xml`, panicking with a precise message when it is not well-formed.
pub fn parse(xml: &str) -> Vec<Element> {
    match try_parse(xml) {
        Ok(v) => v,
        Err(e) => panic!("not well-formed XML: {e}"),
    }
}

pub fn try_parse(xml: &str) -> Result<Vec<Element>, String> {
    let mut out: Vec<Element> = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut roots = 0;
    let mut rest = xml;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if !rest.trim().is_empty() {
                return Err(format!("text after the root: {rest:?}"));
            }
            break;
        };
        let text = &rest[..lt];
        if text.contains('>') {
            return Err(format!("raw '>' in text {text:?}"));
        }
        let text = unescape(text)?;
        match stack.last() {
            Some((_, idx)) => out[*idx].text.push_str(&text),
            None if !text.trim().is_empty() => {
                return Err(format!("text outside the root: {text:?}"));
            }
            None => {}
        }
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or("unterminated comment")?;
            rest = &r[end + 3..];
            continue;
        }
        if let Some(r) = rest.strip_prefix("<?") {
            let end = r.find("?>").ok_or("unterminated processing instruction")?;
            rest = &r[end + 2..];
            continue;
        }
        let gt = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if tag.contains('<') {
            return Err(format!("'<' inside tag <{tag}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim_end();
            match stack.pop() {
                Some((open, _)) if open == name => continue,
                Some((open, _)) => return Err(format!("</{name}> closes <{open}>")),
                None => return Err(format!("</{name}> without an open element")),
            }
        }
        let (body, self_closing) = match tag.strip_suffix('/') {
            Some(b) => (b, true),
            None => (tag, false),
        };
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let name = &body[..name_end];
        if !is_name(name) {
            return Err(format!("bad element name {name:?}"));
        }
        let mut attrs = HashMap::new();
        let mut a = body[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a
                .find('=')
                .ok_or_else(|| format!("attribute without value in <{tag}>"))?;
            let key = a[..eq].trim();
            if !is_name(key) {
                return Err(format!("bad attribute name {key:?} in <{name}>"));
            }
            let v = a[eq + 1..].trim_start();
            let q = v.chars().next().ok_or("missing attribute value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attribute {key} in <{name}>"));
            }
            let end = v[1..]
                .find(q)
                .ok_or_else(|| format!("unterminated attribute {key} in <{name}>"))?;
            let raw = &v[1..1 + end];
            if attrs.insert(key.to_string(), unescape(raw)?).is_some() {
                return Err(format!("duplicate attribute {key} in <{name}>"));
            }
            let after = &v[end + 2..];
            if !after.is_empty() && !after.starts_with(char::is_whitespace) {
                return Err(format!("no space after attribute {key} in <{name}>"));
            }
            a = after.trim_start();
        }
        if stack.is_empty() {
            roots += 1;
            if roots > 1 {
                return Err("more than one root element".into());
            }
        }
        out.push(Element {
            name: name.to_string(),
            attrs,
            ancestors: stack.iter().map(|(n, _)| n.clone()).collect(),
            text: String::new(),
        });
        if !self_closing {
            stack.push((name.to_string(), out.len() - 1));
        }
    }
    if let Some((open, _)) = stack.last() {
        return Err(format!("<{open}> never closed"));
    }
    if roots != 1 {
        return Err("no root element".into());
    }
    Ok(out)
}

/// The checks every SVG must pass: well-formed, an `<svg>` root with the standalone attributes,
/// a title and a description, nothing a strict Content-Security-Policy would block.
pub fn check_standalone(svg: &str) -> Vec<Element> {
    let els = parse(svg);
    let root = &els[0];
    assert_eq!(root.name, "svg");
    assert_eq!(
        root.attrs.get("xmlns").map(String::as_str),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(root.attrs.get("role").map(String::as_str), Some("img"));
    let w = root.num("width");
    let h = root.num("height");
    assert!(w > 0.0 && h > 0.0);
    assert_eq!(
        root.attrs.get("viewBox").map(String::as_str),
        Some(format!("0 0 {w} {h}").as_str())
    );
    assert_eq!(els[1].name, "title", "the title comes first");
    assert!(
        els.iter()
            .any(|e| e.name == "desc" && e.ancestors.len() == 1)
    );
    assert!(!svg.contains("style="), "no style attribute (CSP)");
    assert!(!svg.contains("<style"), "no style element (CSP)");
    assert!(!svg.contains("<script"), "no script");
    assert!(!svg.contains("<foreignObject"));
    // Ids are unique and every reference to one resolves.
    let mut ids: Vec<&str> = els
        .iter()
        .filter_map(|e| e.attrs.get("id").map(String::as_str))
        .collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids");
    for e in &els {
        for (k, v) in &e.attrs {
            if k == "aria-labelledby" {
                for r in v.split_whitespace() {
                    assert!(ids.contains(&r), "{k} refers to missing id {r}");
                }
            }
            if let Some(r) = v.strip_prefix("url(#") {
                let r = r.trim_end_matches(')');
                assert!(ids.contains(&r), "{k} refers to missing id {r}");
            }
        }
    }
    for e in &els {
        for (k, v) in &e.attrs {
            assert!(!k.starts_with("on"), "no event handler attribute {k}");
            if k == "href" || k == "xlink:href" {
                assert!(
                    !v.trim_start()
                        .to_ascii_lowercase()
                        .starts_with("javascript:")
                );
            }
            assert!(
                !v.contains("http://") || k == "xmlns",
                "no external reference: {k}={v}"
            );
        }
    }
    els
}

#[test]
fn checker_rejects_what_it_should() {
    assert!(try_parse("<svg><g></svg>").is_err());
    assert!(try_parse("<svg>a < b</svg>").is_err());
    assert!(try_parse("<svg>a &nbsp; b</svg>").is_err());
    assert!(try_parse(r#"<svg a="1" a="2"/>"#).is_err());
    assert!(try_parse(r#"<svg a=1/>"#).is_err());
    assert!(try_parse("<svg/><svg/>").is_err());
    assert!(try_parse("<svg><g></g>").is_err());
    let ok = try_parse(r#"<svg x="&lt;&amp;&#39;"><t>a &amp; b</t></svg>"#).unwrap();
    assert_eq!(ok[0].attrs["x"], "<&'");
    assert_eq!(ok[1].text, "a & b");
}
