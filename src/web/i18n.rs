//! Languages: which one a visitor reads, and the messages in it. The words
//! live in Fluent files under `locales/<lang>/`, compiled into the binary.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use time::OffsetDateTime;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./src/web/locales",
        fallback_language: "en",
        // Unicode isolation marks around placeables confuse screen readers
        // and copy-paste; our placeables are plain words and numbers.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, also what a visitor gets when nothing else matches.
    En,
    /// Estonian.
    Et,
    /// Latvian.
    Lv,
    /// Russian.
    Ru,
}

/// Named arguments for a message.
pub type Args = Vec<(&'static str, FluentValue<'static>)>;

impl Lang {
    /// Every language, in the order the switcher shows them.
    pub const ALL: [Self; 4] = [Self::En, Self::Et, Self::Lv, Self::Ru];

    /// The BCP 47 tag, as `<html lang>` and the cookie carry it.
    pub const fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Et => "et",
            Self::Lv => "lv",
            Self::Ru => "ru",
        }
    }

    /// The language's name in itself, for the switcher.
    pub const fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Et => "Eesti",
            Self::Lv => "Latviešu",
            Self::Ru => "Русский",
        }
    }

    /// The language a tag names (`et`, `et-EE`, `RU`…), if we have it.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|lang| lang.tag() == primary)
    }

    /// The best of ours for an `Accept-Language` header, by its q-values;
    /// English when none matches.
    pub fn negotiate(accept_language: &str) -> Self {
        let mut best: Option<(f32, usize, Self)> = None;
        for (position, item) in accept_language.split(',').enumerate().take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Self::from_tag) else { continue };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            // Higher q wins; among equals, the one listed first.
            if best.is_none_or(|(bq, bp, _)| q > bq || (q == bq && position < bp)) {
                best = Some((q, position, lang));
            }
        }
        best.map_or(Self::En, |(_, _, lang)| lang)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Self::En => langid!("en"),
            Self::Et => langid!("et"),
            Self::Lv => langid!("lv"),
            Self::Ru => langid!("ru"),
        }
    }

    /// The message `key` in this language.
    pub fn t(self, key: &str) -> String {
        self.t_with(key, Vec::new())
    }

    /// The message `key` with arguments.
    pub fn t_with(self, key: &str, args: Args) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> =
            args.into_iter().map(|(name, value)| (Cow::Borrowed(name), value)).collect();
        match LOCALES.try_lookup_with_args(&self.id(), key, &args) {
            Some(text) => text,
            None => {
                // A missing message is a bug a test catches; a page still shows something.
                tracing::warn!(key, lang = self.tag(), "missing message");
                key.to_owned()
            }
        }
    }

    /// Whether this language has the message itself (not by falling back).
    /// A message that needs arguments fails to format without them, but is there.
    pub fn has(self, key: &str) -> bool {
        match LOCALES.lookup_single_language::<&str>(&self.id(), key, None) {
            Ok(_) => true,
            // The crate does not export its error type; its formatting
            // errors (a missing argument) say "Fluent errors".
            Err(error) => error.to_string().starts_with("Fluent errors"),
        }
    }

    /// A date and time in this language's usual form, in UTC.
    pub fn date_time(self, at: OffsetDateTime) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        format!("{}, {:02}:{:02} UTC", self.date(at), at.hour(), at.minute())
    }

    /// A date in this language's usual form.
    pub fn date(self, at: OffsetDateTime) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        let month = usize::from(u8::from(at.month())) - 1;
        let (day, year) = (at.day(), at.year());
        let name = |names: &[&'static str; 12]| names.get(month).copied().unwrap_or_default();
        match self {
            Self::En => format!("{day} {} {year}", name(&EN_MONTHS)),
            Self::Et => format!("{day}. {} {year}", name(&ET_MONTHS)),
            Self::Lv => format!("{year}. gada {day}. {}", name(&LV_MONTHS)),
            Self::Ru => format!("{day} {} {year} г.", name(&RU_MONTHS_GENITIVE)),
        }
    }

    /// A wait, in whole minutes once it is longer than a minute.
    pub fn wait(self, seconds: u64) -> String {
        if seconds <= 90 {
            self.t_with("wait-seconds", vec![("n", FluentValue::from(seconds.max(1)))])
        } else {
            self.t_with("wait-minutes", vec![("n", FluentValue::from(seconds.div_ceil(60)))])
        }
    }
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const ET_MONTHS: [&str; 12] = [
    "jaanuar",
    "veebruar",
    "märts",
    "aprill",
    "mai",
    "juuni",
    "juuli",
    "august",
    "september",
    "oktoober",
    "november",
    "detsember",
];
const LV_MONTHS: [&str; 12] = [
    "janvāris",
    "februāris",
    "marts",
    "aprīlis",
    "maijs",
    "jūnijs",
    "jūlijs",
    "augusts",
    "septembris",
    "oktobris",
    "novembris",
    "decembris",
];
const RU_MONTHS_GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// A message argument from anything Fluent can show.
pub fn arg(value: impl Into<FluentValue<'static>>) -> FluentValue<'static> {
    value.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_we_have() {
        assert_eq!(Lang::negotiate("et-EE,et;q=0.9,en;q=0.8"), Lang::Et);
        assert_eq!(Lang::negotiate("de-DE,de;q=0.9,ru;q=0.5,en;q=0.4"), Lang::Ru);
        assert_eq!(Lang::negotiate("fr"), Lang::En);
        assert_eq!(Lang::negotiate("en;q=0.2, lv"), Lang::Lv);
        assert_eq!(Lang::negotiate("ru;q=0, et;q=0.1"), Lang::Et);
        assert_eq!(Lang::negotiate(""), Lang::En);
    }

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let at = time::macros::datetime!(2026-11-29 11:08 UTC);
        assert_eq!(Lang::En.date(at), "29 November 2026");
        assert_eq!(Lang::Et.date(at), "29. november 2026");
        assert_eq!(Lang::Lv.date(at), "2026. gada 29. novembris");
        assert_eq!(Lang::Ru.date(at), "29 ноября 2026 г.");
    }
}

