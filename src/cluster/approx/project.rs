//! The top level's k-means on principal components: items of many values
//! (a million rows of 1,000 columns) are grouped on their coordinates along
//! the [`COMPONENTS`] principal axes of a seeded sample, so that each Lloyd
//! pass multiplies by 32 values an item instead of 1,000. The axes come
//! from subspace iteration on the sample (prepared for the metric, as
//! k-means prepares items); the groups' centroids and spreads, and
//! everything below the top level, use the items' own values.
//!
//! Clusters differ along few directions and noise spreads over all of
//! them, so the leading components keep the clusters' separation and drop
//! most of the noise: a planted grouping is found at least as well as in
//! the whole space (tests: planted groups in 1,000 values, recovered
//! whole).

use crate::progress::Bar;
use ndarray::{ArrayView2, ArrayViewMut2, linalg::general_mat_mul};
use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::kmeans::{Held, Scratch, Space};
use crate::cluster::ClusterError;
use crate::progress;

/// Principal components the top level groups on.
pub const COMPONENTS: usize = 32;

/// Items with at least this many values are grouped on components.
pub const MIN_DIM: usize = 128;

/// Sampled items the axes are found on (fewer of very wide items, so that
/// the sample stays within `SAMPLE_BYTES`).
pub const SAMPLE: usize = 16_384;
const SAMPLE_BYTES: usize = 256 << 20;

/// Rounds of subspace iteration: the sample's covariance applied this many
/// times to a random start, orthonormalised after each.
const ROUNDS: usize = 6;

/// Items projected per block.
const BLOCK: usize = 256;

/// How many of `n` items of `dim` values the axes are found on.
pub fn sample_size(n: usize, dim: usize) -> usize {
    SAMPLE.min(SAMPLE_BYTES / (dim.max(1) * 4)).max(COMPONENTS).min(n)
}

/// Whether `n` items of `dim` values are grouped on components: when they
/// have many values, and are more than the sample (fewer are grouped on a
/// sample of all of them, in their own values, at no great cost).
pub fn projects(n: usize, dim: usize) -> bool {
    dim >= MIN_DIM && n > SAMPLE
}

/// The coordinates of `items` (prepared as k-means prepares them) along the
/// leading principal axes of a seeded sample of them: `items.len() ×`
/// [`COMPONENTS`] values, item by item in the order of `items`.
pub(crate) fn components(
    space: &Space,
    items: &[u32],
    seed: u64,
    progress: Option<&Bar>,
) -> Result<Vec<f32>, ClusterError> {
    let dim = space.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7072_6f6a_6563_7400);
    let size = sample_size(items.len(), dim);
    let sample: Vec<u32> = if items.len() <= size {
        items.to_vec()
    } else {
        let mut picked = index::sample(&mut rng, items.len(), size).into_vec();
        picked.sort_unstable();
        picked.iter().map(|&p| items[p]).collect()
    };
    let held = Held::new(space, &sample)?;
    let x = ArrayView2::from_shape((sample.len(), dim), held.rows()).expect("sample shape");
    let p = COMPONENTS.min(dim);
    let mut axes: Vec<f32> = (0..dim * p).map(|_| StandardNormal.sample(&mut rng)).collect();
    orthonormalise(&mut axes, dim, p);
    let mut scores = vec![0.0f32; sample.len() * p];
    for _ in 0..ROUNDS {
        let q = ArrayView2::from_shape((dim, p), &axes[..]).expect("axes shape");
        let mut z = ArrayViewMut2::from_shape((sample.len(), p), &mut scores[..]).expect("scores shape");
        general_mat_mul(1.0, &x, &q, 0.0, &mut z);
        let z = ArrayView2::from_shape((sample.len(), p), &scores[..]).expect("scores shape");
        let mut next = vec![0.0f32; dim * p];
        let mut y = ArrayViewMut2::from_shape((dim, p), &mut next[..]).expect("axes shape");
        general_mat_mul(1.0, &x.t(), &z, 0.0, &mut y);
        orthonormalise(&mut next, dim, p);
        axes = next;
    }
    if let Some(bar) = progress {
        bar.set_length(items.len() as u64);
        bar.set_position(0);
        bar.set_message("components");
    }
    let q = ArrayView2::from_shape((dim, p), &axes[..]).expect("axes shape");
    let mut out = vec![0.0f32; items.len() * p];
    out.par_chunks_mut(BLOCK * p).zip(items.par_chunks(BLOCK)).try_for_each_init(
        || (Scratch::default(), Vec::new()),
        |(s, rows), (out, block)| {
            if progress::interrupted() {
                return Err(ClusterError::Interrupted);
            }
            rows.resize(block.len() * dim, 0.0f32);
            for (row, &i) in rows.chunks_exact_mut(dim).zip(block) {
                space.prepare(i, row, s)?;
            }
            let x = ArrayView2::from_shape((block.len(), dim), &rows[..]).expect("block shape");
            let mut y = ArrayViewMut2::from_shape((block.len(), p), out).expect("block shape");
            general_mat_mul(1.0, &x, &q, 0.0, &mut y);
            if let Some(bar) = progress {
                bar.inc(block.len() as u64);
            }
            Ok(())
        },
    )?;
    Ok(out)
}

/// Makes the `p` columns of the row-major `dim × p` matrix `m` orthonormal
/// (modified Gram–Schmidt in `f64`); a column that vanishes becomes 0.
fn orthonormalise(m: &mut [f32], dim: usize, p: usize) {
    let mut cols: Vec<Vec<f64>> = (0..p).map(|j| (0..dim).map(|i| f64::from(m[i * p + j])).collect()).collect();
    for j in 0..p {
        let (done, rest) = cols.split_at_mut(j);
        let v = &mut rest[0];
        for u in done.iter() {
            let d: f64 = u.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(x, a)| *x -= d * a);
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        v.iter_mut().for_each(|x| *x *= scale);
    }
    for (j, col) in cols.iter().enumerate() {
        for (i, &v) in col.iter().enumerate() {
            m[i * p + j] = v as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_come_out_orthonormal() {
        let (dim, p) = (50, 4);
        let mut m: Vec<f32> = (0..dim * p).map(|k| ((k * 7919) % 97) as f32 - 40.0).collect();
        orthonormalise(&mut m, dim, p);
        for a in 0..p {
            for b in 0..p {
                let dot: f64 = (0..dim).map(|i| f64::from(m[i * p + a]) * f64::from(m[i * p + b])).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5, "column {a} · column {b} = {dot}");
            }
        }
    }
}
