//! AnnData `.h5ad` files and 10x folders: the real PBMC file against its
//! text twin, and the fixtures of `tests/gen_h5ad_fixtures.py` against
//! theirs, exactly.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use heatscope::input::{
    AnnotationValues, Axis, CacheUse, ColsSubset, Matrix, OpenOptions, annotation_column, annotation_columns,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn options(dir: &Path) -> OpenOptions {
    OpenOptions { cache_dir: Some(dir.join("cache")), ..OpenOptions::default() }
}

fn open(path: &Path, options: &OpenOptions) -> Matrix {
    Matrix::open(path, options).unwrap_or_else(|e| panic!("{e}"))
}

fn labels(labels: &heatscope::input::Labels) -> Vec<String> {
    labels.iter().map(|l| l.into_owned()).collect()
}

/// The transpose of a matrix's values, row-major.
fn transposed(m: &Matrix) -> Vec<f32> {
    (0..m.cols()).flat_map(|c| (0..m.rows()).map(move |r| m.row(r)[c])).collect()
}

/// The values of the given columns, row-major.
fn columns(m: &Matrix, keep: &[usize]) -> Vec<f32> {
    (0..m.rows()).flat_map(|r| keep.iter().map(move |&c| m.row(r)[c])).collect()
}

/// The category of each item, `None` where missing.
fn category_names(values: &AnnotationValues) -> Vec<Option<String>> {
    let AnnotationValues::Categorical { codes, categories } = values else { panic!("categories expected") };
    codes.iter().map(|&c| usize::try_from(c).ok().map(|c| categories[c].clone())).collect()
}

#[test]
fn pbmc_h5ad_is_700_cells_by_765_genes_equal_to_its_text_twin() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = open(&data("pbmc68k_reduced.h5ad"), &options(dir.path()));
    let text = open(&data("pbmc68k_reduced.tsv"), &options(dir.path()));
    assert_eq!((h5.rows(), h5.cols()), (700, 765));
    assert_eq!(h5.row_labels().get(0), "AAAGCCTGGCTAAC-1");
    assert_eq!(h5.row_labels().get(699), "TTGAGGTGGAGAGC-8");
    assert_eq!(h5.col_labels().get(0), "HES4");
    assert_eq!(h5.col_labels().get(764), "MT-ND3");
    assert_eq!(labels(h5.row_labels()), labels(text.row_labels()));
    assert_eq!(labels(h5.col_labels()), labels(text.col_labels()));
    assert_eq!(h5.source().stored_as, "h5ad dense float32");
    // The text twin holds 5 significant digits (%.5g).
    for (i, (&a, &b)) in h5.data().iter().zip(text.data()).enumerate() {
        assert!((a - b).abs() <= 5e-5 * a.abs().max(1e-3), "value {i}: h5ad {a}, text {b}");
    }
}

#[test]
fn pbmc_bulk_labels_has_10_categories_equal_to_the_obs_table() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = open(&data("pbmc68k_reduced.h5ad"), &options(dir.path()));
    let text = open(&data("pbmc68k_reduced.tsv"), &options(dir.path()));
    let from_h5 = annotation_column(&h5, "obs:bulk_labels").unwrap();
    let from_text = annotation_column(&text, "obs:bulk_labels").unwrap();
    assert_eq!(from_h5.axis, Axis::Rows);
    let AnnotationValues::Categorical { categories, .. } = &from_h5.values else { panic!("categories expected") };
    assert_eq!(categories.len(), 10);
    assert_eq!(categories[0], "CD4+/CD25 T Reg");
    let names = category_names(&from_h5.values);
    assert_eq!(names, category_names(&from_text.values));
    assert_eq!(names[0].as_deref(), Some("CD14+ Monocyte"));
    assert_eq!(category_names(&annotation_column(&h5, "obs:phase").unwrap().values)[1].as_deref(), Some("S"));
    let hv = annotation_column(&h5, "var:highly_variable").unwrap();
    assert_eq!((hv.axis, hv.values.kind()), (Axis::Cols, "true/false".to_owned()));
    let columns = annotation_columns(&h5).unwrap();
    assert!(columns.contains(&("obs:bulk_labels".to_owned(), "10 categories".to_owned())), "{columns:?}");
    let missing = annotation_column(&h5, "obs:cell_type").unwrap_err().to_string();
    assert!(missing.contains("no obs column 'cell_type'; the obs columns are: bulk_labels, n_genes"), "{missing}");
}

