//! The `heatscope` binary as a user runs it: answers on good input, and on
//! bad input exit code 2 with one line that names the file, the place and
//! the fix.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn heatscope(cache: &Path, args: &[&str]) -> Output {
    common::heatscope(cache, args)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// Runs `info FILE` and checks: exit code 2, exactly one line on stderr,
/// naming the file and containing `expected`.
fn assert_bad_input(path: &Path, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = heatscope(dir.path(), &["info", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: stderr was {stderr}", path.display());
    assert_eq!(stderr.lines().count(), 1, "one line expected, got: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(stderr.contains(name), "the message names the file: {stderr}");
    assert!(stderr.contains(expected), "expected '{expected}' in: {stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

fn npy_header(descr: &str, shape: &str) -> Vec<u8> {
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes
}

#[test]
fn files_named_for_another_format_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_bad_input(&write(d, "fake.h5ad", b"g\ts\nA\t1\n"), "does not start with the HDF5 signature");
    assert_bad_input(&write(d, "plain.tsv.gz", b"g\ts\nA\t1\n"), "is named .gz but is not gzip-compressed");
}

#[test]
fn bad_text_files_fail_with_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: [(&str, &[u8], &str); 12] = [
        ("decimal_comma.csv", b"gene;s1;s2\nA;1,5;2\n", "'1,5' is not a number; decimal commas are not read"),
        ("quoted.csv", b"gene,s1,s2\nA,\"1,5\",2\n", "quoted fields holding the delimiter are not supported"),
        ("huge.tsv", b"g\ts1\nA\t1e39\n", "1e39 is beyond the float32 range"),
        ("savetxt.tsv", b"0.5\t1.5\t2.5\n3.5\t4.5\t5.5\n", "line 1 is all numbers, so the file has no header row"),
        ("ragged.tsv", b"g\tA\tB\nr1\t1\t2\nr2\t3\n", "line 3 has 2 fields but the header has 3"),
        ("word.tsv", b"g\tA\tB\nr1\t1\tabc\n", "line 2, column 3 ('B'): 'abc' is not a number"),
        ("empty.tsv", b"", "is empty"),
        ("blank.tsv", b"\n\n", "is empty"),
        ("header.tsv", b"g\tA\tB\n", "has a header but no data rows"),
        ("latin1.tsv", b"g\tA\nM\xfcller\t1\n", "line 2 is not valid UTF-8"),
        ("inf.csv", b"g,A,B\nr,1,inf\n", "line 2, column 3 ('B') is infinite"),
        ("onecol.tsv", b"names\na\nb\n", "line 1 has no delimiter"),
    ];
    for (name, bytes, expected) in cases {
        assert_bad_input(&write(d, name, bytes), expected);
    }
}

#[test]
fn bad_npy_files_fail_with_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut truncated = npy_header("<f4", "(3, 4)");
    truncated.extend_from_slice(&[0; 40]);
    let mut complex = npy_header("<c8", "(2, 2)");
    complex.extend_from_slice(&[0; 32]);
    let mut strings = npy_header("<U3", "(1, 1)");
    strings.extend_from_slice(&[0; 12]);
    let mut zero = npy_header("<f4", "(0, 5)");
    zero.push(0);
    let mut vector = npy_header("<f4", "(3,)");
    vector.extend_from_slice(&[0; 12]);
    let mut absurd = npy_header("<f8", "(4000000000000, 4000000000000)");
    absurd.extend_from_slice(&[0; 8]);
    let mut infinite = npy_header("<f4", "(2, 2)");
    for v in [0.0f32, 1.0, 2.0, f32::INFINITY] {
        infinite.extend_from_slice(&v.to_le_bytes());
    }
    let mut f64_infinite = npy_header("<f8", "(1, 2)");
    for v in [f64::NEG_INFINITY, 1.0] {
        f64_infinite.extend_from_slice(&v.to_le_bytes());
    }
    let mut huge = npy_header("<f8", "(1, 2)");
    for v in [1.0f64, 1e300] {
        huge.extend_from_slice(&v.to_le_bytes());
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &npy_header("<f4", "(1, 1)")).unwrap();
    let npy_gz = gz.finish().unwrap();
    let cases: [(&str, Vec<u8>, &str); 13] = [
        ("text.npy", b"g\ta\nx\t1\n".to_vec(), "named .npy but does not start with the NumPy header"),
        ("m.npy.gz", npy_gz, "a .npy read through a pipe or gzip cannot be mapped"),
        ("huge.npy", huge, "row 0, column 1 (0-based) is beyond the float32 range"),
        ("data.h5ad", b"\x89HDF\r\n\x1a\n\0\0\0\0".to_vec(), "not a readable HDF5 file"),
        ("truncated.npy", truncated, "truncated: the header promises 48 bytes of data but only 40 follow"),
        ("complex.npy", complex, "unsupported dtype <c8"),
        ("strings.npy", strings, "unsupported dtype <U3"),
        ("zero.npy", zero, "the matrix is 0 × 5"),
        ("vector.npy", vector, "shape [3] but a matrix must be 2-D"),
        ("absurd.npy", absurd, "too large to address"),
        ("garbage.npy", b"\x93NUMPY\x01\x00\xff\xffnot a dict".to_vec(), "not a readable NumPy .npy file"),
        ("infinite.npy", infinite, "row 1, column 1 (0-based) is infinite"),
        ("f64inf.npy", f64_infinite, "row 0, column 0 (0-based) is infinite"),
    ];
    for (name, bytes, expected) in cases {
        assert_bad_input(&write(d, name, &bytes), expected);
    }
}

#[test]
fn missing_files_directories_and_bad_label_files_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    assert_bad_input(&dir.path().join("nowhere.tsv"), "no such file");
    let folder = dir.path().join("folder.tsv");
    fs::create_dir(&folder).unwrap();
    assert_bad_input(&folder, "is a directory");

    let mut npy = npy_header("<f4", "(2, 1)");
    npy.extend_from_slice(&[0; 8]);
    let matrix = write(dir.path(), "m.npy", &npy);
    let labels = write(dir.path(), "bad_labels.txt", b"ok\n\xff\xfe\n");
    let out = heatscope(dir.path(), &["info", matrix.to_str().unwrap(), "--row-labels", labels.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr.trim_end(),
        format!("error: {}: line 2 is not valid UTF-8; re-save the file as UTF-8", labels.display())
    );
}

#[test]
fn repeated_row_names_warn_and_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "dup.tsv", b"g\tA\nx\t1\nx\t2\n");
    let out = heatscope(dir.path(), &["info", path.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: ") && stderr.contains("1 row labels repeat an earlier one (first: 'x')"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rows"], 2);
}

