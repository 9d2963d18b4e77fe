//! [`Cells`]: the aggregates of a block of pyramid cells — mean, count,
//! minimum and maximum of the finite matrix cells under each — and the
//! merges that make a coarser level from a finer one, along rows or
//! columns, in loops that vectorise.

use rayon::prelude::*;

use super::layout::FACTOR;

/// Aggregates of a block of cells, `width` per row, one array per quantity
/// so that merging loops vectorise: the mean, count, minimum and maximum of
/// the finite matrix cells under each cell (mean 0, count 0, min +∞ and
/// max −∞ where there is none). Means are merged weighted by counts.
#[derive(Default)]
pub(super) struct Cells {
    pub(super) width: usize,
    pub(super) mean: Vec<f32>,
    pub(super) count: Vec<u32>,
    pub(super) min: Vec<f32>,
    pub(super) max: Vec<f32>,
}

/// One row of [`Cells`], writable.
pub(super) struct RowMut<'a> {
    pub(super) mean: &'a mut [f32],
    pub(super) count: &'a mut [u32],
    pub(super) min: &'a mut [f32],
    pub(super) max: &'a mut [f32],
}

impl RowMut<'_> {
    /// Adds one row of full-resolution values (as wide as this row) to the
    /// running `sums`, the counts and the extremes.
    pub(super) fn add_values(&mut self, sums: &mut [f32], values: &[f32]) {
        for (s, (c, &v)) in sums.iter_mut().zip(self.count.iter_mut().zip(values)) {
            let finite = !v.is_nan();
            *s += if finite { v } else { 0.0 };
            *c += u32::from(finite);
        }
        fold_extremes(self.min, self.max, values);
    }

    /// Sets this row's cells, each from `FACTOR` neighbouring
    /// full-resolution `values` (the last group may be short).
    pub(super) fn merge_columns(self, values: &[f32]) {
        // Whole groups as arrays (a loop the compiler unrolls), then the short one.
        let (groups, short) = values.as_chunks::<FACTOR>();
        let groups = groups.iter().map(|g| g.as_slice()).chain((!short.is_empty()).then_some(short));
        let cells = self.mean.iter_mut().zip(self.count.iter_mut()).zip(self.min.iter_mut()).zip(self.max.iter_mut());
        for ((((mean, count), lo), hi), group) in cells.zip(groups) {
            let (mut sum, mut n) = (0.0f32, 0u32);
            let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
            for &v in group {
                let finite = !v.is_nan();
                sum += if finite { v } else { 0.0 };
                n += u32::from(finite);
                min = if v < min { v } else { min };
                max = if v > max { v } else { max };
            }
            (*count, *lo, *hi) = (n, min, max);
            *mean = if n > 0 { sum / n as f32 } else { 0.0 };
        }
    }

    /// Sets each mean from its sum of values and the count already set.
    pub(super) fn set_means(self, sums: &[f32]) {
        for ((mean, &count), &sum) in self.mean.iter_mut().zip(self.count.iter()).zip(sums) {
            *mean = if count > 0 { sum / count as f32 } else { 0.0 };
        }
    }
}

impl Cells {
    pub(super) fn empty(width: usize) -> Self {
        Cells { width, ..Cells::default() }
    }

    pub(super) fn rows(&self) -> usize {
        self.count.len() / self.width.max(1)
    }