#[test]
fn every_h5ad_layout_equals_the_dense_twin_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let twin = open(&fixture("h5ad/twin.tsv"), &options(dir.path()));
    for (file, stored_as, scale) in [
        ("csr.h5ad", "h5ad CSR float32", 1.0),
        ("csc.h5ad", "h5ad CSC float64", 1.0),
        ("dense.h5ad", "h5ad dense int16", 4.0),
        ("old.h5ad", "h5ad CSR float32", 1.0),
    ] {
        let m = open(&fixture(&format!("h5ad/{file}")), &options(dir.path()));
        assert_eq!(m.source().stored_as, stored_as, "{file}");
        assert_eq!(labels(m.row_labels()), labels(twin.row_labels()), "{file}");
        assert_eq!(labels(m.col_labels()), labels(twin.col_labels()), "{file}");
        let expected: Vec<f32> = twin.data().iter().map(|v| v * scale).collect();
        assert_eq!(m.data(), expected, "{file}");
        let cell_types = annotation_column(&m, "obs:cell_type").unwrap();
        let twin_types = annotation_column(&twin, "obs:cell_type").unwrap();
        assert_eq!(cell_types.values, twin_types.values, "{file}: categories B, Mono, NK, T in both");
    }
}

#[test]
fn layers_are_read_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let twin = open(&fixture("h5ad/twin.tsv"), &options(dir.path()));
    let layer = |name: &str| OpenOptions { layer: Some(name.into()), ..options(dir.path()) };
    let counts = open(&fixture("h5ad/csr.h5ad"), &layer("counts"));
    assert_eq!(counts.source().stored_as, "h5ad CSR int32, layer counts");
    assert_eq!(counts.data(), twin.data().iter().map(|v| 4.0 * v).collect::<Vec<_>>());
    assert_eq!(open(&fixture("h5ad/csr.h5ad"), &layer("dense")).data(), twin.data());
    let error = Matrix::open(&fixture("h5ad/csr.h5ad"), &layer("spliced")).err().unwrap().to_string();
    assert!(error.ends_with("no layer 'spliced'; the file's layers are: counts, dense"), "{error}");
}

#[test]
fn transposing_puts_genes_on_rows_for_every_storage() {
    let dir = tempfile::tempdir().unwrap();
    let twin = open(&fixture("h5ad/twin.tsv"), &options(dir.path()));
    let transpose = OpenOptions { transpose: true, ..options(dir.path()) };
    // CSR transposed and CSC as it is go through the spill; CSC transposed
    // and CSR as it is are read row by row; dense reads column runs.
    for file in ["csr.h5ad", "csc.h5ad", "old.h5ad", "dense.h5ad"] {
        let m = open(&fixture(&format!("h5ad/{file}")), &transpose);
        assert_eq!((m.rows(), m.cols()), (25, 40), "{file}");
        assert_eq!(labels(m.row_labels()), labels(twin.col_labels()), "{file}");
        let scale = if file == "dense.h5ad" { 4.0 } else { 1.0 };
        assert_eq!(m.data(), transposed(&twin).iter().map(|v| v * scale).collect::<Vec<_>>(), "{file}");
        let cell_types = annotation_column(&m, "obs:cell_type").unwrap();
        assert_eq!(cell_types.axis, Axis::Cols, "{file}: cells are columns now");
    }
}

#[test]
fn a_column_subset_keeps_the_highly_variable_genes_or_the_listed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let twin = open(&fixture("h5ad/twin.tsv"), &options(dir.path()));
    let hv = [0, 2, 5, 7, 11, 24];
    let subset =
        |subset: ColsSubset, transpose| OpenOptions { cols_subset: Some(subset), transpose, ..options(dir.path()) };
    for file in ["csr.h5ad", "csc.h5ad", "dense.h5ad", "old.h5ad"] {
        let path = fixture(&format!("h5ad/{file}"));
        let scale = if file == "dense.h5ad" { 4.0 } else { 1.0 };
        let m = open(&path, &subset(ColsSubset::VarColumn("highly_variable".into()), false));
        assert_eq!(labels(m.col_labels()), ["GENE0", "GENE2", "GENE5", "GENE7", "GENE11", "GENE24"], "{file}");
        assert_eq!(m.data(), columns(&twin, &hv).iter().map(|v| v * scale).collect::<Vec<_>>(), "{file}");
        let kept = annotation_column(&m, "var:highly_variable").unwrap();
        assert_eq!(
            kept.values,
            AnnotationValues::Categorical { codes: vec![1; 6], categories: vec!["False".into(), "True".into()] }
        );
        let t = open(&path, &subset(ColsSubset::VarColumn("highly_variable".into()), true));
        assert_eq!((t.rows(), t.cols(), t.row_labels().get(5)), (6, 40, "GENE24".into()), "{file}");
        assert_eq!(annotation_column(&t, "var:highly_variable").unwrap().axis, Axis::Rows);
    }
    let list = dir.path().join("genes.txt");
    fs::write(&list, "GENE5\nGENE0\n").unwrap();
    let m = open(&fixture("h5ad/csc.h5ad"), &subset(ColsSubset::Names(list.clone()), false));
    assert_eq!(labels(m.col_labels()), ["GENE5", "GENE0"]);
    assert_eq!(m.data(), columns(&twin, &[5, 0]));
    fs::write(&list, "GENE5\nGENE99\n").unwrap();
    let error = Matrix::open(&fixture("h5ad/csc.h5ad"), &subset(ColsSubset::Names(list), false)).err().unwrap();
    assert!(error.to_string().contains("line 2: no variable is named 'GENE99'"), "{error}");
}

