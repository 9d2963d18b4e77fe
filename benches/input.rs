//! Input throughput: parsing text into the cache, opening mapped matrices,
//! and the statistics pass.
//!
//! `cargo bench --bench input`

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use heatscope::generate::{GenerateParams, generate};
use heatscope::input::{Matrix, OpenOptions, scan};

/// A 200,000 × 100 TSV like an expression matrix exported with five decimals.
fn write_tsv(path: &Path, rows: usize, cols: usize) -> u64 {
    let mut text = String::with_capacity(rows * cols * 9);
    text.push_str("gene");
    for c in 0..cols {
        write!(text, "\tsample{c}").unwrap();
    }
    text.push('\n');
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for r in 0..rows {
        write!(text, "gene{r:06}").unwrap();
        for _ in 0..cols {
            // xorshift: cheap, fixed values; about N(0, 3) through a sum of uniforms.
            let mut sum = 0.0;
            for _ in 0..3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                sum += (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            }
            write!(text, "\t{:.5}", sum * 6.0).unwrap();
        }
        text.push('\n');
    }
    std::fs::write(path, &text).unwrap();
    text.len() as u64
}

fn text_parsing(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("expr.tsv");
    let bytes = write_tsv(&path, 200_000, 100);
    let mut group = c.benchmark_group("tsv_to_cache");
    group.sample_size(10).throughput(Throughput::Bytes(bytes));
    // The cache on disk (the parse plus its fsync), and in memory where the
    // machine has a tmpfs (the parse alone).
    let mut places = vec![("disk", dir.path().to_owned())];
    if Path::new("/dev/shm").is_dir() {
        places.push(("tmpfs", PathBuf::from("/dev/shm")));
    }
    for (name, place) in places {
        group.bench_function(format!("200000x100/{name}"), |b| {
            b.iter_batched(
                || tempfile::tempdir_in(&place).unwrap(),
                |cache| {
                    let options = OpenOptions { cache_dir: Some(cache.path().to_owned()), ..OpenOptions::default() };
                    let m = Matrix::open(&path, &options).unwrap();
                    assert_eq!(m.rows(), 200_000);
                    cache
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn mapped_open_and_scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.npy");
    let params = GenerateParams {
        rows: 100_000,
        cols: 500,
        row_clusters: 8,
        col_clusters: 4,
        noise: 1.0,
        nan_fraction: 0.01,
        seed: 1,
        row_imbalance: 1.0,
    };
    generate(&params.check().unwrap(), &path).unwrap();
    let options = OpenOptions { cache_dir: Some(dir.path().join("cache")), ..OpenOptions::default() };
    c.bench_function("open_f32_npy_200MB", |b| b.iter(|| Matrix::open(&path, &options).unwrap()));
    let m = Matrix::open(&path, &options).unwrap();
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes((m.rows() * m.cols() * 4) as u64)).sample_size(20);
    group.bench_function("100000x500", |b| b.iter(|| scan(&m).unwrap()));
    group.finish();
}

/// Opening a large file someone already has: `HEATSCOPE_BENCH_OPEN=FILE`
/// (e.g. the 4 GB output of `heatscope generate --rows 1000000 --cols 1000`,
/// or a text file whose cache is already built in `HEATSCOPE_CACHE_DIR`).
fn open_large(c: &mut Criterion) {
    let Some(path) = std::env::var_os("HEATSCOPE_BENCH_OPEN") else { return };
    let path = std::path::PathBuf::from(path);
    let cache_dir = std::env::var_os("HEATSCOPE_CACHE_DIR").map(Into::into);
    let options = OpenOptions { cache_dir, ..OpenOptions::default() };
    let m = Matrix::open(&path, &options).unwrap();
    let name = format!("open/{}x{}", m.rows(), m.cols());
    c.bench_function(&name, |b| b.iter(|| Matrix::open(&path, &options).unwrap()));
}

criterion_group!(benches, text_parsing, mapped_open_and_scan, open_large);
criterion_main!(benches);
