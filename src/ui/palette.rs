//! The panel's colours and sizes, in one place.
//!
//! Colours follow Paul Tol's colour-blind-safe "bright" and "vibrant" schemes; every state is
//! also told by brightness or shape (lit lamps are bright and full, unlit ones dark rings;
//! excitatory wires are a plus, inhibitory a minus; right answers a filled square, wrong a cross).

use bevy::prelude::*;

/// The panel is laid out for this window size and scaled to fit any other.
pub const DESIGN_SIZE: Vec2 = Vec2::new(1280.0, 720.0);

pub const BACKGROUND: Color = Color::srgb(0.086, 0.094, 0.102);
pub const PANEL: Color = Color::srgb(0.145, 0.153, 0.161);
pub const PANEL_EDGE: Color = Color::srgb(0.30, 0.31, 0.32);
pub const ENGRAVING: Color = Color::srgb(0.86, 0.84, 0.78);
pub const DIM_TEXT: Color = Color::srgb(0.60, 0.60, 0.58);

/// A lamp that is lit: warm white, like an incandescent indicator.
pub const LAMP_ON: Color = Color::srgb(1.0, 0.92, 0.62);
/// A lamp that is dark: a dim socket with a visible rim.
pub const LAMP_OFF: Color = Color::srgb(0.17, 0.16, 0.14);
pub const LAMP_RIM: Color = Color::srgb(0.36, 0.34, 0.30);
pub const SELECTED: Color = Color::srgb(0.40, 0.80, 0.93);

/// Tol vibrant orange: excitatory wires, wrong answers, the MLP's lines.
pub const WARM: Color = Color::srgb(0.93, 0.47, 0.20);
/// Tol vibrant blue: inhibitory wires, right answers, the Mark I's lines.
pub const COOL: Color = Color::srgb(0.0, 0.47, 0.73);
pub const COOL_LIGHT: Color = Color::srgb(0.40, 0.80, 0.93);

pub const BUTTON: Color = Color::srgb(0.22, 0.23, 0.24);
pub const BUTTON_HOVER: Color = Color::srgb(0.30, 0.31, 0.33);
pub const BUTTON_ACTIVE: Color = Color::srgb(0.12, 0.40, 0.55);
pub const ERROR_TEXT: Color = Color::srgb(1.0, 0.55, 0.45);

pub const TITLE_SIZE: f32 = 24.0;
pub const HEADING_SIZE: f32 = 15.0;
pub const LABEL_SIZE: f32 = 15.0;
pub const SMALL_SIZE: f32 = 12.0;

/// Retina lamps: 20 x 20 at this pitch fills the retina board.
pub const RETINA_BOARD: f32 = 264.0;
/// A-unit lamps per row of the bank (512 = 32 x 16).
pub const A_BANK_COLUMNS: usize = 32;
pub const A_LAMP: f32 = 11.0;
pub const A_LAMP_GAP: f32 = 2.0;
/// Buttons are at least this tall: touch targets of 48 px (WCAG 2.5.5 asks 44, Material 48).
pub const BUTTON_HEIGHT: f32 = 48.0;

/// `Color` as 8-bit sRGBA for CPU-drawn textures.
pub fn rgba(color: Color) -> [u8; 4] {
    color.to_srgba().to_u8_array()
}
