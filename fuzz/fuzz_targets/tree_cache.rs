//! The tree cache's reader: a stored tree whose file is replaced by the
//! input must be rebuilt or be the very tree stored, never another.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use heatscope::cluster::{ApproxOptions, ClusterOptions, MemoryBudget, Method, Metric, TreeOrigin, cluster_cached};
use heatscope::input::{Axis, Matrix, OpenOptions};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// A 12 × 3 matrix, its tree's linkage matrix, and where the tree is cached.
struct Stored {
    matrix: Matrix,
    options: ClusterOptions,
    linkage: Vec<[f64; 4]>,
    cache: PathBuf,
    dir: PathBuf,
}

fn stored() -> &'static Stored {
    static STORED: OnceLock<Stored> = OnceLock::new();
    STORED.get_or_init(|| {
        let dir = common::scratch().join("tree-cache");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::from("gene\ta\tb\tc\n");
        for i in 0..12 {
            let x = i as f64;
            text += &format!("g{i}\t{}\t{}\t{}\n", x * x % 7.0, (x * 3.0) % 5.0, x / 2.0);
        }
        let path = dir.join("m.tsv");
        std::fs::write(&path, text).unwrap();
        let matrix = Matrix::open(&path, &OpenOptions { cache_dir: Some(dir.clone()), ..Default::default() }).unwrap();
        let options = ClusterOptions {
            method: Method::Average,
            metric: Metric::Euclidean,
            optimal_ordering: false,
            budget: MemoryBudget::default(),
            approx: ApproxOptions::default(),
        };
        let (tree, origin) = cluster_cached(&matrix, Axis::Rows, &options, &dir, None).unwrap();
        let TreeOrigin::Computed(cache) = origin else { panic!("a new tree is computed: {origin:?}") };
        // The seed corpus is this file (fuzz/seed.sh copies it).
        if let Ok(seed) = std::env::var("HEATSCOPE_FUZZ_SEED_OUT") {
            std::fs::copy(&cache, seed).unwrap();
        }
        Stored { matrix, options, linkage: tree.to_linkage_matrix(), cache, dir }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = stored();
    std::fs::write(&s.cache, data).unwrap();
    let (tree, _) = cluster_cached(&s.matrix, Axis::Rows, &s.options, &s.dir, None).unwrap();
    assert_eq!(tree.to_linkage_matrix(), s.linkage, "a damaged tree cache gave another tree");
});
