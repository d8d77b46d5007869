//! A stroke on the retina is a line: it inks every cell between successive pointer positions,
//! the press point first, however far the pointer jumped between two frames.

use bevy::math::Vec2;

/// What draws a stroke: the mouse or one finger on a touch screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pen {
    Mouse,
    Finger(u64),
}

/// The stroke in progress. Positions are in cell units of the grid: x across, y down, cell
/// (column c, row r) covering `[c, c+1) x [r, r+1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    pub pen: Pen,
    last: Vec2,
    /// Paints (true) or erases (false), decided by the cell pressed first.
    ink: bool,
}

impl Stroke {
    /// Starts a stroke of `pen` at `at` on `cells` (rows of `width`): painting when the cell
    /// pressed is dark, erasing when it is lit. None when `at` is off the grid.
    pub fn begin(pen: Pen, at: Vec2, cells: &mut [bool], width: usize) -> Option<Stroke> {
        let first = cell_at(at, width, cells.len() / width.max(1))?;
        let ink = !cells[first];
        cells[first] = ink;
        Some(Stroke { pen, last: at, ink })
    }

    /// Moves the stroke to `to`, inking every cell the straight line from the last position
    /// crosses. Returns whether any cell changed.
    pub fn extend(&mut self, to: Vec2, cells: &mut [bool], width: usize) -> bool {
        let height = cells.len() / width.max(1);
        let mut changed = false;
        for cell in cells_crossed(self.last, to, width, height) {
            changed |= cells[cell] != self.ink;
            cells[cell] = self.ink;
        }
        self.last = to;
        changed
    }
}

/// The cell under `at`, if it is on a `width` x `height` grid.
pub fn cell_at(at: Vec2, width: usize, height: usize) -> Option<usize> {
    let (column, row) = (at.x.floor(), at.y.floor());
    let on_grid = at.is_finite()
        && column >= 0.0
        && row >= 0.0
        && column < width as f32
        && row < height as f32;
    on_grid.then(|| row as usize * width + column as usize)
}