#[test]
fn each_option_set_gets_its_own_cache_and_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture("h5ad/csr.h5ad");
    let first = open(&path, &options(dir.path()));
    let CacheUse::Built(plain) = first.source().cache.clone() else { panic!("built expected") };
    assert_eq!(open(&path, &options(dir.path())).source().cache, CacheUse::Reused(plain.clone()));
    let transposed = open(&path, &OpenOptions { transpose: true, ..options(dir.path()) });
    let CacheUse::Built(other) = transposed.source().cache.clone() else { panic!("built expected") };
    assert_ne!(plain, other);
    let ids = open(&path, &OpenOptions { gene_ids: true, ..options(dir.path()) });
    assert_eq!(ids.col_labels().get(24), "ENSG00024");
}

#[test]
fn tenx_folders_equal_the_dense_twin_genes_by_cells() {
    let dir = tempfile::tempdir().unwrap();
    let twin = open(&fixture("tenx/twin.tsv"), &options(dir.path()));
    for folder in ["tenx/v3", "tenx/v2", "tenx/v2/matrix.mtx"] {
        let m = open(&fixture(folder), &options(dir.path()));
        assert_eq!(m.source().stored_as, "10x mtx integer", "{folder}");
        assert_eq!(labels(m.row_labels()), labels(twin.row_labels()), "{folder}");
        assert_eq!(labels(m.col_labels()), labels(twin.col_labels()), "{folder}");
        assert_eq!(m.data(), twin.data(), "{folder}");
    }
    let t = open(&fixture("tenx/v3"), &OpenOptions { transpose: true, gene_ids: true, ..options(dir.path()) });
    assert_eq!((t.rows(), t.cols()), (40, 25));
    assert_eq!(t.col_labels().get(0), "ENSG00000");
    assert_eq!(t.data(), transposed(&twin));
}

#[test]
fn repeated_column_labels_are_warned_when_converted_and_when_reused() {
    let dir = tempfile::tempdir().unwrap();
    // A 10x folder whose barcode 7 repeats barcode 0 (cell00-A).
    let folder = dir.path().join("tenx");
    fs::create_dir(&folder).unwrap();
    for file in ["matrix.mtx", "genes.tsv"] {
        fs::copy(fixture("tenx/v2").join(file), folder.join(file)).unwrap();
    }
    let barcodes = fs::read_to_string(fixture("tenx/v2/barcodes.tsv")).unwrap();
    let mut lines: Vec<&str> = barcodes.lines().collect();
    assert_eq!(lines[0], "cell00-A");
    lines[7] = "cell00-A";
    fs::write(folder.join("barcodes.tsv"), lines.join("\n") + "\n").unwrap();
    // A text matrix with two columns named b.
    let text = dir.path().join("m.tsv");
    fs::write(&text, "gene\ta\tb\tb\ng1\t1\t2\t3\ng2\t4\t5\t6\n").unwrap();
    let expected = [
        (folder.clone(), "1 column labels repeat an earlier one (first: 'cell00-A'); all columns are kept"),
        (text.clone(), "1 column labels repeat an earlier one (first: 'b'); all columns are kept"),
    ];
    for (path, warning) in expected {
        for run in ["converted", "reused"] {
            let m = open(&path, &options(dir.path()));
            assert_eq!(matches!(m.source().cache, CacheUse::Reused(_)), run == "reused", "{}", path.display());
            assert_eq!(m.source().warnings, [format!("{}: {warning}", path.display())], "{run}");
        }
    }
}

