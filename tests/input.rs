//! Opening matrices from text and `.npy` files, and the binary cache.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use heatscope::input::{CacheUse, InputError, Matrix, OpenOptions, scan};
use npyz::WriterBuilder;

fn options(dir: &Path) -> OpenOptions {
    OpenOptions { cache_dir: Some(dir.join("cache")), ..OpenOptions::default() }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn values(m: &Matrix) -> Vec<f32> {
    m.data().to_vec()
}

/// Values equal, NaN equal to NaN.
fn assert_same(actual: &[f32], expected: &[f32]) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(a == e || (a.is_nan() && e.is_nan()), "value {i}: {a} != {e}");
    }
}

fn write_npy<T: npyz::Serialize + Copy>(path: &Path, dtype: &str, shape: [u64; 2], fortran: bool, data: &[T]) {
    let order = if fortran { npyz::Order::Fortran } else { npyz::Order::C };
    let mut writer = npyz::WriteOptions::new()
        .dtype(npyz::DType::new_scalar(dtype.parse().unwrap()))
        .shape(&shape)
        .order(order)
        .writer(fs::File::create(path).unwrap())
        .begin_nd()
        .unwrap();
    writer.extend(data.iter().copied()).unwrap();
    writer.finish().unwrap();
}

#[test]
fn tsv_values_labels_and_missing_markers() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"gene\tA\tB\tC\ng1\t1\t2.5\tNA\ng2\t\t-3e2\t?\n\ng3\tnan\tNaN\t0.125\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!((m.rows(), m.cols()), (3, 3));
    assert_same(&values(&m), &[1.0, 2.5, f32::NAN, f32::NAN, -300.0, f32::NAN, f32::NAN, f32::NAN, 0.125]);
    assert_eq!(m.row_labels().iter().collect::<Vec<_>>(), ["g1", "g2", "g3"]);
    assert_eq!(m.col_labels().iter().collect::<Vec<_>>(), ["A", "B", "C"]);
    assert_eq!(m.source().stored_as, "text, tab-separated");
    let stats = scan(&m).unwrap();
    assert_eq!((stats.nan_count, stats.min, stats.max), (5, Some(-300.0), Some(2.5)));
}

#[test]
fn csv_with_bom_crlf_quotes_and_an_r_style_header() {
    let dir = tempfile::tempdir().unwrap();
    // R's write.csv leaves out the corner: the header has one field fewer.
    let path = write(dir.path(), "m.csv", b"\xef\xbb\xbf\"x\",\"y\"\r\n\"r1\",1,2\r\n\"r2\",3,4\r\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(values(&m), [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(m.col_labels().iter().collect::<Vec<_>>(), ["x", "y"]);
    assert_eq!(m.row_labels().iter().collect::<Vec<_>>(), ["r1", "r2"]);
    assert_eq!(m.source().stored_as, "text, comma-separated");
}

#[test]
fn a_trailing_delimiter_on_every_line_adds_no_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "trail.tsv", b"gene\ts1\ts2\t\nA\t1\t2\t\nB\t3\tNA\t\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!((m.rows(), m.cols()), (2, 2));
    assert_same(&values(&m), &[1.0, 2.0, 3.0, f32::NAN]);
}

#[test]
fn numeric_column_names_are_kept_and_data_like_ones_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    // An R time course: no corner field, columns named by minutes.
    let path = write(dir.path(), "times.tsv", b"0\t5\t10\ng1\t1\t2\t3\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(m.col_labels().iter().collect::<Vec<_>>(), ["0", "5", "10"]);
    assert!(m.source().warnings.is_empty());
    // Row names but no header: the first row became column names.
    let path = write(dir.path(), "noheader.tsv", b"g1\t1.5\t-2\ng2\t3\t4\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(m.rows(), 1);
    assert!(m.source().warnings[0].contains("every column name on line 1 is a number"), "{:?}", m.source().warnings);
}

#[test]
fn gzip_text_reads_like_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"id;s1;s2\na;1;2\nb;3;4\n").unwrap();
    let path = write(dir.path(), "m.txt.gz", &gz.finish().unwrap());
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(values(&m), [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(m.source().stored_as, "text, semicolon-separated, gzip");
}

#[test]
fn second_open_maps_the_cache_and_a_changed_source_is_reparsed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"g\tA\nr\t1\n");
    let first = Matrix::open(&path, &options(dir.path())).unwrap();
    let CacheUse::Built(cache_path) = first.source().cache.clone() else { panic!("expected a new cache") };
    let second = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(second.source().cache, CacheUse::Reused(cache_path.clone()));
    assert_eq!(second.row_labels().get(0), "r");

    // Same size, new content and modification time: the cache is stale.
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&path, b"g\tA\nr\t2\n").unwrap();
    let third = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(third.source().cache, CacheUse::Built(cache_path));
    assert_eq!(values(&third), [2.0]);
    // Still mapped: the first matrix keeps reading the file it mapped.
    assert_eq!(values(&first), [1.0]);
}

