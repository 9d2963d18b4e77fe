//! The pyramid cache's check on open: a pyramid file replaced by the input
//! must give, tile for tile, the pyramid built from the matrix (the file
//! used as it was, or rebuilt), never other numbers.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use heatscope::input::Matrix;
use heatscope::pyramid::{Aggregate, Pyramid, TileId, build_or_open};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// The matrix, its orders, the pyramid file and every value it holds.
struct Stored {
    matrix: Matrix,
    rows: Vec<u32>,
    cols: Vec<u32>,
    dir: PathBuf,
    file: PathBuf,
    values: Vec<u32>,
}

/// Every cell of every tile of every level, each aggregate, as bits.
fn values(pyramid: &Pyramid) -> Vec<u32> {
    let geometry = pyramid.geometry();
    let mut out = Vec::new();
    for level in geometry.levels() {
        let (ty, tx) = geometry.tile_counts(level);
        for (y, x) in (0..ty).flat_map(|y| (0..tx).map(move |x| (y, x))) {
            let tile = pyramid.tile(TileId { level, ty: y, tx: x });
            for (r, c) in (0..tile.rect.height).flat_map(|r| (0..tile.rect.width).map(move |c| (r, c))) {
                for which in [Aggregate::Mean, Aggregate::Min, Aggregate::Max] {
                    out.push(tile.value(r, c, which).to_bits());
                }
            }
        }
    }
    out
}

fn stored() -> &'static Stored {
    static STORED: OnceLock<Stored> = OnceLock::new();
    STORED.get_or_init(|| {
        let dir = common::scratch().join("pyramid-cache");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // 300 × 24 values, some missing: two tile rows at full resolution,
        // and coarser levels of both axes.
        let (n, m) = (300, 24);
        let data: Vec<f32> = (0..n * m)
            .map(|k| if k % 97 == 0 { f32::NAN } else { ((k * 7919) % 1000) as f32 / 100.0 - 5.0 })
            .collect();
        let matrix = Matrix::from_vec(n, m, data);
        let rows: Vec<u32> = (0..n as u32).rev().collect();
        let cols: Vec<u32> = (0..m as u32).map(|j| (j * 7) % m as u32).collect();
        let (pyramid, _) = build_or_open(&matrix, &rows, &cols, &dir).expect("a pyramid");
        let file = common::stored_file(&dir, "hsp");
        let values = values(&pyramid);
        Stored { matrix, rows, cols, dir, file, values }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = stored();
    std::fs::write(&s.file, data).unwrap();
    let (pyramid, _) = build_or_open(&s.matrix, &s.rows, &s.cols, &s.dir).expect("the matrix itself is good");
    assert!(values(&pyramid) == s.values, "the pyramid's numbers differ from the matrix's");
});
