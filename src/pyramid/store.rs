//! The pyramid file: format, validation on open, and reading tiles.
//!
//! Layout, version 6 (integers little-endian):
//!
//! | offset | bytes | field |
//! |-------:|------:|-------|
//! | 0   | 8 | magic `HSPYRAMD` |
//! | 8   | 4 | format version, 6 |
//! | 12  | 4 | tile side in cells, 256 |
//! | 16  | 4 | shrink factor per level, 4 |
//! | 24  | 8 | matrix rows |
//! | 32  | 8 | matrix columns |
//! | 40  | 8 | key: hash of the matrix fingerprint, both orders and the version |
//! | 48  | 8 | total file length |
//! | 56  | 4 | min (`f32`, NaN when every value is missing) |
//! | 60  | 4 | max |
//! | 64  | 8 | mean (`f64`) |
//! | 72  | 8 | NaN count |
//! | 80  | 8 | finite count |
//! | 88  | 4 | 2nd percentile |
//! | 92  | 4 | 98th percentile |
//! | 96  | 8 | values sampled for the percentiles |
//! | 104 | 8 | checksum of the tile rows ([`crate::hash`]: xxh3 of each, seeded with its offset) |
//! | 112 | 8 | FNV-1a checksum of bytes 0..112 |
//!
//! Every other byte before the first tile and between levels is zero.
//! From byte 4096, the levels in [`Geometry::levels`] order but the three
//! finest, (0, 0), (0, 1) and (1, 0), each starting 64-aligned; within a
//! level, tiles by tile row then tile column (so a tile row of the level is
//! contiguous). The three finest are not stored: their tiles are made from
//! the matrix itself through the two orders when asked for, the
//! full-resolution level's values as they are and the other two's cells as
//! the build makes them (version 1 stored them all, twice the matrix for
//! 1,000,000 × 1,000 in all; version 3 stored level (1, 0), 60% of the
//! rest). An aggregate tile is a centre and a scale (`f32`
//! each), then for each cell the mean, minimum and maximum of the finite
//! matrix cells under it as `f16` in units of the tile: value = centre +
//! scale × stored. Per-tile scaling bounds the `f16` error by 1/8192 of the
//! tile's own value range (NaN where every cell under it is missing).
//!
//! Every byte is checked when the file is opened, the tiles read in
//! parallel against the header's checksum (BENCHMARKS.md: 0.15 s for the
//! 1 GB pyramid of 1,000,000 × 1,000 in the page cache, 0.6 s from disk),
//! so that a damaged tile is never drawn. The build hashes each tile row as it writes it.

use std::fs::File;
use std::path::Path;

use half::f16;
use memmap2::Mmap;
use rayon::prelude::*;

use super::layout::{CellRect, FACTOR, Geometry, Level, TILE, TileId};
use crate::hash::{check_bar, fnv1a, piece_hash};
use crate::input::MatrixValues;
use crate::input::cache::Unusable;
use crate::mmap::{self, map_readonly};

pub(crate) const MAGIC: &[u8; 8] = b"HSPYRAMD";
/// Bump when the layout or the meaning of a field changes.
pub const FORMAT_VERSION: u32 = 6;
pub(crate) const HEADER_LEN: usize = 120;
pub(crate) const DATA_OFFSET: u64 = 4096;
/// Bytes of an aggregate tile's centre and scale.
pub(crate) const TILE_HEADER: usize = 8;
/// Bytes per aggregate cell: mean, min, max as `f16`.
pub(crate) const AGGREGATE_CELL: usize = 6;

/// Statistics of all matrix values, for colour scales.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueStats {
    /// Smallest and largest finite value (NaN when there is none).
    pub min: f32,
    pub max: f32,
    /// Mean of the finite values (NaN when there is none).
    pub mean: f64,
    pub nan_count: u64,
    pub finite_count: u64,
    /// 2nd and 98th percentiles of the finite values (numpy's: linear
    /// between the nearest ranks), from a uniform random
    /// sample of about 2²⁰ of them (all of them in smaller matrices): by the
    /// Dvoretzky–Kiefer–Wolfowitz inequality their rank is within 0.2
    /// percentage points of the true one with probability above 99.9%.
    pub p02: f32,
    pub p98: f32,
    pub sampled: u64,
}

