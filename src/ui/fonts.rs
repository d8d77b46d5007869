//! The typefaces on screen: DejaVu Sans and its bold, shipped in `assets/fonts` and built
//! in, so nothing is looked up at run time.

use bevy::prelude::*;

pub use crate::scene::exhibit::Lettering;

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
    /// How large the page sets its type (a classroom's projector sets it larger).
    pub lettering: Lettering,
}

/// The lettering a page asks for, before the fonts are loaded (the desk's when absent).
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct PageLettering(pub Lettering);

impl UiFonts {
    /// Fonts that never load: for headless tests of what a page spawns.
    #[cfg(test)]
    pub fn unloaded() -> Self {
        Self {
            regular: Handle::default(),
            bold: Handle::default(),
            lettering: Lettering::default(),
        }
    }

    /// The face to set text in that the desk layout sets at `size` layout pixels.
    pub fn face(&self, bold: bool, size: f32) -> TextFont {
        self.face_at(bold, self.lettering.size(size))
    }

    /// The face of an engraved heading the desk sets at `size`.
    pub fn heading_face(&self, size: f32) -> TextFont {
        self.face_at(true, self.lettering.heading(size))
    }

    /// Whether the type is set for a projector, where a page leaves out its small print.
    pub fn on_projector(&self) -> bool {
        self.lettering == Lettering::Projector
    }

    /// Shown at a desk, left out on a projector (hints for whoever stands at the screen).
    pub fn desk_only(&self) -> Node {
        Node {
            display: if self.on_projector() {
                Display::None
            } else {
                Display::Flex
            },
            ..default()
        }
    }

    /// How much smaller a page draws its pictures (plots, dials) to make room for a
    /// projector's larger type; 1 at a desk.
    pub fn picture_scale(&self) -> f32 {
        if self.on_projector() { 0.8 } else { 1.0 }
    }

    fn face_at(&self, bold: bool, size: f32) -> TextFont {
        TextFont {
            font: if bold { &self.bold } else { &self.regular }.clone().into(),
            font_size: bevy::text::FontSize::Px(size),
            ..default()
        }
    }
}

pub(super) fn load_fonts(
    mut commands: Commands,
    mut fonts: ResMut<Assets<Font>>,
    lettering: Option<Res<PageLettering>>,
) {
    commands.insert_resource(UiFonts {
        regular: fonts.add(Font::from_bytes(SANS.to_vec())),
        bold: fonts.add(Font::from_bytes(SANS_BOLD.to_vec())),
        lettering: lettering.map(|l| l.0).unwrap_or_default(),
    });
}

/// The width in layout pixels of `words` set on one line at `size` pixels to the em in the
/// built-in face (bold or regular): the glyphs' advances, as the page's text layout sets them
/// (without kerning, which these faces barely use).
pub fn advance(words: &str, size: f32, bold: bool) -> f32 {
    use ab_glyph::{Font as _, FontRef, ScaleFont};
    let Ok(face) = FontRef::try_from_slice(if bold { SANS_BOLD } else { SANS }) else {
        return 0.0;
    };
    let Some(units_per_em) = face.units_per_em() else {
        return 0.0;
    };
    // ab_glyph scales by the face's height (ascent less descent), the layout by its em
    let scaled = face.as_scaled(size * face.height_unscaled() / units_per_em);
    words
        .chars()
        .map(|c| scaled.h_advance(face.glyph_id(c)))
        .sum()
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
