//! Japanese and English: every string a user reads comes from `locales/{en,ja}/*.ftl`.
//!
//! Language: the user's setting, else the `csms_lang` cookie (the header switch for visitors
//! who are not signed in), else `Accept-Language`, else English. Dates are shown in the user's
//! time zone, else the organization's, else Asia/Tokyo.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use time::OffsetDateTime;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static JA: LanguageIdentifier = langid!("ja");

/// A supported UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best supported language of an `Accept-Language` header (by q-value, then order).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, part) in header.split(',').enumerate() {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag)
                && q > 0.0
                && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi))
            {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Ja => &JA,
        }
    }
}

/// Translates for one request: a language and a time zone.
#[derive(Debug, Clone)]
pub struct Tr {
    pub lang: Lang,
    pub zone: jiff::tz::TimeZone,
    pub zone_name: String,
}

impl Tr {
    pub fn new(lang: Lang, zone_name: Option<&str>) -> Tr {
        let name = zone_name.unwrap_or("Asia/Tokyo");
        let zone = jiff::tz::TimeZone::get(name)
            .or_else(|_| jiff::tz::TimeZone::get("Asia/Tokyo"))
            .unwrap_or(jiff::tz::TimeZone::UTC);
        Tr {
            lang,
            zone,
            zone_name: name.to_owned(),
        }
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(self.lang.id(), key)
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(
            Cow::Owned(name.to_owned()),
            FluentValue::from(value.to_string()),
        );
        LOCALES.lookup_with_args(self.lang.id(), key, &args)
    }

    /// An instant as date and time in the reader's zone (`2026-11-26 13:44` / `2026年11月26日 13:44`).
    pub fn datetime(&self, t: &OffsetDateTime) -> String {
        let Ok(ts) = jiff::Timestamp::from_microsecond((t.unix_timestamp_nanos() / 1000) as i64)
        else {
            return csms_domain::time::format_canonical(*t);
        };
        let z = ts.to_zoned_datetime(self.zone.clone());
        match self.lang {
            Lang::Ja => z.strftime("%Y年%-m月%-d日 %H:%M").to_string(),
            Lang::En => z.strftime("%-d %b %Y %H:%M").to_string(),
        }
    }

    /// The calendar date of an instant in the reader's time zone, as `YYYY-MM-DD` (file names,
    /// document dates: the same in every language).
    pub fn iso_date(&self, t: &OffsetDateTime) -> String {
        match jiff::Timestamp::from_microsecond((t.unix_timestamp_nanos() / 1000) as i64) {
            Ok(ts) => ts
                .to_zoned_datetime(self.zone.clone())
                .strftime("%Y-%m-%d")
                .to_string(),
            Err(_) => csms_domain::time::format_canonical(*t)
                .chars()
                .take(10)
                .collect(),
        }
    }

    /// Like [`Tr::datetime`] for an optional instant, with a dash when absent.
    pub fn datetime_opt(&self, t: &Option<OffsetDateTime>) -> String {
        t.as_ref()
            .map_or_else(|| "—".to_owned(), |t| self.datetime(t))
    }

    /// The name of an entity kind or action as recorded in the trail (the raw name if the
    /// messages do not know it, e.g. from a newer version).
    pub fn record(&self, prefix: &str, name: &str) -> String {
        let key = format!("{prefix}-{}", name.replace('_', "-"));
        if has_key(self.lang, &key) {
            self.t(&key)
        } else {
            name.to_owned()
        }
    }

    /// The role's name in this language.
    pub fn role(&self, role: &csms_domain::auth::Role) -> String {
        self.t(&format!("role-{}", role.as_str().replace('_', "-")))
    }
}

/// Every key of a language's message files (for the completeness test).
pub fn keys(lang: Lang) -> Vec<String> {
    let dir = format!("{}/locales/{}", env!("CARGO_MANIFEST_DIR"), lang.code());
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            if let Some((key, _)) = line.split_once(" =")
                && !key.starts_with([' ', '#', '.', '-'])
                && !key.is_empty()
            {
                keys.push(key.trim().to_owned());
            }
        }
    }
    keys.sort();
    keys
}

