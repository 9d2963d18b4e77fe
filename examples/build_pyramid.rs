//! Opens a matrix, builds (or reuses) its pyramid and prints what it holds
//! and how long each took: the input for the pyramid and cache figures in
//! BENCHMARKS.md.
//!
//! `cargo run --release --example build_pyramid -- FILE CACHE_DIR [--shuffle SEED]`
//!
//! `--shuffle` shows the rows and the columns in a random order, as
//! clustering does, so the build gathers rows from all over the file and
//! each row's values from all over the row.

use std::path::PathBuf;
use std::time::Instant;

use heatscope::input::{Matrix, OpenOptions};
use heatscope::pyramid::build_or_open;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, dir, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: build_pyramid FILE CACHE_DIR [--shuffle SEED]");
    };
    let dir = PathBuf::from(dir);
    let start = Instant::now();
    let matrix = Matrix::open(file.as_ref(), &OpenOptions { cache_dir: Some(dir.clone()), ..OpenOptions::default() })?;
    println!("matrix: {:?} in {:.3} s", matrix.source().cache, start.elapsed().as_secs_f64());
    let mut rows: Vec<u32> = (0..matrix.rows() as u32).collect();
    let mut cols: Vec<u32> = (0..matrix.cols() as u32).collect();
    if let [flag, seed] = rest {
        anyhow::ensure!(flag == "--shuffle", "unknown option {flag}");
        let mut state: u64 = seed.parse::<u64>()? | 1;
        for order in [&mut rows, &mut cols] {
            for i in (1..order.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
        }
    }
    let start = Instant::now();
    let (pyramid, origin) = build_or_open(&matrix, &rows, &cols, &dir)?;
    let seconds = start.elapsed().as_secs_f64();
    let source = (matrix.rows() * matrix.cols() * 4) as f64;
    println!("{origin:?} in {seconds:.3} s ({:.2} GB/s of source)", source / seconds / 1e9);
    println!(
        "levels {:?}, file {:.2} GB = {:.3} × the f32 matrix",
        pyramid.geometry().level_counts(),
        pyramid.file_bytes() as f64 / 1e9,
        pyramid.file_bytes() as f64 / source
    );
    println!("{:?}", pyramid.stats());
    Ok(())
}
