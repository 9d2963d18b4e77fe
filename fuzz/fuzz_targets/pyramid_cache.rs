//! The pyramid cache's check on open: a pyramid file replaced by the input
//! is refused (so rebuilt: the build itself does not depend on the input,
//! and is not run here) or gives, tile for tile, the pyramid built from the
//! matrix, never other numbers.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use heatscope::input::Matrix;
use heatscope::pyramid::{Pyramid, TileData, TileId, build_or_open, open_cached};
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

/// Every tile of every level as bits: a full-resolution tile's values, an
/// aggregate tile's centre, scale and stored cells (the same bits give the
/// same value of every aggregate).
fn values(pyramid: &Pyramid) -> Vec<u32> {
    let geometry = pyramid.geometry();
    let mut out = Vec::new();
    for level in geometry.levels() {
        let (ty, tx) = geometry.tile_counts(level);
        for (y, x) in (0..ty).flat_map(|y| (0..tx).map(move |x| (y, x))) {
            let tile = pyramid.tile(TileId { level, ty: y, tx: x });
            out.extend([tile.rect.height as u32, tile.rect.width as u32]);
            match &tile.data {
                TileData::Exact(values) => out.extend(values.iter().map(|v| v.to_bits())),
                TileData::Aggregate { center, scale, cells } => {
                    out.extend([center.to_bits(), scale.to_bits()]);
                    out.extend(cells.iter().flatten().map(|c| u32::from(c.to_bits())));
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
    let cached = open_cached(&s.matrix, &s.rows, &s.cols, &s.dir).expect("the orders are permutations");
    if let Some(pyramid) = cached {
        assert!(values(&pyramid) == s.values, "the pyramid's numbers differ from the matrix's");
    }
});
