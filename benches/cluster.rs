//! Criterion benchmarks of the clustering core on seeded blobs: distances,
//! each linkage algorithm, and optimal leaf ordering. End-to-end figures at
//! 5k–40k rows come from `examples/cluster_timing.rs` (see the clustering
//! section of BENCHMARKS.md): at those sizes one run takes seconds. The
//! approximate mode is benchmarked on 200,000 rows; its million-row figures
//! come from `heatscope cluster` under `/usr/bin/time -v` (BENCHMARKS.md).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use heatscope::cluster::{
    ApproxOptions, Axis, ClusterOptions, MemoryBudget, Method, Metric, When, cluster, linkage, pdist,
};
use heatscope::input::Matrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// `rows × cols` points around 10 centres in [−10, 10]^cols, unit spread.
fn blobs(rows: usize, cols: usize) -> Matrix {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let centres: Vec<Vec<f32>> = (0..10).map(|_| (0..cols).map(|_| rng.random_range(-10.0..10.0)).collect()).collect();
    let noise = Normal::new(0.0f32, 1.0).expect("unit normal");
    let data = (0..rows).flat_map(|r| centres[r % 10].clone()).map(|c| c + noise.sample(&mut rng)).collect();
    Matrix::from_vec(rows, cols, data)
}

fn distances(c: &mut Criterion) {
    let m = blobs(4000, 100);
    let mut group = c.benchmark_group("pdist 4000x100");
    group.sample_size(10);
    for metric in [Metric::Euclidean, Metric::Correlation, Metric::Cityblock] {
        group.bench_function(metric.name(), |b| b.iter(|| pdist(&m, Axis::Rows, metric, None).unwrap()));
    }
    group.finish();
}

fn linkages(c: &mut Criterion) {
    let m = blobs(4000, 100);
    let dist = pdist(&m, Axis::Rows, Metric::Euclidean, None).unwrap();
    let mut group = c.benchmark_group("linkage 4000");
    group.sample_size(10);
    for method in Method::ALL {
        group.bench_function(method.name(), |b| {
            b.iter_batched(|| dist.clone(), |d| linkage(d, method, None), BatchSize::LargeInput)
        });
    }
    group.finish();
}

fn ordering(c: &mut Criterion) {
    let m = blobs(2000, 100);
    let dist = pdist(&m, Axis::Rows, Metric::Euclidean, None).unwrap();
    let tree = linkage(dist.clone(), Method::Average, None);
    let mut group = c.benchmark_group("optimal leaf ordering 2000");
    group.sample_size(10);
    group.bench_function("average", |b| b.iter(|| tree.optimal_leaf_ordering(&dist)));
    group.finish();
}

fn approximate(c: &mut Criterion) {
    let m = blobs(200_000, 50);
    let mut group = c.benchmark_group("approximate 200000x50");
    group.sample_size(10);
    for method in [Method::Average, Method::Ward] {
        let options = ClusterOptions {
            method,
            metric: Metric::Euclidean,
            optimal_ordering: false,
            budget: MemoryBudget::default(),
            approx: ApproxOptions { when: When::Always, ..ApproxOptions::default() },
        };
        group.bench_function(method.name(), |b| b.iter(|| cluster(&m, Axis::Rows, &options, None).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, distances, linkages, ordering, approximate);
criterion_main!(benches);