/// Where each level and tile lies in the file.
#[derive(Clone, Debug)]
pub(crate) struct FileLayout {
    pub geometry: Geometry,
    level_offsets: Vec<u64>,
    pub total: u64,
}

impl FileLayout {
    pub fn new(geometry: Geometry) -> Self {
        let mut level_offsets = Vec::new();
        let mut at = DATA_OFFSET;
        for level in geometry.levels() {
            if !is_stored(level) {
                // Made from the matrix; it keeps a place in the list.
                level_offsets.push(0);
                continue;
            }
            at = at.next_multiple_of(64);
            level_offsets.push(at);
            let (rows, cols) = geometry.level_shape(level);
            let (tile_rows, tile_cols) = geometry.tile_counts(level);
            let full_bands = (tile_rows - 1) as usize;
            let last_band = rows - full_bands * TILE;
            at += (full_bands * band_bytes(level, TILE, cols, tile_cols)
                + band_bytes(level, last_band, cols, tile_cols)) as u64;
        }
        FileLayout { geometry, level_offsets, total: at }
    }

    fn level_index(&self, level: Level) -> usize {
        let (_, col_levels) = self.geometry.level_counts();
        (level.row * col_levels + level.col) as usize
    }

    /// Byte offset and length of a stored tile.
    pub fn tile_span(&self, tile: TileId) -> (u64, usize) {
        debug_assert!(is_stored(tile.level), "the tiles of {:?} are made from the matrix", tile.level);
        let (_, cols) = self.geometry.level_shape(tile.level);
        let (_, tile_cols) = self.geometry.tile_counts(tile.level);
        let rect = self.geometry.tile_rect(tile);
        let full_band = band_bytes(tile.level, TILE, cols, tile_cols) as u64;
        let band_start = self.level_offsets[self.level_index(tile.level)] + tile.ty as u64 * full_band;
        let before = tile.tx as usize * tile_bytes(tile.level, rect.height, TILE);
        (band_start + before as u64, tile_bytes(tile.level, rect.height, rect.width))
    }
    /// Byte offset and length of each stored tile row (a level's tiles
    /// in one row of tiles, one after another), in file order: the pieces
    /// of the file's checksum.
    pub fn tile_rows(&self) -> Vec<(u64, usize)> {
        let mut spans = Vec::new();
        for level in self.geometry.levels().filter(|&level| is_stored(level)) {
            let (rows, cols) = self.geometry.level_shape(level);
            let (tile_rows, tile_cols) = self.geometry.tile_counts(level);
            for ty in 0..tile_rows {
                let (offset, _) = self.tile_span(TileId { level, ty, tx: 0 });
                let height = TILE.min(rows - ty as usize * TILE);
                spans.push((offset, band_bytes(level, height, cols, tile_cols)));
            }
        }
        spans
    }
}

/// Whether a level's tiles are in the file: all but the full-resolution
/// level, (0, 1) and (1, 0), which are made from the matrix (a tile of
/// either reads 256 × 1,024 of its cells).
pub(crate) fn is_stored(level: Level) -> bool {
    level.row + level.col >= 2
}

/// Bytes of one tile of `height × width` cells.
pub(crate) fn tile_bytes(level: Level, height: usize, width: usize) -> usize {
    if level.is_aggregate() { TILE_HEADER + AGGREGATE_CELL * height * width } else { 4 * height * width }
}

/// Bytes of a band of `height` rows across `cols` cells in `tile_cols` tiles.
fn band_bytes(level: Level, height: usize, cols: usize, tile_cols: u32) -> usize {
    if level.is_aggregate() {
        TILE_HEADER * tile_cols as usize + AGGREGATE_CELL * height * cols
    } else {
        4 * height * cols
    }
}

/// The values of one tile, as stored.
#[derive(Clone, Debug, PartialEq)]
pub enum TileData {
    /// Full-resolution values, row-major.
    Exact(Vec<f32>),
    /// Per cell mean, min and max of the matrix cells under it, scaled:
    /// value = `center + scale × stored`.
    Aggregate { center: f32, scale: f32, cells: Vec<[f16; 3]> },
}

/// One tile read from the store.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    pub id: TileId,
    /// The cells it covers, in its level's cells.
    pub rect: CellRect,
    pub data: TileData,
}

