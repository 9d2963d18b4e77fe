//! Distances between the columns of a tall matrix from one streamed pass
//! over its rows: the columns' Gram matrix `XᵀX` (with each metric's shift),
//! summed as `f32` matrix products of [`BLOCK_ROWS`] rows whose results are
//! added up in `f64`.
//!
//! The panel route of [`super::pdist`] gathers the columns a panel at a time
//! and reads the whole matrix once per pair of panels (36 passes for 1,000
//! columns of a million rows); this reads it once, in file order, with
//! `pread` into two buffers (one read while the other is multiplied), so it
//! maps nothing and holds about 64 MB whatever the file's size.
//!
//! - euclidean, sqeuclidean: each row is centred on its own mean (the shift
//!   the panel route uses), `d² = gᵢᵢ + gⱼⱼ − 2gᵢⱼ`;
//! - cosine: `1 − gᵢⱼ / √(gᵢᵢ gⱼⱼ)`;
//! - correlation: each column is shifted by its mean over the first rows
//!   read, and its sum `sᵢ` is kept: `cov = gᵢⱼ − sᵢsⱼ/n`.
//!
//! Precision: a product sums [`BLOCK_ROWS`] terms in `f32` (relative error
//! about `√1024 · 2⁻²⁴ ≈ 2·10⁻⁶` of `Σ|aₖbₖ|`), its result joins `f64`
//! totals, so a distance agrees with the `f64` route to about `10⁻⁶` of
//! the pair's norms (`|a|² + |b|²`; 1 for the correlation types). A matrix
//! with a missing value or a (shifted) value outside `[1e-15, 1e15]` in
//! size (where `f32` products would overflow or flush to zero), cityblock
//! and spearman (which need whole columns) take the panel route; so do
//! matrices with more than [`MAX_COLS`] columns. The pass stops at the
//! first such value, so a missing value near the end of the file costs a
//! pass.
//!
//! Every sum has a fixed place and order (one task per chunk of 128
//! columns, multiplied with every column from its first on; row blocks in
//! file order), so the result does not depend on the number of threads.

use std::sync::mpsc;

use crate::progress::Bar;
use ndarray::{ArrayView2, ArrayViewMut2, linalg::general_mat_mul, s};
use rayon::prelude::*;

use super::ClusterError;
use super::condensed::CondensedMatrix;
use super::metric::{self, Metric};
use crate::input::Matrix;
use crate::progress;

/// Rows each `f32` product sums over before its result joins the totals.
const BLOCK_ROWS: usize = 1024;

/// Columns of a chunk: each chunk's product with the columns from its own
/// on is a task.
const CHUNK: usize = 128;

/// Bytes of rows read at a time (into each of two buffers).
const STEP_BYTES: usize = 32 << 20;

/// The most columns streamed: the `f64` totals of the upper triangle take
/// `c(c + 128)/2 × 8` bytes (about 280 MB at 8,192).
pub(crate) const MAX_COLS: usize = 8192;

/// Whether the distances of `metric` follow from a streamed Gram matrix.
pub(crate) fn streams(metric: Metric) -> bool {
    matches!(metric, Metric::Euclidean | Metric::SqEuclidean | Metric::Cosine | Metric::Correlation)
}

/// The column distances of `matrix` by `metric` from one pass, or `None`
/// when the metric needs whole columns or a value is missing (NaN or ±∞),
/// for the caller to take the panel route.
pub(crate) fn column_distances(
    matrix: &Matrix,
    metric: Metric,
    progress: Option<&Bar>,
) -> Result<Option<CondensedMatrix>, ClusterError> {
    let (n, c) = (matrix.rows(), matrix.cols());
    if !streams(metric) || !(2..=MAX_COLS).contains(&c) || n == 0 {
        return Ok(None);
    }
    let step_rows = (STEP_BYTES / (c * 4) / BLOCK_ROWS * BLOCK_ROWS).max(BLOCK_ROWS);
    in_steps(matrix, metric, progress, step_rows)
}

