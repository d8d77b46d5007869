//! Where a field sits in a scene's or a machine file's text: a field path followed through
//! the RON, key by key and element by element, to the line an error should point at.

use crate::fields::Segment;

/// The RON text as brackets and keys: each key's nesting depth and place, skipping strings
/// and comments.
struct Outline {
    /// `(depth, start, name)` of every `name:` key, in order.
    keys: Vec<(usize, usize, String)>,
    /// `(depth inside, start)` of every list element's first character, in order.
    elements: Vec<(usize, usize)>,
}

fn outline(text: &str) -> Outline {
    let bytes = text.as_bytes();
    let (mut keys, mut elements) = (Vec::new(), Vec::new());
    let mut lists = Vec::new();
    let (mut depth, mut i) = (0usize, 0);
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(&list_depth) = lists.last()
            && list_depth == depth
            && !c.is_ascii_whitespace()
            && c != b']'
            && c != b','
            && elements.last().is_none_or(|&(_, at)| at < i)
            && (bytes[..i].iter().rev().find(|b| !b.is_ascii_whitespace()))
                .is_some_and(|&b| b == b'[' || b == b',')
        {
            elements.push((depth, i));
        }
        match c {
            b'"' => i = skip_string(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 1)
            }
            b'(' | b'{' => depth += 1,
            b'[' => {
                depth += 1;
                lists.push(depth);
            }
            b']' => {
                lists.pop();
                depth = depth.saturating_sub(1);
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = i + bytes[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let after = text[end..].trim_start();
                if after.starts_with(':') && !after.starts_with("::") {
                    keys.push((depth, i, text[i..end].to_string()));
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Outline { keys, elements }
}

/// The index just past the string literal starting at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i
}

/// The end of the value that starts at `start` at nesting `depth`: where the depth next falls
/// below it.
fn value_end(text: &str, start: usize, depth: usize, outline: &Outline) -> usize {
    // keys and elements at a shallower depth after `start` close the value
    let next_key = outline
        .keys
        .iter()
        .find(|&&(d, at, _)| at > start && d < depth)
        .map(|&(_, at, _)| at);
    let next_element = outline
        .elements
        .iter()
        .find(|&&(d, at)| at > start && d < depth)
        .map(|&(_, at)| at);
    [next_key, next_element]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(text.len())
}

/// The line (from 1) of the field at `path` in `text`; where the text leaves a field out
/// (its default applies), the line of the deepest part of the path that is there.
pub fn line_of(text: &str, path: &[Segment]) -> Option<usize> {
    let outline = outline(text);
    let (mut from, mut to, mut depth) = (0, text.len(), 0);
    let mut found = None;
    for segment in path {
        let place = match segment {
            // the shallowest key of that name inside the current value: wrappers such as
            // `Mark1(...)`, `Some((...))` or `Lesson(Xor(...))` sit between a key and its fields
            Segment::Field(name) => outline
                .keys
                .iter()
                .filter(|(d, at, key)| *at >= from && *at < to && *d > depth && key == name)
                .min_by_key(|(d, at, _)| (*d, *at))
                .map(|&(d, at, _)| (d, at)),
            Segment::Index(k) => outline
                .elements
                .iter()
                .filter(|&&(d, at)| at >= from && at < to && d > depth)
                .min_by_key(|&&(d, _)| d)
                .map(|&(d, _)| d)
                .and_then(|shallowest| {
                    outline
                        .elements
                        .iter()
                        .filter(|&&(d, at)| at >= from && at < to && d == shallowest)
                        .nth(*k)
                        .copied()
                }),
        };
        let Some((d, at)) = place else { break };
        found = Some(at);
        from = at;
        to = value_end(text, at + 1, d, &outline).min(to);
        depth = d;
    }
    found.map(|at| text[..at].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldError;

    fn line(text: &str, path: &str) -> Option<usize> {
        line_of(text, &FieldError::at(path, "").path)
    }

    const MLP: &str = "(
  name: \"two layers\",
  // units: 7 in a comment is not a field
  model: Mlp(
    hidden: [
      (units: 64, activation: Relu),
      (
        units: 0,
        activation: Relu,
      ),
    ],
    optimizer: (learning_rate: 0.1, rate: 3),
  ),
  training: (epochs: 0),
)
";

    #[test]
    fn a_path_finds_the_element_and_field_it_names() {
        assert_eq!(line(MLP, "model.hidden[1].units"), Some(8));
        assert_eq!(line(MLP, "model.hidden[0].units"), Some(6));
        assert_eq!(line(MLP, "model.hidden[1].activation"), Some(9));
        assert_eq!(line(MLP, "training.epochs"), Some(14));
        assert_eq!(line(MLP, "model.optimizer.learning_rate"), Some(12));
    }

    #[test]
    fn a_field_left_out_points_at_the_deepest_part_present() {
        assert_eq!(line(MLP, "model.optimizer.momentum"), Some(12));
        assert_eq!(line(MLP, "model.hidden[5].units"), Some(5));
        assert_eq!(line(MLP, "retina.width"), None);
    }

    #[test]
    fn comments_strings_and_a_huge_list_do_not_mislead_or_stall_it() {
        let text = "(\n  /* units: 1 in a block comment */ name: \"é units: ü\",\n  model: Mlp(\n    hidden: [(units: 0)],\n  ),\n)\n";
        assert_eq!(line(text, "model.hidden[0].units"), Some(4));
        // 200,000 elements: linear, and the last one is found
        let list: Vec<String> = (0..200_000).map(|k| format!("(units: {k})")).collect();
        let text = format!(
            "(\n  model: Mlp(\n    hidden: [\n{}\n],\n  ),\n)\n",
            list.join(",\n")
        );
        assert_eq!(line(&text, "model.hidden[199999].units"), Some(200_003));
    }

    #[test]
    fn wrappers_between_a_key_and_its_fields_are_seen_through() {
        let text = "(\n  model: Lesson(Xor(\n    hidden: 4,\n    epochs: 0,\n  )),\n  exhibit: Some((\n    language: \"xx\",\n  )),\n)\n";
        assert_eq!(line(text, "model.epochs"), Some(4));
        assert_eq!(line(text, "exhibit.language"), Some(7));
    }
}
