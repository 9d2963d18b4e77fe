//! Synthetic genomics-like matrices with planted row and column clusters, so
//! that clustering can be checked against the truth.
//!
//! Each row belongs to one of `row_clusters` groups and each column to one of
//! `col_clusters` groups; a cell is its block's mean (drawn once from
//! N(0, 2²)) plus N(0, noise²) noise, and missing with probability
//! `nan_fraction`. Group membership is a seeded affine permutation of the
//! indices cut into equal runs, so every group is non-empty, sizes differ by
//! at most one, and members are scattered through the file. Every row draws
//! from its own ChaCha8 stream, so the output depends on the seed alone, not
//! on the thread count. Rows are generated and written a block at a time.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use npyz::WriterBuilder;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use crate::output::write_atomically;
use crate::progress;

/// Spread of the block means.
const SIGNAL_SD: f32 = 2.0;
/// Bytes of values generated per block.
const BLOCK_BYTES: usize = 16 << 20;

/// What to generate, as given by the user.
#[derive(Clone, Debug)]
pub struct GenerateParams {
    pub rows: u64,
    pub cols: u64,
    pub row_clusters: u64,
    pub col_clusters: u64,
    pub noise: f32,
    pub nan_fraction: f64,
    pub seed: u64,
    /// How much larger the largest planted row cluster is than the smallest
    /// (sizes in geometric progression); 1: equal sizes.
    pub row_imbalance: f64,
}

/// Parameters that passed [`GenerateParams::check`].
#[derive(Clone, Debug)]
pub struct CheckedParams(GenerateParams);

/// A parameter out of range, or a failed write.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("--{name} {value}: {why}")]
    Param { name: &'static str, value: String, why: &'static str },
    #[error("cannot write {} ({source}); check the folder exists and has space", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("interrupted; nothing was written")]
    Interrupted,
}

impl GenerateParams {
    /// Checks every parameter once, up front.
    pub fn check(self) -> Result<CheckedParams, GenerateError> {
        let param = |name, value: &dyn ToString, why| GenerateError::Param { name, value: value.to_string(), why };
        if self.rows == 0 {
            return Err(param("rows", &self.rows, "needs at least one row"));
        }
        if self.cols == 0 {
            return Err(param("cols", &self.cols, "needs at least one column"));
        }
        let cells = self.rows.checked_mul(self.cols).and_then(|n| n.checked_mul(4));
        if cells.is_none_or(|bytes| usize::try_from(bytes).is_err()) {
            return Err(param("rows", &self.rows, "rows × cols × 4 bytes does not fit this machine's address space"));
        }
        if self.row_clusters == 0 || self.row_clusters > self.rows {
            return Err(param("row-clusters", &self.row_clusters, "must be between 1 and --rows"));
        }
        if self.col_clusters == 0 || self.col_clusters > self.cols {
            return Err(param("col-clusters", &self.col_clusters, "must be between 1 and --cols"));
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(param("noise", &self.noise, "must be a finite number ≥ 0"));
        }
        if !(self.row_imbalance.is_finite() && self.row_imbalance >= 1.0) {
            return Err(param("row-imbalance", &self.row_imbalance, "must be a finite number ≥ 1 (1: equal sizes)"));
        }
        if self.row_clusters > 1 && self.row_imbalance > 1.0 {
            // The smallest cluster's share: r^(k−1) (1 − r) / (1 − r^k).
            let k = self.row_clusters as f64;
            let r = self.row_imbalance.powf(-1.0 / (k - 1.0));
            let smallest = self.rows as f64 * r.powf(k - 1.0) * (1.0 - r) / (1.0 - r.powf(k));
            if smallest < 1.0 {
                return Err(param(
                    "row-imbalance",
                    &self.row_imbalance,
                    "leaves the smallest row cluster without a row; lower it, or --row-clusters",
                ));
            }
        }
        if !(0.0..1.0).contains(&self.nan_fraction) {
            return Err(param("nan-fraction", &self.nan_fraction, "must be in [0, 1)"));
        }
        Ok(CheckedParams(self))
    }
}

/// The files `generate` wrote.
#[derive(Debug)]
pub struct Generated {
    pub matrix: PathBuf,
    pub row_labels: PathBuf,
    pub col_labels: PathBuf,
    pub row_truth: PathBuf,
    pub col_truth: PathBuf,
}

