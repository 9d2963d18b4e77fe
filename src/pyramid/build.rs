//! Building the pyramid in one streamed, parallel pass over the reordered
//! matrix, and the on-disk cache of built pyramids.
//!
//! The matrix is read 256 display rows at a time (one tile row): the rows
//! are gathered in display order, shrunk along the columns, written as the
//! level's tiles, then handed down a cascade of row levels, each of which
//! merges groups of 4 rows and writes its tiles whenever 256 of its rows are
//! complete. Memory: about 30 KB per matrix column (one tile row pending per
//! level), whatever the number of rows.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use half::f16;
use rayon::prelude::*;

use super::layout::{FACTOR, Geometry, Level, TILE, shrink};
use super::store::{self, AGGREGATE_CELL, FileLayout, HEADER_LEN, Pyramid, TILE_HEADER, ValueStats};
use crate::hash::{Fnv, fnv1a};
use crate::input::Matrix;
use crate::progress;

/// Target number of values sampled for the percentiles.
const SAMPLE_TARGET: f64 = (1 << 20) as f64;
/// Bytes of source read between releases of the matrix's mapped pages.
const RELEASE_EVERY: usize = 256 << 20;

/// Why a pyramid could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PyramidError {
    #[error("the {axis} order has {found} entries for {expected} {axis}s, or is not a permutation of them")]
    BadOrder { axis: &'static str, found: usize, expected: usize },
    #[error("cannot write the pyramid file {} ({source}); free disk space or choose another folder with --cache-dir", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("interrupted; nothing half-written was kept")]
    Interrupted,
}

/// Whether a pyramid came from the cache or was built now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PyramidOrigin {
    Reused(PathBuf),
    Built(PathBuf),
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
    let path = dir.join(format!("{stem}-{key:016x}.hsp"));
    if let Some(pyramid) = Pyramid::open_valid(&path, key) {
        return Ok((pyramid, PyramidOrigin::Reused(path)));
    }
    build(matrix, row_order, col_order, &path, key)?;
    let pyramid = Pyramid::open_valid(&path, key).ok_or_else(|| PyramidError::Write {
        path: path.clone(),
        source: std::io::Error::other("the file just written fails validation"),
    })?;
    Ok((pyramid, PyramidOrigin::Built(path)))
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

/// Sums, counts and extremes of the finite matrix cells under one cell.
#[derive(Clone, Copy, Debug)]
struct Agg {
    sum: f64,
    count: u32,
    min: f32,
    max: f32,
}

impl Agg {
    const EMPTY: Agg = Agg { sum: 0.0, count: 0, min: f32::INFINITY, max: f32::NEG_INFINITY };

    fn of(value: f32) -> Agg {
        if value.is_nan() { Agg::EMPTY } else { Agg { sum: f64::from(value), count: 1, min: value, max: value } }
    }

    fn merge(&mut self, other: &Agg) {
        self.sum += other.sum;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Mean, min and max; NaN for all three when no cell was finite.
    fn values(&self) -> [f32; 3] {
        if self.count == 0 { [f32::NAN; 3] } else { [(self.sum / f64::from(self.count)) as f32, self.min, self.max] }
    }
}

/// Rows of one row level, at every column level: `data[j]` holds
/// `rows × width(j)` cells.
struct Batch {
    rows: usize,
    data: Vec<Vec<Agg>>,
}

/// The state of one row level ≥ 1 of the cascade.
struct RowLevel {
    level_row: u32,
    /// Rows of the finer level not yet merged (fewer than `FACTOR`).
    carry: Batch,
    /// Finished rows not yet written: `(mean, min, max)` per cell and column level.
    pending: Vec<Vec<[f32; 3]>>,
    pending_rows: usize,
    next_band: u32,
}

struct Writer<'a> {
    file: &'a File,
    path: &'a Path,
    layout: &'a FileLayout,
    widths: Vec<usize>,
}

