//! The lecture's sentences in other languages: a phrasebook keyed by the English text itself,
//! whose patterns carry numbers through (`"test accuracy {0}"` → `"Testgenauigkeit {0}"`), so
//! the Bevy-free lessons and the playground keep writing English and the page shows the
//! language on screen.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};

/// One language's phrases: English text or pattern -> its translation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Phrasebook {
    /// Whole texts without a hole, looked up as they are.
    exact: BTreeMap<String, String>,
    /// Patterns with holes, the most specific (most fixed characters) first.
    patterns: Vec<Pattern>,
}

/// An English pattern cut at its holes, and the translation the holes are put into.
#[derive(Clone, Debug, PartialEq)]
struct Pattern {
    /// The fixed text around the holes: one more piece than there are holes.
    pieces: Vec<String>,
    /// The hole each place in the English holds (`{1}` before `{0}` is allowed).
    holes: Vec<usize>,
    translation: String,
}

/// The shipped phrasebooks (English needs none), built in like the strings files.
pub const BUILT_IN_PHRASES: [(&str, &str); 2] = [
    ("fr", include_str!("../../assets/i18n/fr.phrases.ron")),
    ("de", include_str!("../../assets/i18n/de.phrases.ron")),
];

/// `text` cut at its holes `{0}`, `{1}`, ...: the pieces between and the holes' numbers.
fn cut_at_holes(text: &str) -> (Vec<String>, Vec<usize>) {
    let mut pieces = vec![String::new()];
    let mut holes = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match (digits, after.as_bytes().get(digits)) {
            (1.., Some(b'}')) => {
                pieces.last_mut().unwrap().push_str(&rest[..open]);
                holes.push(after[..digits].parse().unwrap_or(usize::MAX));
                pieces.push(String::new());
                rest = &after[digits + 1..];
            }
            _ => {
                pieces.last_mut().unwrap().push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    pieces.last_mut().unwrap().push_str(rest);
    (pieces, holes)
}

impl Pattern {
    /// The holes' values when `text` has this pattern's shape, in the English's order.
    fn values<'t>(&self, text: &'t str) -> Option<Vec<&'t str>> {
        let (first, rest) = self.pieces.split_first()?;
        let (last, middle) = rest.split_last()?;
        let inner = text
            .strip_prefix(first.as_str())?
            .strip_suffix(last.as_str())?;
        let mut values = Vec::with_capacity(self.holes.len());
        let mut rest = inner;
        for piece in middle {
            // a hole holds at least one character, then the next fixed piece
            let start = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
            let at = start + rest[start..].find(piece.as_str())?;
            values.push(&rest[..at]);
            rest = &rest[at + piece.len()..];
        }
        (!rest.is_empty()).then_some(())?;
        values.push(rest);
        Some(values)
    }

    fn fixed_len(&self) -> usize {
        self.pieces.iter().map(String::len).sum()
    }
}

impl Phrasebook {
    /// A phrasebook from its RON map; `origin` names it in an error.
    pub fn parse(text: &str, origin: &str) -> Result<Phrasebook> {
        let table = super::strings::parse_table(text, origin)?;
        let mut book = Phrasebook::default();
        for (english, translation) in table {
            let (pieces, holes) = cut_at_holes(&english);
            if holes.is_empty() {
                book.exact.insert(english, translation);
                continue;
            }
            let (_, theirs) = cut_at_holes(&translation);
            let mut sorted = holes.clone();
            sorted.sort_unstable();
            let mut used = theirs.clone();
            used.sort_unstable();
            used.dedup();
            if sorted != (0..holes.len()).collect::<Vec<_>>() || used != sorted {
                return Err(anyhow!(
                    "{origin}: \"{english}\": the English and its translation must each use the holes {{0}}..{{{}}} once",
                    holes.len() - 1
                ));
            }
            if pieces[1..pieces.len() - 1].iter().any(String::is_empty) {
                return Err(anyhow!(
                    "{origin}: \"{english}\": two holes need text between them"
                ));
            }
            book.patterns.push(Pattern {
                pieces,
                holes,
                translation,
            });
        }
        book.patterns
            .sort_by_key(|p| std::cmp::Reverse(p.fixed_len()));
        Ok(book)
    }