#[test]
fn a_rewrite_that_keeps_size_and_modification_time_is_still_noticed() {
    // As `cp -p` or `rsync -a` over the file would leave it.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"g\tA\nr\t1\n");
    let modified = fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(values(&Matrix::open(&path, &options(dir.path())).unwrap()), [1.0]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&path, b"g\tA\nr\t7\n").unwrap();
    fs::File::options().write(true).open(&path).unwrap().set_modified(modified).unwrap();
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert!(matches!(m.source().cache, CacheUse::Built(_)));
    assert_eq!(values(&m), [7.0]);
}

#[test]
fn a_half_written_cut_or_damaged_header_cache_is_rebuilt_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"g\tA\tB\nr1\t1\t2\nr2\t3\t4\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    let CacheUse::Built(cache_path) = m.source().cache.clone() else { panic!("expected a new cache") };
    drop(m);
    let good = fs::read(&cache_path).unwrap();

    // A crash before the rename leaves only a temporary file: never read.
    fs::remove_file(&cache_path).unwrap();
    write(cache_path.parent().unwrap(), ".m.tsv.interrupted.tmp", &good[..good.len() / 2]);
    assert!(matches!(Matrix::open(&path, &options(dir.path())).unwrap().source().cache, CacheUse::Built(_)));

    // A truncated file and a flipped header byte both fail validation.
    for damage in [Damage::Truncate, Damage::FlipRows] {
        let mut bytes = good.clone();
        match damage {
            Damage::Truncate => bytes.truncate(bytes.len() - 3),
            Damage::FlipRows => bytes[16] ^= 1,
        }
        fs::write(&cache_path, &bytes).unwrap();
        let m = Matrix::open(&path, &options(dir.path())).unwrap();
        assert_eq!(m.source().cache, CacheUse::Built(cache_path.clone()), "{damage:?}");
        assert_eq!(values(&m), [1.0, 2.0, 3.0, 4.0]);
    }
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    Truncate,
    FlipRows,
}

#[test]
fn blocks_larger_than_one_read_keep_rows_and_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, cols) = (120_000, 20);
    let mut text = String::from("gene");
    for c in 0..cols {
        text.push_str(&format!("\tS{c}"));
    }
    text.push('\n');
    for r in 0..rows {
        text.push_str(&format!("g{r}"));
        for c in 0..cols {
            text.push_str(&format!("\t{}.{:03}", r % 997, c));
        }
        text.push('\n');
    }
    assert!(text.len() > 17 << 20, "the file must span more than one 16 MiB block");
    let path = write(dir.path(), "big.tsv", text.as_bytes());
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!((m.rows(), m.cols()), (rows, cols));
    assert_eq!(m.row(100_000)[7], (100_000 % 997) as f32 + 0.007);
    assert_eq!(m.row_labels().get(rows - 1), format!("g{}", rows - 1));

    // A bad line far into the file is reported with its own line number.
    let bad_line = 110_000;
    let mut lines: Vec<&str> = text.lines().collect();
    let broken = lines[bad_line - 1].replacen('\t', "\tx", 1);
    lines[bad_line - 1] = &broken;
    let path = write(dir.path(), "bad.tsv", lines.join("\n").as_bytes());
    match Matrix::open(&path, &options(dir.path())) {
        Err(InputError::NotANumber { line, .. }) => assert_eq!(line, bad_line as u64),
        other => panic!("expected NotANumber, got {:?}", other.err()),
    }
}

#[test]
fn f32_npy_in_c_order_is_mapped_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.npy");
    let data = [1.5f32, f32::NAN, -2.0, 4.0, 5.0, 6.0];
    write_npy(&path, "<f4", [2, 3], false, &data);
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(m.source().cache, CacheUse::InPlace);
    assert_same(&values(&m), &data);
    assert_eq!(m.row_labels().get(1), "row_1");
    assert_eq!(m.col_labels().get(2), "col_2");
    assert!(!dir.path().join("cache").exists(), "an in-place open writes no cache");
}

