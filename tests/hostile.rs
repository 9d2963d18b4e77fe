//! Hostile and damaged input (issue 22): small files that claim huge
//! shapes or hold huge lines. Each run has its address space capped with
//! `ulimit -v` and a generous deadline, so an allocation sized from a
//! header or a hang fails the test instead of the machine; each must end
//! with exit code 2 and one line naming the file, the place and the fix.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use heatscope::quote::MAX_QUOTED;
use std::time::{Duration, Instant};

/// Address-space cap for the binary, in KiB: room for its code and threads,
/// far below what any of these inputs claims.
const MEMORY_KIB: u64 = 2 << 20;
/// A deadline that only a hang misses.
const DEADLINE: Duration = Duration::from_secs(120);

/// What a capped run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary with `args`, its cache in `cache`, under [`MEMORY_KIB`]
/// and [`DEADLINE`].
fn capped(cache: &Path, args: &[&str]) -> Run {
    capped_at(cache, args, MEMORY_KIB)
}

/// [`capped`] with an address-space cap of `kib` KiB. The run's standard
/// output is read when it ends: it must stay short.
fn capped_at(cache: &Path, args: &[&str], kib: u64) -> Run {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_heatscope"))
        .args(args)
        .env("HEATSCOPE_CACHE_DIR", cache)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("sh runs");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let (mut stdout, mut stderr) = (String::new(), String::new());
            std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            return Run { code: status.code(), stdout, stderr };
        }
        if started.elapsed() > DEADLINE {
            child.kill().unwrap();
            panic!("heatscope {args:?} ran past {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks a capped `info FILE`: exit code 2, one line, naming the file and
/// holding each of `expected`.
fn assert_refused(file: &Path, expected: &[&str]) {
    let left = assert_refused_naming(file, file.file_name().unwrap().to_str().unwrap(), expected);
    assert!(left.is_empty(), "nothing is left in the cache folder: {left:?}");
}

/// [`assert_refused`] for a message about a file beside `file` (a tree
/// beside a CDT), whose name holds `name`; returns the names of what the
/// run left in its cache folder.
fn assert_refused_naming(file: &Path, name: &str, expected: &[&str]) -> Vec<String> {
    let cache = tempfile::tempdir().unwrap();
    let run = capped(cache.path(), &["-q", "info", file.to_str().unwrap()]);
    let stderr = run.stderr;
    assert_eq!(run.code, Some(2), "{}: {stderr}", file.display());
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.len() < 600, "a short line expected: {stderr}");
    assert!(stderr.contains(name), "the message names the file: {stderr}");
    for e in expected {
        assert!(stderr.contains(e), "expected '{e}' in: {stderr}");
    }
    std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn h5ad_dataspaces_claiming_more_than_the_file_holds_are_refused_before_allocating() {
    let fixture = |name: &str| common::repo(&format!("tests/fixtures/hostile/{name}"));
    // A chunked indptr claiming 2^40 int64 entries in a 13 KB file.
    assert_refused(
        &fixture("huge_indptr.h5ad"),
        &["X/indptr", "claims 1099511627776 values of 8 bytes", "write it again with anndata's write_h5ad"],
    );
    // Contiguous names claiming 2^40 strings, never written.
    assert_refused(&fixture("huge_names.h5ad"), &["obs/_index", "claims 1099511627776 values", "the file holds"]);
    // The same for var, whose count sizes the columns kept before any name
    // is read, in both layouts (the older one a compound dataset).
    assert_refused(&fixture("huge_var_names.h5ad"), &["var/_index: its header claims 1099511627776 values"]);
    assert_refused(&fixture("huge_old_var.h5ad"), &["var: its header claims 1099511627776 values of 8 bytes"]);
    // Numbers where the names belong: refused for their type before their
    // count (2 × 10^7, within the file's claim) sizes anything.
    assert_refused(&fixture("number_var.h5ad"), &["var/_index: is not text, so it cannot hold the names"]);
    // A dense X of 2^20 × 2^20 float32 that was never written.
    assert_refused(&fixture("huge_dense.h5ad"), &["X:", "claims 1099511627776 values of 4 bytes"]);
}

#[test]
fn h5ad_columns_of_another_length_than_their_axis_and_an_indptr_not_from_zero_are_refused() {
    let fixture = |name: &str| common::repo(&format!("tests/fixtures/hostile/{name}"));
    let fix = "the file breaks the AnnData layout; write it again with anndata's write_h5ad";
    // A CSR X whose indptr starts at 1: its first stored value would be lost.
    assert_refused(&fixture("indptr_start.h5ad"), &["X/indptr: starts at 1 rather than 0", fix]);
    let cases = [
        ("short_obs_column.h5ad", "--row-colors", "obs:n_counts", "obs/n_counts: holds 2 values but obs has 3 names"),
        ("short_obs_codes.h5ad", "--row-colors", "obs:cell_type", "obs/cell_type: holds 2 values but obs has 3 names"),
        ("short_obs_codes.h5ad", "--row-split", "obs:cell_type", "obs/cell_type: holds 2 values but obs has 3 names"),
        (
            "long_var_column.h5ad",
            "--cols-subset",
            "var:highly_variable",
            "var/highly_variable: holds 5 values but var has 2 names",
        ),
    ];
    for (name, flag, column, expected) in cases {
        let cache = tempfile::tempdir().unwrap();
        let file = fixture(name);
        let out = cache.path().join("out.svg");
        let run =
            capped(cache.path(), &["-q", "render", file.to_str().unwrap(), "-o", out.to_str().unwrap(), flag, column]);
        assert_eq!(run.code, Some(2), "{name} {flag}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "one line expected: {}", run.stderr);
        assert!(
            run.stderr.contains(name) && run.stderr.contains(expected) && run.stderr.contains(fix),
            "{}",
            run.stderr
        );
        assert!(!out.exists(), "{name} {flag}: no figure is written");
    }
}

#[test]
fn a_declared_shape_larger_than_the_free_space_is_refused_before_writing() {
    // A 10x folder of a few bytes declaring 10^6 × 10^6 (4 TB dense).
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("huge10x");
    std::fs::create_dir(&folder).unwrap();
    let header = "%%MatrixMarket matrix coordinate integer general\n1000000 1000000 0\n";
    std::fs::write(folder.join("matrix.mtx"), header).unwrap();
    std::fs::write(folder.join("features.tsv"), "ENSG1\tG1\tGene Expression\n").unwrap();
    std::fs::write(folder.join("barcodes.tsv"), "AAAC-1\n").unwrap();
    let expected = ["a 1000000 × 1000000 matrix needs 3725.3 GiB of cache space", "--cols-subset", "--cache-dir"];
    assert_refused(&folder.join("matrix.mtx"), &expected);
    // An .h5ad with an empty 10^6 × 10^6 CSR X and 10^6 names on each axis.
    assert_refused(&common::repo("tests/fixtures/hostile/empty_huge.h5ad"), &expected);
    // Its size is weighed before its names are read: here obs's are bytes
    // that are not UTF-8, which reading them would refuse.
    assert_refused(&common::repo("tests/fixtures/hostile/huge_unreadable_names.h5ad"), &expected);
}

#[test]
fn temporaries_of_a_killed_run_are_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // Text large enough that its conversion is still running when killed.
    let mut text = String::from("name");
    (0..50).for_each(|c| text.push_str(&format!("\tc{c}")));
    text.push('\n');
    for r in 0..200_000 {
        text.push_str(&format!("r{r}"));
        (0..50).for_each(|c| text.push_str(&format!("\t{}.{}", r % 97, c)));
        text.push('\n');
    }
    let big = dir.path().join("big.tsv");
    std::fs::write(&big, text).unwrap();
    let temporaries = || -> Vec<_> {
        std::fs::read_dir(&cache)
            .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "tmp")).collect())
            .unwrap_or_default()
    };
    let mut child = common::command(&cache).args(["-q", "info", big.to_str().unwrap()]).spawn().unwrap();
    let started = Instant::now();
    while temporaries().is_empty() {
        assert!(child.try_wait().unwrap().is_none(), "the conversion ended before it could be killed");
        assert!(started.elapsed() < DEADLINE, "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: nothing of the writer runs after it
    child.wait().unwrap();
    let orphans = temporaries();
    assert_eq!(orphans.len(), 1, "{orphans:?}");
    // The next run, on another file, writes to the same folder and clears it.
    let small = dir.path().join("small.tsv");
    std::fs::write(&small, "name\ta\tb\nr0\t1\t2\n").unwrap();
    let out = common::heatscope(&cache, &["-q", "info", small.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!orphans[0].exists(), "the orphan {} was removed", orphans[0].display());
    assert!(temporaries().is_empty());
}

#[test]
fn a_line_longer_than_the_limit_is_refused_in_bounded_memory() {
    use std::io::Write;
    // One 1 GiB data line, gzip-compressed to about 1 MB: held whole it
    // would pass the address-space cap.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.tsv.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&file).unwrap(), flate2::Compression::fast());
    gz.write_all(b"gene\ts0\ns1\t").unwrap();
    let chunk = b"1\t".repeat(1 << 19);
    for _ in 0..(1 << 30) / chunk.len() {
        gz.write_all(&chunk).unwrap();
    }
    gz.write_all(b"1\n").unwrap();
    gz.finish().unwrap();
    assert_refused(&file, &["line 2 is longer than 64 MiB"]);
    // A header as long: line 1.
    let header = dir.path().join("header.tsv.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&header).unwrap(), flate2::Compression::fast());
    gz.write_all(b"gene").unwrap();
    let names = b"\tsample".repeat(1 << 17);
    for _ in 0..(200 << 20) / names.len() {
        gz.write_all(&names).unwrap();
    }
    gz.write_all(b"\ng0\t1\n").unwrap();
    gz.finish().unwrap();
    assert_refused(&header, &["line 1 is longer than 64 MiB"]);
}

#[test]
fn blank_lines_around_the_header_are_skipped_and_counted() {
    // 17 million blank lines before the header and as many after it (more
    // than a read block each), then a bad value: its line number counts them.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blank.tsv");
    let blank = "\n".repeat(17_000_000);
    std::fs::write(&file, format!("{blank}gene\ts0\n{blank}\r\ng0\tx\n")).unwrap();
    assert_refused(&file, &["line 34000003, column 2 ('s0'): 'x' is not a number"]);
}

#[test]
fn lines_ended_by_carriage_returns_alone_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mac.tsv");
    std::fs::write(&file, "gene\ts0\ts1\rg0\t1\t2\rg1\t3\t4\r").unwrap();
    assert_refused(&file, &["carriage return alone", "tr '\\r' '\\n'"]);
}

#[test]
fn a_garbage_npy_header_is_named_on_one_line_and_quoted_short() {
    // The magic and version 1.0, then 9 KB of lines that are no dict.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("garbage.npy");
    let mut header = "junk\n".repeat(1800).into_bytes();
    header.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(&header);
    std::fs::write(&file, bytes).unwrap();
    // Each "junk\n" shows as 6 characters ("\n" escaped): 33 of them and
    // 2 more make the 200 quoted.
    assert_eq!(33 * 6 + 2, MAX_QUOTED);
    let quoted = format!("'{}ju…'", "junk\\n".repeat(33));
    assert_refused(
        &file,
        &[&format!("not a readable NumPy .npy file (the header is not a Python dict literal: {quoted}); re-save it")],
    );
}

#[test]
fn an_npy_header_length_beyond_the_file_is_refused_before_allocating() {
    // Version 2.0 declares a 4-byte header length: 0xF000_0000 bytes
    // (3.75 GiB, past the memory cap) in a file of 28 bytes.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long_header.npy");
    let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
    bytes.extend(0xF000_0000u32.to_le_bytes());
    bytes.extend(b"{'descr': '<f4',");
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(bytes.len(), 28);
    assert_refused(
        &file,
        &["not a readable NumPy .npy file (its header claims 4026531840 bytes but the file holds 16)"],
    );
}

#[test]
fn an_npy_header_nesting_braces_deep_or_longer_than_numpy_reads_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let npy = |name: &str, header: &str| {
        let file = dir.path().join(name);
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend(u16::try_from(header.len()).unwrap().to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend(1.0f32.to_le_bytes().repeat(6));
        std::fs::write(&file, bytes).unwrap();
        file
    };
    // 40 nested braces in a 165-byte file: the header parser's time doubles
    // with each level (12 took 2.6 s), so this would never end.
    let deep = format!("{{'descr': {}'<f4', 'fortran_order': False, 'shape': (3, 2), }}\n", "{".repeat(40));
    assert_refused(&npy("deep.npy", &deep), &["its header opens 42 brackets, more than the 8", "'{'descr': {{{{"]);
    // The parser's \N{…} escape runs to the next brace, quotes and all: a
    // scan that skipped quoted text would count none of these 16.
    let hidden = format!("{{'a': '\\N{{'}}', 'b': {}", "{".repeat(16));
    assert_refused(&npy("hidden.npy", &hidden), &["its header opens 18 brackets"]);
    // A header of 20,000 bytes (numpy's np.load reads at most 10,000).
    let long = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }}{}\n", " ".repeat(19_940));
    assert_eq!(long.len(), 20_000);
    assert_refused(&npy("long.npy", &long), &["its header claims 20000 bytes, more than the 10000 numpy itself reads"]);
    // A datetime's unit is a third bracket, within the limit: refused for
    // its type, not its brackets.
    let datetime = "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (3, 2), }\n";
    let run = capped(dir.path(), &["-q", "info", npy("datetime.npy", datetime).to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!run.stderr.contains("brackets") && run.stderr.contains("<M8[ns]"), "{}", run.stderr);
}

#[test]
fn a_huge_node_id_in_a_tree_is_quoted_short() {
    // A CDT of two genes and a .gtr whose first merge names a 12 MB id.
    let dir = tempfile::tempdir().unwrap();
    let cdt = dir.path().join("t.cdt");
    std::fs::write(&cdt, "GID\tUNIQID\tNAME\tGWEIGHT\ts0\ts1\nGENE0X\tg0\tg0\t1\t1\t2\nGENE1X\tg1\tg1\t1\t3\t4\n")
        .unwrap();
    let id = "N".repeat(12 << 20);
    std::fs::write(dir.path().join("t.gtr"), format!("NODE1X\t{id}\tGENE1X\t0.9\n")).unwrap();
    let expected =
        format!("t.gtr: line 1: '{}…' is neither a leaf of the CDT nor an earlier node", "N".repeat(MAX_QUOTED));
    // The CDT itself is fine: its cache is kept, and nothing else.
    let left = assert_refused_naming(&cdt, "t.gtr", &[&expected]);
    assert!(left.len() == 1 && left[0].starts_with("t.cdt-") && left[0].ends_with(".hsm"), "{left:?}");
}

#[test]
fn a_number_of_5000_digits_is_beyond_the_float32_range_not_infinite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("digits.tsv");
    std::fs::write(&file, format!("gene\ts0\ts1\ng0\t1\t{}\n", "9".repeat(5000))).unwrap();
    let expected =
        format!("line 2, column 3 ('s1'): {}… is beyond the float32 range (±3.4e38)", "9".repeat(MAX_QUOTED));
    assert_refused(&file, &[&expected, "rescale the data"]);
}

