//! The shape of a pyramid: levels, tiles and where each one lies.
//!
//! Level `(r, c)` shrinks rows by `FACTOR^r` and columns by `FACTOR^c`
//! (a rip-map: each axis has its own level, so a 1,000,000 × 100 matrix can
//! be shrunk along its rows alone). Each axis gets levels until it fits in
//! one tile. Every level is cut into tiles of `TILE × TILE` cells; the tiles
//! on the bottom and right edges are smaller.

/// Cells along each side of a tile.
pub const TILE: usize = 256;
/// How many cells of a level become one cell of the next, along one axis.
pub const FACTOR: usize = 4;

/// A level: how many times rows and columns were shrunk by [`FACTOR`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Level {
    pub row: u32,
    pub col: u32,
}

impl Level {
    /// The full-resolution level.
    pub const BASE: Level = Level { row: 0, col: 0 };

    /// Whether cells of this level aggregate several matrix cells.
    pub fn is_aggregate(self) -> bool {
        self != Level::BASE
    }
}

/// One tile: its level and its tile row and column within the level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub level: Level,
    pub ty: u32,
    pub tx: u32,
}

/// A rectangle of cells of one level: first row, first column, height, width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellRect {
    pub row: usize,
    pub col: usize,
    pub height: usize,
    pub width: usize,
}

/// The levels and tiles of a `rows × cols` matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    rows: usize,
    cols: usize,
    row_levels: u32,
    col_levels: u32,
}

/// Number of levels for an axis of `n` cells: shrink until one tile holds it.
fn levels_for(mut n: usize) -> u32 {
    let mut levels = 1;
    while n > TILE {
        n = n.div_ceil(FACTOR);
        levels += 1;
    }
    levels
}

impl Geometry {
    /// The geometry of a `rows × cols` matrix (both at least 1).
    pub fn new(rows: usize, cols: usize) -> Self {
        Geometry { rows, cols, row_levels: levels_for(rows), col_levels: levels_for(cols) }
    }

    /// Matrix rows and columns.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Number of row levels and column levels.
    pub fn level_counts(&self) -> (u32, u32) {
        (self.row_levels, self.col_levels)
    }

    /// Every level, row-level-major.
    pub fn levels(&self) -> impl Iterator<Item = Level> + '_ {
        (0..self.row_levels).flat_map(move |row| (0..self.col_levels).map(move |col| Level { row, col }))
    }

    /// Rows and columns of cells at `level`.
    pub fn level_shape(&self, level: Level) -> (usize, usize) {
        (shrink(self.rows, level.row), shrink(self.cols, level.col))
    }

    /// Tile rows and tile columns at `level`.
    pub fn tile_counts(&self, level: Level) -> (u32, u32) {
        let (r, c) = self.level_shape(level);
        (r.div_ceil(TILE) as u32, c.div_ceil(TILE) as u32)
    }

    /// Whether the pyramid has this tile.
    pub fn contains(&self, tile: TileId) -> bool {
        let (row_levels, col_levels) = self.level_counts();
        if tile.level.row >= row_levels || tile.level.col >= col_levels {
            return false;
        }
        let (ty, tx) = self.tile_counts(tile.level);
        tile.ty < ty && tile.tx < tx
    }

    /// The cells a tile covers, in its level's cells.
    pub fn tile_rect(&self, tile: TileId) -> CellRect {
        let (r, c) = self.level_shape(tile.level);
        let (row, col) = (tile.ty as usize * TILE, tile.tx as usize * TILE);
        CellRect { row, col, height: TILE.min(r - row), width: TILE.min(c - col) }
    }

    /// The tile one level coarser on each axis (where there is one) that
    /// covers `tile`: what to draw while `tile` is loading.
    pub fn parent(&self, tile: TileId) -> Option<TileId> {
        let row_up = tile.level.row + 1 < self.row_levels;
        let col_up = tile.level.col + 1 < self.col_levels;
        if !row_up && !col_up {
            return None;
        }
        let up = |index: u32, moved: bool| if moved { index / FACTOR as u32 } else { index };
        let level = Level { row: tile.level.row + u32::from(row_up), col: tile.level.col + u32::from(col_up) };
        Some(TileId { level, ty: up(tile.ty, row_up), tx: up(tile.tx, col_up) })
    }

    /// Cells stored for the whole pyramid at full resolution and at the
    /// aggregate levels.
    pub fn cell_counts(&self) -> (u64, u64) {
        let all: u64 = self.levels().map(|l| self.level_shape(l)).map(|(r, c)| (r * c) as u64).sum();
        let base = (self.rows * self.cols) as u64;
        (base, all - base)
    }
}

/// Cells left of an axis of `n` after shrinking it `times` times.
pub fn shrink(n: usize, times: u32) -> usize {
    let mut n = n;
    for _ in 0..times {
        n = n.div_ceil(FACTOR);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_axis_shrinks_until_one_tile_holds_it() {
        let g = Geometry::new(1_000_000, 100);
        // 1,000,000 → 250,000 → 62,500 → 15,625 → 3,907 → 977 → 245.
        assert_eq!(g.level_counts(), (7, 1));
        assert_eq!(g.level_shape(Level { row: 6, col: 0 }), (245, 100));
        assert_eq!(g.level_shape(Level { row: 5, col: 0 }), (977, 100));
        assert_eq!(Geometry::new(256, 257).level_counts(), (1, 2));
        assert_eq!(Geometry::new(1, 1).level_counts(), (1, 1));
    }

    #[test]
    fn edge_tiles_are_cut_to_the_level() {
        let g = Geometry::new(600, 300);
        let level = Level::BASE;
        assert_eq!(g.tile_counts(level), (3, 2));
        let edge = g.tile_rect(TileId { level, ty: 2, tx: 1 });
        assert_eq!(edge, CellRect { row: 512, col: 256, height: 88, width: 44 });
    }

    #[test]
    fn a_tall_matrix_stores_about_a_third_more_cells() {
        let (base, aggregate) = Geometry::new(1_000_000, 1000).cell_counts();
        assert_eq!(base, 1_000_000_000);
        // Rows: 1 + 1/4 + 1/16 + … ≈ 4/3; columns 1000 and 250: 5/4.
        let ratio = aggregate as f64 / base as f64;
        assert!((ratio - (4.0 / 3.0 * 1.25 - 1.0)).abs() < 0.01, "{ratio}");
    }
}