#[test]
fn other_npy_dtypes_orders_and_byte_orders_are_converted_once() {
    let dir = tempfile::tempdir().unwrap();
    let expected = [1.0f32, -2.0, 3.0, 4.0, 0.0, 6.0];
    // Row-major values of a 2 × 3 matrix, and the same in column-major order.
    let column_major: [f32; 6] = [1.0, 4.0, -2.0, 0.0, 3.0, 6.0];
    type Writer<'a> = Box<dyn Fn(&Path) + 'a>;
    let cases: Vec<(&str, Writer)> = vec![
        ("<f8", Box::new(|p| write_npy(p, "<f8", [2, 3], false, &expected.map(f64::from)))),
        (">f4", Box::new(|p| write_npy(p, ">f4", [2, 3], false, &expected))),
        ("<f8 F", Box::new(|p| write_npy(p, "<f8", [2, 3], true, &column_major.map(f64::from)))),
        ("<f4 F", Box::new(|p| write_npy(p, "<f4", [2, 3], true, &column_major))),
        ("<i2", Box::new(|p| write_npy(p, "<i2", [2, 3], false, &expected.map(|v| v as i16)))),
        (">i8", Box::new(|p| write_npy(p, ">i8", [2, 3], false, &expected.map(|v| v as i64)))),
        ("<f2", Box::new(|p| write_npy(p, "<f2", [2, 3], false, &expected.map(half::f16::from_f32)))),
    ];
    for (name, make) in cases {
        let path = dir.path().join(format!("m{}.npy", name.replace([' ', '<', '>'], "_")));
        make(&path);
        let m = Matrix::open(&path, &options(dir.path())).unwrap();
        assert!(matches!(m.source().cache, CacheUse::Built(_)), "{name}: {:?}", m.source().cache);
        assert_eq!(values(&m), expected, "{name}");
        let again = Matrix::open(&path, &options(dir.path())).unwrap();
        assert!(matches!(again.source().cache, CacheUse::Reused(_)), "{name}");
        assert_eq!(values(&again), expected, "{name}");
    }
    let path = dir.path().join("u8.npy");
    write_npy(&path, "|u1", [1, 3], false, &[0u8, 200, 255]);
    assert_eq!(values(&Matrix::open(&path, &options(dir.path())).unwrap()), [0.0, 200.0, 255.0]);
}

#[test]
fn npy_labels_come_from_side_files_given_or_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.npy");
    write_npy(&path, "<f4", [2, 1], false, &[1.0f32, 2.0]);
    write(dir.path(), "x.rows.txt", b"TP53\nBRCA1\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(m.row_labels().iter().collect::<Vec<_>>(), ["TP53", "BRCA1"]);
    assert!(m.col_labels().is_generated());

    let cols = write(dir.path(), "samples.txt", b"\xef\xbb\xbfpatient 7\r\n\r\n\n");
    let opts = OpenOptions { col_labels: Some(cols), ..options(dir.path()) };
    assert_eq!(Matrix::open(&path, &opts).unwrap().col_labels().get(0), "patient 7");

    let wrong = write(dir.path(), "three.txt", b"a\nb\nc\n");
    let opts = OpenOptions { row_labels: Some(wrong), ..options(dir.path()) };
    let err = Matrix::open(&path, &opts).err().unwrap();
    assert!(matches!(err, InputError::LabelCount { found: 3, expected: 2, .. }), "{err}");
}

#[test]
fn repeated_row_labels_warn_and_keep_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "dup.tsv", b"g\tA\nx\t1\ny\t2\nx\t3\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(m.rows(), 3);
    assert_eq!(m.source().warnings.len(), 1);
    assert!(m.source().warnings[0].contains("1 row labels repeat an earlier one (first: 'x')"));
    let again = Matrix::open(&path, &options(dir.path())).unwrap();
    assert!(again.source().warnings[0].contains("1 row labels repeat"), "the warning survives the cache");
}

#[test]
fn a_long_text_column_name_is_quoted_short_in_its_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("gene\t{}\ts1\ng1\tx\t1\ng2\ty\t2\n", "n".repeat(5000));
    let path = write(dir.path(), "long.tsv", text.as_bytes());
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    let warning = &m.source().warnings[0];
    // 200 characters are quoted: the opening quote mark and 199 of the name.
    assert!(warning.contains(&format!("text column(s) '{}… left out", "n".repeat(199))), "{warning}");
    assert!(warning.chars().count() < 400, "{warning}");
}

