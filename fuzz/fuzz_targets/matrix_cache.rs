//! The matrix cache's check on open: a converted matrix whose cache file
//! is replaced by the input must open with the source's numbers and
//! labels (the cache used as it was, or rebuilt), never others.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use heatscope::input::{Matrix, OpenOptions};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// The source, its values and labels as written, and its cache file.
struct Stored {
    source: PathBuf,
    options: OpenOptions,
    values: Vec<Vec<f32>>,
    labels: Vec<String>,
    cache: PathBuf,
}

fn stored() -> &'static Stored {
    static STORED: OnceLock<Stored> = OnceLock::new();
    STORED.get_or_init(|| {
        let dir = common::scratch().join("matrix-cache");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let values: Vec<Vec<f32>> = (0..6).map(|i| (0..4).map(|j| (i * 4 + j) as f32 * 0.5 - 3.0).collect()).collect();
        let labels: Vec<String> = (0..6).map(|i| format!("g{i}")).collect();
        let mut text = String::from("gene\ta\tb\tc\td\n");
        for (label, row) in labels.iter().zip(&values) {
            let row: Vec<String> = row.iter().map(f32::to_string).collect();
            text += &format!("{label}\t{}\n", row.join("\t"));
        }
        let source = dir.join("m.tsv");
        std::fs::write(&source, text).unwrap();
        let options = OpenOptions { cache_dir: Some(dir.clone()), ..Default::default() };
        Matrix::open(&source, &options).unwrap();
        let cache = common::stored_file(&dir, "hsm");
        Stored { source, options, values, labels, cache }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = stored();
    std::fs::write(&s.cache, data).unwrap();
    let matrix = Matrix::open(&s.source, &s.options).expect("the source itself is good");
    assert_eq!((matrix.rows(), matrix.cols()), (6, 4));
    for (i, (label, row)) in s.labels.iter().zip(&s.values).enumerate() {
        assert_eq!(matrix.row_labels().get(i), label.as_str());
        assert_eq!(matrix.row(i), &row[..], "row {i}");
    }
});
