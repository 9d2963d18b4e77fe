//! Building the pyramid in one streamed, parallel pass over the reordered
//! matrix, and the on-disk cache of built pyramids.
//!
//! The matrix is read 1,024 display rows at a time (four tile rows): the
//! rows are gathered in display order, shrunk along the columns, written as the
//! level's tiles, then handed down a cascade of row levels, each of which
//! merges groups of 4 rows and writes its tiles whenever 256 of its rows are
//! complete. Memory: tens of KB per matrix column (one tile row pending per
//! level), whatever the number of rows.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use super::cells::Cells;
use super::layout::{FACTOR, Geometry, Level, TILE, TileId, shrink};
use super::store::{self, AGGREGATE_CELL, Base, FileLayout, HEADER_LEN, Pyramid, TILE_HEADER, ValueStats};
use crate::hash::{Fnv, fnv1a, piece_hash};
use crate::input::cache::Unusable;
use crate::input::{Matrix, Summary};
use crate::progress;

/// Full-resolution rows handled per step: several tile rows, so that each
/// parallel section has enough work to outweigh its start and join.
const CHUNK_ROWS: usize = 4 * TILE;
/// Target number of values sampled for the percentiles.
const SAMPLE_TARGET: f64 = (1 << 20) as f64;

/// Why a pyramid could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PyramidError {
    #[error("the {axis} order has {found} entries for {expected} {axis}s, or is not a permutation of them")]
    BadOrder { axis: &'static str, found: usize, expected: usize },
    #[error("cannot write the pyramid file {} ({source}); check that the cache folder is a folder you can write to, with free space, or choose another with --cache-dir", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{}: display row {display_row} holds an infinite value; heatscope reads only NaN as missing", path.display())]
    Infinite { path: PathBuf, display_row: usize },
    #[error("cannot read the matrix {} ({source})", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("interrupted; nothing half-written was kept")]
    Interrupted,
}

/// Whether a pyramid came from the cache or was built now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PyramidOrigin {
    Reused(PathBuf),
    Built(PathBuf),
    /// Built now in place of a damaged file, which the user should hear of.
    Replaced(PathBuf),
}

/// The pyramid of `matrix` with its rows shown in `row_order` and its
/// columns in `col_order` (each a permutation: display position → matrix
/// index): reused from `dir` when one was built for the same values and
/// orders, otherwise built there.
pub fn build_or_open(
    matrix: &Matrix,
    row_order: &[u32],
    col_order: &[u32],
    dir: &Path,
) -> Result<(Pyramid, PyramidOrigin), PyramidError> {
    let (path, key) = cache_path(matrix, row_order, col_order, dir)?;
    let base = || Base { values: matrix.values(), row_order: row_order.to_vec(), col_order: col_order.to_vec() };
    let unusable = match Pyramid::open_valid(&path, key, base()) {
        Ok(pyramid) => return Ok((pyramid, PyramidOrigin::Reused(path))),
        Err(unusable) => unusable,
    };
    build(matrix, row_order, col_order, &path, key)?;
    let pyramid = Pyramid::open_written(&path, key, base()).map_err(|_| PyramidError::Write {
        path: path.clone(),
        source: std::io::Error::other("the file just written fails validation"),
    })?;
    let origin = match unusable {
        Unusable::Damaged => PyramidOrigin::Replaced(path),
        Unusable::Stale => PyramidOrigin::Built(path),
    };
    Ok((pyramid, origin))
}

/// The pyramid [`build_or_open`] would reuse from `dir`, or `None` when
/// that file is missing, stale or fails a check; nothing is built.
pub fn open_cached(
    matrix: &Matrix,
    row_order: &[u32],
    col_order: &[u32],
    dir: &Path,
) -> Result<Option<Pyramid>, PyramidError> {
    let (path, key) = cache_path(matrix, row_order, col_order, dir)?;
    let base = Base { values: matrix.values(), row_order: row_order.to_vec(), col_order: col_order.to_vec() };
    Ok(Pyramid::open_valid(&path, key, base).ok())
}

