//! The level-of-detail pyramid: building, reopening, serving tiles.
//!
//! `cargo bench --bench pyramid`; `HEATSCOPE_BENCH_PYRAMID=FILE` adds the
//! reopen of FILE's pyramid (built first if needed, in `HEATSCOPE_CACHE_DIR`
//! or a temporary folder), e.g. the 4 GB output of
//! `heatscope generate --rows 1000000 --cols 1000`.

use std::path::PathBuf;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use heatscope::generate::{GenerateParams, generate};
use heatscope::input::{Matrix, OpenOptions};
use heatscope::pyramid::{Level, TileId, View, build_or_open, select};

fn identity(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}

fn shuffled(n: usize) -> Vec<u32> {
    let mut order = identity(n);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
}

fn pyramid(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.npy");
    let params = GenerateParams {
        rows: 200_000,
        cols: 100,
        row_clusters: 8,
        col_clusters: 4,
        noise: 1.0,
        nan_fraction: 0.01,
        seed: 3,
        row_imbalance: 1.0,
    };
    generate(&params.check().unwrap(), &path).unwrap();
    let m = Matrix::open(&path, &OpenOptions::default()).unwrap();
    let (rows, cols) = (shuffled(m.rows()), identity(m.cols()));

    let mut group = c.benchmark_group("pyramid_build");
    group.sample_size(10).throughput(Throughput::Bytes((m.rows() * m.cols() * 4) as u64));
    group.bench_function("200000x100_shuffled_rows", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(dir.path()).unwrap(),
            |out| {
                build_or_open(&m, &rows, &cols, out.path()).unwrap();
                out
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let store = dir.path().join("store");
    let (p, _) = build_or_open(&m, &rows, &cols, &store).unwrap();
    c.bench_function("pyramid_reopen/200000x100", |b| b.iter(|| build_or_open(&m, &rows, &cols, &store).unwrap()));
    let base = TileId { level: Level::BASE, ty: 300, tx: 0 };
    let coarse = TileId { level: Level { row: 2, col: 0 }, ty: 10, tx: 0 };
    c.bench_function("tile/full_resolution_256x100", |b| b.iter(|| p.tile(base)));
    c.bench_function("tile/aggregate_256x100", |b| b.iter(|| p.tile(coarse)));
    let view = View { rows: 1234.5..181_234.5, cols: 0.0..100.0, px_per_row: 1080.0 / 180_000.0, px_per_col: 19.2 };
    c.bench_function("select/whole_height", |b| b.iter(|| select(p.geometry(), &view)));

    if let Some(file) = std::env::var_os("HEATSCOPE_BENCH_PYRAMID") {
        let cache_dir = std::env::var_os("HEATSCOPE_CACHE_DIR").map_or_else(|| dir.path().join("big"), PathBuf::from);
        let options = OpenOptions { cache_dir: Some(cache_dir.clone()), ..OpenOptions::default() };
        let big = Matrix::open(file.as_ref(), &options).unwrap();
        let (rows, cols) = (identity(big.rows()), identity(big.cols()));
        let (p, _) = build_or_open(&big, &rows, &cols, &cache_dir).unwrap();
        let name = format!("pyramid_reopen/{}x{}", big.rows(), big.cols());
        c.bench_function(&name, |b| b.iter(|| build_or_open(&big, &rows, &cols, &cache_dir).unwrap()));
        let tile = TileId { level: Level::BASE, ty: 1000, tx: 1 };
        c.bench_function("tile/full_resolution_256x256_from_4GB", |b| b.iter(|| p.tile(tile)));
        let coarse = TileId { level: Level { row: 3, col: 1 }, ty: 20, tx: 0 };
        c.bench_function("tile/aggregate_256x250_from_4GB", |b| b.iter(|| p.tile(coarse)));
        // Clustered orders: the tiles made from the matrix gather rows from
        // all over it and columns from all over each row.
        let (rows, cols) = (shuffled(big.rows()), shuffled(big.cols()));
        let (p, _) = build_or_open(&big, &rows, &cols, &cache_dir).unwrap();
        c.bench_function("tile/full_resolution_256x256_from_4GB_shuffled", |b| b.iter(|| p.tile(tile)));
        let full_rows = TileId { level: Level { row: 0, col: 1 }, ty: 1000, tx: 0 };
        c.bench_function("tile/full_rows_256x250_from_4GB_shuffled", |b| b.iter(|| p.tile(full_rows)));
        let four_rows = TileId { level: Level { row: 1, col: 0 }, ty: 250, tx: 1 };
        c.bench_function("tile/four_rows_256x256_from_4GB_shuffled", |b| b.iter(|| p.tile(four_rows)));
        c.bench_function("tile/aggregate_256x250_from_4GB_shuffled", |b| b.iter(|| p.tile(coarse)));
    }
}

criterion_group!(benches, pyramid);
criterion_main!(benches);
