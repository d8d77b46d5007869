//! The R-units' names under their lamps: whole and centred where every one fits its column;
//! else every other one a line lower, each cut to the room its neighbours on the same line
//! leave it, the first and last held inside the row.

use bevy::prelude::*;

use super::PanelDraw;
use super::response::{ResponseName, unit_name};
use crate::sim::Bench;
use crate::ui::fonts::advance;
use crate::ui::palette::SMALL_SIZE;
use crate::ui::{Labels, UiFonts};

/// The width the lamps' row may fill: the dial bank's.
pub const ROW_WIDTH: f32 = 436.0;
/// The space between two columns.
pub const COLUMN_GAP: f32 = 4.0;
/// The least space between two names on one line.
const NAME_SPACING: f32 = 6.0;

/// The width of each R-unit's column when `r_units` share the row (a row wraps below 30).
pub fn column_width(r_units: usize) -> f32 {
    (ROW_WIDTH / r_units.max(1) as f32 - COLUMN_GAP).clamp(30.0, 52.0)
}

/// Where a name sits across its column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Place {
    Centred,
    /// From the column's left edge: the first of a line, so it stays inside the row.
    Left,
    /// To the column's right edge: the last of a line.
    Right,
}

/// One name as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedName {
    pub name: String,
    /// A line lower than its neighbours.
    pub lower: bool,
    pub place: Place,
}

/// Places `names` under columns `column` wide, measuring text with `width`.
pub fn place_names(names: &[String], column: f32, width: impl Fn(&str) -> f32) -> Vec<PlacedName> {
    if names.iter().all(|name| width(name) <= column) {
        let centred = |name: &String| PlacedName {
            name: name.clone(),
            lower: false,
            place: Place::Centred,
        };
        return names.iter().map(centred).collect();
    }
    let pitch = column + COLUMN_GAP;
    let per_line = (((ROW_WIDTH + COLUMN_GAP) / pitch).floor() as usize).max(1);
    let place_of = |j: usize| match j % per_line {
        0 => Place::Left,
        at if at + 1 == per_line || j + 1 == names.len() => Place::Right,
        _ => Place::Centred,
    };
    let placed = |(j, name): (usize, &String)| {
        let place = place_of(j);
        // a centred name may reach half a pitch short of the next name on its line; one
        // held at an end reaches as far from its own edge
        let room = match place {
            Place::Centred => 2.0 * pitch - NAME_SPACING,
            Place::Left | Place::Right => pitch + column / 2.0 - NAME_SPACING / 2.0,
        };
        let name = cut_to(name, room, &width);
        // held at an end only if it would stick out of its column
        let place = if width(&name) <= column {
            Place::Centred
        } else {
            place
        };
        PlacedName {
            name,
            lower: j % 2 == 1,
            place,
        }
    };
    names.iter().enumerate().map(placed).collect()
}

/// `name` whole if it fits in `room`, else its longest beginning that fits with a full stop
/// (at least its first letter).
fn cut_to(name: &str, room: f32, width: &impl Fn(&str) -> f32) -> String {
    if width(name) <= room {
        return name.to_string();
    }
    let letters: Vec<char> = name.chars().collect();
    let cut = |keep: usize| {
        letters[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string()
            + "."
    };
    (1..letters.len())
        .rev()
        .map(cut)
        .find(|shown| width(shown) <= room)
        .unwrap_or_else(|| cut(1.min(letters.len())))
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, fit_response_names.in_set(PanelDraw));
}