/// The file in `dir` that holds the pyramid of `matrix` in these orders,
/// and the key its header must carry (the orders checked first).
fn cache_path(
    matrix: &Matrix,
    row_order: &[u32],
    col_order: &[u32],
    dir: &Path,
) -> Result<(PathBuf, u64), PyramidError> {
    check_order(row_order, matrix.rows(), "row")?;
    check_order(col_order, matrix.cols(), "column")?;
    let key = Fnv::default()
        .u64(matrix.fingerprint())
        .bytes(bytemuck::cast_slice(row_order))
        .bytes(bytemuck::cast_slice(col_order))
        .u64(u64::from(store::FORMAT_VERSION))
        .finish();
    let stem: String = matrix
        .source()
        .path
        .file_name()
        .map(|n| n.to_string_lossy().chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect())
        .unwrap_or_else(|| "matrix".to_owned());
    Ok((dir.join(format!("{stem}-{key:016x}.hsp")), key))
}

fn check_order(order: &[u32], n: usize, axis: &'static str) -> Result<(), PyramidError> {
    let bad = || PyramidError::BadOrder { axis, found: order.len(), expected: n };
    if order.len() != n {
        return Err(bad());
    }
    let mut seen = vec![false; n];
    for &i in order {
        let slot = seen.get_mut(i as usize).ok_or_else(bad)?;
        if std::mem::replace(slot, true) {
            return Err(bad());
        }
    }
    Ok(())
}

/// The state of one row level ≥ 1 of the cascade: per column level, the
/// finer rows not yet merged (fewer than `FACTOR`) and the rows made but not
/// yet written (fewer than a tile row).
struct RowLevel {
    level_row: u32,
    /// Whether this is the coarsest row level (nothing to merge for).
    coarsest: bool,
    carry: Vec<Cells>,
    pending: Vec<Cells>,
    next_band: u32,
}

/// Tile rows that lie one after another in the file: where the first
/// starts, their words, and the bytes of each.
type TileRows = (u64, Vec<u16>, Vec<usize>);

/// Hands encoded tile rows to the thread that writes them, so that the
/// pass goes on computing while the kernel copies: one write a call, of
/// tile rows that lie one after another in the file.
struct Writer<'a> {
    queue: mpsc::SyncSender<TileRows>,
    layout: &'a FileLayout,
}

/// Tile rows waiting for the writing thread, at most.
const QUEUED_WRITES: usize = 4;

/// Writes what `queue` brings into `file` until the queue closes, and
/// returns the checksum of the tile rows written; the first failure ends it
/// (and the senders then fail).
fn write_queue(file: &File, path: &Path, queue: mpsc::Receiver<TileRows>) -> Result<u64, PyramidError> {
    let mut checksum = 0u64;
    for (offset, words, lens) in queue {
        let bytes: &[u8] = bytemuck::cast_slice(&words);
        file.write_all_at(bytes, offset).map_err(|source| PyramidError::Write { path: path.to_owned(), source })?;
        let mut at = 0;
        for len in lens {
            checksum = checksum.wrapping_add(piece_hash(&bytes[at..at + len], offset + at as u64));
            at += len;
        }
    }
    Ok(checksum)
}

impl Writer<'_> {
    /// Queues `words` for `offset`; an error means the writing thread has
    /// stopped, and its own error is the one to report.
    fn queue(&self, offset: u64, words: Vec<u16>, lens: Vec<usize>) -> Result<(), ()> {
        self.queue.send((offset, words, lens)).map_err(|_| ())
    }

    /// Writes the tile rows `first_ty, first_ty + 1, …` that `cells` holds
    /// (256 rows each; the last may be shorter), each tile scaled to its own
    /// range.
    fn aggregate_band(&self, level: Level, first_ty: u32, cells: &Cells) -> Result<(), ()> {
        let (cols, rows) = (cells.width, cells.rows());
        let tiles: Vec<(usize, usize)> =
            (0..rows.div_ceil(TILE)).flat_map(|k| (0..cols.div_ceil(TILE)).map(move |tx| (k, tx))).collect();
        let sizes: Vec<usize> =
            tiles.iter().map(|&(k, tx)| tile_words(TILE.min(rows - k * TILE), TILE.min(cols - tx * TILE))).collect();
        let mut words = vec![0u16; sizes.iter().sum()];
        let mut parts = Vec::with_capacity(tiles.len());
        let mut rest = &mut words[..];
        for &size in &sizes {
            let (part, after) = rest.split_at_mut(size);
            parts.push(part);
            rest = after;
        }
        parts.into_par_iter().zip(&tiles).for_each(|(out, &(k, tx))| {
            let (r0, x0) = (k * TILE, tx * TILE);
            encode_tile_into(cells, r0..(r0 + TILE).min(rows), x0, TILE.min(cols - x0), out);
        });
        // Tile rows are stored tile after tile, and one after another.
        let (offset, _) = self.layout.tile_span(TileId { level, ty: first_ty, tx: 0 });
        debug_assert!({
            let mut at = offset;
            tiles.iter().zip(&sizes).all(|(&(k, tx), &size)| {
                let span = self.layout.tile_span(TileId { level, ty: first_ty + k as u32, tx: tx as u32 });
                let next = (span.0 == at && span.1 == 2 * size, at + span.1 as u64);
                at = next.1;
                next.0
            })
        });
        let mut lens = vec![0; rows.div_ceil(TILE)];
        for (&(k, _), &size) in tiles.iter().zip(&sizes) {
            lens[k] += 2 * size;
        }
        self.queue(offset, words, lens)
    }
}