#[test]
fn info_json_reports_shape_missing_values_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.csv", b"gene,a,b,c\ng1,1.5,NA,-2\ng2,,7.25,0\n");
    let out = heatscope(dir.path(), &["info", path.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rows"], 2);
    assert_eq!(report["cols"], 3);
    assert_eq!(report["nan_count"], 2);
    assert_eq!(report["min"], -2.0);
    assert_eq!(report["max"], 7.25);
    assert_eq!(report["cache"], "built");
    assert_eq!(report["row_labels_first"], serde_json::json!(["g1", "g2"]));
    assert_eq!(report["row_labels_last"], serde_json::json!([]));
    let again = heatscope(dir.path(), &["info", path.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["cache"], "reused");
}

#[test]
fn generate_plants_the_clusters_it_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("syn.npy");
    let args = ["generate", "--rows", "60", "--cols", "9", "--row-clusters", "4", "--col-clusters", "3"];
    let out = heatscope(
        dir.path(),
        &[&args[..], &["--noise", "0", "--seed", "5", "-o", out_path.to_str().unwrap()]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let options = heatscope::input::OpenOptions { cache_dir: Some(dir.path().into()), ..Default::default() };
    let m = heatscope::input::Matrix::open(&out_path, &options).unwrap();
    assert_eq!((m.rows(), m.cols()), (60, 9));
    assert_eq!(m.row_labels().get(0), "gene00");
    assert_eq!(m.col_labels().get(8), "sample8");
    let truth = |name: &str| -> Vec<usize> {
        let text = fs::read_to_string(dir.path().join(name)).unwrap();
        text.lines().skip(1).map(|l| l.split('\t').nth(1).unwrap().parse().unwrap()).collect()
    };
    let (rows, cols) = (truth("syn.truth.tsv"), truth("syn.col_truth.tsv"));
    assert_eq!(rows.len(), 60);
    assert_eq!(cols.len(), 9);
    for k in 0..4 {
        assert_eq!(rows.iter().filter(|&&g| g == k).count(), 15, "row cluster {k} has 60 / 4 rows");
    }
    // Without noise a cell is its block's mean: same planted pair, same value.
    for i in 0..60 {
        for j in 0..9 {
            let first_i = rows.iter().position(|&g| g == rows[i]).unwrap();
            let first_j = cols.iter().position(|&g| g == cols[j]).unwrap();
            assert_eq!(m.row(i)[j], m.row(first_i)[first_j], "cell ({i}, {j})");
        }
    }
}

#[test]
fn generate_is_the_same_for_a_seed_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let path = dir.path().join(format!("t{threads}.npy"));
        let out = common::command(&dir.path().join("cache"))
            .args(["generate", "--rows", "3000", "--cols", "1500", "--nan-fraction", "0.1", "--seed", "9", "-o"])
            .arg(&path)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(out.status.success());
        outputs.push(fs::read(&path).unwrap());
    }
    assert_eq!(outputs[0].len(), 128 + 3000 * 1500 * 4);
    assert!(outputs[0] == outputs[1], "byte-identical output");
}

#[test]
fn generate_refuses_impossible_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let out = heatscope(dir.path(), &["generate", "--rows", "5", "--cols", "5", "-o", "x.tsv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give it a name ending in .npy"));
    let out = heatscope(dir.path(), &["generate", "--rows", "5", "--cols", "5", "--row-clusters", "9", "-o", "x.npy"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "error: --row-clusters 9: must be between 1 and --rows"
    );
}

#[test]
fn a_damaged_gzip_stream_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, "g\tA\n".repeat(2000).as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let path = write(dir.path(), "cut.tsv.gz", &bytes[..bytes.len() / 2]);
    assert_bad_input(&path, "cannot read it");
}