    /// The shipped phrasebook of language `code` (empty for English and unknown codes).
    pub fn built_in(code: &str) -> Result<Phrasebook> {
        match BUILT_IN_PHRASES.iter().find(|(c, _)| *c == code) {
            Some((_, text)) => Self::parse(text, &format!("assets/i18n/{code}.phrases.ron")),
            None => Ok(Phrasebook::default()),
        }
    }

    /// `english` in this language: its own entry, else the first pattern it fits with the
    /// holes' text carried over (translated where a hole holds a whole entry), else `None`.
    pub fn translate(&self, english: &str) -> Option<String> {
        if let Some(found) = self.exact.get(english) {
            return Some(found.clone());
        }
        self.patterns.iter().find_map(|pattern| {
            let values = pattern.values(english)?;
            let mut text = pattern.translation.clone();
            for (value, hole) in values.iter().zip(&pattern.holes) {
                // a hole holding a whole phrase (a class's name) is translated too
                let value = self.exact.get(*value).map_or(*value, String::as_str);
                text = text.replace(&format!("{{{hole}}}"), value);
            }
            Some(text)
        })
    }

    /// How many entries the book holds.
    pub fn len(&self) -> usize {
        self.exact.len() + self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(text: &str) -> Phrasebook {
        Phrasebook::parse(text, "test").unwrap()
    }

    #[test]
    fn a_pattern_carries_the_numbers_into_the_translation_in_its_order() {
        let de = book(
            r#"{
                "Run": "Start",
                "epoch {0} of {1}": "Epoche {0} von {1}",
                "{0} of {1} right": "{1}: {0} richtig",
                "test accuracy: LDA {0}, logistic regression {1}": "Testgenauigkeit: LDA {0}, logistische Regression {1}",
            }"#,
        );
        assert_eq!(de.translate("Run").as_deref(), Some("Start"));
        assert_eq!(de.translate("run"), None);
        assert_eq!(
            de.translate("epoch 35 of 2000").as_deref(),
            Some("Epoche 35 von 2000")
        );
        assert_eq!(
            de.translate("7 of 9 right").as_deref(),
            Some("9: 7 richtig")
        );
        // a hole that holds a whole entry is translated with it
        assert_eq!(
            de.translate("Run of 9 right").as_deref(),
            Some("9: Start richtig")
        );
        // the longer pattern wins over one it also fits
        assert_eq!(
            de.translate("test accuracy: LDA 0.9500, logistic regression 0.9480")
                .as_deref(),
            Some("Testgenauigkeit: LDA 0.9500, logistische Regression 0.9480")
        );
        // a hole is never empty, and the fixed text must match all the way
        assert_eq!(de.translate("epoch  of 2000"), None);
        assert_eq!(de.translate("the epoch 3 of 20"), None);
        assert_eq!(de.translate("epoch 3 to 20"), None);
    }

    #[test]
    fn a_translation_that_loses_or_invents_a_hole_is_refused_by_name() {
        for bad in [
            r#"{"epoch {0} of {1}": "Epoche {0}"}"#,
            r#"{"epoch {0}": "Epoche {0} {1}"}"#,
            r#"{"epoch {1}": "Epoche {1}"}"#,
            r#"{"{0}{1}": "{0}{1}"}"#,
        ] {
            let error = Phrasebook::parse(bad, "de.phrases.ron")
                .unwrap_err()
                .to_string();
            assert!(error.starts_with("de.phrases.ron: \""), "{error}");
        }
        let error = Phrasebook::parse("{ \"a\": ", "de.phrases.ron").unwrap_err();
        assert!(
            error.to_string().starts_with("de.phrases.ron:1:"),
            "{error}"
        );
    }

    #[test]
    fn braces_that_are_not_holes_stay_text() {
        let fr = book(r#"{"w = {x} at {0}": "w = {x} en {0}"}"#);
        assert_eq!(
            fr.translate("w = {x} at 3").as_deref(),
            Some("w = {x} en 3")
        );
    }

    #[test]
    fn the_shipped_phrasebooks_parse() {
        for (code, _) in BUILT_IN_PHRASES {
            assert!(!Phrasebook::built_in(code).unwrap().is_empty(), "{code}");
        }
        assert!(Phrasebook::built_in("en").unwrap().is_empty());
    }
}
