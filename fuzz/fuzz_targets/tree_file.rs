//! The Cluster 3.0 tree reader (`.gtr`, `.atr`) over eight known leaves.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch();
    let path = dir.join("t.gtr");
    std::fs::write(&path, data).expect("the file is written");
    let leaves: Vec<String> = (0..8).map(|i| format!("GENE{i}X")).collect();
    if let Ok(tree) = heatscope::cluster::read_tree(&path, &leaves) {
        assert_eq!(tree.n_leaves(), 8);
    }
});
