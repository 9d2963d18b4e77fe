//! Every matrix reader: the first byte picks the file's kind (by its
//! name, as a user's file is told apart), the rest is the file. Opening
//! and a full scan may fail with an error, never panic, hang or run out
//! of memory.
#![no_main]

use heatscope::input::{Matrix, OpenOptions, scan};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const NAMES: [&str; 9] =
    ["m.tsv", "m.csv", "m.txt", "m.tsv.gz", "m.npy", "m.mtx", "m.cdt", "m.h5ad", "m.mtx.gz"];

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else { return };
    let dir = common::scratch();
    let path = dir.join(NAMES[kind as usize % NAMES.len()]);
    std::fs::write(&path, bytes).expect("the file is written");
    // A cache of its own each time: a conversion is read back from it.
    let cache = dir.join("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let options = OpenOptions { cache_dir: Some(cache), ..Default::default() };
    if let Ok(matrix) = Matrix::open(&path, &options) {
        let _ = scan(&matrix);
        let _ = (matrix.row_labels().get(0), matrix.col_labels().get(0));
    }
});
