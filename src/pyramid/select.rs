//! Which tiles to draw for a view: a pure function of the view and the
//! pyramid's geometry.

use std::ops::Range;

use super::layout::{FACTOR, Geometry, Level, TILE, TileId};

/// What a heatmap panel shows: the visible part of the matrix, in matrix
/// rows and columns (fractional, and possibly beyond the matrix), and how
/// many screen pixels one matrix row and one column take.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub rows: Range<f64>,
    pub cols: Range<f64>,
    pub px_per_row: f64,
    pub px_per_col: f64,
}

/// The tiles to draw for a view.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// The level whose cells come closest to one per pixel on each axis.
    pub level: Level,
    /// Tiles of `level` that cover the visible part of the matrix, row-major.
    pub tiles: Vec<TileId>,
    /// Tiles of the next coarser level covering the same part: drawn
    /// underneath while tiles of `level` load. Empty at the coarsest level.
    pub fallback: Vec<TileId>,
}

/// The level for an axis: the one whose cells per pixel are nearest to 1 on
/// a log scale, so between 1/2 and 2 cells fall on a pixel (fewer when
/// zoomed in past the full resolution, more only past the coarsest level).
/// Every matrix cell reaches the pixels its aggregate covers.
pub fn axis_level(px_per_cell: f64, levels: u32) -> u32 {
    let cells_per_px = 1.0 / px_per_cell;
    // Zoomed in, or a degenerate (NaN) scale: full resolution.
    if cells_per_px.is_nan() || cells_per_px <= 1.0 {
        return 0;
    }
    let ideal = (cells_per_px.ln() / (FACTOR as f64).ln()).round();
    (ideal as u32).min(levels - 1)
}

/// The tiles of `geometry` to draw for `view`.
pub fn select(geometry: &Geometry, view: &View) -> Selection {
    let (row_levels, col_levels) = geometry.level_counts();
    let level = Level { row: axis_level(view.px_per_row, row_levels), col: axis_level(view.px_per_col, col_levels) };
    let coarser = Level { row: (level.row + 1).min(row_levels - 1), col: (level.col + 1).min(col_levels - 1) };
    let fallback = if coarser == level { Vec::new() } else { covering(geometry, view, coarser) };
    Selection { level, tiles: covering(geometry, view, level), fallback }
}