/// Sends Ctrl-C's signal to a child process.
fn interrupt(child: &std::process::Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
}

/// Starts `heatscope info` on a named pipe and returns the child and the
/// pipe's writing end, after writing `text` into it.
fn info_on_a_pipe(dir: &Path, text: &[u8]) -> (std::process::Child, fs::File) {
    let fifo = dir.join("stream.tsv");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let child = common::command(&dir.join("cache"))
        .args(["info", "--json"])
        .arg(&fifo)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::io::Write::write_all(&mut writer, text).unwrap();
    (child, writer)
}

#[test]
fn a_pipe_is_read_as_text_and_its_cache_is_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["1.5", "2.5"] {
        let (child, writer) = info_on_a_pipe(dir.path(), format!("g\tA\nr\t{value}\n").as_bytes());
        drop(writer);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["cache"], "temporary");
        assert_eq!(report["max"], value.parse::<f64>().unwrap());
        assert_eq!(fs::read_dir(dir.path().join("cache")).unwrap().count(), 0, "nothing is left in the cache");
        fs::remove_file(dir.path().join("stream.tsv")).unwrap();
    }
}

#[test]
fn ctrl_c_during_a_conversion_exits_130_and_leaves_no_cache_file() {
    let dir = tempfile::tempdir().unwrap();
    let (child, mut writer) = info_on_a_pipe(dir.path(), b"g\tA\tB\n");
    // More than one 16 MiB block, so that the first block is parsed and the
    // cache file started while heatscope waits for the rest of the stream.
    let feeder = std::thread::spawn(move || {
        let lines = "row\t1.25\t-3.5\n".repeat(2 << 20);
        // heatscope may stop reading (and close the pipe) before all is written.
        if let Err(e) = std::io::Write::write_all(&mut writer, lines.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        writer
    });
    let cache = dir.path().join("cache");
    let started = std::time::Instant::now();
    while fs::read_dir(&cache).map_or(0, |d| d.count()) == 0 {
        assert!(started.elapsed().as_secs() < 60, "the conversion never started");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    interrupt(&child);
    std::thread::sleep(std::time::Duration::from_millis(200));
    drop(feeder.join().unwrap());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "stopping… (Ctrl-C again to quit at once)\nerror: interrupted; nothing half-written was kept"
    );
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 0, "the temporary file was removed");
}

