//! A linkage matrix (scipy's Z, as `--row-linkage` reads it) made into a
//! tree: any rows of four numbers are refused or give a valid tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let z: Vec<[f64; 4]> = data
        .chunks_exact(32)
        .map(|row| std::array::from_fn(|k| f64::from_le_bytes(row[8 * k..8 * k + 8].try_into().unwrap())))
        .collect();
    if let Ok(tree) = heatscope::cluster::Dendrogram::from_linkage_matrix(&z) {
        assert_eq!(tree.n_leaves(), z.len() + 1);
        let mut order = tree.leaves();
        order.sort_unstable();
        assert!(order.iter().copied().eq(0..z.len() + 1), "the leaf order is a permutation");
    }
});