/// Which of a cell's aggregates to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Mean,
    Min,
    Max,
}

impl Tile {
    /// The value of cell (`y`, `x`) of the tile: the aggregate asked for, or
    /// the value itself at full resolution.
    pub fn value(&self, y: usize, x: usize, which: Aggregate) -> f32 {
        let i = y * self.rect.width + x;
        match &self.data {
            TileData::Exact(values) => values[i],
            TileData::Aggregate { center, scale, cells } => {
                let stored = cells[i][which as usize].to_f32();
                if stored.is_nan() { f32::NAN } else { center + scale * stored }
            }
        }
    }

    /// Bytes this tile holds in memory.
    pub fn bytes(&self) -> usize {
        match &self.data {
            TileData::Exact(values) => 4 * values.len(),
            TileData::Aggregate { cells, .. } => AGGREGATE_CELL * cells.len() + TILE_HEADER,
        }
    }
}

/// An open, validated pyramid file, with the matrix its full-resolution
/// tiles are read from.
pub struct Pyramid {
    map: Mmap,
    layout: FileLayout,
    stats: ValueStats,
    key: u64,
    base: Base,
}

/// The matrix in display order: its values and both orders (display
/// position → matrix index).
pub(crate) struct Base {
    pub values: MatrixValues,
    pub row_order: Vec<u32>,
    pub col_order: Vec<u32>,
}

impl Pyramid {
    /// Opens the pyramid at `path` if it exists, was built with `key`, and
    /// passes every check, its checksum included; otherwise says why it
    /// must be built again.
    pub(crate) fn open_valid(path: &Path, key: u64, base: Base) -> Result<Pyramid, Unusable> {
        Self::open(path, key, base, true)
    }

    /// Opens the pyramid this run has just built at `path`: every check
    /// but the checksum of the tiles, which were hashed as they were written.
    pub(crate) fn open_written(path: &Path, key: u64, base: Base) -> Result<Pyramid, Unusable> {
        Self::open(path, key, base, false)
    }

