//! Converts a matrix file into the binary cache and reports how long the
//! conversion took: the `.h5ad` / 10x conversion figure in BENCHMARKS.md.
//! The cache is written to a fresh folder, so every run converts.
//!
//! `cargo run --release --example convert_h5ad -- IN CACHE_DIR [--transpose]`

use std::path::PathBuf;
use std::time::Instant;

use heatscope::input::{Matrix, OpenOptions};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(cache)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: convert_h5ad IN CACHE_DIR [--transpose]");
    };
    let cache = PathBuf::from(cache);
    anyhow::ensure!(!cache.exists(), "{} exists; give a folder that does not, so the run converts", cache.display());
    let options = OpenOptions {
        cache_dir: Some(cache.clone()),
        transpose: args.iter().any(|a| a == "--transpose"),
        ..OpenOptions::default()
    };
    let start = Instant::now();
    let matrix = Matrix::open(&PathBuf::from(input), &options)?;
    let seconds = start.elapsed().as_secs_f64();
    let dense_bytes = (matrix.rows() * matrix.cols() * 4) as f64;
    println!(
        "{} × {} ({}): {seconds:.3} s, {:.0} MB/s of dense output",
        matrix.rows(),
        matrix.cols(),
        matrix.source().stored_as,
        dense_bytes / seconds / 1e6
    );
    std::fs::remove_dir_all(&cache)?;
    Ok(())
}