impl Writer<'_> {
    fn write_at(&self, bytes: &[u8], offset: u64) -> Result<(), PyramidError> {
        self.file
            .write_all_at(bytes, offset)
            .map_err(|source| PyramidError::Write { path: self.path.to_owned(), source })
    }

    /// Writes one band (tile row) of full-resolution values.
    fn base_band(&self, ty: u32, values: &[f32], rows: usize) -> Result<(), PyramidError> {
        let cols = self.widths[0];
        let mut out = Vec::with_capacity(values.len() * 4);
        for x0 in (0..cols).step_by(TILE) {
            let w = TILE.min(cols - x0);
            for r in 0..rows {
                out.extend_from_slice(bytemuck::cast_slice(&values[r * cols + x0..r * cols + x0 + w]));
            }
        }
        self.write_at(&out, self.layout.band_offset(Level::BASE, ty))
    }

    /// Writes one band of aggregate cells, each tile scaled to its own range.
    fn aggregate_band(&self, level: Level, ty: u32, cells: &[[f32; 3]], rows: usize) -> Result<(), PyramidError> {
        let cols = self.widths[level.col as usize];
        let tiles: Vec<Vec<u8>> = (0..cols)
            .step_by(TILE)
            .collect::<Vec<_>>()
            .par_iter()
            .map(|&x0| {
                let w = TILE.min(cols - x0);
                let cell = |r: usize, c: usize| &cells[r * cols + x0 + c];
                let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
                for r in 0..rows {
                    for c in 0..w {
                        let [_, min, max] = *cell(r, c);
                        if !min.is_nan() {
                            lo = lo.min(min);
                            hi = hi.max(max);
                        }
                    }
                }
                let (center, scale) =
                    if lo <= hi { ((lo + hi) / 2.0, ((hi - lo) / 2.0).max(f32::MIN_POSITIVE)) } else { (0.0, 1.0) };
                let mut out = Vec::with_capacity(TILE_HEADER + AGGREGATE_CELL * rows * w);
                out.extend_from_slice(&center.to_le_bytes());
                out.extend_from_slice(&scale.to_le_bytes());
                for r in 0..rows {
                    for c in 0..w {
                        for v in cell(r, c) {
                            out.extend_from_slice(&f16::from_f32((v - center) / scale).to_le_bytes());
                        }
                    }
                }
                out
            })
            .collect();
        self.write_at(&tiles.concat(), self.layout.band_offset(level, ty))
    }
}

/// Shrinks rows of `width` values along the columns: cell `c` of the
/// result merges cells `FACTOR c .. FACTOR c + FACTOR` of the input.
fn shrink_columns(input: &[Agg], width: usize) -> Vec<Agg> {
    let out_width = width.div_ceil(FACTOR);
    let mut out = vec![Agg::EMPTY; input.len() / width * out_width];
    out.par_chunks_mut(out_width).zip(input.par_chunks(width)).for_each(|(out_row, in_row)| {
        for (cell, group) in out_row.iter_mut().zip(in_row.chunks(FACTOR)) {
            for a in group {
                cell.merge(a);
            }
        }
    });
    out
}

impl RowLevel {
    fn new(level_row: u32, widths: &[usize]) -> Self {
        RowLevel {
            level_row,
            carry: Batch { rows: 0, data: widths.iter().map(|_| Vec::new()).collect() },
            pending: widths.iter().map(|_| Vec::new()).collect(),
            pending_rows: 0,
            next_band: 0,
        }
    }

    /// Merges the finer level's rows into this level's, writes every full
    /// band (all remaining rows when `last`), and returns the new rows.
    fn push(&mut self, input: Batch, last: bool, writer: &Writer) -> Result<Batch, PyramidError> {
        let total = self.carry.rows + input.rows;
        let out_rows = if last { total.div_ceil(FACTOR) } else { total / FACTOR };
        let consumed = if last { total } else { out_rows * FACTOR };
        let mut data = Vec::with_capacity(input.data.len());
        for (j, rows_in) in input.data.into_iter().enumerate() {
            let width = writer.widths[j];
            let mut all = std::mem::take(&mut self.carry.data[j]);
            all.extend(rows_in);
            let mut out = vec![Agg::EMPTY; out_rows * width];
            out.par_chunks_mut(width).enumerate().for_each(|(o, out_row)| {
                let first = o * FACTOR;
                for r in first..(first + FACTOR).min(total) {
                    for (cell, a) in out_row.iter_mut().zip(&all[r * width..(r + 1) * width]) {
                        cell.merge(a);
                    }
                }
            });
            self.carry.data[j] = all.split_off(consumed * width);
            self.pending[j].extend(out.iter().map(Agg::values));
            data.push(out);
        }
        self.carry.rows = total - consumed;
        self.pending_rows += out_rows;
        while self.pending_rows >= TILE || (last && self.pending_rows > 0) {
            let rows = TILE.min(self.pending_rows);
            for j in 0..self.pending.len() {
                let width = writer.widths[j];
                let rest = self.pending[j].split_off(rows * width);
                let band = std::mem::replace(&mut self.pending[j], rest);
                let level = Level { row: self.level_row, col: j as u32 };
                writer.aggregate_band(level, self.next_band, &band, rows)?;
            }
            self.pending_rows -= rows;
            self.next_band += 1;
        }
        Ok(Batch { rows: out_rows, data })
    }
}

