//! The words on screen in several languages: one strings file per language (a RON map), built
//! in, with English for keys a translation lacks.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow};

use super::phrases::Phrasebook;
use crate::files::{MAX_SMALL_TEXT_BYTES, read_text_capped};

/// One language's labels: key -> text, from `<code>.ron` (a RON map).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Strings {
    pub code: String,
    table: BTreeMap<String, String>,
    /// English, for keys a translation lacks.
    fallback: BTreeMap<String, String>,
    /// The lecture's English sentences in this language.
    phrases: Phrasebook,
}

/// The shipped strings files, built in so the exhibit runs from the binary alone.
pub const BUILT_IN_STRINGS: [(&str, &str); 3] = [
    ("en", include_str!("../../assets/i18n/en.ron")),
    ("fr", include_str!("../../assets/i18n/fr.ron")),
    ("de", include_str!("../../assets/i18n/de.ron")),
];

/// A RON map of texts; an error names `origin`, the line and the column.
pub(super) fn parse_table(text: &str, origin: &str) -> Result<BTreeMap<String, String>> {
    ron::Options::default().from_str(text).map_err(|e| {
        anyhow!(
            "{origin}:{}:{}: {}",
            e.span.start.line,
            e.span.start.col,
            e.code
        )
    })
}

impl Strings {
    /// The shipped language `code`, whatever files lie about.
    pub fn built_in(code: &str) -> Result<Strings> {
        Self::load_from(None, code)
    }

    /// Language `code` from `dir/<code>.ron`, or the built-in file when `dir` has none.
    pub fn load(dir: &Path, code: &str) -> Result<Strings> {
        Self::load_from(Some(dir), code)
    }

    fn load_from(dir: Option<&Path>, code: &str) -> Result<Strings> {
        let built_in = |c: &str| {
            BUILT_IN_STRINGS
                .iter()
                .find(|(k, _)| *k == c)
                .map(|(_, t)| *t)
        };
        let path = dir.unwrap_or(Path::new("")).join(format!("{code}.ron"));
        let table = match dir.is_some() && path.is_file() {
            true => parse_table(
                &read_text_capped(&path, MAX_SMALL_TEXT_BYTES, "strings file")?,
                &path.display().to_string(),
            )?,
            false => match built_in(code) {
                Some(text) => parse_table(text, &format!("assets/i18n/{code}.ron (built in)"))?,
                None => {
                    return Err(anyhow!(
                        "{}: no strings for language `{code}`",
                        path.display()
                    ));
                }
            },
        };
        let fallback = parse_table(built_in("en").expect("English is built in"), "en.ron")?;
        Ok(Strings {
            code: code.to_string(),
            table,
            fallback,
            phrases: Phrasebook::built_in(code)?,
        })
    }

    /// The text for `key`: this language's, else English, else the key itself, as English
    /// words, in this language where the phrasebook has them.
    pub fn get(&self, key: &str) -> String {
        self.table
            .get(key)
            .or_else(|| self.fallback.get(key))
            .cloned()
            .unwrap_or_else(|| self.phrase(key))
    }

