//! One parallel, streaming pass over a matrix: the numbers `info` reports,
//! and the check that no value is infinite.

use rayon::prelude::*;

use super::error::InputError;
use super::matrix::Matrix;
use crate::progress;

/// Summary statistics of all values.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Number of missing (NaN) values.
    pub nan_count: u64,
    /// Smallest finite value; `None` when every value is missing.
    pub min: Option<f32>,
    /// Largest finite value; `None` when every value is missing.
    pub max: Option<f32>,
    /// Mean of the finite values.
    pub mean: Option<f64>,
}

/// Running totals over values: how many are missing, finite or infinite,
/// the sum and extremes of the finite ones. Shared by every streaming pass
/// that reports statistics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub nan: u64,
    pub infinite: u64,
    pub finite: u64,
    pub sum: f64,
    pub min: f32,
    pub max: f32,
}

impl Summary {
    /// No values yet.
    pub const EMPTY: Summary =
        Summary { nan: 0, infinite: 0, finite: 0, sum: 0.0, min: f32::INFINITY, max: f32::NEG_INFINITY };

    /// Adds `values`. Every total runs in eight lanes, in a fixed order for
    /// the same `values`, written with selects rather than branches, so
    /// that the loop vectorises instead of waiting on one addition after
    /// another: NaN fails every comparison, so it never reaches min/max.
    pub fn add(&mut self, values: &[f32]) {
        const L: usize = 8;
        // Lane counts are u32: at most 2²⁴ values a block.
        for block in values.chunks(1 << 24) {
            let mut lanes = Lanes::<L>::default();
            let chunks = block.chunks_exact(L);
            let tail = chunks.remainder();
            for chunk in chunks {
                let chunk: &[f32; L] = chunk.try_into().expect("a chunk of L");
                for (l, &v) in chunk.iter().enumerate() {
                    lanes.add(l, v);
                }
            }
            for (l, &v) in tail.iter().enumerate() {
                lanes.add(l, v);
            }
            let nan: u64 = lanes.nan.iter().map(|&n| u64::from(n)).sum();
            let infinite: u64 = lanes.infinite.iter().map(|&n| u64::from(n)).sum();
            self.nan += nan;
            self.infinite += infinite;
            self.finite += block.len() as u64 - nan - infinite;
            self.sum += lanes.sum.iter().sum::<f64>();
            self.min = lanes.min.iter().fold(self.min, |a, &b| if b < a { b } else { a });
            self.max = lanes.max.iter().fold(self.max, |a, &b| if b > a { b } else { a });
        }
    }

    /// Totals of both.
    pub fn merge(self, other: Summary) -> Summary {
        Summary {
            nan: self.nan + other.nan,
            infinite: self.infinite + other.infinite,
            finite: self.finite + other.finite,
            sum: self.sum + other.sum,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }
}

/// The running totals of [`Summary::add`], lane by lane.
struct Lanes<const L: usize> {
    nan: [u32; L],
    infinite: [u32; L],
    sum: [f64; L],
    min: [f32; L],
    max: [f32; L],
}

impl<const L: usize> Default for Lanes<L> {
    fn default() -> Self {
        Lanes { nan: [0; L], infinite: [0; L], sum: [0.0; L], min: [f32::INFINITY; L], max: [f32::NEG_INFINITY; L] }
    }
}

impl<const L: usize> Lanes<L> {
    #[inline(always)]
    fn add(&mut self, l: usize, v: f32) {
        // Integer tests on the bits without the sign: they vectorise where
        // the float classifications branch.
        let bits = v.to_bits() & 0x7fff_ffff;
        let finite = bits < 0x7f80_0000;
        self.nan[l] += u32::from(bits > 0x7f80_0000);
        self.infinite[l] += u32::from(bits == 0x7f80_0000);
        self.sum[l] += f64::from(if finite { v } else { 0.0 });
        let lo = if finite { v } else { f32::INFINITY };
        let hi = if finite { v } else { f32::NEG_INFINITY };
        self.min[l] = if lo < self.min[l] { lo } else { self.min[l] };
        self.max[l] = if hi > self.max[l] { hi } else { self.max[l] };
    }
}

/// Rows per parallel task: about 4 MB of values.
fn block_rows(cols: usize) -> usize {
    ((4 << 20) / (cols * 4)).max(1)
}

/// Computes [`Stats`] in one pass over the rows, in parallel. Fails on the
/// first infinite value (in row order) or when interrupted.
pub fn scan(matrix: &Matrix) -> Result<Stats, InputError> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    let bar = progress::bytes_bar((rows * cols * 4) as u64, "scanning");
    let step = block_rows(cols);
    // Read with `pread` into a buffer per thread rather than through the
    // map: no page faults, and no mapped pages left behind the pass.
    let blocks: Vec<Result<Summary, InputError>> = (0..rows.div_ceil(step))
        .into_par_iter()
        .map_init(Vec::new, |buffer: &mut Vec<f32>, block| {
            if progress::interrupted() {
                return Err(InputError::Interrupted);
            }
            let first = block * step;
            let last = (first + step).min(rows);
            buffer.resize((last - first) * cols, 0.0);
            matrix
                .read_rows(first, buffer)
                .map_err(|source| InputError::Read { path: matrix.source().path.clone(), source })?;
            let values = &buffer[..];
            let mut part = Summary::EMPTY;
            part.add(values);
            if part.infinite > 0 {
                let at = values.iter().position(|v| v.is_infinite()).unwrap_or(0);
                return Err(InputError::InfiniteValue {
                    path: matrix.source().path.clone(),
                    row: (first + at / cols) as u64,
                    column: (at % cols) as u64,
                });
            }
            bar.inc(values.len() as u64 * 4);
            Ok(part)
        })
        .collect();
    bar.finish_and_clear();
    let mut total = Summary::EMPTY;
    for block in blocks {
        total = total.merge(block?);
    }
    let any = total.finite > 0;
    Ok(Stats {
        nan_count: total.nan,
        min: any.then_some(total.min),
        max: any.then_some(total.max),
        mean: any.then(|| total.sum / total.finite as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_missing_values_and_ignores_them_in_min_max_mean() {
        let m = Matrix::from_vec(2, 3, vec![1.0, f32::NAN, -4.0, 2.0, 7.0, f32::NAN]);
        let stats = scan(&m).unwrap();
        assert_eq!(stats, Stats { nan_count: 2, min: Some(-4.0), max: Some(7.0), mean: Some(1.5) });
    }

    #[test]
    fn an_all_missing_matrix_has_no_range() {
        let stats = scan(&Matrix::from_vec(1, 2, vec![f32::NAN; 2])).unwrap();
        assert_eq!(stats, Stats { nan_count: 2, min: None, max: None, mean: None });
    }

    #[test]
    fn the_first_infinity_is_reported_with_its_place() {
        let m = Matrix::from_vec(2, 2, vec![0.0, 1.0, f32::NEG_INFINITY, f32::INFINITY]);
        let err = scan(&m).unwrap_err();
        assert!(matches!(err, InputError::InfiniteValue { row: 1, column: 0, .. }), "{err}");
    }
}