/// A tile of level (0, 1) or (1, 0) (cells of 4 display columns or 4
/// display rows), in the stored form of [`encode_tile_into`], made from the
/// matrix as the build makes the levels beside it: the same cells, merged
/// in the same order, so the same bits. Neither level is written (70% of
/// the aggregates of 1,000,000 × 1,000); a tile reads 256 × 1,024 values,
/// its two halves of rows on two threads.
pub(crate) fn made_tile(base: &Base, geometry: &Geometry, id: TileId) -> (f32, f32, Vec<[f16; 3]>) {
    debug_assert!(matches!((id.level.row, id.level.col), (0, 1) | (1, 0)), "{id:?}");
    let rect = geometry.tile_rect(id);
    let (h, w) = (rect.height, rect.width);
    let split = h.div_ceil(2);
    // The cells of the last tile made on this thread, reused: fresh ones
    // would cost their pages' faults every time.
    let [mut top, mut bottom] = MADE.with_borrow_mut(std::mem::take);
    rayon::join(
        || made_cells(&mut top, base, geometry, id, 0..split),
        || made_cells(&mut bottom, base, geometry, id, split..h),
    );
    let (lo, hi) = [&top, &bottom]
        .map(|cells| extremes(cells, 0..cells.rows(), 0, w))
        .into_iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), (l, h)| {
            (if l < lo { l } else { lo }, if h > hi { h } else { hi })
        });
    let (center, scale) = tile_scale(lo, hi);
    let mut cells = vec![[f16::ZERO; 3]; h * w];
    let (first, second) = cells.split_at_mut(w * split);
    rayon::join(
        || write_cells(&top, 0..top.rows(), 0, w, [center, scale], first.as_flattened_mut()),
        || write_cells(&bottom, 0..bottom.rows(), 0, w, [center, scale], second.as_flattened_mut()),
    );
    MADE.with_borrow_mut(|made| *made = [top, bottom]);
    (center, scale, cells)
}

thread_local! {
    /// The two halves' cells of the last tile [`made_tile`] made on this thread.
    static MADE: std::cell::RefCell<[Cells; 2]> = std::cell::RefCell::default();
}

/// Rows `rows` of a made tile (see [`made_tile`]) into `cells`.
fn made_cells(cells: &mut Cells, base: &Base, geometry: &Geometry, id: TileId, rows: std::ops::Range<usize>) {
    let rect = geometry.tile_rect(id);
    let (n_rows, n_cols) = geometry.shape();
    let w = rect.width;
    cells.reset(w, rows.len());
    // Each row gathered through the column order into a short line, merged
    // by the build's own row kernels (the same arithmetic in the same order).
    let mut line = Vec::with_capacity(FACTOR * TILE);
    let gather = |line: &mut Vec<f32>, r: u32, columns: &[u32]| {
        let row = base.values.row(r as usize);
        line.clear();
        line.extend(columns.iter().map(|&c| row[c as usize]));
    };
    if id.level.row == 0 {
        // Level (0, 1): each cell merges 4 neighbouring display columns.
        let columns = &base.col_order[rect.col * FACTOR..((rect.col + w) * FACTOR).min(n_cols)];
        let display = &base.row_order[rect.row + rows.start..rect.row + rows.end];
        for (y, &r) in display.iter().enumerate() {
            gather(&mut line, r, columns);
            cells.row_mut(y).merge_columns(&line);
        }
    } else {
        // Level (1, 0): each cell merges 4 consecutive display rows.
        let columns = &base.col_order[rect.col..rect.col + w];
        let first = (rect.row + rows.start) * FACTOR;
        let display = &base.row_order[first..((rect.row + rows.end) * FACTOR).min(n_rows)];
        let mut sum = vec![0.0f32; w];
        for (y, group) in display.chunks(FACTOR).enumerate() {
            sum.fill(0.0);
            let mut row = cells.row_mut(y);
            for &r in group {
                gather(&mut line, r, columns);
                row.add_values(&mut sum, &line);
            }
            row.set_means(&sum);
        }
    }
}