/// Runs `heatscope info ARGS…` with its cache in `cache`.
fn info(cache: &Path, args: &[&Path]) -> std::process::Output {
    common::command(cache).arg("info").args(args).output().unwrap()
}

#[test]
fn bad_h5ad_and_10x_input_fails_with_one_line_exit_code_2_and_no_cache() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let whole = fs::read(fixture("h5ad/csr.h5ad")).unwrap();
    fs::write(d.join("truncated.h5ad"), &whole[..whole.len() / 2]).unwrap();
    let copy_folder = |name: &str, files: &[&str]| {
        let folder = d.join(name);
        fs::create_dir(&folder).unwrap();
        for file in files {
            fs::copy(fixture("tenx/v2").join(file), folder.join(file)).unwrap();
        }
        folder
    };
    let no_features = copy_folder("no_features", &["matrix.mtx", "barcodes.tsv"]);
    let out_of_range = copy_folder("out_of_range", &["genes.tsv", "barcodes.tsv"]);
    let mtx = fs::read_to_string(fixture("tenx/v2/matrix.mtx")).unwrap();
    fs::write(out_of_range.join("matrix.mtx"), mtx.replacen("\n7 1 27\n", "\n26 1 27\n", 1)).unwrap();
    let short = copy_folder("short", &["genes.tsv", "barcodes.tsv"]);
    fs::write(short.join("matrix.mtx"), mtx.lines().take(10).collect::<Vec<_>>().join("\n")).unwrap();
    let fraction = copy_folder("fraction", &["genes.tsv", "barcodes.tsv"]);
    fs::write(fraction.join("matrix.mtx"), mtx.replacen("\n7 1 27\n", "\n7 1 1.5\n", 1)).unwrap();
    let extra = copy_folder("extra", &["genes.tsv", "barcodes.tsv"]);
    fs::write(extra.join("matrix.mtx"), mtx.replacen("\n7 1 27\n", "\n7 1 27 9\n", 1)).unwrap();
    let overfull = copy_folder("overfull", &["genes.tsv", "barcodes.tsv"]);
    fs::write(overfull.join("matrix.mtx"), mtx.replacen("\n25 40 178\n", "\n25 40 1001\n", 1)).unwrap();
    let more_genes = copy_folder("more_genes", &["matrix.mtx", "barcodes.tsv"]);
    fs::write(more_genes.join("genes.tsv"), "ENSG1\tA\n".repeat(26)).unwrap();
    let cases = [
        (d.join("truncated.h5ad"), "truncated.h5ad: not a readable HDF5 file (its header says it is"),
        (fixture("h5ad/bad_indptr.h5ad"), "X/indptr: ends at 183 but data holds 178 values"),
        (fixture("h5ad/bad_shape.h5ad"), "X: has shape [40, 28] but obs has 40 names and var 25"),
        (fixture("h5ad/not_anndata.h5"), "not_anndata.h5: an HDF5 file but not AnnData"),
        (no_features, "no_features: no features.tsv(.gz) or genes.tsv in this 10x folder"),
        (out_of_range, "matrix.mtx: line 4: row '26' is not between 1 and 25"),
        (short, "matrix.mtx: line 10: the file ends after 7 of the 178 entries"),
        (fraction, "matrix.mtx: line 4: '1.5' is not a whole number, as the header's field 'integer' says"),
        (
            extra,
            "matrix.mtx: line 4: '9' follows the entry; a line holds a row, a column and (unless the field is 'pattern') a value",
        ),
        (
            overfull,
            "matrix.mtx: line 3: the size line declares 1001 entries, more than the 25 × 40 places of the matrix",
        ),
        (more_genes, "genes.tsv: 26 lines: matrix.mtx has 25 genes (rows)"),
    ];
    for (path, expected) in cases {
        let cache = d.join("cache");
        let out = info(&cache, &[&path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(expected), "expected '{expected}' in: {stderr}");
        let left: Vec<_> =
            fs::read_dir(&cache).map(|r| r.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
        assert!(left.is_empty(), "{}: the cache folder keeps {left:?}", path.display());
    }
}

#[test]
fn info_lists_the_annotation_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = info(dir.path(), &[&data("pbmc68k_reduced.h5ad")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("shape      700 rows × 765 columns"), "{stdout}");
    assert!(stdout.contains("annotation obs:bulk_labels (10 categories)"), "{stdout}");
    assert!(stdout.contains("annotation var:highly_variable (true/false)"), "{stdout}");
}
