//! Validation errors that know where they are: a field path (`model.hidden[1].units`) beside
//! the message, returned by every configuration's `validate()`, so a scene can point at the
//! line of the field at fault by following the path through its text.

pub mod locate;

use std::fmt;

/// One step of a field path: a named field, or an element of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    Index(usize),
}

/// A configuration value that failed validation: where it is, and what is wrong, in words
/// that already name the field (`hidden[1].units: 0 must lie in 1..=4096`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub path: Vec<Segment>,
    pub message: String,
}

impl FieldError {
    /// The field at `path` (`"optimizer.batch_size"`, `"hidden[2].units"`) is wrong:
    /// `detail` says how; the message reads `path: detail`.
    pub fn at(path: impl AsRef<str>, detail: impl fmt::Display) -> Self {
        let path = path.as_ref();
        Self {
            path: parse_path(path),
            message: format!("{path}: {detail}"),
        }
    }

    /// The field at `path` is wrong, as `message` says in its own words.
    pub fn new(path: impl AsRef<str>, message: impl Into<String>) -> Self {
        Self {
            path: parse_path(path.as_ref()),
            message: message.into(),
        }
    }

    /// The same error seen from the configuration that holds this one at `parent`
    /// (`"model"`): the path grows, the message stays as written.
    pub fn under(mut self, parent: &str) -> Self {
        let mut path = parse_path(parent);
        path.append(&mut self.path);
        self.path = path;
        self
    }

    /// The path as text: `model.hidden[1].units`.
    pub fn dotted(&self) -> String {
        let mut text = String::new();
        for segment in &self.path {
            match segment {
                Segment::Field(name) if text.is_empty() => text.push_str(name),
                Segment::Field(name) => {
                    text.push('.');
                    text.push_str(name);
                }
                Segment::Index(k) => text.push_str(&format!("[{k}]")),
            }
        }
        text
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

impl From<FieldError> for String {
    fn from(error: FieldError) -> String {
        error.message
    }
}

/// `a.b[2].c` as segments; a malformed index stays part of its name.
fn parse_path(path: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next().filter(|n| !n.is_empty()) {
            segments.push(Segment::Field(name.to_string()));
        }
        for index in pieces {
            match index.trim_end_matches(']').parse() {
                Ok(k) => segments.push(Segment::Index(k)),
                Err(_) => segments.push(Segment::Field(index.to_string())),
            }
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_parsed_grown_and_written_back() {
        let error = FieldError::at("hidden[1].units", "0 must lie in 1..=4096").under("model");
        assert_eq!(
            error.path,
            vec![
                Segment::Field("model".into()),
                Segment::Field("hidden".into()),
                Segment::Index(1),
                Segment::Field("units".into()),
            ]
        );
        assert_eq!(error.dotted(), "model.hidden[1].units");
        assert_eq!(error.to_string(), "hidden[1].units: 0 must lie in 1..=4096");
    }
}