/// 16-bit words of an aggregate tile of `h × w` cells.
fn tile_words(h: usize, w: usize) -> usize {
    (TILE_HEADER + AGGREGATE_CELL * h * w) / 2
}

/// One aggregate tile: columns `x0 .. x0 + w` of rows `rows` of `cells`,
/// as the file stores it (centre, scale, then `f16` mean, min, max per
/// cell), into `out`, [`tile_words`] 16-bit words long, so that the `f16`
/// part is aligned.
fn encode_tile_into(cells: &Cells, rows: std::ops::Range<usize>, x0: usize, w: usize, out: &mut [u16]) {
    let (lo, hi) = extremes(cells, rows.clone(), x0, w);
    let (center, scale) = tile_scale(lo, hi);
    let header: &mut [u8] = bytemuck::cast_slice_mut(&mut out[..TILE_HEADER / 2]);
    header[0..4].copy_from_slice(&center.to_le_bytes());
    header[4..8].copy_from_slice(&scale.to_le_bytes());
    let halves: &mut [f16] = bytemuck::cast_slice_mut(&mut out[TILE_HEADER / 2..]);
    write_cells(cells, rows, x0, w, [center, scale], halves);
}

/// The smallest minimum and largest maximum of columns `x0 .. x0 + w` of
/// rows `rows` of `cells`.
fn extremes(cells: &Cells, rows: std::ops::Range<usize>, x0: usize, w: usize) -> (f32, f32) {
    // Eight lanes each, which vectorise.
    let cols = cells.width;
    let (mut lo, mut hi) = ([f32::INFINITY; 8], [f32::NEG_INFINITY; 8]);
    for r in rows {
        let at = r * cols + x0;
        let (min, max) = (&cells.min[at..at + w], &cells.max[at..at + w]);
        let (mins, maxes) = (min.chunks_exact(8), max.chunks_exact(8));
        let tails = (mins.remainder(), maxes.remainder());
        for (min, max) in mins.zip(maxes) {
            super::cells::fold_min(&mut lo, min);
            super::cells::fold_max(&mut hi, max);
        }
        super::cells::fold_min(&mut lo[..tails.0.len()], tails.0);
        super::cells::fold_max(&mut hi[..tails.1.len()], tails.1);
    }
    let lo = lo.into_iter().fold(f32::INFINITY, |a, b| if b < a { b } else { a });
    let hi = hi.into_iter().fold(f32::NEG_INFINITY, |a, b| if b > a { b } else { a });
    (lo, hi)
}

/// The centre and scale of a tile whose cells span `lo ..= hi`.
fn tile_scale(lo: f32, hi: f32) -> (f32, f32) {
    // Halves first, so that values near the f32 limits cannot overflow; a
    // tile of one value gets scale 1 (a mean that rounds an ulp away from
    // that value must not be blown up to infinity).
    let (center, half_range) = if lo <= hi { (lo / 2.0 + hi / 2.0, hi / 2.0 - lo / 2.0) } else { (0.0, 0.0) };
    (center, if half_range.is_normal() { half_range } else { 1.0 })
}

/// Columns `x0 .. x0 + w` of rows `rows` of `cells` as `f16` mean, minimum
/// and maximum per cell, each as `(v − centre) / scale`, into `halves`.
fn write_cells(
    cells: &Cells,
    rows: std::ops::Range<usize>,
    x0: usize,
    w: usize,
    [center, scale]: [f32; 2],
    halves: &mut [f16],
) {
    let cols = cells.width;
    let inverse = 1.0 / scale;
    // A row at a time through a buffer that stays in the first-level cache.
    let mut scaled = [0.0f32; 3 * TILE];
    for (out, r) in halves.chunks_exact_mut(3 * w).zip(rows) {
        let at = r * cols + x0;
        let inputs = cells.count[at..at + w]
            .iter()
            .zip(&cells.mean[at..at + w])
            .zip(&cells.min[at..at + w])
            .zip(&cells.max[at..at + w]);
        let scaled = &mut scaled[..3 * w];
        for (cell, (((&count, &mean), &min), &max)) in scaled.chunks_exact_mut(3).zip(inputs) {
            let empty = count == 0;
            let unit = |v: f32| ((v - center) * inverse).clamp(-1.0, 1.0);
            cell[0] = if empty { f32::NAN } else { unit(mean) };
            cell[1] = if empty { f32::NAN } else { unit(min) };
            cell[2] = if empty { f32::NAN } else { unit(max) };
        }
        out.convert_from_f32_slice(scaled);
    }
}