/// Whether a message exists in a language's files (no fallback to the other language).
pub fn has_key(lang: Lang, key: &str) -> bool {
    keys(lang).iter().any(|k| k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("ja-JP,ja;q=0.9,en;q=0.8"),
            Some(Lang::Ja)
        );
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,ja;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr-FR,ja;q=0.5"), Some(Lang::Ja));
        assert_eq!(Lang::from_accept_language("fr"), None);
        assert_eq!(
            Lang::from_accept_language("en;q=0.1,ja;q=0.7"),
            Some(Lang::Ja)
        );
    }

    #[test]
    fn dates_in_the_reader_zone() {
        let t = csms_domain::time::parse_canonical("2026-11-26T04:44:19.000000Z").unwrap();
        assert_eq!(
            Tr::new(Lang::Ja, Some("Asia/Tokyo")).datetime(&t),
            "2026年11月26日 13:44"
        );
        assert_eq!(
            Tr::new(Lang::En, Some("Europe/Berlin")).datetime(&t),
            "26 Nov 2026 05:44"
        );
        assert_eq!(
            Tr::new(Lang::En, Some("Not/AZone")).datetime(&t),
            "26 Nov 2026 13:44"
        );
    }

    #[test]
    fn both_languages_have_the_same_keys_and_no_isolation_marks() {
        let en = keys(Lang::En);
        let ja = keys(Lang::Ja);
        assert!(!en.is_empty());
        let only_en: Vec<_> = en.iter().filter(|k| !ja.contains(k)).collect();
        let only_ja: Vec<_> = ja.iter().filter(|k| !en.contains(k)).collect();
        assert!(
            only_en.is_empty() && only_ja.is_empty(),
            "only in en: {only_en:?}; only in ja: {only_ja:?}"
        );
        let s = Tr::new(Lang::En, None).t1("trail-verified", "count", 3);
        assert!(!s.contains('\u{2068}'), "{s:?}");
    }

    /// Every key a template or the Rust code asks for exists in both languages.
    #[test]
    fn every_key_used_exists() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut used = Vec::new();
        for dir in ["templates", "src", "src/pages", "src/api"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}"))
                .unwrap()
                .flatten()
            {
                let path = entry.path();
                if path.is_dir() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in [".t(\"", ".t1(\"", "tkey(\""] {
                    for piece in text.split(marker).skip(1) {
                        let key = piece.split('"').next().unwrap();
                        if !key.is_empty() && !key.contains('{') {
                            used.push((path.display().to_string(), key.to_owned()));
                        }
                    }
                }
            }
        }
        assert!(used.len() > 50, "found only {} keys in use", used.len());
        // Keys built at run time: roles, notices, error pages.
        let dynamic = [
            "role-admin",
            "role-csms-manager",
            "role-contributor",
            "role-auditor",
            "role-viewer",
            "notice-saved",
            "notice-password-changed",
            "notice-member-added",
            "notice-member-removed",
            "notice-role-changed",
            "notice-token-revoked",
            "notice-signed-out",
            "notice-session-expired",
            "error-not-found",
            "error-not-found-title",
            "error-forbidden",
            "error-forbidden-title",
            "error-csrf",
            "error-csrf-title",
            "tokens-active",
            "tokens-revoked",
            "tokens-expired",
            "nav-dashboard",
            "nav-scope",
            "nav-assets",
            "nav-risks",
            "nav-requirements",
            "nav-soa",
            "nav-documents",
            "nav-audits",
            "nav-trail",
            "nav-assessments",
            "notice-assessment-approved",
            "notice-prefill-applied",
            "notice-catalog-imported",
            "notice-wording-saved",
            "outcome-conformant",
            "outcome-partial",
            "outcome-nonconformant",
            "outcome-not-applicable",
            "outcome-not-assessed",
            "gap-nonconformant",
            "gap-partial",
            "gap-not-assessed",
            "gap-no-evidence",
            "movement-better",
            "movement-worse",
            "movement-changed",
            "movement-same",
            "provenance-official",
            "provenance-derived",
            "provenance-indicative",
            "provenance-imported",
            "error-locked",
            "error-locked-title",
            "error-internal-page",
            "error-internal-page-title",
            "error-invalid-page",
            "error-invalid-page-title",
            "error-conflict-page",
            "error-conflict-page-title",
            "assessment-framework-missing",
            "assessment-framework-missing-title",
            "assessment-compare-same",
            "assessment-compare-same-title",
            "assessment-prefill-source",
            "assessment-prefill-source-title",
        ];
        used.extend(
            dynamic
                .iter()
                .chain(crate::pages::inventory::DYNAMIC_KEYS)
                .chain(crate::pages::asset_import::DYNAMIC_KEYS)
                .chain(crate::pages::risk::DYNAMIC_KEYS)
                .chain(crate::pages::risk_docs::DYNAMIC_KEYS)
                .chain(crate::pages::controls::DYNAMIC_KEYS)
                .chain(crate::pages::soa::DYNAMIC_KEYS)
                .chain(crate::pages::documents::DYNAMIC_KEYS)
                .chain(crate::pages::reports::DYNAMIC_KEYS)
                .map(|k| ("(dynamic)".to_owned(), (*k).to_owned())),
        );
        for lang in Lang::ALL {
            let missing: Vec<_> = used.iter().filter(|(_, k)| !has_key(lang, k)).collect();
            assert!(
                missing.is_empty(),
                "missing in {}: {missing:?}",
                lang.code()
            );
        }
    }
}
