//! Every matrix reader: the first byte picks the file's kind (by its
//! name, as a user's file is told apart), the rest is the file. Opening
//! and a full scan may fail with an error, never panic, hang or run out
//! of memory.
//!
//! A Matrix Market kind (5: `matrix.mtx`, 8: `matrix.mtx.gz`) is read as
//! heatscope reads one, in a 10x folder: after the kind byte, two
//! little-endian `u16` lengths, then that many bytes of `barcodes.tsv`,
//! that many of `features.tsv`, and the rest is the matrix file.
#![no_main]

use heatscope::input::{Matrix, OpenOptions, scan};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const NAMES: [&str; 9] =
    ["m.tsv", "m.csv", "m.txt", "m.tsv.gz", "m.npy", "matrix.mtx", "m.cdt", "m.h5ad", "matrix.mtx.gz"];

/// Splits a 10x folder's input into barcodes, features and the matrix.
fn tenx_parts(bytes: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (lengths, rest) = bytes.split_at_checked(4)?;
    let barcodes = usize::from(u16::from_le_bytes([lengths[0], lengths[1]]));
    let features = usize::from(u16::from_le_bytes([lengths[2], lengths[3]]));
    let (barcodes, rest) = rest.split_at_checked(barcodes)?;
    let (features, matrix) = rest.split_at_checked(features)?;
    Some((barcodes, features, matrix))
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else { return };
    let dir = common::scratch();
    let name = NAMES[kind as usize % NAMES.len()];
    // A cache of its own each time: a conversion is read back from it.
    let cache = dir.join("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let folder = dir.join("tenx");
    let _ = std::fs::remove_dir_all(&folder);
    let path = if name.starts_with("matrix.mtx") {
        let Some((barcodes, features, matrix)) = tenx_parts(bytes) else { return };
        std::fs::create_dir_all(&folder).expect("the folder is made");
        for (file, contents) in [("barcodes.tsv", barcodes), ("features.tsv", features), (name, matrix)] {
            std::fs::write(folder.join(file), contents).expect("the file is written");
        }
        folder
    } else {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("the file is written");
        path
    };
    let options = OpenOptions { cache_dir: Some(cache), ..Default::default() };
    if let Ok(matrix) = Matrix::open(&path, &options) {
        let _ = scan(&matrix);
        let _ = (matrix.row_labels().get(0), matrix.col_labels().get(0));
    }
});
