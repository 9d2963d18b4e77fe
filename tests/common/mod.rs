//! What the integration tests share: running the binary, finding the
//! repository's files, reading the PNGs it writes. Each test file uses
//! some of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary with its cache in `cache`, not yet run.
pub fn command(cache: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heatscope"));
    command.env("HEATSCOPE_CACHE_DIR", cache);
    command
}

/// Runs the binary with `args` and its cache in `cache`.
pub fn heatscope<S: AsRef<OsStr>>(cache: &Path, args: &[S]) -> Output {
    command(cache).args(args).output().expect("the binary runs")
}

/// Whether the GPU tests are skipped on purpose (`HEATSCOPE_SKIP_GPU=1`).
pub fn skip_gpu() -> bool {
    std::env::var("HEATSCOPE_SKIP_GPU").is_ok_and(|v| v == "1")
}

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// An RGBA PNG's width, height and pixels.
pub fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba, "{} is not RGBA", path.display());
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// A part of a text in natural order: a run of digits by its value, or one
/// other character.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Number(u64),
    Text(char),
}

/// The key that sorts texts in natural order (CD4 before CD14, c2 before c10).
pub fn natural_key(s: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c.to_digit(10) {
            Some(first) => {
                let mut n = u64::from(first);
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + u64::from(d);
                    chars.next();
                }
                parts.push(Part::Number(n));
            }
            None => parts.push(Part::Text(c)),
        }
    }
    parts
}