impl RowLevel {
    fn new(level_row: u32, coarsest: bool, widths: &[usize]) -> Self {
        RowLevel {
            level_row,
            coarsest,
            carry: widths.iter().map(|&w| Cells::empty(w)).collect(),
            pending: widths.iter().map(|&w| Cells::empty(w)).collect(),
            next_band: 0,
        }
    }

    /// Takes this level's new rows (one [`Cells`] per column level), writes
    /// every full tile row (everything when `last`), and returns the rows of
    /// the next level that they complete.
    fn push(&mut self, input: Vec<Cells>, last: bool, writer: &Writer) -> Result<Vec<Cells>, ()> {
        let mut output = Vec::with_capacity(input.len());
        for (j, rows_in) in input.into_iter().enumerate() {
            if !self.coarsest {
                let carry = &mut self.carry[j];
                let merged = if carry.rows() == 0 && (last || rows_in.rows() % FACTOR == 0) {
                    rows_in.shrink_rows()
                } else {
                    carry.append(&rows_in);
                    let ready = if last { carry.rows() } else { carry.rows() / FACTOR * FACTOR };
                    carry.take_front(ready).shrink_rows()
                };
                output.push(merged);
            }
            self.pending[j].take(rows_in);
        }
        let rows = self.pending[0].rows();
        let bands = if last { rows.div_ceil(TILE) } else { rows / TILE };
        for _ in 0..bands {
            for j in 0..self.pending.len() {
                let band_rows = TILE.min(self.pending[j].rows());
                let band = self.pending[j].take_front(band_rows);
                let level = Level { row: self.level_row, col: j as u32 };
                if store::is_stored(level) {
                    writer.aggregate_band(level, self.next_band, &band)?;
                }
            }
            self.next_band += 1;
        }
        Ok(output)
    }
}

/// Statistics of some rows, with the values sampled for the percentiles.
struct Partial {
    summary: Summary,
    samples: Vec<f32>,
}

/// A tiny deterministic generator (SplitMix64) for the percentile sample.
struct SplitMix(u64);