/// [`column_distances`] reading `step_rows` rows at a time.
fn in_steps(
    matrix: &Matrix,
    metric: Metric,
    progress: Option<&Bar>,
    step_rows: usize,
) -> Result<Option<CondensedMatrix>, ClusterError> {
    let (n, c) = (matrix.rows(), matrix.cols());
    if let Some(p) = progress {
        p.set_length(n as u64);
        p.set_position(0);
        p.set_message("column products");
    }
    let mut gram = Gram::new(c);
    let complete = std::thread::scope(|scope| -> Result<bool, ClusterError> {
        // Two buffers go round: the reader fills one while the other is used.
        let (free_tx, free_rx) = mpsc::channel::<Vec<f32>>();
        let (full_tx, full_rx) = mpsc::channel::<std::io::Result<(usize, Vec<f32>)>>();
        for _ in 0..2 {
            free_tx.send(Vec::new()).expect("the receiver is here");
        }
        scope.spawn(move || {
            for first in (0..n).step_by(step_rows) {
                let Ok(mut buffer) = free_rx.recv() else { return };
                buffer.resize(step_rows.min(n - first) * c, 0.0);
                let read = matrix.read_rows(first, &mut buffer).map(|()| (first, buffer));
                let failed = read.is_err();
                if full_tx.send(read).is_err() || failed {
                    return;
                }
            }
        });
        for read in full_rx {
            if progress::interrupted() {
                return Err(ClusterError::Interrupted);
            }
            let (first, mut rows) = read.map_err(|e| ClusterError::Read(e.to_string()))?;
            if !gram.add(metric, &mut rows, first == 0) {
                return Ok(false);
            }
            if let Some(p) = progress {
                p.inc((rows.len() / c) as u64);
            }
            // The reader has stopped if this fails; the loop then ends.
            let _ = free_tx.send(rows);
        }
        Ok(true)
    })?;
    if !complete {
        return Ok(None);
    }
    gram.distances(metric, n).map(Some)
}

/// The running totals of one pass.
struct Gram {
    cols: usize,
    /// For each chunk of columns `I`, the `f64` totals of its columns
    /// against every column from `I`'s first on (`width(I) × (cols −
    /// first(I))`, row-major): the upper triangle in one product a chunk.
    totals: Vec<Vec<f64>>,
    /// Correlation: each column's shift and the sum of its shifted values.
    shift: Vec<f32>,
    sums: Vec<f64>,
}

impl Gram {
    fn new(cols: usize) -> Self {
        let totals = (0..cols.div_ceil(CHUNK))
            .map(|i| {
                let first = i * CHUNK;
                vec![0.0f64; CHUNK.min(cols - first) * (cols - first)]
            })
            .collect();
        Self { cols, totals, shift: vec![0.0; cols], sums: vec![0.0; cols] }
    }