/// The planted group of index `i` of `n`: an affine permutation of `0..n`
/// cut into `k` runs, equal, or in geometric progression of sizes from the
/// largest to `imbalance` times smaller.
#[derive(Clone, Copy, Debug)]
pub struct Planting {
    n: u64,
    k: u64,
    multiplier: u64,
    offset: u64,
    /// The ratio of consecutive sizes, below 1; 1 for equal runs.
    ratio: f64,
}

impl Planting {
    fn new(n: u64, k: u64, rng: &mut ChaCha8Rng) -> Self {
        let offset = rng.random_range(0..n);
        let mut multiplier = rng.random_range(1..n.max(2)) | 1;
        while gcd(multiplier, n) != 1 {
            multiplier += 2;
        }
        Planting { n, k, multiplier: multiplier % n.max(1), offset, ratio: 1.0 }
    }

    /// The same permutation cut into runs from the largest to one
    /// `imbalance` times smaller.
    fn unbalanced(self, imbalance: f64) -> Self {
        let ratio = if self.k > 1 { imbalance.powf(-1.0 / (self.k - 1) as f64) } else { 1.0 };
        Planting { ratio, ..self }
    }

    /// Group of index `i`.
    pub fn group(&self, i: u64) -> u64 {
        let position = (u128::from(self.multiplier) * u128::from(i) + u128::from(self.offset)) % u128::from(self.n);
        if self.ratio == 1.0 {
            return (position * u128::from(self.k) / u128::from(self.n)) as u64;
        }
        // Runs 0..g take the share (1 − rᵍ) / (1 − rᵏ) of the positions.
        let u = position as f64 / self.n as f64;
        let total = 1.0 - self.ratio.powi(self.k as i32);
        let g = ((1.0 - u * total).ln() / self.ratio.ln()).floor();
        (g.max(0.0) as u64).min(self.k - 1)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The row and column plantings and block means that `params` and its seed define.
pub fn model(params: &CheckedParams) -> (Planting, Planting, Vec<f32>) {
    let p = &params.0;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let rows = Planting::new(p.rows, p.row_clusters, &mut rng).unbalanced(p.row_imbalance);
    let cols = Planting::new(p.cols, p.col_clusters, &mut rng);
    let means =
        (0..p.row_clusters * p.col_clusters).map(|_| SIGNAL_SD * rng.sample::<f32, _>(StandardNormal)).collect();
    (rows, cols, means)
}

/// Writes `OUT.npy` (`f32`, C order) with `OUT.rows.txt`, `OUT.cols.txt`
/// (labels, one per line), `OUT.truth.tsv` (each row's planted cluster) and
/// `OUT.col_truth.tsv` (each column's). Each file is written under a
/// temporary name and renamed when complete.
pub fn generate(params: &CheckedParams, out: &Path) -> Result<Generated, GenerateError> {
    let p = &params.0;
    let (row_planting, col_planting, means) = model(params);
    let col_groups: Vec<usize> = (0..p.cols).map(|j| col_planting.group(j) as usize).collect();
    let width = |n: u64| (n.max(2) - 1).to_string().len();
    let row_label = |i: u64| format!("gene{i:0w$}", w = width(p.rows));
    let col_label = |j: u64| format!("sample{j:0w$}", w = width(p.cols));
    let files = Generated {
        matrix: out.to_owned(),
        row_labels: out.with_extension("rows.txt"),
        col_labels: out.with_extension("cols.txt"),
        row_truth: out.with_extension("truth.tsv"),
        col_truth: out.with_extension("col_truth.tsv"),
    };
    let cols = p.cols as usize;
    let block_rows = (BLOCK_BYTES / (cols * 4)).max(1);
    let bar = progress::bytes_bar(p.rows * p.cols * 4, "generating");
    let mut block = Vec::new();
    let result = write_file(out, |w| {
        npyz::WriteOptions::new_header_only()
            .dtype(npyz::DType::new_scalar("<f4".parse().expect("a valid dtype")))
            .shape(&[p.rows, p.cols])
            .writer(&mut *w)
            .write_header_only()?;
        for first in (0..p.rows).step_by(block_rows) {
            if progress::interrupted() {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
            }
            let n = (block_rows as u64).min(p.rows - first) as usize;
            block.resize(n * cols, 0.0);
            block.par_chunks_mut(cols).enumerate().for_each(|(r, row)| {
                let i = first + r as u64;
                let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
                rng.set_stream(i + 1);
                let group_means = &means[row_planting.group(i) as usize * p.col_clusters as usize..];
                for (value, &g) in row.iter_mut().zip(&col_groups) {
                    let noise: f32 = rng.sample(StandardNormal);
                    let missing = p.nan_fraction > 0.0 && rng.random::<f64>() < p.nan_fraction;
                    *value = if missing { f32::NAN } else { group_means[g] + p.noise * noise };
                }
            });
            w.write_all(bytemuck::cast_slice(&block))?;
            bar.inc(block.len() as u64 * 4);
        }
        Ok(())
    });
    bar.finish_and_clear();
    match result {
        Err(GenerateError::Write { source, .. }) if source.kind() == io::ErrorKind::Interrupted => {
            return Err(GenerateError::Interrupted);
        }
        other => other?,
    }
    // The side files come after the matrix, so an interrupted run leaves none.
    write_file(&files.col_labels, |w| (0..p.cols).try_for_each(|j| writeln!(w, "{}", col_label(j))))?;
    write_file(&files.col_truth, |w| {
        writeln!(w, "label\tcluster")?;
        (0..p.cols).try_for_each(|j| writeln!(w, "{}\t{}", col_label(j), col_groups[j as usize]))
    })?;
    write_file(&files.row_labels, |w| (0..p.rows).try_for_each(|i| writeln!(w, "{}", row_label(i))))?;
    write_file(&files.row_truth, |w| {
        writeln!(w, "label\tcluster")?;
        (0..p.rows).try_for_each(|i| writeln!(w, "{}\t{}", row_label(i), row_planting.group(i)))
    })?;

    Ok(files)
}

/// [`write_atomically`] with the error naming the file.
fn write_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), GenerateError> {
    write_atomically(path, body).map_err(|source| GenerateError::Write { path: path.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unbalanced_planting_follows_the_geometric_sizes() {
        // 20 runs from the largest to one 50 times smaller: run g takes
        // r^g (1 − r) / (1 − r^20) of the rows, r = 50^(−1/19).
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (n, k) = (1_000_000u64, 20u64);
        let planting = Planting::new(n, k, &mut rng).unbalanced(50.0);
        let mut sizes = vec![0u64; k as usize];
        for i in 0..n {
            sizes[planting.group(i) as usize] += 1;
        }
        let r = 50f64.powf(-1.0 / 19.0);
        for (g, &size) in sizes.iter().enumerate() {
            let want = n as f64 * r.powi(g as i32) * (1.0 - r) / (1.0 - r.powi(20));
            assert!((size as f64 - want).abs() <= 2.0, "run {g}: {size} rows, {want:.1} expected");
        }
        assert!((sizes[0] as f64 / sizes[19] as f64 - 50.0).abs() < 0.1, "{sizes:?}");
    }

    #[test]
    fn planting_is_a_balanced_partition() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (n, k) in [(10, 3), (1000, 20), (7, 7), (1, 1)] {
            let planting = Planting::new(n, k, &mut rng);
            let mut sizes = vec![0u64; k as usize];
            for i in 0..n {
                sizes[planting.group(i) as usize] += 1;
            }
            let (min, max) = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
            assert!(min >= n / k && max <= n.div_ceil(k), "n={n} k={k} sizes={sizes:?}");
        }
    }

    #[test]
    fn parameters_out_of_range_are_refused() {
        let ok = GenerateParams {
            rows: 10,
            cols: 4,
            row_clusters: 2,
            col_clusters: 2,
            noise: 1.0,
            nan_fraction: 0.0,
            seed: 1,
            row_imbalance: 1.0,
        };
        assert!(ok.clone().check().is_ok());
        let too_many = GenerateParams { row_clusters: 11, ..ok.clone() };
        assert_eq!(too_many.check().unwrap_err().to_string(), "--row-clusters 11: must be between 1 and --rows");
        let huge = GenerateParams { rows: u64::MAX / 2, ..ok.clone() };
        assert!(huge.check().unwrap_err().to_string().starts_with("--rows"));
        assert!(GenerateParams { nan_fraction: 1.0, ..ok.clone() }.check().is_err());
        // 10 rows in 2 clusters 1,000 times apart: 9.99 and 0.01 rows.
        let empty = GenerateParams { row_imbalance: 1000.0, ..ok.clone() };
        assert_eq!(
            empty.check().unwrap_err().to_string(),
            "--row-imbalance 1000: leaves the smallest row cluster without a row; lower it, or --row-clusters"
        );
        assert!(GenerateParams { row_imbalance: 4.0, ..ok }.check().is_ok());
    }
}
