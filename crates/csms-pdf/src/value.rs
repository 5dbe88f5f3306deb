//! The document as Typst data (`sys.inputs`): serialized with serde, then turned value by
//! value into Typst values. Strings stay strings: the template never evaluates them.

use typst::foundations::{Array, Dict, IntoValue, Str, Value};

use crate::model::{Document, Lang};

/// The fixed words of the template in a language.
struct Words {
    page: &'static str,
    document_id: &'static str,
    version: &'static str,
    status: &'static str,
    approved: &'static str,
    approved_by_at: (&'static str, &'static str, &'static str),
    draft: &'static str,
    draft_long: &'static str,
    current_as_of: (&'static str, &'static str),
    contents: &'static str,
    none: &'static str,
}

const JA: Words = Words {
    page: "ページ",
    document_id: "文書番号",
    version: "版",
    status: "状態",
    approved: "承認済み",
    approved_by_at: ("承認: ", "（", "）"),
    draft: "ドラフト",
    draft_long: "ドラフト（未承認）",
    current_as_of: ("", " 時点の記録（版管理の対象外）"),
    contents: "目次",
    none: "該当なし",
};

const EN: Words = Words {
    page: "Page",
    document_id: "Document ID",
    version: "Version",
    status: "Status",
    approved: "Approved",
    approved_by_at: ("Approved by ", " at ", ""),
    draft: "DRAFT",
    draft_long: "DRAFT (not approved)",
    current_as_of: ("Record as of ", " (not a versioned document)"),
    contents: "Contents",
    none: "None",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

/// `sys.inputs` for the template: `doc` (the document) and `words` (the fixed words, with
/// the approval line composed).
pub(crate) fn inputs(doc: &Document) -> Result<Dict, serde_json::Error> {
    let w = words(doc.lang);
    let approval = match &doc.status {
        crate::Status::Approved { by, at } => {
            let (a, b, c) = w.approved_by_at;
            format!("{a}{by}{b}{at}{c}")
        }
        crate::Status::Draft => w.draft_long.to_owned(),
        crate::Status::Current { at } => {
            let (a, b) = w.current_as_of;
            format!("{a}{at}{b}")
        }
    };
    let status_word = match &doc.status {
        crate::Status::Approved { .. } => w.approved,
        crate::Status::Draft => w.draft,
        crate::Status::Current { .. } => "",
    };
    let mut words = Dict::new();
    for (k, v) in [
        ("page", w.page),
        ("document_id", w.document_id),
        ("version", w.version),
        ("status", w.status),
        ("status_word", status_word),
        ("draft", w.draft),
        ("contents", w.contents),
        ("none", w.none),
    ] {
        words.insert(k.into(), v.into_value());
    }
    words.insert("approval".into(), approval.into_value());
    let mut dict = Dict::new();
    dict.insert("doc".into(), convert(&serde_json::to_value(doc)?));
    dict.insert("words".into(), Value::Dict(words));
    Ok(dict)
}

/// A JSON value as a Typst value.
fn convert(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::None,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(s) => Value::Str(Str::from(s.as_str())),
        J::Array(items) => Value::Array(items.iter().map(convert).collect::<Array>()),
        J::Object(map) => {
            let mut d = Dict::new();
            for (k, v) in map {
                d.insert(Str::from(k.as_str()), convert(v));
            }
            Value::Dict(d)
        }
    }
}
