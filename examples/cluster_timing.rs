//! End-to-end timing of exact clustering on a seeded blobs matrix, for the
//! clustering section of BENCHMARKS.md (peak memory: run it under
//! `/usr/bin/time -v`).
//!
//! cargo run --release --example cluster_timing -- ROWS COLS METHOD METRIC [--olo] [--raw PATH]
//!
//! `--olo` also times the optimal leaf ordering (on a copy of the distances
//! kept for it); `--raw PATH` writes the matrix as little-endian f32
//! (row-major) so that scipy and fastcluster can be timed on the same data.

use std::time::Instant;

use heatscope::cluster::{Axis, Method, Metric, linkage, pdist};
use heatscope::input::Matrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// `rows` points around 10 centres drawn in [−10, 10]^cols, unit spread
/// (scikit-learn's `make_blobs` defaults, with 10 centres).
fn blobs(rows: usize, cols: usize, seed: u64) -> Matrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f32>> = (0..10).map(|_| (0..cols).map(|_| rng.random_range(-10.0..10.0)).collect()).collect();
    let noise = Normal::new(0.0f32, 1.0).expect("unit normal");
    let mut data = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        let c = &centres[r % centres.len()];
        data.extend(c.iter().map(|&x| x + noise.sample(&mut rng)));
    }
    Matrix::from_vec(rows, cols, data)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() >= 5, "usage: ROWS COLS METHOD METRIC [--olo] [--raw PATH]");
    let (rows, cols): (usize, usize) = (args[1].parse()?, args[2].parse()?);
    let method: Method = args[3].parse()?;
    let metric: Metric = args[4].parse()?;
    let olo = args.iter().any(|a| a == "--olo");
    let m = blobs(rows, cols, 42);
    if let Some(i) = args.iter().position(|a| a == "--raw") {
        let path = args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--raw needs a path"))?;
        let bytes: Vec<u8> = m.data().iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(path, bytes)?;
    }
    let start = Instant::now();
    let dist = pdist(&m, Axis::Rows, metric, None)?;
    let distances = start.elapsed().as_secs_f64();
    let kept = olo.then(|| dist.clone());
    let tree = linkage(dist, method, None);
    let total = start.elapsed().as_secs_f64();
    let top = tree.merges().last().map_or(0.0, |m| m.height);
    println!(
        "rows={rows} cols={cols} method={} metric={} threads={} distances_s={distances:.3} linkage_s={:.3} total_s={total:.3} top_height={top:.4}",
        method.name(),
        metric.name(),
        rayon::current_num_threads(),
        total - distances,
    );
    if let Some(dist) = kept {
        let before = dist.path_length(&tree.leaves());
        let start = Instant::now();
        let ordered = tree.optimal_leaf_ordering(&dist);
        let seconds = start.elapsed().as_secs_f64();
        let after = dist.path_length(&ordered.leaves());
        println!("optimal_ordering_s={seconds:.3} path_length_before={before:.1} after={after:.1}");
    }
    Ok(())
}