#[test]
fn a_matrix_market_file_outside_a_10x_folder_says_where_it_belongs() {
    let dir = tempfile::tempdir().unwrap();
    let text = "%%MatrixMarket matrix coordinate integer general\n2 3 1\n1 1 5\n";
    for name in ["alone.mtx", "counts.txt"] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        assert_refused(&file, &["it is a Matrix Market file", "as matrix.mtx (or .mtx.gz) beside barcodes.tsv"]);
    }
}

#[test]
fn a_features_tsv_of_one_column_says_what_it_must_hold() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("onecolumn10x");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("matrix.mtx"), "%%MatrixMarket matrix coordinate integer general\n2 1 1\n1 1 3\n")
        .unwrap();
    std::fs::write(folder.join("features.tsv"), "ENSG1\nENSG2\n").unwrap();
    std::fs::write(folder.join("barcodes.tsv"), "AAAC-1\n").unwrap();
    assert_refused(
        &folder,
        &[
            "features.tsv: line 1: 1 field and no gene name (field 2)",
            "holds a gene id, a gene name and optionally a feature type, tab-separated",
        ],
    );
}

#[test]
fn h5ad_values_beyond_float32_are_named_so_and_infinities_as_infinite() {
    let fixture = |name: &str| common::repo(&format!("tests/fixtures/hostile/{name}"));
    // A dense float64 X holding 1e300 at (2, 1), a CSR one holding -1e300
    // at (1, 1), and the same CSR with -inf there.
    assert_refused(
        &fixture("beyond_f32_dense.h5ad"),
        &["row 2, column 1 (0-based) is beyond the float32 range (±3.4e38)"],
    );
    assert_refused(
        &fixture("beyond_f32_csr.h5ad"),
        &["row 1, column 1 (0-based) is beyond the float32 range (±3.4e38)"],
    );
    assert_refused(&fixture("infinite_csr.h5ad"), &["row 1, column 1 (0-based) is infinite"]);
}