    /// Row `y`, writable.
    pub(super) fn row_mut(&mut self, y: usize) -> RowMut<'_> {
        let cells = y * self.width..(y + 1) * self.width;
        RowMut {
            mean: &mut self.mean[cells.clone()],
            count: &mut self.count[cells.clone()],
            min: &mut self.min[cells.clone()],
            max: &mut self.max[cells],
        }
    }

    /// Makes these `rows` rows of `width` empty cells, reusing their memory.
    pub(super) fn reset(&mut self, width: usize, rows: usize) {
        let n = width * rows;
        self.width = width;
        for (v, empty) in [(&mut self.mean, 0.0), (&mut self.min, f32::INFINITY), (&mut self.max, f32::NEG_INFINITY)] {
            v.clear();
            v.resize(n, empty);
        }
        self.count.clear();
        self.count.resize(n, 0);
    }

    /// `rows` rows of empty cells.
    pub(super) fn blank(width: usize, rows: usize) -> Self {
        let n = width * rows;
        Cells {
            width,
            mean: vec![0.0; n],
            count: vec![0; n],
            min: vec![f32::INFINITY; n],
            max: vec![f32::NEG_INFINITY; n],
        }
    }

    /// `rows` rows of zeros, for a merge that sets every quantity of
    /// every cell (zeros cost the allocator nothing to write).
    pub(super) fn zeroed(width: usize, rows: usize) -> Self {
        let n = width * rows;
        Cells { width, mean: vec![0.0; n], count: vec![0; n], min: vec![0.0; n], max: vec![0.0; n] }
    }

    /// Runs `f(row index, row)` on every row, in parallel.
    pub(super) fn par_rows(&mut self, f: impl Fn(usize, RowMut) + Sync + Send) {
        let w = self.width;
        self.mean
            .par_chunks_mut(w)
            .zip(self.count.par_chunks_mut(w))
            .zip(self.min.par_chunks_mut(w))
            .zip(self.max.par_chunks_mut(w))
            .enumerate()
            .for_each(|(r, (((mean, count), min), max))| f(r, RowMut { mean, count, min, max }));
    }

    /// Cells that each merge `FACTOR` consecutive rows of full-resolution
    /// values (`width` per row; the last group may be short).
    pub(super) fn from_value_rows(values: &[f32], width: usize) -> Self {
        let rows = values.len() / width;
        let mut out = Cells::blank(width, rows.div_ceil(FACTOR));
        out.par_rows(|o, mut row| {
            let mut sum = vec![0.0f32; width];
            for r in o * FACTOR..((o + 1) * FACTOR).min(rows) {
                row.add_values(&mut sum, &values[r * width..(r + 1) * width]);
            }
            row.set_means(&sum);
        });
        out
    }

    /// Cells that each merge `FACTOR` neighbouring full-resolution values
    /// of a row (`width` per row; the last group may be short).
    pub(super) fn from_value_columns(values: &[f32], width: usize) -> Self {
        let out_w = width.div_ceil(FACTOR);
        let mut out = Cells::zeroed(out_w, values.len() / width);
        out.par_rows(|r, row| row.merge_columns(&values[r * width..(r + 1) * width]));
        out
    }

    /// Merges every `FACTOR` neighbouring cells of each row into one.
    pub(super) fn shrink_columns(&self) -> Cells {
        let (w, out_w) = (self.width, self.width.div_ceil(FACTOR));
        let mut out = Cells::zeroed(out_w, self.rows());
        out.par_rows(|r, row| {
            let cells = r * w..(r + 1) * w;
            let inputs = self.count[cells.clone()]
                .chunks(FACTOR)
                .zip(self.mean[cells.clone()].chunks(FACTOR))
                .zip(self.min[cells.clone()].chunks(FACTOR))
                .zip(self.max[cells].chunks(FACTOR));
            for ((((mean, count), lo), hi), (((counts, means), mins), maxs)) in row
                .mean
                .iter_mut()
                .zip(row.count.iter_mut())
                .zip(row.min.iter_mut())
                .zip(row.max.iter_mut())
                .zip(inputs)
            {
                let (mut sum, mut n) = (0.0f32, 0u32);
                for (&c, &m) in counts.iter().zip(means) {
                    sum += c as f32 * m;
                    n += c;
                }
                let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
                for (&a, &b) in mins.iter().zip(maxs) {
                    min = if a < min { a } else { min };
                    max = if b > max { b } else { max };
                }
                (*count, *lo, *hi) = (n, min, max);
                *mean = if n > 0 { sum / n as f32 } else { 0.0 };
            }
        });
        out
    }

    /// Merges every `FACTOR` consecutive rows into one; a last group may be short.
    pub(super) fn shrink_rows(&self) -> Cells {
        let (w, rows) = (self.width, self.rows());
        let mut out = Cells::blank(w, rows.div_ceil(FACTOR));
        out.par_rows(|o, row| {
            let mut sum = vec![0.0f32; w];
            for r in o * FACTOR..((o + 1) * FACTOR).min(rows) {
                let cells = r * w..(r + 1) * w;
                let inputs = self.count[cells.clone()].iter().zip(&self.mean[cells.clone()]);
                for ((s, count), (&c, &m)) in sum.iter_mut().zip(row.count.iter_mut()).zip(inputs) {
                    *s += c as f32 * m;
                    *count += c;
                }
                fold_min(row.min, &self.min[cells.clone()]);
                fold_max(row.max, &self.max[cells]);
            }
            row.set_means(&sum);
        });
        out
    }

    /// Appends the rows of `other`.
    pub(super) fn append(&mut self, other: &Cells) {
        self.mean.extend_from_slice(&other.mean);
        self.count.extend_from_slice(&other.count);
        self.min.extend_from_slice(&other.min);
        self.max.extend_from_slice(&other.max);
    }

    /// Appends the rows of `other`, moving them when there are none yet
    /// (the common case: a band arrives whole).
    pub(super) fn take(&mut self, other: Cells) {
        if self.count.is_empty() {
            *self = other;
        } else {
            self.append(&other);
        }
    }

    /// Removes and returns the first `rows` rows.
    pub(super) fn take_front(&mut self, rows: usize) -> Cells {
        if rows == self.rows() {
            return std::mem::replace(self, Cells::empty(self.width));
        }
        let n = rows * self.width;
        let mut rest = Cells::empty(self.width);
        rest.mean = self.mean.split_off(n);
        rest.count = self.count.split_off(n);
        rest.min = self.min.split_off(n);
        rest.max = self.max.split_off(n);
        std::mem::replace(self, rest)
    }
}

/// `lo[x] = min(lo[x], v[x])`, `hi[x] = max(hi[x], v[x])`; NaN in `v` is
/// skipped (every comparison with it is false), and the selects vectorise
/// where `f32::min` would not.
pub(super) fn fold_extremes(lo: &mut [f32], hi: &mut [f32], values: &[f32]) {
    fold_min(lo, values);
    fold_max(hi, values);
}

pub(super) fn fold_min(lo: &mut [f32], values: &[f32]) {
    for (l, &v) in lo.iter_mut().zip(values) {
        *l = if v < *l { v } else { *l };
    }
}

pub(super) fn fold_max(hi: &mut [f32], values: &[f32]) {
    for (h, &v) in hi.iter_mut().zip(values) {
        *h = if v > *h { v } else { *h };
    }
}