impl SplitMix {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Statistics of one display row, sampling each cell with probability `p`
/// (the gaps between samples are geometric, so each row costs its samples,
/// not its length). The row's own generator keeps the sample independent of
/// the thread count.
fn row_stats(row: &[f32], display_row: usize, p: f64) -> Partial {
    let mut part = Partial { summary: Summary::EMPTY, samples: Vec::new() };
    part.summary.add(row);
    let mut rng = SplitMix(fnv1a(&(display_row as u64).to_le_bytes()));
    let mut at = 0usize;
    loop {
        if p < 1.0 {
            let gap = (rng.uniform().max(f64::MIN_POSITIVE).ln() / (1.0 - p).ln()).floor();
            at = at.saturating_add(gap.min(usize::MAX as f64 / 2.0) as usize);
        }
        let Some(&v) = row.get(at) else { break };
        if !v.is_nan() {
            part.samples.push(v);
        }
        at += 1;
    }
    part
}

/// numpy's default percentile `q` (0–1) of `samples` (seaborn's robust
/// limits): linear between the two nearest ranks, each found by selection
/// rather than a sort (the samples are reordered).
fn percentile(samples: &mut [f32], q: f64) -> f32 {
    let n = samples.len();
    if n == 0 {
        return f32::NAN;
    }
    let rank = q * (n - 1) as f64;
    let at = rank.floor() as usize;
    let (_, &mut below, above) = samples.select_nth_unstable_by(at, f32::total_cmp);
    // Everything after the rank selected is at least it: the next rank is
    // the least of those.
    let next = above.iter().copied().min_by(f32::total_cmp).unwrap_or(below);
    let (below, next) = (f64::from(below), f64::from(next));
    (below + (next - below) * rank.fract()) as f32
}

/// The display row of the first infinite value in a band.
fn first_infinite_row(values: &[f32], cols: usize, first_row: usize) -> usize {
    first_row + values.iter().position(|v| v.is_infinite()).unwrap_or(0) / cols
}

thread_local! {
    /// One source row per worker thread, for reordering columns.
    static ROW: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn build(matrix: &Matrix, row_order: &[u32], col_order: &[u32], path: &Path, key: u64) -> Result<(), PyramidError> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    let geometry = Geometry::new(rows, cols);
    let layout = FileLayout::new(geometry);
    let dir = path.parent().unwrap_or(Path::new("."));
    let write_error = |source| PyramidError::Write { path: path.to_owned(), source };
    std::fs::create_dir_all(dir).map_err(write_error)?;
    let temp = crate::temp::create_in(dir, "pyramid").map_err(write_error)?;
    temp.as_file().set_len(layout.total).map_err(write_error)?;
    let file = temp.as_file();
    let (total, checksum) = std::thread::scope(|scope| {
        let (queue, written) = mpsc::sync_channel(QUEUED_WRITES);
        let writing = scope.spawn(move || write_queue(file, path, written));
        let writer = Writer { queue, layout: &layout };
        let passed = pass(matrix, row_order, col_order, &writer);
        drop(writer);
        let wrote = writing.join().expect("the writing thread does not panic");
        // A pass stopped by the writing thread reports that thread's error.
        let checksum = wrote?;
        Ok((passed?, checksum))
    })?;
    finish(temp, &layout, key, total, checksum, path)
}

/// The one pass over the matrix in display order: every tile row of every
/// aggregate level goes to `writer`; returns the values' statistics.
///
/// Reading a chunk (gathering its rows through the orders) and merging the
/// one before it run side by side, so that neither's serial parts (the
/// cascade's bookkeeping, queueing writes) leave a core idle.
fn pass(matrix: &Matrix, row_order: &[u32], col_order: &[u32], writer: &Writer) -> Result<Partial, PyramidError> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    let geometry = Geometry::new(rows, cols);
    let (row_levels, col_levels) = geometry.level_counts();
    let widths: Vec<usize> = (0..col_levels).map(|j| shrink(cols, j)).collect();
    let mut cascade: Vec<RowLevel> = (1..row_levels).map(|i| RowLevel::new(i, i + 1 == row_levels, &widths)).collect();
    let sample_p = (SAMPLE_TARGET / (rows as f64 * cols as f64)).min(1.0);
    let mut total = Partial { summary: Summary::EMPTY, samples: Vec::new() };
    let bar = progress::bytes_bar((rows * cols * 4) as u64, "pyramid");
    let columns_in_place = col_order.iter().enumerate().all(|(i, &c)| i == c as usize);

    // The display rows `first ..` of a chunk, gathered into `values`, and
    // their statistics.
    let read = |first: usize, values: &mut Vec<f32>| -> Result<Partial, PyramidError> {
        let chunk_rows = CHUNK_ROWS.min(rows - first);
        values.resize(chunk_rows * cols, 0.0);
        let parts: Vec<Partial> = values
            .par_chunks_mut(cols)
            .enumerate()
            .map(|(r, out)| -> Result<Partial, PyramidError> {
                let source_row = row_order[first + r] as usize;
                let read = if columns_in_place {
                    matrix.read_row(source_row, out)
                } else {
                    ROW.with_borrow_mut(|source| {
                        source.resize(cols, 0.0);
                        matrix.read_row(source_row, source)?;
                        for (v, &c) in out.iter_mut().zip(col_order) {
                            *v = source[c as usize];
                        }
                        Ok(())
                    })
                };
                read.map_err(|source| PyramidError::Read { path: matrix.source().path.clone(), source })?;
                Ok(row_stats(out, first + r, sample_p))
            })
            .collect::<Result<_, _>>()?;
        let mut chunk = Partial { summary: Summary::EMPTY, samples: Vec::new() };
        for part in parts {
            if part.summary.infinite > 0 {
                let row = first_infinite_row(values, cols, first);
                return Err(PyramidError::Infinite { path: matrix.source().path.clone(), display_row: row });
            }
            chunk.summary = chunk.summary.merge(part.summary);
            chunk.samples.extend(part.samples);
        }
        Ok(chunk)
    };