#[cfg(test)]
mod completeness {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::Lang;

    fn message_ids(lang: Lang) -> BTreeSet<String> {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/locales").join(lang.tag());
        let mut ids = BTreeSet::new();
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for line in text.lines() {
                let Some((id, _)) = line.split_once(" =") else { continue };
                if id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    ids.insert(id.to_owned());
                }
            }
        }
        ids
    }

    /// Every language has every message English has, and nothing else: a
    /// page never falls back to English in the middle of Estonian.
    #[test]
    fn every_language_has_every_message() {
        let english = message_ids(Lang::En);
        assert!(english.len() > 100, "{} English messages", english.len());
        for lang in [Lang::Et, Lang::Lv, Lang::Ru] {
            let theirs = message_ids(lang);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", lang.tag());
            for id in &english {
                assert!(lang.has(id), "{} cannot format {id}", lang.tag());
            }
        }
    }

    /// Every `t("…")` and `t_with("…", …)` in the pages' code names a
    /// message that exists: a mistyped id would show raw on the page.
    #[test]
    fn every_message_the_pages_ask_for_exists() {
        let english = message_ids(Lang::En);
        let mut asked = 0;
        let mut missing = Vec::new();
        let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let code = std::fs::read_to_string(&path).unwrap_or_default();
                for call in ["t(\"", "t_with(\""] {
                    for (at, _) in code.match_indices(call) {
                        let preceded_by_name =
                            code[..at].chars().next_back().is_some_and(|c| c == '_' || c.is_alphanumeric());
                        if preceded_by_name {
                            continue;
                        }
                        let rest = &code[at + call.len()..];
                        let Some(id) = rest.split('"').next() else { continue };
                        if id.is_empty()
                            || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                        {
                            continue;
                        }
                        asked += 1;
                        if !english.contains(id) {
                            missing.push(format!("{}: {id}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(asked > 300, "found only {asked} message lookups: has the call changed its name?");
        assert!(missing.is_empty(), "messages asked for but not written: {missing:#?}");
    }
}