    fn open(path: &Path, key: u64, base: Base, check_sum: bool) -> Result<Pyramid, Unusable> {
        use Unusable::{Damaged, Stale};
        let file = File::open(path).map_err(|_| Stale)?;
        let map = map_readonly(&file).map_err(|_| Damaged)?;
        let bytes: &[u8] = &map;
        if bytes.len() < DATA_OFFSET as usize || &bytes[..8] != MAGIC {
            return Err(Damaged);
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        let f32_at = |at: usize| f32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        if u32_at(8) != FORMAT_VERSION {
            return Err(Stale);
        }
        let (rows, cols) =
            (usize::try_from(u64_at(24)).map_err(|_| Damaged)?, usize::try_from(u64_at(32)).map_err(|_| Damaged)?);
        let header_ok = u64_at(112) == fnv1a(&bytes[..112])
            && u32_at(12) as usize == TILE
            && u32_at(16) as usize == FACTOR
            && rows > 0
            && cols > 0;
        if !header_ok {
            return Err(Damaged);
        }
        if u64_at(40) != key || (rows, cols) != (base.values.rows(), base.values.cols()) {
            return Err(Stale);
        }
        let layout = FileLayout::new(Geometry::new(rows, cols));
        if u64_at(48) != layout.total || bytes.len() as u64 != layout.total {
            return Err(Damaged);
        }
        if check_sum && !tiles_pass(&map, &layout, u64_at(104)) {
            return Err(Damaged);
        }
        let stats = ValueStats {
            min: f32_at(56),
            max: f32_at(60),
            mean: f64::from_le_bytes(bytes[64..72].try_into().unwrap()),
            nan_count: u64_at(72),
            finite_count: u64_at(80),
            p02: f32_at(88),
            p98: f32_at(92),
            sampled: u64_at(96),
        };
        Ok(Pyramid { map, layout, stats, key, base })
    }

    /// What it was built from (matrix and orders): equal keys, equal tiles.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// Levels and tiles.
    pub fn geometry(&self) -> &Geometry {
        &self.layout.geometry
    }

    /// Statistics of all values, computed while building.
    pub fn stats(&self) -> &ValueStats {
        &self.stats
    }

    /// Bytes of the file.
    pub fn file_bytes(&self) -> u64 {
        self.layout.total
    }

    /// Reads one tile (copied out of the map; a full-resolution tile is
    /// gathered from the matrix's rows in display order).
    ///
    /// # Panics
    /// If the tile is not in the pyramid.
    pub fn tile(&self, id: TileId) -> Tile {
        let rect = self.layout.geometry.tile_rect(id);
        if !id.level.is_aggregate() {
            let columns = &self.base.col_order[rect.col..rect.col + rect.width];
            let mut values = Vec::with_capacity(rect.height * rect.width);
            for &r in &self.base.row_order[rect.row..rect.row + rect.height] {
                let row = self.base.values.row(r as usize);
                values.extend(columns.iter().map(|&c| row[c as usize]));
            }
            return Tile { id, rect, data: TileData::Exact(values) };
        }
        if !is_stored(id.level) {
            let (center, scale, cells) = super::build::made_tile(&self.base, &self.layout.geometry, id);
            return Tile { id, rect, data: TileData::Aggregate { center, scale, cells } };
        }
        let (offset, len) = self.layout.tile_span(id);
        let bytes = &self.map[offset as usize..offset as usize + len];
        let center = f32::from_le_bytes(bytes[0..4].try_into().unwrap());
        let scale = f32::from_le_bytes(bytes[4..8].try_into().unwrap());
        // Levels start 64-aligned and every tile's length is even, so the
        // cells are 2-aligned: a plain copy.
        let cells = bytemuck::cast_slice::<u8, [f16; 3]>(&bytes[TILE_HEADER..]).to_vec();
        Tile { id, rect, data: TileData::Aggregate { center, scale, cells } }
    }
}

/// Whether the tile rows in `map` sum to `checksum` and the bytes between
/// them (after the header, and aligning levels) are zero. The tile rows are
/// read in parallel, their pages released behind them.
fn tiles_pass(map: &Mmap, layout: &FileLayout, checksum: u64) -> bool {
    let spans = layout.tile_rows();
    let mut end = HEADER_LEN;
    for &(offset, len) in &spans {
        if map[end..offset as usize].iter().any(|&b| b != 0) {
            return false;
        }
        end = offset as usize + len;
    }
    let bar = check_bar(layout.total - DATA_OFFSET, "checking pyramid");
    let sum = spans
        .into_par_iter()
        .map(|(offset, len)| {
            let hash = piece_hash(&map[offset as usize..offset as usize + len], offset);
            mmap::release(map, offset as usize, len);
            bar.inc(len as u64);
            hash
        })
        .reduce(|| 0, u64::wrapping_add);
    bar.finish_and_clear();
    sum == checksum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_tiles_fill_the_file_without_overlapping() {
        for (rows, cols) in [(1100, 1030), (1, 1), (70_000, 300), (257, 1025)] {
            let layout = FileLayout::new(Geometry::new(rows, cols));
            let g = layout.geometry;
            let mut spans: Vec<(u64, usize)> = g
                .levels()
                .filter(|&level| is_stored(level))
                .flat_map(|level| {
                    let (ty, tx) = g.tile_counts(level);
                    (0..ty).flat_map(move |ty| (0..tx).map(move |tx| TileId { level, ty, tx }))
                })
                .map(|tile| layout.tile_span(tile))
                .collect();
            spans.sort();
            let tiles: usize = spans.iter().map(|&(_, len)| len).sum();
            let mut end = DATA_OFFSET;
            for (offset, len) in spans {
                assert!(offset >= end, "{rows}×{cols}: a tile at {offset} overlaps the one ending at {end}");
                assert!(offset - end < 64, "{rows}×{cols}: only level alignment separates tiles");
                end = offset + len as u64;
            }
            assert_eq!(end, layout.total, "{rows}×{cols}: the last tile ends the file");
            let tile_rows = layout.tile_rows();
            let covered: usize = tile_rows.iter().map(|&(_, len)| len).sum();
            assert_eq!(covered, tiles, "{rows}×{cols}: tile rows hold every tile");
            assert!(tile_rows.windows(2).all(|w| w[0].0 + w[0].1 as u64 <= w[1].0), "{rows}×{cols}: in file order");
            if let Some(&(offset, len)) = tile_rows.last() {
                assert_eq!(offset + len as u64, layout.total, "{rows}×{cols}: the last tile row ends the file");
            }
        }
    }
}