#[test]
fn cluster_writes_scipy_outputs_and_reuses_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"g\ts1\ts2\ts3\na\t0\t0\t1\nb\t10\t10\t11\nc\t0\t1\t1\nd\t10\t11\t11\n");
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let args = [
        "cluster",
        path.to_str().unwrap(),
        "--axis",
        "both",
        "--method",
        "single",
        "--order-out",
        &out("rows.txt"),
        "--linkage-out",
        &out("z.npy"),
        "--newick-out",
        &out("rows.nwk"),
        "--cols-order-out",
        &out("cols.txt"),
    ];
    let first = heatscope(dir.path(), &args);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("rows: 4 leaves, single linkage of euclidean distances") && stderr.contains("computed"));
    // a–c and b–d are 1 apart; the closest members of the two pairs, c and
    // b, are √281 apart: scipy's single linkage merges (0, 2), then (1, 3)
    // at height 1, then the pairs at √281.
    let bytes = fs::read(out("z.npy")).unwrap();
    let z: Vec<f64> = npyz::NpyFile::new(&bytes[..]).unwrap().into_vec().unwrap();
    assert_eq!(z[..8], [0.0, 2.0, 1.0, 2.0, 1.0, 3.0, 1.0, 2.0]);
    assert_eq!(z[8..10], [4.0, 5.0]);
    assert!((z[10] - 281f64.sqrt()).abs() < 1e-5, "{}", z[10]);
    assert_eq!(fs::read_to_string(out("rows.txt")).unwrap(), "a\nc\nb\nd\n");
    assert_eq!(fs::read_to_string(out("rows.nwk")).unwrap().matches(',').count(), 3);
    assert_eq!(fs::read_to_string(out("cols.txt")).unwrap().lines().count(), 3);

    let again = heatscope(dir.path(), &args[..6]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("reused from the cache"));
}