/// Grid cells (index `row * width + column`) that the segment from `from` to `to` passes
/// through, in order from `from`; parts of the segment off the grid add nothing. A grid
/// traversal (Amanatides and Woo): from each cell to the neighbour whose border the line
/// meets first, so no crossed cell is skipped however long the segment.
pub fn cells_crossed(from: Vec2, to: Vec2, width: usize, height: usize) -> Vec<usize> {
    if !from.is_finite() || !to.is_finite() {
        return Vec::new();
    }
    // far off the grid is as good as just off it: bounds the walk
    let margin = Vec2::splat(2.0);
    let limit = Vec2::new(width as f32, height as f32) + margin;
    let (from, to) = (from.clamp(-margin, limit), to.clamp(-margin, limit));
    let (mut column, mut row) = (from.x.floor() as i64, from.y.floor() as i64);
    let (last_column, last_row) = (to.x.floor() as i64, to.y.floor() as i64);
    let steps = (last_column - column).abs() + (last_row - row).abs();
    let delta = to - from;
    let axis = |start: f32, cell: i64, d: f32| -> (i64, f32, f32) {
        if d > 0.0 {
            (1, ((cell + 1) as f32 - start) / d, 1.0 / d)
        } else if d < 0.0 {
            (-1, (start - cell as f32) / -d, -1.0 / d)
        } else {
            (0, f32::INFINITY, f32::INFINITY)
        }
    };
    let (step_x, mut next_x, span_x) = axis(from.x, column, delta.x);
    let (step_y, mut next_y, span_y) = axis(from.y, row, delta.y);
    let mut crossed = Vec::with_capacity(steps as usize + 1);
    let mut visit = |column: i64, row: i64| {
        if (0..width as i64).contains(&column) && (0..height as i64).contains(&row) {
            crossed.push(row as usize * width + column as usize);
        }
    };
    visit(column, row);
    for _ in 0..steps {
        let toward_x = if column == last_column {
            false
        } else if row == last_row {
            true
        } else {
            next_x < next_y
        };
        if toward_x {
            column += step_x;
            next_x += span_x;
        } else {
            row += step_y;
            next_y += span_y;
        }
        visit(column, row);
    }
    crossed
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 20;

    fn centre(column: usize, row: usize) -> Vec2 {
        Vec2::new(column as f32 + 0.5, row as f32 + 0.5)
    }

    #[test]
    fn a_quick_swipe_across_eight_cells_lights_all_eight() {
        // one pointer sample per frame: the press at column 3, the next frame already at 10
        let mut cells = vec![false; W * W];
        let mut stroke = Stroke::begin(Pen::Mouse, centre(3, 6), &mut cells, W).unwrap();
        assert!(stroke.extend(centre(10, 6), &mut cells, W));
        let lit: Vec<usize> = (0..cells.len()).filter(|&k| cells[k]).collect();
        assert_eq!(lit, (123..=130).collect::<Vec<_>>());
    }

    #[test]
    fn the_press_point_is_painted_before_any_move() {
        let mut cells = vec![false; W * W];
        Stroke::begin(Pen::Finger(7), centre(0, 0), &mut cells, W).unwrap();
        assert_eq!(cells.iter().filter(|&&c| c).count(), 1);
        assert!(cells[0]);
        assert!(Stroke::begin(Pen::Mouse, Vec2::new(-0.1, 3.0), &mut cells, W).is_none());
        assert!(Stroke::begin(Pen::Mouse, Vec2::new(20.0, 3.0), &mut cells, W).is_none());
    }

    #[test]
    fn a_diagonal_line_crosses_each_cell_it_passes_through_edge_to_edge() {
        // from (0.5, 0.5) to (3.5, 2.5): slope 2/3, hand-traced through the grid lines
        let crossed = cells_crossed(centre(0, 0), centre(3, 2), W, W);
        let as_pairs: Vec<(usize, usize)> = crossed.iter().map(|&k| (k % W, k / W)).collect();
        assert_eq!(
            as_pairs,
            vec![(0, 0), (1, 0), (1, 1), (2, 1), (2, 2), (3, 2)]
        );
        // every step moves to an edge neighbour: no diagonal jumps, so the line has no gaps
        for pair in as_pairs.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            assert_eq!(a.0.abs_diff(b.0) + a.1.abs_diff(b.1), 1, "{pair:?}");
        }
    }

    #[test]
    fn an_erasing_stroke_clears_and_a_segment_off_the_grid_is_clipped() {
        let mut cells = vec![true; W * W];
        // pressed on a lit cell: the stroke erases
        let mut stroke = Stroke::begin(Pen::Mouse, centre(18, 1), &mut cells, W).unwrap();
        // out past the right edge and back in lower down
        stroke.extend(Vec2::new(40.0, 1.5), &mut cells, W);
        stroke.extend(Vec2::new(19.5, 4.5), &mut cells, W);
        let cleared: Vec<usize> = (0..cells.len()).filter(|&k| !cells[k]).collect();
        assert!(cleared.starts_with(&[38, 39]), "{cleared:?}");
        assert!(cleared.contains(&(4 * W + 19)), "{cleared:?}");
        assert!(cleared.iter().all(|&k| k % W >= 18), "{cleared:?}");
        // nothing finite, nothing drawn; a segment wholly off the grid draws nothing
        assert!(cells_crossed(Vec2::NAN, centre(1, 1), W, W).is_empty());
        assert!(cells_crossed(Vec2::new(-5e9, 1.0), Vec2::new(-3.0, 9.0), W, W).is_empty());
        // a jump from far away walks from just off the grid: the corner staircase to (5, 5)
        let from_afar = cells_crossed(Vec2::new(-1e30, -1e30), centre(5, 5), W, W);
        assert_eq!(from_afar.len(), 11, "{from_afar:?}");
        assert_eq!((from_afar[0], from_afar[10]), (0, 105));
    }

    #[test]
    fn a_stationary_or_reversing_pointer_keeps_its_cells() {
        let mut cells = vec![false; W * W];
        let mut stroke = Stroke::begin(Pen::Mouse, centre(5, 5), &mut cells, W).unwrap();
        assert!(!stroke.extend(centre(5, 5) + Vec2::splat(0.2), &mut cells, W));
        stroke.extend(centre(2, 5), &mut cells, W);
        stroke.extend(centre(7, 5), &mut cells, W);
        let lit: Vec<usize> = (0..cells.len()).filter(|&k| cells[k]).collect();
        assert_eq!(lit, (102..=107).collect::<Vec<_>>());
    }
}