    let (mut values, mut next) = (Vec::new(), Vec::new());
    let mut stats = if rows > 0 { Some(read(0, &mut values)) } else { None };
    for first in (0..rows).step_by(CHUNK_ROWS) {
        if progress::interrupted() {
            return Err(PyramidError::Interrupted);
        }
        let chunk = stats.take().expect("each chunk is read before it is merged")?;
        total.summary = total.summary.merge(chunk.summary);
        total.samples.extend(chunk.samples);
        let following = first + CHUNK_ROWS;
        let last = following >= rows;
        let (read_next, merged) = rayon::join(
            || (!last).then(|| read(following, &mut next)),
            || merge_chunk(&values, cols, first, last, col_levels, &mut cascade, writer),
        );
        // The writing thread has stopped on an error, which [`build`]
        // reports in place of this one.
        merged.map_err(|()| PyramidError::Interrupted)?;
        bar.inc((values.len() * 4) as u64);
        stats = read_next;
        std::mem::swap(&mut values, &mut next);
    }
    bar.finish_and_clear();
    Ok(total)
}

/// Merges one chunk of display rows (`values`, from display row `first`)
/// into the levels: full-resolution rows shrunk along columns (level
/// (0, 1) is made from the matrix when asked for, `made_tile`; the levels
/// beyond, whose tiles would each read 4,096 columns or more, are written),
/// and level-1 rows (4 full-resolution rows each; a chunk is a multiple of
/// 4 rows except the last), at every column level, down the cascade.
fn merge_chunk(
    values: &[f32],
    cols: usize,
    first: usize,
    last: bool,
    col_levels: u32,
    cascade: &mut [RowLevel],
    writer: &Writer,
) -> Result<(), ()> {
    if col_levels > 2 {
        let ty = (first / TILE) as u32;
        let mut cells = Cells::from_value_columns(values, cols);
        for j in 2..col_levels {
            cells = cells.shrink_columns();
            writer.aggregate_band(Level { row: 0, col: j }, ty, &cells)?;
        }
    }
    if !cascade.is_empty() {
        let mut batch = vec![Cells::from_value_rows(values, cols)];
        for j in 1..col_levels as usize {
            let cells = batch[j - 1].shrink_columns();
            batch.push(cells);
        }
        for level in cascade {
            batch = level.push(batch, last, writer)?;
        }
    }
    Ok(())
}