#[test]
fn cluster_refuses_what_it_cannot_do_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"g\ts1\ts2\na\t0\t1\nb\t1\t0\n");
    let file = path.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["cluster", file, "--cols-order-out", "x.txt"], "error: the --cols-*-out options go with --axis both"),
        (
            &["cluster", file, "--order-out", "no/such/dir/o.txt"],
            "error: no/such/dir/o.txt: the folder no/such/dir does not exist",
        ),
        (&["cluster", file, "--axis", "cols", "--metric", "correlation", "--memory-budget", "0.5x"], "unknown unit"),
        (&["cluster", file, "--groups", "1"], "error: --groups 1: the approximate mode needs at least 2 groups"),
        (
            &["cluster", file, "--col-sample", "100"],
            "error: --col-sample samples rows to cluster the columns; it goes with --axis cols or both",
        ),
        (
            &["cluster", file, "--axis", "cols", "--col-sample", "1"],
            "error: --col-sample 1: columns need at least 2 sampled rows",
        ),
        (&["cluster", file, "--approx", "--groups", "lots"], "invalid value 'lots' for '--groups <K>'"),
    ];
    for (args, expected) in cases {
        let out = heatscope(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        // clap's own parse errors add a usage hint; ours are one line.
        if !stderr.contains("invalid value") {
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        }
    }
    let one_row = write(dir.path(), "one.tsv", b"g\ts1\ts2\na\t0\t1\n");
    let out = heatscope(dir.path(), &["cluster", one_row.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!("error: {}: cannot cluster 1 row(s): at least 2 are needed", one_row.display())
    );
    let nan_row = write(dir.path(), "nan.tsv", b"g\ts1\ts2\na\t0\t1\nempty\tNA\tNA\nc\t2\t3\n");
    let out = heatscope(dir.path(), &["cluster", nan_row.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nan.tsv: row 'empty' (row 2 of 3) has no finite value (all NaN)"), "{stderr}");
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"g\ta\nx\t1\ny\t2\n");
    for args in [vec!["info", path.to_str().unwrap()], vec!["cluster", path.to_str().unwrap(), "--order-out", "-"]] {
        let mut child = common::command(dir.path())
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_second_ctrl_c_quits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // The stream never ends: only the second Ctrl-C can stop heatscope.
    let (child, writer) = info_on_a_pipe(dir.path(), b"g\tA\nr1\t1\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    for _ in 0..2 {
        interrupt(&child);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    drop(writer);
    assert_eq!(out.status.code(), Some(130));
}

#[test]
fn cluster_never_overwrites_its_inputs_or_one_output_with_another() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"g\ts1\ts2\na\t0\t1\nb\t1\t0\nc\t2\t2\n");
    let file = path.to_str().unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    let cdt = write(dir.path(), "c.cdt", b"GID\tID\tNAME\ts1\ts2\nGENE0X\ta\ta\t0\t1\nGENE1X\tb\tb\t1\t0\n");
    write(dir.path(), "c.gtr", b"NODE1X\tGENE0X\tGENE1X\t0.5\n");
    let out =
        heatscope(dir.path(), &["cluster", cdt.to_str().unwrap(), "--cdt-out", dir.path().join("c").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("c.cdt: that is an input of this run"));
    let cases: [(Vec<&str>, &str); 4] = [
        (vec!["--order-out", file], "that is an input of this run"),
        (vec!["--order-out", "x.txt", "--newick-out", "./x.txt"], "--order-out writes there too"),
        (vec!["--order-out", sub.to_str().unwrap()], "that is a directory"),
        (vec!["--cdt-out", "-"], "--cdt-out writes three files"),
    ];
    for (extra, expected) in cases {
        let out = heatscope(dir.path(), &[&["cluster", file][..], &extra].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
    assert_eq!(fs::read_to_string(&path).unwrap(), "g\ts1\ts2\na\t0\t1\nb\t1\t0\nc\t2\t2\n", "the input is intact");
}

#[test]
fn cluster_writes_nothing_when_an_axis_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "one_col.tsv", b"g\ta\nr1\t1\nr2\t2\n");
    let z = dir.path().join("z.npy");
    let out = heatscope(
        dir.path(),
        &["cluster", path.to_str().unwrap(), "--axis", "both", "--linkage-out", z.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot cluster 1 column(s)"));
    assert!(!z.exists(), "no output for the axis that succeeded");
}

#[test]
fn cdt_out_accepts_a_name_ending_in_cdt() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.tsv", b"g\ts1\ts2\na\t0\t1\nb\t1\t0\nc\t2\t2\n");
    let prefix = dir.path().join("res.cdt");
    let out = heatscope(dir.path(), &["cluster", path.to_str().unwrap(), "--cdt-out", prefix.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("res.cdt").is_file() && dir.path().join("res.gtr").is_file());
    assert!(!dir.path().join("res.cdt.cdt").exists());
}

#[test]
fn cluster_approx_writes_every_output_says_what_it_sampled_and_reuses_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = d.join("m.npy");
    let generated = heatscope(d, &["generate", "--rows", "30000", "--cols", "20", "-o", m.to_str().unwrap()]);
    assert!(generated.status.success());
    let path = |name: &str| d.join(name).to_str().unwrap().to_owned();
    let args = [
        "cluster",
        m.to_str().unwrap(),
        "--approx",
        "--axis",
        "both",
        "--col-sample",
        "500",
        "--linkage-out",
        &path("z.npy"),
        "--order-out",
        &path("order.txt"),
        "--newick-out",
        &path("t.nwk"),
        "--cols-order-out",
        &path("cols.txt"),
        "--cdt-out",
        &path("both"),
    ];
    let out = heatscope(d, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("rows: 30000 leaves, average linkage of euclidean distances (approximate: k-means groups"));
    assert!(stderr.contains("columns: 20 leaves") && stderr.contains("estimated on a sample of 500 of 30000 rows"));
    let order = fs::read_to_string(d.join("order.txt")).unwrap();
    let mut labels: Vec<&str> = order.lines().collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), 30000, "every row once");
    assert!(fs::read_to_string(d.join("t.nwk")).unwrap().ends_with(");\n"));
    assert_eq!(fs::read(d.join("z.npy")).unwrap().len(), 128 + 29999 * 32, "an (n − 1) × 4 float64 .npy");
    assert!(d.join("both.cdt").exists() && d.join("both.gtr").exists() && d.join("both.atr").exists());

    let again = heatscope(d, &args);
    assert_eq!(String::from_utf8_lossy(&again.stderr).matches("reused from the cache").count(), 2);
    assert_eq!(fs::read(d.join("order.txt")).unwrap(), order.as_bytes());
    let reseeded = heatscope(d, &[&args[..], &["--seed", "1"]].concat());
    assert_eq!(String::from_utf8_lossy(&reseeded.stderr).matches("computed in").count(), 2);
}

#[test]
fn ctrl_c_stops_approximate_clustering_with_130_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = d.join("m.npy");
    assert!(
        heatscope(d, &["generate", "--rows", "600000", "--cols", "40", "-o", m.to_str().unwrap()]).status.success()
    );
    let z = d.join("z.npy");
    let child = common::command(&d.join("cache"))
        .args(["cluster", m.to_str().unwrap(), "--approx", "--linkage-out", z.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.trim_end().ends_with("error: interrupted; nothing half-written was kept"), "{stderr}");
    assert!(!z.exists());
    let cached: Vec<String> = fs::read_dir(d.join("cache"))
        .map(|e| e.map(|f| f.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    // Only the marker of the finished check for infinities may be there.
    assert!(cached.iter().all(|name| name.starts_with("finite-")), "no tree was cached: {cached:?}");
}

#[test]
fn mistaken_arguments_are_one_line_with_the_usage() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["render", "m.tsv", "-o", "m.png", "--font-size", "-3"], "unexpected argument '-3' found"),
        (
            &["render", "m.tsv", "-o", "m.png", "--z-score", "2"],
            "invalid value '2' for '--z-score <AXIS>' [possible values: rows, cols]",
        ),
        (&["render"], "required arguments were not provided: --output <OUT.png|OUT.svg>, <FILE>"),
        (&["rendr", "m.tsv"], "a similar subcommand exists: 'render'"),
        (&["render", "m.tsv", "-o", "m.png", "--width", "wide"], "invalid value 'wide' for '--width <WIDTH>'"),
    ];
    for (args, expected) in cases {
        let out = heatscope(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!((out.status.code(), stderr.lines().count()), (Some(2), 1), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(expected), "{expected:?} not in {stderr}");
    }
    let help = heatscope(dir.path(), &["render", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--font-size"));
}

#[test]
fn seaborns_axis_numbers_name_the_axes() {
    // seaborn's z_score=1 standardises columns, standard_scale=0 rows.
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), "m.tsv", b"g\ta\tb\tc\nr0\t1\t5\t2\nr1\t4\t2\t8\nr2\t0\t7\t3\nr3\t6\t1\t9\n");
    let m = m.to_str().unwrap();
    let pixels = |flag: &str, axis: &str| {
        let out_path = dir.path().join(format!("{flag}-{axis}.png"));
        let args =
            ["-q", "render", m, "-o", out_path.to_str().unwrap(), flag, axis, "--width", "300", "--height", "240"];
        let out = heatscope(&dir.path().join("cache"), &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if common::skip_gpu() && stderr.contains("no GPU adapter") {
            return None;
        }
        assert!(out.status.success(), "{stderr}");
        Some(fs::read(out_path).unwrap())
    };
    if pixels("--z-score", "1").is_none() {
        return;
    }
    assert_eq!(pixels("--z-score", "1"), pixels("--z-score", "cols"));
    assert_eq!(pixels("--standard-scale", "0"), pixels("--standard-scale", "rows"));
    assert_ne!(pixels("--z-score", "1"), pixels("--z-score", "rows"));
}

#[test]
fn labels_with_line_breaks_are_written_one_a_line_and_read_back() {
    // obs names "c0", "c\n1" and " c2 ": a line break and outer spaces.
    let dir = tempfile::tempdir().unwrap();
    let file = common::repo("tests/fixtures/hostile/line_break_names.h5ad");
    let (order, clusters) = (dir.path().join("order.txt"), dir.path().join("clusters.tsv"));
    let out = heatscope(
        dir.path(),
        &[
            "-q",
            "cluster",
            file.to_str().unwrap(),
            "--axis",
            "rows",
            "--order-out",
            order.to_str().unwrap(),
            "--cut",
            "2",
            "--clusters-out",
            clusters.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut written: Vec<String> = fs::read_to_string(&order).unwrap().lines().map(str::to_owned).collect();
    written.sort();
    assert_eq!(written, [" c2 ", "c 1", "c0"]);
    let table = fs::read_to_string(&clusters).unwrap();
    assert_eq!(table.lines().count(), 4, "a header and three rows: {table:?}");
    assert!(table.lines().any(|l| l.starts_with("c 1\t")), "{table:?}");
    // The order file names every row once, as a given order.
    let png = dir.path().join("m.png");
    let args = ["-q", "render", file.to_str().unwrap(), "--row-order-file", order.to_str().unwrap()];
    let out = heatscope(dir.path(), &[&args[..], &["-o", png.to_str().unwrap()]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !(common::skip_gpu() && stderr.contains("no GPU adapter")) {
        assert!(out.status.success(), "{stderr}");
    }
}
