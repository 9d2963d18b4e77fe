//! Standardised copies of a matrix (seaborn's `z_score` and
//! `standard_scale`), written once into the binary cache and mapped, so
//! clustering and drawing read them like any other matrix and nothing is
//! held whole in RAM.

use std::path::Path;

use rayon::prelude::*;

use super::axis::Axis;
use super::cache::{self, CacheWriter, SourceKey};
use super::error::InputError;
use super::matrix::{CacheUse, Matrix, reopen};
use crate::progress;

/// How to standardise each row (or column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standardize {
    /// `(x − mean) / sd`, sd with n − 1 degrees of freedom (pandas' `std`, as
    /// seaborn uses); a constant row becomes 0.
    ZScore(Axis),
    /// `(x − min) / (max − min)`; a constant row becomes 0.
    StandardScale(Axis),
}

impl Standardize {
    fn name(self) -> &'static str {
        match self {
            Standardize::ZScore(Axis::Rows) => "zscore-rows",
            Standardize::ZScore(Axis::Cols) => "zscore-cols",
            Standardize::StandardScale(Axis::Rows) => "scale-rows",
            Standardize::StandardScale(Axis::Cols) => "scale-cols",
        }
    }

    fn along(self) -> Axis {
        match self {
            Standardize::ZScore(a) | Standardize::StandardScale(a) => a,
        }
    }
}

/// Per-vector statistics over the finite values: count, mean, sum of squared
/// deviations (Chan et al.'s parallel merge), min and max.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
    min: f32,
    max: f32,
}

impl Moments {
    const EMPTY: Moments = Moments { n: 0.0, mean: 0.0, m2: 0.0, min: f32::INFINITY, max: f32::NEG_INFINITY };

    fn add(&mut self, v: f32) {
        if !v.is_finite() {
            return;
        }
        self.n += 1.0;
        let d = v as f64 - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (v as f64 - self.mean);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn merge(self, o: Moments) -> Moments {
        if o.n == 0.0 {
            return self;
        }
        if self.n == 0.0 {
            return o;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        Moments {
            n,
            mean: self.mean + d * o.n / n,
            m2: self.m2 + o.m2 + d * d * self.n * o.n / n,
            min: self.min.min(o.min),
            max: self.max.max(o.max),
        }
    }

    /// `x ↦ (x − shift) × scale` for this vector.
    fn affine(self, how: Standardize) -> (f64, f64) {
        match how {
            Standardize::ZScore(_) => {
                let sd = if self.n > 1.0 { (self.m2 / (self.n - 1.0)).sqrt() } else { 0.0 };
                (self.mean, if sd > 0.0 { 1.0 / sd } else { 0.0 })
            }
            Standardize::StandardScale(_) => {
                let range = (self.max - self.min) as f64;
                (self.min as f64, if range > 0.0 { 1.0 / range } else { 0.0 })
            }
        }
    }
}

/// Rows a block of the streaming passes holds.
const BLOCK_ROWS: usize = 1024;

/// The standardised copy of `matrix`: reused from `dir` when it was made
/// before from the same matrix, otherwise written there.
pub fn standardize(matrix: &Matrix, how: Standardize, dir: &Path) -> Result<Matrix, InputError> {
    let path = &matrix.source().path;
    let stem = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let key = SourceKey::derived(matrix.fingerprint(), how.name(), &stem);
    let cache_path = key.cache_path(dir);
    let damaged = match cache::open_valid(&cache_path, &key) {
        Ok(cached) => return Ok(carry_labels(Matrix::from_cache(path, cached, CacheUse::Reused(cache_path)), matrix)),
        Err(unusable) => unusable.warning(&cache_path),
    };
    let (rows, cols) = (matrix.rows(), matrix.cols());
    let columns = match how.along() {
        Axis::Cols => Some(column_moments(matrix)?.into_iter().map(|m| m.affine(how)).collect::<Vec<_>>()),
        Axis::Rows => None,
    };
    let bar = progress::bytes_bar((rows * cols * 4) as u64, how.name());
    let mut writer = CacheWriter::create(dir, &key, cols)?;
    let mut block = Vec::new();
    for start in (0..rows).step_by(BLOCK_ROWS) {
        if progress::interrupted() {
            return Err(InputError::Interrupted);
        }
        let end = (start + BLOCK_ROWS).min(rows);
        block.resize((end - start) * cols, 0.0);
        block.par_chunks_mut(cols).zip(start..end).for_each(|(out, i)| {
            let row = matrix.row(i);
            let row_affine = columns.is_none().then(|| {
                let moments = row.iter().fold(Moments::EMPTY, |mut m, &v| {
                    m.add(v);
                    m
                });
                moments.affine(how)
            });
            for (j, (o, &v)) in out.iter_mut().zip(row).enumerate() {
                let (shift, scale) = row_affine.unwrap_or_else(|| columns.as_ref().expect("column transform")[j]);
                *o = ((v as f64 - shift) * scale) as f32;
            }
        });
        writer.write_rows(&block)?;
        matrix.release_rows(start..end);
        bar.inc((block.len() * 4) as u64);
    }
    bar.finish_and_clear();
    let built = writer.finish(None, None, 0, &format!("float32, {} of {}", how.name(), matrix.source().stored_as))?;
    let cached = reopen(&built, &key)?;
    let mut copy = Matrix::from_cache(path, cached, CacheUse::Built(built));
    copy.source.warnings.extend(damaged);
    Ok(carry_labels(copy, matrix))
}

/// Labels come from the original (the copy stores none, so label side
/// files given for this run apply to it too).
fn carry_labels(copy: Matrix, original: &Matrix) -> Matrix {
    copy.with_labels(original.row_labels().clone(), original.col_labels().clone())
}

/// Statistics of every column, in one parallel pass over row blocks.
fn column_moments(matrix: &Matrix) -> Result<Vec<Moments>, InputError> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    let blocks: Vec<usize> = (0..rows).step_by(BLOCK_ROWS).collect();
    let merged = blocks
        .par_iter()
        .map(|&start| {
            let mut moments = vec![Moments::EMPTY; cols];
            for i in start..(start + BLOCK_ROWS).min(rows) {
                for (m, &v) in moments.iter_mut().zip(matrix.row(i)) {
                    m.add(v);
                }
            }
            moments
        })
        .reduce(|| vec![Moments::EMPTY; cols], |a, b| a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect());
    if progress::interrupted() {
        return Err(InputError::Interrupted);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use npyz::WriterBuilder;

    fn standardized(how: Standardize, rows: usize, cols: usize, data: Vec<f32>) -> Vec<f32> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npy");
        let matrix = Matrix::from_vec(rows, cols, data);
        let file = std::fs::File::create(&path).unwrap();
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[rows as u64, cols as u64])
            .writer(file)
            .begin_nd()
            .unwrap();
        w.extend(matrix.data().iter().copied()).unwrap();
        w.finish().unwrap();
        let opened = Matrix::open(&path, &Default::default()).unwrap();
        standardize(&opened, how, dir.path()).unwrap().data().to_vec()
    }