/// Names the R-units in the panel's language, placed to fit, when the units are grown or
/// the language changes.
fn fit_response_names(
    labels: Res<Labels>,
    bench: Res<Bench>,
    fonts: Res<UiFonts>,
    grown: Query<(), Added<ResponseName>>,
    mut names: Query<(&ResponseName, &mut Text, &mut Node)>,
) {
    if !labels.is_changed() && grown.is_empty() {
        return;
    }
    let r_units = bench.machine().r_units;
    let all: Vec<String> = (0..r_units)
        .map(|j| unit_name(&bench, j, &labels))
        .collect();
    let size = fonts.lettering.size(SMALL_SIZE);
    let placed = place_names(&all, column_width(r_units), |words| {
        advance(words, size, true)
    });
    for (ResponseName(j), mut text, mut node) in &mut names {
        let Some(shown) = placed.get(*j) else {
            continue;
        };
        if text.0 != shown.name {
            text.0 = shown.name.clone();
        }
        let margin = UiRect::top(px(if shown.lower { size * 1.2 } else { 0.0 }));
        let align_self = match shown.place {
            Place::Centred => AlignSelf::Center,
            Place::Left => AlignSelf::FlexStart,
            Place::Right => AlignSelf::FlexEnd,
        };
        if node.margin != margin || node.align_self != align_self {
            node.margin = margin;
            node.align_self = align_self;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// Every letter 10 px wide: room for names is easy to count.
    fn tens(words: &str) -> f32 {
        10.0 * words.chars().count() as f32
    }

    #[test]
    fn names_that_fit_their_columns_stand_centred_on_one_line() {
        let placed = place_names(&words(&["A", "B", "C"]), 30.0, tens);
        assert!(placed.iter().all(|p| !p.lower && p.place == Place::Centred));
        assert_eq!(placed[2].name, "C");
    }

    #[test]
    fn wider_names_alternate_lines_and_are_cut_to_the_room_between_neighbours() {
        // ten columns of 39.6 px, pitch 43.6: a centred name may be 81.2 px, an end one 60.4
        let column = column_width(10);
        assert!((column - 39.6).abs() < 1e-4);
        let names = words(&crate::data::idx::FASHION_MNIST_CLASSES);
        let placed = place_names(&names, column, tens);
        let shown: Vec<&str> = placed.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            shown,
            [
                "T-shi.", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                "Bag", "Ankle."
            ]
        );
        let lower: Vec<bool> = placed.iter().map(|p| p.lower).collect();
        assert_eq!(
            lower,
            [
                false, true, false, true, false, true, false, true, false, true
            ]
        );
        assert_eq!(placed[0].place, Place::Left);
        assert_eq!(placed[9].place, Place::Right);
        assert!(placed[1..9].iter().all(|p| p.place == Place::Centred));
        // an end name that fits its column stands centred like the rest
        let mut short = names.clone();
        short[0] = "Top".into();
        assert_eq!(place_names(&short, column, tens)[0].place, Place::Centred);
        // no two names on one line overlap, and the ends stay inside the row
        let pitch = column + COLUMN_GAP;
        let span = |j: usize| {
            let w = tens(&placed[j].name);
            let left = j as f32 * pitch;
            match placed[j].place {
                Place::Left => (left, left + w),
                Place::Right => (left + column - w, left + column),
                Place::Centred => (left + (column - w) / 2.0, left + (column + w) / 2.0),
            }
        };
        for j in 2..10 {
            assert!(span(j - 2).1 + NAME_SPACING <= span(j).0 + 1e-3, "{j}");
        }
        assert!(span(0).0 >= 0.0 && span(9).1 <= ROW_WIDTH);
    }

    #[test]
    fn a_name_with_no_room_keeps_its_first_letter_and_a_wrapped_row_holds_its_ends_in() {
        assert_eq!(cut_to("Wide", 5.0, &tens), "W.");
        assert_eq!(cut_to("", 5.0, &tens), "");
        assert_eq!(cut_to("Ab cd", 35.0, &tens), "Ab.");
        // 26 columns of 30 px wrap after 12: each line's first is held left, its last right
        let names: Vec<String> = (0..26).map(|j| format!("Class {j:02}")).collect();
        let placed = place_names(&names, column_width(26), tens);
        for (j, p) in placed.iter().enumerate() {
            let expected = match j % 12 {
                0 => Place::Left,
                11 => Place::Right,
                _ if j == 25 => Place::Right,
                _ => Place::Centred,
            };
            assert_eq!(p.place, expected, "{j}");
        }
    }

    #[test]
    fn the_measured_width_is_the_faces_advance_at_the_em_size() {
        use ab_glyph::{Font, FontRef};
        let face = FontRef::try_from_slice(crate::ui::fonts::SANS_BOLD).unwrap();
        let em = face.units_per_em().unwrap();
        // at one pixel to the font unit, the advances in the face's own table
        let words = "Sneaker 7";
        let units: f32 = words
            .chars()
            .map(|c| face.h_advance_unscaled(face.glyph_id(c)))
            .sum();
        assert!((advance(words, em, true) - units).abs() < 0.01);
        // and in proportion at the panel's sizes: about 62 px at 12 px to the em
        let at_12 = advance(words, 12.0, true);
        assert!((at_12 - units * 12.0 / em).abs() < 0.01);
        assert!((50.0..75.0).contains(&at_12), "{at_12}");
        assert!(advance("iii", 12.0, false) < advance("MMM", 12.0, false));
    }
}
