//! Cluster 3.0 / Java TreeView files: the Spellman yeast cell-cycle example.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use heatscope::cluster::read_tree;
use heatscope::input::{Matrix, OpenOptions, cdt_ids, scan};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

/// Runs `heatscope info FILE` with its cache in `dir`.
fn info(file: &Path, dir: &Path) -> std::process::Output {
    common::heatscope(&dir.join("cache"), &[OsStr::new("info"), file.as_os_str()])
}

#[test]
fn the_spellman_cdt_is_97_genes_by_60_arrays_with_404_missing_values() {
    let dir = tempfile::tempdir().unwrap();
    let options = OpenOptions { cache_dir: Some(dir.path().into()), ..OpenOptions::default() };
    let m = Matrix::open(&data("spellman.cdt"), &options).unwrap();
    assert_eq!((m.rows(), m.cols()), (97, 60));
    assert_eq!(scan(&m).unwrap().nan_count, 404);
    assert_eq!(m.row_labels().get(0), "YKR091W");
    assert_eq!(m.row_labels().get(96), "YKR030W");
    assert_eq!(m.col_labels().get(0), "y744n103 alpha factor release sample029");
    // GENE94X's first values: 0.10 −0.36 −0.08; the ninth is missing.
    assert_eq!(m.row(0)[..3], [0.10, -0.36, -0.08]);
    assert!(m.row(0)[8].is_nan());
    assert_eq!(m.source().stored_as, "CDT, tab-separated");
}

#[test]
fn the_spellman_trees_read_in_the_order_the_cdt_shows() {
    let ids = cdt_ids(&data("spellman.cdt")).unwrap();
    let (genes, arrays) = (ids.rows.unwrap(), ids.cols.unwrap());
    assert_eq!((genes.len(), arrays.len()), (97, 60));
    assert_eq!((genes[0].as_str(), arrays[0].as_str()), ("GENE94X", "ARRY16X"));

    let rows = read_tree(&data("spellman.gtr"), &genes).unwrap();
    assert_eq!(rows.n_leaves(), 97);
    assert_eq!(rows.leaves(), (0..97).collect::<Vec<_>>(), "the tree draws the CDT's row order");
    // NODE1X joins GENE9X and GENE8X at similarity 0.946388.
    let first = rows.merges()[0];
    let pair = [genes[first.a].as_str(), genes[first.b].as_str()];
    assert!(pair.contains(&"GENE9X") && pair.contains(&"GENE8X"));
    assert!((first.height - (1.0 - 0.946388)).abs() < 1e-12);

    let cols = read_tree(&data("spellman.atr"), &arrays).unwrap();
    assert_eq!(cols.n_leaves(), 60);
    assert_eq!(cols.leaves(), (0..60).collect::<Vec<_>>(), "the tree draws the CDT's column order");
}

#[test]
fn a_tree_naming_a_missing_node_fails_info_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["spellman.cdt", "spellman.atr"] {
        std::fs::copy(data(name), dir.path().join(name)).unwrap();
    }
    let gtr = std::fs::read_to_string(data("spellman.gtr")).unwrap();
    std::fs::write(dir.path().join("spellman.gtr"), gtr.replace("GENE66X", "GENE666X")).unwrap();
    let out = info(&dir.path().join("spellman.cdt"), dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
    assert!(
        stderr.contains("spellman.gtr: line 3: 'GENE666X' is neither a leaf of the CDT nor an earlier node"),
        "{stderr}"
    );
}

#[test]
fn a_written_cdt_reads_back_with_the_same_order_values_and_heights() {
    use heatscope::cluster::{ApproxOptions, Axis, ClusterOptions, MemoryBudget, Method, Metric, cluster, write_cdt};
    let (rows, cols) = (40, 12);
    let mut state = 0x853c_49e6_748f_ea9bu64;
    let data: Vec<f32> = (0..rows * cols)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state.is_multiple_of(17) { f32::NAN } else { (state % 1000) as f32 / 100.0 - 5.0 }
        })
        .collect();
    let m = Matrix::from_vec(rows, cols, data);
    let options = ClusterOptions {
        method: Method::Average,
        metric: Metric::Correlation,
        optimal_ordering: false,
        budget: MemoryBudget(1 << 30),
        approx: ApproxOptions::default(),
    };
    let row_tree = cluster(&m, Axis::Rows, &options, None).unwrap();
    let col_tree = cluster(&m, Axis::Cols, &options, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("out");
    let written = write_cdt(&prefix, &m, Some(&row_tree), Some(&col_tree)).unwrap();
    assert_eq!(written.len(), 3);

    let open = OpenOptions { cache_dir: Some(dir.path().join("cache")), ..OpenOptions::default() };
    let back = Matrix::open(&dir.path().join("out.cdt"), &open).unwrap();
    let (row_order, col_order) = (row_tree.leaves(), col_tree.leaves());
    assert_eq!((back.rows(), back.cols()), (rows, cols));
    for (display_row, &r) in row_order.iter().enumerate() {
        assert_eq!(back.row_labels().get(display_row), format!("row_{r}"));
        for (display_col, &c) in col_order.iter().enumerate() {
            let (got, want) = (back.row(display_row)[display_col], m.row(r)[c]);
            assert!(got == want || (got.is_nan() && want.is_nan()), "({r}, {c}): {got} vs {want}");
        }
    }
    let ids = cdt_ids(&dir.path().join("out.cdt")).unwrap();
    for (tree, ids, extension) in [(&row_tree, ids.rows.unwrap(), "gtr"), (&col_tree, ids.cols.unwrap(), "atr")] {
        let read = read_tree(&dir.path().join(format!("out.{extension}")), &ids).unwrap();
        assert_eq!(read.leaves(), (0..tree.n_leaves()).collect::<Vec<_>>(), "{extension}: the file's order");
        for (a, b) in read.merges().iter().zip(tree.merges()) {
            assert!((a.height - b.height).abs() < 1e-12, "{extension}: {} vs {}", a.height, b.height);
            assert_eq!(a.size, b.size);
        }
    }
}

#[test]
fn a_gzip_compressed_cdt_finds_its_trees() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["spellman.gtr", "spellman.atr"] {
        std::fs::copy(data(name), dir.path().join(name)).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &std::fs::read(data("spellman.cdt")).unwrap()).unwrap();
    std::fs::write(dir.path().join("spellman.cdt.gz"), gz.finish().unwrap()).unwrap();
    let out = info(&dir.path().join("spellman.cdt.gz"), dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("spellman.gtr (97 leaves)") && stdout.contains("spellman.atr (60 leaves)"), "{stdout}");
}