#[test]
fn a_standard_output_that_cannot_be_written_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.tsv");
    std::fs::write(&file, "name\ta\tb\nr0\t1\t2\n").unwrap();
    let full = std::fs::File::create("/dev/full").expect("Linux has /dev/full");
    let out = common::command(&dir.path().join("cache"))
        .args(["-q", "info", file.to_str().unwrap()])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: could not write to standard output (No space left on device"), "{stderr}");
}

#[test]
fn values_whose_distances_pass_float32_are_refused_before_clustering() {
    // Rows (3e38, −3e38) and (−3e38, 3e38) are √2 · 6e38 ≈ 8.5e38 apart,
    // beyond f32::MAX ≈ 3.4e38, which distances are kept in.
    let (x, max) = (3e38f64, f64::from(f32::MAX));
    assert!((2.0 * (2.0 * x).powi(2)).sqrt() > max);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("far.tsv");
    std::fs::write(&file, "g\ta\tb\nr0\t3e38\t-3e38\nr1\t-3e38\t3e38\nr2\t0\t1\n").unwrap();
    let order = dir.path().join("order.txt");
    let cache = dir.path().join("cache");
    let run = capped(&cache, &["-q", "cluster", file.to_str().unwrap(), "--order-out", order.to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let expected = "far.tsv: rows 'r0' and 'r1': rows 0 and 1 (0-based) are too far apart for a euclidean distance: \
                    it passes the float32 range (±3.4e38) that distances are kept in; rescale the data";
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert!(!order.exists());
}

#[test]
fn converting_twenty_million_rows_holds_their_labels_on_disk_not_in_memory() {
    use std::io::Write;
    // 20,000,000 rows of one column, its last label repeating row 7's.
    // Their labels and offsets alone take about 360 MB; held in memory as
    // they are read, the run needed 1.2 GB and more than this 1 GiB cap,
    // which leaves room for mapping the 409 MB cache it writes.
    const ROWS: usize = 20_000_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tall.tsv.gz");
    let out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    gz.write_all(b"gene\tvalue\n").unwrap();
    let mut lines = Vec::with_capacity(1 << 20);
    for i in 0..ROWS {
        let label = if i + 1 == ROWS { 7 } else { i };
        writeln!(lines, "r{label}\t{}", i % 1000).unwrap();
        if lines.len() > (1 << 20) - 64 {
            gz.write_all(&lines).unwrap();
            lines.clear();
        }
    }
    gz.write_all(&lines).unwrap();
    gz.finish().unwrap();

    let cache = dir.path().join("cache");
    let run = capped_at(&cache, &["-q", "info", "--json", file.to_str().unwrap()], 1 << 20);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["rows"], ROWS);
    assert_eq!(json["cols"], 1);
    assert_eq!((&json["min"], &json["max"], &json["mean"]), (&0.0.into(), &999.0.into(), &499.5.into()));
    assert_eq!(json["row_labels_first"], serde_json::json!(["r0", "r1", "r2"]));
    assert_eq!(json["row_labels_last"], serde_json::json!(["r19999997", "r19999998", "r7"]));
    assert_eq!(
        run.stderr.trim(),
        format!("warning: {}: 1 row labels repeat an earlier one (first: 'r7'); all rows are kept", file.display())
    );

    // The labels as the cache file stores them (its documented layout):
    // the row-label block's offset at byte 40; there, the count, the end
    // offsets and the text.
    let hsm = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().unwrap() == "hsm");
    let bytes = std::fs::read(hsm.expect("the cache is kept")).unwrap();
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let block = u64_at(40);
    assert_eq!(u64_at(block), ROWS);
    let text = block + 8 + 8 * (ROWS + 1);
    let label = |i: usize| {
        std::str::from_utf8(&bytes[text + u64_at(block + 8 + 8 * i)..text + u64_at(block + 16 + 8 * i)])
            .unwrap()
            .to_owned()
    };
    assert_eq!(label(0), "r0");
    assert_eq!(label(10_000_000), "r10000000");
    assert_eq!(label(ROWS - 2), "r19999998");
    assert_eq!(label(ROWS - 1), "r7");
}