#[test]
fn leading_text_columns_are_left_out_and_one_of_them_labels_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let labels = |m: &Matrix| (0..m.rows()).map(|i| m.row_labels().get(i).into_owned()).collect::<Vec<_>>();
    let cols = |m: &Matrix| (0..m.cols()).map(|j| m.col_labels().get(j).into_owned()).collect::<Vec<_>>();
    // A gene id and a symbol before the values (a symbol may be missing).
    let text = b"gene_id\tsymbol\ts1\ts2\nENSG1\tTP53\t1\t2\nENSG2\tNA\t3\tNA\nENSG3\tMYC\t5\t6\n";
    let path = write(dir.path(), "ids.tsv", text);
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(
        (labels(&m), cols(&m)),
        (vec!["ENSG1".to_owned(), "ENSG2".into(), "ENSG3".into()], vec!["s1".to_owned(), "s2".into()])
    );
    assert_same(&values(&m), &[1.0, 2.0, 3.0, f32::NAN, 5.0, 6.0]);
    let warning = &m.source().warnings[0];
    assert!(warning.contains("text column(s) 'symbol' left out of the values"), "{warning}");
    let by_symbol = OpenOptions { label_col: Some("symbol".into()), ..options(dir.path()) };
    let m = Matrix::open(&path, &by_symbol).unwrap();
    assert_eq!(labels(&m), ["TP53", "NA", "MYC"]);
    assert_same(&values(&m), &[1.0, 2.0, 3.0, f32::NAN, 5.0, 6.0]);
    assert!(m.source().warnings.is_empty(), "chosen, the other is left out as asked: {:?}", m.source().warnings);
    // A numeric identifier column (Entrez ids) is no value column: its name
    // says so, or --label-col names it (and so every column before it).
    let path = write(
        dir.path(),
        "entrez.tsv",
        b"symbol	Entrez ID	s1	s2
TP53	7157	1	2
MYC	4609	3	4
",
    );
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!((labels(&m), cols(&m)), (vec!["TP53".to_owned(), "MYC".into()], vec!["s1".to_owned(), "s2".into()]));
    assert_same(&values(&m), &[1.0, 2.0, 3.0, 4.0]);
    let path = write(
        dir.path(),
        "number.tsv",
        b"symbol	number	s1
TP53	7157	1
MYC	4609	3
",
    );
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!(cols(&m), ["number", "s1"], "a column of numbers named as values is values");
    let by_number = OpenOptions { label_col: Some("number".into()), ..options(dir.path()) };
    let m = Matrix::open(&path, &by_number).unwrap();
    assert_eq!((labels(&m), cols(&m)), (vec!["7157".to_owned(), "4609".into()], vec!["s1".to_owned()]));
    assert_same(&values(&m), &[1.0, 3.0]);
    // R's header without a corner: the label column has no name.
    let path = write(dir.path(), "r.tsv", b"symbol\ts1\nENSG1\tTP53\t1\nENSG2\tMYC\t2\n");
    let m = Matrix::open(&path, &options(dir.path())).unwrap();
    assert_eq!((labels(&m), cols(&m)), (vec!["ENSG1".to_owned(), "ENSG2".into()], vec!["s1".to_owned()]));
    // A name that is no leading text column, and a text field among the values.
    let wrong = OpenOptions { label_col: Some("name".into()), ..options(dir.path()) };
    let err = Matrix::open(&dir.path().join("ids.tsv"), &wrong).err().unwrap().to_string();
    assert!(err.contains("--label-col name: not one of the leading text columns (gene_id, symbol)"), "{err}");
    let path = write(dir.path(), "late.tsv", b"gene\tsymbol\ts1\ns1\tA\t1\ns2\t2\tB\n");
    let err = Matrix::open(&path, &options(dir.path())).err().unwrap().to_string();
    assert!(err.contains("line 3, column 3 ('s1'): 'B' is not a number"), "{err}");
    // Only text has label columns.
    let npy = dir.path().join("m.npy");
    write_npy(&npy, "<f4", [2, 2], false, &[1.0f32, 2.0, 3.0, 4.0]);
    let err = Matrix::open(&npy, &by_symbol).err().unwrap().to_string();
    assert!(err.contains("--label-col applies to text matrices; this is a .npy"), "{err}");
}