    /// A built-in image set's class `name` in this language (its `class_NAME` entry), else
    /// as it is: letters and the names of a user's own classes are never translated.
    pub fn class_name(&self, name: &str) -> String {
        let key = format!("class_{name}");
        (self.table.get(&key).or_else(|| self.fallback.get(&key)))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    /// English `words` in this language, where the phrasebook has them (else as they are).
    pub fn phrase(&self, words: &str) -> String {
        self.phrases
            .translate(words)
            .unwrap_or_else(|| words.to_string())
    }

    /// Whether the phrasebook has English `words` (English itself has every word).
    pub fn has_phrase(&self, words: &str) -> bool {
        self.code == "en" || self.phrases.translate(words).is_some()
    }

    /// The text for `key` with `{0}`, `{1}`, ... replaced by `values`, in the order the
    /// language puts them.
    pub fn fill(&self, key: &str, values: &[&str]) -> String {
        let mut text = self.get(key);
        for (k, value) in values.iter().enumerate() {
            text = text.replace(&format!("{{{k}}}"), value);
        }
        text
    }

    /// Keys English has that this language lacks.
    pub fn missing(&self) -> Vec<String> {
        self.fallback
            .keys()
            .filter(|k| !self.table.contains_key(*k))
            .cloned()
            .collect()
    }
}

/// Whether `text` holds words (two letters in a row): numbers, symbols and x₁ need no
/// translation.
#[cfg(test)]
pub fn has_words(text: &str) -> bool {
    let letters: Vec<bool> = text.chars().map(|c| c.is_ascii_alphabetic()).collect();
    letters.windows(2).any(|w| w[0] && w[1])
}

/// Asserts that every shipped language has each of the English `words` that holds words as
/// a phrase, or where `keys` also as a key of its strings file (localized text looks both up).
#[cfg(test)]
pub fn assert_every_language_has<'w>(
    words: impl IntoIterator<Item = &'w String> + Clone,
    keys: bool,
) {
    for (code, _) in BUILT_IN_STRINGS {
        let strings = Strings::built_in(code).unwrap();
        let known = |w: &str| strings.has_phrase(w) || (keys && strings.table.contains_key(w));
        let missing: Vec<&String> = words
            .clone()
            .into_iter()
            .filter(|w| has_words(w) && !known(w))
            .collect();
        assert!(
            missing.is_empty(),
            "{code} lacks {} phrases: {missing:#?}",
            missing.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_image_sets_classes_are_named_in_each_language_and_no_others() {
        let de = Strings::load(Path::new("/nonexistent"), "de").unwrap();
        let fr = Strings::load(Path::new("/nonexistent"), "fr").unwrap();
        let en = Strings::load(Path::new("/nonexistent"), "en").unwrap();
        let mut named = 0;
        for set in crate::data::builtin::BUILTIN_SETS {
            let (train, _) = crate::data::builtin::generate(set.name, 1, Some(1)).unwrap();
            for class in train.classes.iter().filter(|c| has_words(c)) {
                assert_eq!(en.class_name(class), *class);
                assert_ne!(de.class_name(class), *class, "{}: {class}", set.name);
                assert_ne!(fr.class_name(class), *class, "{}: {class}", set.name);
                named += 1;
            }
        }
        assert!(named >= 11, "{named}");
        assert_eq!(de.class_name("square"), "Quadrat");
        assert_eq!(fr.class_name("two-pieces"), "en deux");
        // letters, and what is not a built-in class, as they are
        assert_eq!(de.class_name("E"), "E");
        assert_eq!(fr.class_name("Sneaker"), "Sneaker");
        assert_eq!(de.class_name("title"), "title");
    }

    #[test]
    fn every_shipped_language_has_every_english_key() {
        for (code, _) in BUILT_IN_STRINGS {
            let strings = Strings::load(Path::new("/nonexistent"), code).unwrap();
            assert!(
                strings.missing().is_empty(),
                "{code} lacks {:?}",
                strings.missing()
            );
            assert_ne!(strings.get("touch_to_start"), "touch_to_start");
        }
        let fr = Strings::load(Path::new("/nonexistent"), "fr").unwrap();
        let en = Strings::load(Path::new("/nonexistent"), "en").unwrap();
        assert_ne!(fr.get("touch_to_start"), en.get("touch_to_start"));
        assert!(Strings::load(Path::new("/nonexistent"), "xx").is_err());
    }

    #[test]
    fn no_shipped_strings_file_names_a_key_twice() {
        for (code, text) in BUILT_IN_STRINGS {
            // one entry per line, each `    "key": "..."`: a repeated key would be lost in the map
            let entries = text.lines().filter(|l| l.starts_with("    \"")).count();
            assert_eq!(entries, parse_table(text, code).unwrap().len(), "{code}");
        }
    }

    #[test]
    fn filling_puts_each_value_where_the_language_wants_it() {
        let en = Strings::load(Path::new("/nonexistent"), "en").unwrap();
        let de = Strings::load(Path::new("/nonexistent"), "de").unwrap();
        assert_eq!(en.fill("speed_per_second", &["4"]), "4 patterns/s");
        assert_eq!(de.fill("speed_per_second", &["4"]), "4 Muster/s");
        assert_eq!(
            en.fill("epoch_summary", &["3", "a", "b"]),
            "Epoch 3. Mark I: a.\nMLP: b."
        );
        // every shipped template names the same places as English's
        for (code, _) in BUILT_IN_STRINGS {
            let strings = Strings::load(Path::new("/nonexistent"), code).unwrap();
            for key in en.fallback.keys() {
                for k in 0..4 {
                    let place = format!("{{{k}}}");
                    assert_eq!(
                        strings.get(key).contains(&place),
                        en.get(key).contains(&place),
                        "{code}: {key} and {place}"
                    );
                }
            }
        }
    }
}