/// Tiles of `level` covering the visible part of the matrix.
fn covering(geometry: &Geometry, view: &View, level: Level) -> Vec<TileId> {
    let (rows, cols) = geometry.shape();
    let tile_span = |range: &Range<f64>, n: usize, shrink: u32| -> Range<u32> {
        let start = range.start.max(0.0);
        let end = range.end.min(n as f64);
        if start.is_nan() || end.is_nan() || end <= start {
            return 0..0;
        }
        // Matrix cells [start, end) lie in cells [first, last] of the level.
        let per_cell = (FACTOR as f64).powi(shrink as i32);
        let first = (start / per_cell).floor() as usize;
        let last = ((end / per_cell).ceil() as usize).max(first + 1) - 1;
        (first / TILE) as u32..(last / TILE) as u32 + 1
    };
    let ty = tile_span(&view.rows, rows, level.row);
    let tx = tile_span(&view.cols, cols, level.col);
    ty.flat_map(|ty| tx.clone().map(move |tx| TileId { level, ty, tx })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(rows: Range<f64>, cols: Range<f64>, height: f64, width: f64) -> View {
        let px_per_row = height / (rows.end - rows.start);
        let px_per_col = width / (cols.end - cols.start);
        View { rows, cols, px_per_row, px_per_col }
    }

    /// Checks that the tiles cover every visible cell of their level exactly
    /// once, and none outside the view's tile span.
    fn assert_exact_cover(g: &Geometry, v: &View, s: &Selection) {
        let (rows, cols) = g.shape();
        let per = |shrink: u32| (FACTOR as f64).powi(shrink as i32);
        let (r0, r1) = (v.rows.start.max(0.0), v.rows.end.min(rows as f64));
        let (c0, c1) = (v.cols.start.max(0.0), v.cols.end.min(cols as f64));
        let first_row = (r0 / per(s.level.row)).floor() as usize;
        let end_row = (r1 / per(s.level.row)).ceil() as usize;
        let first_col = (c0 / per(s.level.col)).floor() as usize;
        let end_col = (c1 / per(s.level.col)).ceil() as usize;
        let mut covered = std::collections::HashMap::new();
        for &tile in &s.tiles {
            assert_eq!(tile.level, s.level);
            let rect = g.tile_rect(tile);
            let mut useful = false;
            for r in rect.row..rect.row + rect.height {
                for c in rect.col..rect.col + rect.width {
                    *covered.entry((r, c)).or_insert(0) += 1;
                    useful |= (first_row..end_row).contains(&r) && (first_col..end_col).contains(&c);
                }
            }
            assert!(useful, "tile {tile:?} shows nothing of the view");
        }
        for r in first_row..end_row {
            for c in first_col..end_col {
                assert_eq!(covered.get(&(r, c)), Some(&1), "cell ({r}, {c}) of {:?}", s.level);
            }
        }
    }

    #[test]
    fn the_whole_tall_matrix_uses_deep_row_levels_and_full_columns() {
        let g = Geometry::new(1_000_000, 100);
        let v = view(0.0..1_000_000.0, 0.0..100.0, 800.0, 1200.0);
        let s = select(&g, &v);
        // 1250 rows per pixel: 4⁵ = 1024 is the nearest level.
        assert_eq!(s.level, Level { row: 5, col: 0 });
        assert_eq!(s.tiles.len(), 4, "977 level rows in 4 tiles, 100 columns in 1");
        assert_eq!(s.fallback, vec![TileId { level: Level { row: 6, col: 0 }, ty: 0, tx: 0 }]);
        assert_exact_cover(&g, &v, &s);
    }

    #[test]
    fn zoomed_past_a_single_cell_draws_one_full_resolution_tile() {
        let g = Geometry::new(5000, 5000);
        let v = view(1000.2..1000.7, 3000.0..3000.5, 900.0, 900.0);
        let s = select(&g, &v);
        assert_eq!(s.level, Level::BASE);
        assert_eq!(s.tiles, vec![TileId { level: Level::BASE, ty: 3, tx: 11 }]);
        assert_exact_cover(&g, &v, &s);
    }

    #[test]
    fn views_beyond_the_edges_are_clipped_to_the_matrix() {
        let g = Geometry::new(300, 700);
        let v = view(-50.0..250.0, 500.0..900.0, 300.0, 400.0);
        let s = select(&g, &v);
        assert_eq!(s.level, Level::BASE);
        let ids: Vec<_> = s.tiles.iter().map(|t| (t.ty, t.tx)).collect();
        assert_eq!(ids, [(0, 1), (0, 2)]);
        assert_exact_cover(&g, &v, &s);
        let outside = view(400.0..500.0, 0.0..10.0, 100.0, 100.0);
        assert!(select(&g, &outside).tiles.is_empty());
    }

    #[test]
    fn a_wide_matrix_shrinks_columns_only() {
        let g = Geometry::new(100, 200_000);
        let v = view(0.0..100.0, 0.0..200_000.0, 500.0, 1600.0);
        let s = select(&g, &v);
        // 125 columns per pixel: 4³ = 64 < 125 < 4⁴, and log₄ 125 ≈ 3.48 rounds to 3.
        assert_eq!(s.level, Level { row: 0, col: 3 });
        assert_exact_cover(&g, &v, &s);
    }

    #[test]
    fn random_views_are_covered_exactly_by_a_bounded_number_of_tiles() {
        let g = Geometry::new(70_000, 9_000);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..200 {
            let (height, width) = (100.0 + 900.0 * next(), 100.0 + 1500.0 * next());
            let row_span = 70_000f64.powf(next()).max(0.5);
            let col_span = 9_000f64.powf(next()).max(0.5);
            let r0 = next() * 70_000.0 - row_span / 2.0;
            let c0 = next() * 9_000.0 - col_span / 2.0;
            let v = view(r0..r0 + row_span, c0..c0 + col_span, height, width);
            let s = select(&g, &v);
            assert_exact_cover(&g, &v, &s);
            // Fewer than 2 level cells per pixel on each axis (when not at the
            // coarsest level), so the tiles span at most about 2 screens per
            // axis plus the partial tiles at the edges.
            let bound = |px: f64| ((2.0 * px) / TILE as f64).ceil() as usize + 1;
            assert!(s.tiles.len() <= bound(height) * bound(width), "{} tiles for {v:?}", s.tiles.len());
        }
    }

    #[test]
    fn a_tile_parent_covers_it() {
        let g = Geometry::new(100_000, 3000);
        let tile = TileId { level: Level { row: 1, col: 0 }, ty: 13, tx: 9 };
        let parent = g.parent(tile).unwrap();
        assert_eq!(parent, TileId { level: Level { row: 2, col: 1 }, ty: 3, tx: 2 });
        let (child, up) = (g.tile_rect(tile), g.tile_rect(parent));
        assert!(up.row * 4 <= child.row && (child.row + child.height) <= (up.row + up.height) * 4);
        assert!(up.col * 4 <= child.col && (child.col + child.width) <= (up.col + up.width) * 4);
        let top = TileId { level: Level { row: 5, col: 2 }, ty: 0, tx: 0 };
        assert_eq!(g.level_counts(), (6, 3));
        assert_eq!(g.parent(top), None);
    }
}
