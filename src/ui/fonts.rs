//! The typefaces on screen: DejaVu Sans and its bold, shipped in `assets/fonts` and built
//! in, so nothing is looked up at run time.

use bevy::prelude::*;

/// DejaVu Sans, for running text.
pub const SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, for engraved headings and labels: the same bytes the letter sets are
/// drawn with (`data::draw`), built in once.
pub const SANS_BOLD: &[u8] = crate::data::draw::TYPEFACE_SANS;

/// The typefaces, loaded once for every page (panel, exhibit, lessons).
#[derive(Resource, Clone)]
pub struct UiFonts {
    pub regular: Handle<Font>,
    pub bold: Handle<Font>,
}

impl UiFonts {
    /// The face to set text in at `size` layout pixels.
    pub fn face(&self, bold: bool, size: f32) -> TextFont {
        TextFont {
            font: if bold { &self.bold } else { &self.regular }.clone().into(),
            font_size: bevy::text::FontSize::Px(size),
            ..default()
        }
    }
}

pub(super) fn load_fonts(mut commands: Commands, mut fonts: ResMut<Assets<Font>>) {
    commands.insert_resource(UiFonts {
        regular: fonts.add(Font::from_bytes(SANS.to_vec())),
        bold: fonts.add(Font::from_bytes(SANS_BOLD.to_vec())),
    });
}

/// Text in the UI's face: `bold` for engraved headings and lamp labels.
pub fn text<S: Into<String>>(
    fonts: &UiFonts,
    value: S,
    size: f32,
    color: Color,
    bold: bool,
) -> impl Bundle + use<S> {
    (Text::new(value), fonts.face(bold, size), TextColor(color))
}