/// Partial statistics of some rows.
#[derive(Default)]
struct Partial {
    nan: u64,
    finite: u64,
    sum: f64,
    min: f32,
    max: f32,
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
    let mut part = Partial { min: f32::INFINITY, max: f32::NEG_INFINITY, ..Partial::default() };
    for &v in row {
        if v.is_nan() {
            part.nan += 1;
        } else {
            part.finite += 1;
            part.sum += f64::from(v);
            part.min = part.min.min(v);
            part.max = part.max.max(v);
        }
    }
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

fn build(matrix: &Matrix, row_order: &[u32], col_order: &[u32], path: &Path, key: u64) -> Result<(), PyramidError> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    let geometry = Geometry::new(rows, cols);
    let layout = FileLayout::new(geometry);
    let (row_levels, col_levels) = geometry.level_counts();
    let widths: Vec<usize> = (0..col_levels).map(|j| shrink(cols, j)).collect();
    let dir = path.parent().unwrap_or(Path::new("."));
    let write_error = |source| PyramidError::Write { path: path.to_owned(), source };
    std::fs::create_dir_all(dir).map_err(write_error)?;
    let temp = tempfile::Builder::new().prefix(".pyramid.").suffix(".tmp").tempfile_in(dir).map_err(write_error)?;
    temp.as_file().set_len(layout.total).map_err(write_error)?;
    let writer = Writer { file: temp.as_file(), path, layout: &layout, widths: widths.clone() };
    let mut cascade: Vec<RowLevel> = (1..row_levels).map(|i| RowLevel::new(i, &widths)).collect();
    let sample_p = (SAMPLE_TARGET / (rows as f64 * cols as f64)).min(1.0);
    let mut total = Partial { min: f32::INFINITY, max: f32::NEG_INFINITY, ..Partial::default() };
    let bar = progress::bytes_bar((rows * cols * 4) as u64, "pyramid");
    let mut since_release = 0;
    let mut values = Vec::new();

    for (ty, first) in (0..rows).step_by(TILE).enumerate() {
        if progress::interrupted() {
            return Err(PyramidError::Interrupted);
        }
        let band_rows = TILE.min(rows - first);
        values.resize(band_rows * cols, 0.0);
        let parts: Vec<Partial> = values
            .par_chunks_mut(cols)
            .enumerate()
            .map(|(r, out)| {
                let source = matrix.row(row_order[first + r] as usize);
                for (v, &c) in out.iter_mut().zip(col_order) {
                    *v = source[c as usize];
                }
                row_stats(out, first + r, sample_p)
            })
            .collect();
        for part in parts {
            total.nan += part.nan;
            total.finite += part.finite;
            total.sum += part.sum;
            total.min = total.min.min(part.min);
            total.max = total.max.max(part.max);
            total.samples.extend(part.samples);
        }
        writer.base_band(ty as u32, &values, band_rows)?;

        let mut data = vec![values.par_iter().map(|&v| Agg::of(v)).collect::<Vec<_>>()];
        for j in 1..col_levels as usize {
            let shrunk = shrink_columns(&data[j - 1], widths[j - 1]);
            let cells: Vec<[f32; 3]> = shrunk.iter().map(Agg::values).collect();
            writer.aggregate_band(Level { row: 0, col: j as u32 }, ty as u32, &cells, band_rows)?;
            data.push(shrunk);
        }
        let last = first + band_rows == rows;
        let mut batch = Batch { rows: band_rows, data };
        for level in &mut cascade {
            batch = level.push(batch, last, &writer)?;
        }

        since_release += band_rows * cols * 4;
        if since_release >= RELEASE_EVERY {
            // Display order jumps around the file: let go of everything read.
            matrix.release_rows(0..rows);
            since_release = 0;
        }
        bar.inc((band_rows * cols * 4) as u64);
    }
    bar.finish_and_clear();

    total.samples.par_sort_unstable_by(f32::total_cmp);
    let percentile = |q: f64| {
        let n = total.samples.len();
        if n == 0 { f32::NAN } else { total.samples[((q * (n - 1) as f64).round() as usize).min(n - 1)] }
    };
    let any = total.finite > 0;
    let stats = ValueStats {
        min: if any { total.min } else { f32::NAN },
        max: if any { total.max } else { f32::NAN },
        mean: if any { total.sum / total.finite as f64 } else { f64::NAN },
        nan_count: total.nan,
        finite_count: total.finite,
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
    let checksum = fnv1a(&header[..104]);
    header[104..112].copy_from_slice(&checksum.to_le_bytes());
    writer.write_at(&header, 0)?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}