    #[test]
    fn z_scores_use_the_sample_standard_deviation() {
        // Row [1, 2, 3]: mean 2, sd 1 → [-1, 0, 1]; row [5, 5, 5] is constant → 0.
        let out = standardized(Standardize::ZScore(Axis::Rows), 2, 3, vec![1.0, 2.0, 3.0, 5.0, 5.0, 5.0]);
        assert_eq!(out, vec![-1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        // Columns [1, 5] and [3, NaN]: the missing value stays missing.
        let out = standardized(Standardize::ZScore(Axis::Cols), 2, 2, vec![1.0, 3.0, 5.0, f32::NAN]);
        let sd = (8.0f64).sqrt();
        assert_eq!(out[0], (-2.0 / sd) as f32);
        assert_eq!(out[2], (2.0 / sd) as f32);
        assert_eq!(out[1], 0.0);
        assert!(out[3].is_nan());
    }

    #[test]
    fn standard_scale_maps_each_column_to_zero_one() {
        let out = standardized(Standardize::StandardScale(Axis::Cols), 3, 2, vec![0.0, 10.0, 5.0, 10.0, 10.0, 10.0]);
        assert_eq!(out, vec![0.0, 0.0, 0.5, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn parallel_merges_match_one_pass() {
        let values: Vec<f32> = (0..1000).map(|i| ((i * 37) % 101) as f32 * 0.5 - 7.0).collect();
        let whole = values.iter().fold(Moments::EMPTY, |mut m, &v| {
            m.add(v);
            m
        });
        let halves = values.chunks(333).map(|c| {
            c.iter().fold(Moments::EMPTY, |mut m, &v| {
                m.add(v);
                m
            })
        });
        let merged = halves.fold(Moments::EMPTY, Moments::merge);
        assert!((whole.mean - merged.mean).abs() < 1e-12);
        assert!((whole.m2 - merged.m2).abs() < 1e-6 * whole.m2);
        assert_eq!((whole.min, whole.max), (merged.min, merged.max));
    }
}
