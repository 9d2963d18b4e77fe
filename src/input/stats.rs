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

/// Partial sums of one block of rows.
#[derive(Clone, Copy)]
struct Partial {
    nan: u64,
    finite: u64,
    sum: f64,
    min: f32,
    max: f32,
}

impl Partial {
    const EMPTY: Partial = Partial { nan: 0, finite: 0, sum: 0.0, min: f32::INFINITY, max: f32::NEG_INFINITY };

    fn merge(self, other: Partial) -> Partial {
        Partial {
            nan: self.nan + other.nan,
            finite: self.finite + other.finite,
            sum: self.sum + other.sum,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
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
    let blocks: Vec<Result<Partial, InputError>> = (0..rows.div_ceil(step))
        .into_par_iter()
        .map(|block| {
            if progress::interrupted() {
                return Err(InputError::Interrupted);
            }
            let first = block * step;
            let last = (first + step).min(rows);
            let values = &matrix.data()[first * cols..last * cols];
            let mut part = Partial::EMPTY;
            // Sum in f64 per row so a billion values keep their precision.
            for (r, row) in values.chunks_exact(cols).enumerate() {
                let mut row_sum = 0.0f64;
                for (c, &v) in row.iter().enumerate() {
                    if v.is_nan() {
                        part.nan += 1;
                    } else if v.is_infinite() {
                        return Err(InputError::InfiniteValue {
                            path: matrix.source().path.clone(),
                            row: (first + r) as u64,
                            column: c as u64,
                        });
                    } else {
                        part.finite += 1;
                        row_sum += f64::from(v);
                        part.min = part.min.min(v);
                        part.max = part.max.max(v);
                    }
                }
                part.sum += row_sum;
            }
            matrix.release_rows(first..last);
            bar.inc(values.len() as u64 * 4);
            Ok(part)
        })
        .collect();
    bar.finish_and_clear();
    let mut total = Partial::EMPTY;
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