/// Writes the header of the file `temp` holds (statistics from `total`,
/// `checksum` of its tile rows), syncs it and puts it in its place.
fn finish(
    temp: tempfile::NamedTempFile,
    layout: &FileLayout,
    key: u64,
    mut total: Partial,
    checksum: u64,
    path: &Path,
) -> Result<(), PyramidError> {
    let (rows, cols) = layout.geometry.level_shape(Level::BASE);
    let write_error = |source| PyramidError::Write { path: path.to_owned(), source };
    let mut percentile = |q: f64| percentile(&mut total.samples, q);
    let summary = total.summary;
    let any = summary.finite > 0;
    let stats = ValueStats {
        min: if any { summary.min } else { f32::NAN },
        max: if any { summary.max } else { f32::NAN },
        mean: if any { summary.sum / summary.finite as f64 } else { f64::NAN },
        nan_count: summary.nan,
        finite_count: summary.finite,
        p02: percentile(0.02),
        p98: percentile(0.98),
        sampled: total.samples.len() as u64,
    };
    let mut header = [0u8; HEADER_LEN];
    let mut put = |at: usize, bytes: &[u8]| header[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, store::MAGIC);
    put(8, &store::FORMAT_VERSION.to_le_bytes());
    put(12, &(TILE as u32).to_le_bytes());
    put(16, &(FACTOR as u32).to_le_bytes());
    put(24, &(rows as u64).to_le_bytes());
    put(32, &(cols as u64).to_le_bytes());
    put(40, &key.to_le_bytes());
    put(48, &layout.total.to_le_bytes());
    put(56, &stats.min.to_le_bytes());
    put(60, &stats.max.to_le_bytes());
    put(64, &stats.mean.to_le_bytes());
    put(72, &stats.nan_count.to_le_bytes());
    put(80, &stats.finite_count.to_le_bytes());
    put(88, &stats.p02.to_le_bytes());
    put(92, &stats.p98.to_le_bytes());
    put(96, &stats.sampled.to_le_bytes());
    put(104, &checksum.to_le_bytes());
    let header_checksum = fnv1a(&header[..112]);
    header[112..120].copy_from_slice(&header_checksum.to_le_bytes());
    temp.as_file().write_all_at(&header, 0).map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A made tile as the file would store it.
    fn as_words((center, scale, cells): (f32, f32, Vec<[f16; 3]>)) -> Vec<u16> {
        let mut words: Vec<u16> = bytemuck::cast_slice(&[center.to_le_bytes(), scale.to_le_bytes()]).to_vec();
        words.extend_from_slice(bytemuck::cast_slice(&cells));
        words
    }

    /// [`encode_tile_into`] into a new tile.
    fn encode_tile(cells: &Cells, rows: std::ops::Range<usize>, x0: usize, w: usize) -> Vec<u16> {
        let mut out = vec![0u16; tile_words(rows.len(), w)];
        encode_tile_into(cells, rows, x0, w, &mut out);
        out
    }

    #[test]
    fn percentiles_are_numpys_linear_ones() {
        // Sorted: 1 2 3 3 4 5 6 7 8 9 10. numpy's rank is q · 10, between
        // its neighbours: q = 0.02 → 1.2, 0.375 → 3.75, 0.98 → 9.8.
        let samples = [7.0, 3.0, 3.0, 9.0, 1.0, 10.0, 2.0, 8.0, 5.0, 6.0, 4.0];
        for (q, expected) in [(0.0, 1.0), (0.02, 1.2), (0.375, 3.75), (0.98, 9.8), (1.0, 10.0)] {
            let got = percentile(&mut samples.clone(), q);
            assert!((got - expected).abs() < 1e-6, "q = {q}: {got} against {expected}");
        }
        assert_eq!(percentile(&mut [4.5], 0.02), 4.5);
        assert!(percentile(&mut [], 0.5).is_nan());
    }

    #[test]
    fn made_tiles_are_the_bits_the_build_used_to_write() {
        // 300 × 1100 with missing values, both axes shuffled: levels (0, 1)
        // and (1, 0), their last tiles short, two tile rows of (0, 1).
        let (rows, cols) = (300usize, 1100usize);
        let values: Vec<f32> = (0..rows * cols)
            .map(|k| if k % 37 == 0 { f32::NAN } else { ((k * 7919) % 1009) as f32 / 17.0 - 20.0 })
            .collect();
        let matrix = Matrix::from_vec(rows, cols, values);
        let row_order: Vec<u32> = (0..rows as u32).map(|r| (r * 7) % rows as u32).collect();
        let col_order: Vec<u32> = (0..cols as u32).map(|c| (c * 3) % cols as u32).collect();
        let geometry = Geometry::new(rows, cols);
        assert_eq!(geometry.level_counts(), (2, 3));
        let base = Base { values: matrix.values(), row_order: row_order.clone(), col_order: col_order.clone() };
        let (m, by_column) = (&matrix, &col_order);
        let display = |first: usize, last: usize| -> Vec<f32> {
            row_order[first..last]
                .iter()
                .flat_map(|&r| by_column.iter().map(move |&c| m.row(r as usize)[c as usize]))
                .collect()
        };
        // What the build's pass wrote for these levels (format 2): level
        // (0, 1) from each band of 256 display rows across every column,
        // level (1, 0) from every 4 display rows, cut into tiles.
        let mut compared = 0;
        for (ty, first) in (0..rows).step_by(TILE).enumerate() {
            let cells = Cells::from_value_columns(&display(first, (first + TILE).min(rows)), cols);
            let level = Level { row: 0, col: 1 };
            for tx in 0..geometry.tile_counts(level).1 {
                let x0 = tx as usize * TILE;
                let written = encode_tile(&cells, 0..cells.rows(), x0, TILE.min(cells.width - x0));
                let made = as_words(made_tile(&base, &geometry, TileId { level, ty: ty as u32, tx }));
                assert_eq!(made, written, "{level:?} tile ({ty}, {tx})");
                compared += 1;
            }
        }
        let cells = Cells::from_value_rows(&display(0, rows), cols);
        let level = Level { row: 1, col: 0 };
        assert_eq!(geometry.tile_counts(level), (1, 5));
        for tx in 0..5 {
            let x0 = tx as usize * TILE;
            let written = encode_tile(&cells, 0..cells.rows(), x0, TILE.min(cols - x0));
            let made = as_words(made_tile(&base, &geometry, TileId { level, ty: 0, tx }));
            assert_eq!(made, written, "{level:?} tile (0, {tx})");
            compared += 1;
        }
        assert_eq!(compared, 2 * 2 + 5);
    }
}