    /// Adds whole rows (`rows.len() / cols` of them), shifting them in
    /// place first; `first` is the pass's first buffer. Returns false, with
    /// nothing added, at a missing value, or a value whose products `f32`
    /// would overflow or flush to zero.
    fn add(&mut self, metric: Metric, rows: &mut [f32], first: bool) -> bool {
        let c = self.cols;
        // Products of values in [1e-15, 1e15] (and sums of 1,024 of them)
        // stay normal `f32` numbers. A missing value (NaN, ±∞) fails this
        // too, having made its row's or column's shifted values NaN. A fold
        // without early exit, so that it vectorises.
        let representable = |values: &[f32]| {
            values.iter().fold(true, |all, v| {
                let a = v.abs();
                all & (a <= 1e15) & ((a == 0.0) | (a >= 1e-15))
            })
        };
        let fine = match metric {
            Metric::Euclidean | Metric::SqEuclidean => rows.par_chunks_mut(c).with_min_len(64).all(|row| {
                let mean = (lane_sum(row) / c as f64) as f32;
                row.iter_mut().for_each(|v| *v -= mean);
                representable(row)
            }),
            Metric::Correlation => {
                if first {
                    self.shift = column_sums(rows, c).iter().map(|s| (s / (rows.len() / c) as f64) as f32).collect();
                }
                let shift = &self.shift;
                rows.par_chunks_mut(c).for_each(|row| row.iter_mut().zip(shift).for_each(|(v, s)| *v -= s));
                self.sums.iter_mut().zip(column_sums(rows, c)).for_each(|(total, s)| *total += s);
                rows.par_chunks(c * 64).all(representable)
            }
            _ => rows.par_chunks(c * 64).all(representable),
        };
        if !fine {
            return false;
        }
        let n = rows.len() / c;
        let all = ArrayView2::from_shape((n, c), &*rows).expect("whole rows");
        // Chunks taken widest and narrowest in turn (0, k − 1, 1, k − 2, …),
        // so that halves of the list, as the threads split it, hold about
        // the same work.
        let k = self.totals.len();
        let mut tasks: Vec<(usize, &mut Vec<f64>)> = self.totals.iter_mut().enumerate().collect();
        tasks.sort_by_key(|&(i, _)| if i < k - i { 2 * i } else { 2 * (k - 1 - i) + 1 });
        tasks.into_par_iter().with_max_len(1).for_each(|(i, total)| {
            let first = i * CHUNK;
            let (mine, right) = (first..c.min(first + CHUNK), first..c);
            let (wi, wj) = (mine.len(), right.len());
            let mut product = vec![0.0f32; wi * wj];
            for r0 in (0..n).step_by(BLOCK_ROWS) {
                let r1 = (r0 + BLOCK_ROWS).min(n);
                let a = all.slice(s![r0..r1, mine.clone()]);
                let b = all.slice(s![r0..r1, right.clone()]);
                let mut out = ArrayViewMut2::from_shape((wi, wj), &mut product[..]).expect("chunk shape");
                general_mat_mul(1.0, &a.t(), &b, 0.0, &mut out);
                total.iter_mut().zip(&product).for_each(|(t, &p)| *t += f64::from(p));
            }
        });
        true
    }

    /// `gᵢⱼ` for `i ≤ j`.
    fn get(&self, i: usize, j: usize) -> f64 {
        let first = i / CHUNK * CHUNK;
        self.totals[i / CHUNK][(i - first) * (self.cols - first) + (j - first)]
    }

    /// The distances from the totals of a pass over `n` rows.
    fn distances(&self, metric: Metric, n: usize) -> Result<CondensedMatrix, ClusterError> {
        let c = self.cols;
        let centred = |i: usize, j: usize| match metric {
            Metric::Correlation => self.get(i, j) - self.sums[i] * self.sums[j] / n as f64,
            _ => self.get(i, j),
        };
        // Rounding can leave a constant column's variance a hair below 0.
        let diagonal: Vec<f64> = (0..c).map(|i| centred(i, i).max(0.0)).collect();
        let mut dist = CondensedMatrix::zeros(c)?;
        let blocks = dist.blocks().clone();
        let out = dist.raw_mut();
        for i in 0..c {
            for j in i + 1..c {
                let g = centred(i, j);
                let (a, b) = (diagonal[i], diagonal[j]);
                let d = match metric {
                    Metric::Euclidean => (a + b - 2.0 * g).max(0.0).sqrt(),
                    Metric::SqEuclidean => (a + b - 2.0 * g).max(0.0),
                    _ => 1.0 - metric::ratio(g, a * b),
                };
                if d as f32 == f32::INFINITY {
                    let item = super::Axis::Cols.item_name();
                    return Err(ClusterError::DistanceOverflow { item, a: i, b: j, metric: metric.name() });
                }
                out[blocks.upper(i, j)] = d as f32;
            }
        }
        Ok(dist)
    }
}

/// The `f64` sum of `values`, in eight lanes (so that it vectorises) in
/// a fixed order.
fn lane_sum(values: &[f32]) -> f64 {
    const L: usize = 8;
    let mut lanes = [0.0f64; L];
    let chunks = values.chunks_exact(L);
    let tail: f64 = chunks.remainder().iter().map(|&v| f64::from(v)).sum();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f64::from(v);
        }
    }
    lanes.iter().sum::<f64>() + tail
}

/// The `f64` sum of each column of row-major `rows` of `c` values, summed
/// in row order (column ranges in parallel).
fn column_sums(rows: &[f32], c: usize) -> Vec<f64> {
    const RANGE: usize = 64;
    let mut sums = vec![0.0f64; c];
    sums.par_chunks_mut(RANGE).enumerate().for_each(|(k, part)| {
        let columns = k * RANGE..k * RANGE + part.len();
        for row in rows.chunks_exact(c) {
            part.iter_mut().zip(&row[columns.clone()]).for_each(|(s, &v)| *s += f64::from(v));
        }
    });
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::condensed::{Items, pdist_items};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Columns in correlated families, far from zero (so that unshifted
    /// sums would cancel), with a constant column and a duplicated one.
    fn tall(rows: usize, cols: usize) -> Matrix {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let base: Vec<f32> = (0..rows * 4).map(|_| rng.random::<f32>() * 4.0 - 2.0).collect();
        let mut data = vec![0.0f32; rows * cols];
        for r in 0..rows {
            for k in 0..cols {
                let family = base[r * 4 + k % 4];
                let offset = 100.0 + (k % 7) as f32 * 50.0;
                data[r * cols + k] = offset + family + 0.3 * (rng.random::<f32>() - 0.5);
            }
            data[r * cols + 5] = 42.0;
            data[r * cols + 9] = data[r * cols + 8];
        }
        Matrix::from_vec(rows, cols, data)
    }

    #[test]
    fn one_pass_gives_the_distances_of_the_panels() {
        // Rows not a multiple of a product's block nor of a read (four reads,
        // the last short); columns over two chunks, the last narrow.
        let matrix = tall(3500, 300);
        for metric in [Metric::Euclidean, Metric::SqEuclidean, Metric::Cosine, Metric::Correlation] {
            let streamed = in_steps(&matrix, metric, None, 1024).unwrap().expect("complete values").to_vec();
            let panels = pdist_items(Items::Cols(&matrix), metric, None).unwrap().to_vec();
            // The error bound of the module documentation, against the f64
            // route: 1e-6 of the pair's norms (after the same shift).
            let norms: Vec<f64> = match metric {
                Metric::Euclidean | Metric::SqEuclidean => (0..300)
                    .map(|k| {
                        (0..3500)
                            .map(|r| {
                                let row = matrix.row(r);
                                let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / 300.0;
                                (f64::from(row[k]) - mean).powi(2)
                            })
                            .sum()
                    })
                    .collect(),
                _ => vec![0.5; 300],
            };
            let mut at = 0;
            for i in 0..300 {
                for j in i + 1..300 {
                    let (s, p) = (f64::from(streamed[at]), f64::from(panels[at]));
                    let scale = norms[i] + norms[j];
                    let err = match metric {
                        Metric::Euclidean => (s * s - p * p).abs(),
                        _ => (s - p).abs(),
                    };
                    assert!(err <= 1e-6 * scale, "{metric:?} d({i}, {j}): {s} against {p}");
                    at += 1;
                }
            }
            // The constant column is at correlation distance 1 from all;
            // the duplicated pair at 0.
            if metric == Metric::Correlation {
                let d = CondensedMatrix::from_vec(300, streamed);
                assert_eq!(d.get(5, 0), 1.0);
                assert_eq!(d.get(5, 200), 1.0);
                assert!(d.get(8, 9) < 1e-6, "{}", d.get(8, 9));
            }
        }
    }

    #[test]
    fn a_missing_value_or_a_whole_column_metric_takes_the_panels() {
        let mut data = tall(2100, 200).data().to_vec();
        data[2050 * 200 + 3] = f32::NAN;
        let with_nan = Matrix::from_vec(2100, 200, data);
        assert!(in_steps(&with_nan, Metric::Euclidean, None, 1024).unwrap().is_none());
        let matrix = tall(100, 200);
        assert!(column_distances(&matrix, Metric::Spearman, None).unwrap().is_none());
        assert!(column_distances(&matrix, Metric::Cityblock, None).unwrap().is_none());
    }
}
