//! Damaged caches (issue 22): each region of a matrix cache (`.hsm`) and of
//! a pyramid cache (`.hsp`) is damaged in turn; the next run must rebuild
//! the file, say so on one line naming it, and show the source's numbers,
//! never the damaged ones.

mod common;

use std::path::{Path, PathBuf};

use common::{heatscope, read_png, skip_gpu};

/// The single file with `extension` in `dir`.
fn only_file(dir: &Path, extension: &str) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    assert_eq!(files.len(), 1, "one .{extension} in {}: {files:?}", dir.display());
    files.into_iter().next().unwrap()
}

fn u64_at(bytes: &[u8], at: usize) -> usize {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize
}

/// Value (`i`, `j`) of the test matrices: exact in `f32` and in decimal,
/// with its one largest value at row 123, column 4.
fn value(i: usize, j: usize) -> f32 {
    if (i, j) == (123, 4) { 987.25 } else { ((i * 37 + j * 11) % 997) as f32 / 4.0 - 100.0 }
}

/// Something done to a file's bytes.
type Damager = Box<dyn Fn(&mut Vec<u8>)>;

/// A way to damage a file, and what it is called in messages.
type Damage = (String, Damager);

fn flip(at: usize) -> Damager {
    Box::new(move |bytes: &mut Vec<u8>| bytes[at] ^= 0x5a)
}

/// Flips `len` bytes from `at`: enough to reach a stored cell's mean,
/// the aggregate an image shows.
fn flip_run(at: usize, len: usize) -> Damager {
    Box::new(move |bytes: &mut Vec<u8>| bytes[at..at + len].iter_mut().for_each(|b| *b ^= 0x5a))
}

fn put_f32(at: usize, value: f32) -> Damager {
    Box::new(move |bytes: &mut Vec<u8>| bytes[at..at + 4].copy_from_slice(&value.to_le_bytes()))
}

/// Checks that a run after damage rebuilt `cache` and said so on one line.
fn assert_rebuilt_with_warning(stderr: &str, cache: &Path, what: &str) {
    let name = cache.file_name().unwrap().to_str().unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(name)).collect();
    assert_eq!(lines.len(), 1, "{what}: one line names the damaged file: {stderr}");
    assert!(lines[0].starts_with("warning: ") && lines[0].contains("rebuilt"), "{what}: {stderr}");
}

#[test]
fn a_damaged_matrix_cache_is_rebuilt_and_its_numbers_are_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, cols) = (300, 6);
    let tsv = dir.path().join("m.tsv");
    let mut text = String::from("gene");
    for j in 0..cols {
        text += &format!("\tc{j}");
    }
    for i in 0..rows {
        text += &format!("\ng{i}");
        for j in 0..cols {
            text += &format!("\t{}", value(i, j));
        }
    }
    std::fs::write(&tsv, text + "\n").unwrap();
    let cache = dir.path().join("cache");
    let info = || {
        let out = heatscope(&cache, &["info", "--json", tsv.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "info failed: {stderr}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (json, stderr)
    };
    // What the source holds, as `info` shows it.
    let assert_source = |json: &serde_json::Value, what: &str| {
        assert_eq!(json["max"], 987.25, "{what}");
        assert_eq!(json["min"], -100.0, "{what}");
        assert_eq!(json["nan_count"], 0, "{what}");
        assert_eq!(json["row_labels_first"], serde_json::json!(["g0", "g1", "g2"]), "{what}");
        assert_eq!(json["row_labels_last"], serde_json::json!(["g297", "g298", "g299"]), "{what}");
        assert_eq!(json["col_labels_first"], serde_json::json!(["c0", "c1", "c2"]), "{what}");
        assert_eq!(json["col_labels_last"], serde_json::json!(["c3", "c4", "c5"]), "{what}");
    };
    let (json, _) = info();
    assert_eq!(json["cache"], "built");
    assert_source(&json, "built");
    let hsm = only_file(&cache, "hsm");

    // Where the regions lie, from the header of the file as built.
    let bytes = std::fs::read(&hsm).unwrap();
    let data = 4096;
    let data_end = data + rows * cols * 4;
    let (row_block, col_block) = (u64_at(&bytes, 40), u64_at(&bytes, 48));
    let row_text = row_block + 8 + 8 * (rows + 1);
    let col_text = col_block + 8 + 8 * (cols + 1);
    assert_eq!(&bytes[row_text..row_text + 4], b"g0g1", "the row labels' text is where the format puts it");
    assert_eq!(&bytes[col_text..col_text + 4], b"c0c1", "the column labels' text is where the format puts it");
    let damages: Vec<Damage> = vec![
        ("the rows in the header".into(), flip(16)),
        ("the description in the header".into(), flip(100)),
        ("the checksum in the header".into(), flip(130)),
        ("the zeros after the header".into(), flip(2000)),
        ("the first value, made 1e30".into(), put_f32(data, 1e30)),
        ("the largest value, made smaller".into(), put_f32(data + (123 * cols + 4) * 4, 1.0)),
        ("the last value, made infinite".into(), put_f32(data_end - 4, f32::INFINITY)),
        ("the row label count".into(), flip(row_block)),
        ("the end of the first row label".into(), flip(row_block + 16)),
        ("the first row label, g0 made gp".into(), Box::new(move |b: &mut Vec<u8>| b[row_text + 1] = b'p')),
        ("the column label text".into(), flip(col_text)),
        ("the last byte".into(), Box::new(|b: &mut Vec<u8>| *b.last_mut().unwrap() ^= 0x5a)),
        ("a cut file".into(), Box::new(|b: &mut Vec<u8>| b.truncate(b.len() - 1))),
    ];
    for (what, damage) in &damages {
        let mut bytes = std::fs::read(&hsm).unwrap();
        damage(&mut bytes);
        std::fs::write(&hsm, &bytes).unwrap();
        let (json, stderr) = info();
        assert_eq!(json["cache"], "built", "{what}: {stderr}");
        assert_source(&json, what);
        assert_rebuilt_with_warning(&stderr, &hsm, what);
        let (again, stderr) = info();
        assert_eq!(again["cache"], "reused", "{what}: the rebuilt cache is whole: {stderr}");
        assert_source(&again, what);
    }
}

/// Writes `rows × cols` of [`value`] as an `f32` `.npy` (mapped in place:
/// the pyramid is then the only cache).
fn write_npy(path: &Path, rows: usize, cols: usize) {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for i in 0..rows {
        for j in 0..cols {
            bytes.extend_from_slice(&value(i, j).to_le_bytes());
        }
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_damaged_pyramid_is_rebuilt_and_the_image_is_the_undamaged_one() {
    let dir = tempfile::tempdir().unwrap();
    // Tall enough that the image is drawn from a level the file stores:
    // 5,000 rows on a heatmap of 376 px take level (2, 0), 313 × 300 cells,
    // the middle two fifths of the file.
    let npy = dir.path().join("m.npy");
    write_npy(&npy, 5000, 300);
    let cache = dir.path().join("cache");
    let render = |png: &Path| -> Option<String> {
        let args = ["render", npy.to_str().unwrap(), "--no-row-cluster", "--no-col-cluster"];
        let size = ["--width", "400", "--height", "560", "-o", png.to_str().unwrap()];
        let out = heatscope(&cache, &[&args[..], &size[..]].concat());
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() && skip_gpu() && stderr.contains("no GPU adapter") {
            return None;
        }
        assert!(out.status.success(), "render failed: {stderr}");
        Some(stderr)
    };
    let undamaged = dir.path().join("undamaged.png");
    if render(&undamaged).is_none() {
        eprintln!("HEATSCOPE_SKIP_GPU=1: skipped");
        return;
    }
    let expected = read_png(&undamaged);
    let hsp = only_file(&cache, "hsp");
    let len = std::fs::metadata(&hsp).unwrap().len() as usize;
    let mut damages: Vec<Damage> = vec![
        ("the smallest value in the header".into(), put_f32(56, -1e6)),
        ("the checksum in the header".into(), flip(106)),
        ("the zeros after the header".into(), flip(3000)),
        ("the last byte".into(), flip(len - 1)),
        ("a cut file".into(), Box::new(|b: &mut Vec<u8>| b.truncate(b.len() - 1))),
    ];
    // Tiles, spread over every level stored.
    for k in 0..16 {
        let at = 4096 + (len - 4096) * k / 16 + 101;
        damages.push((format!("the tile bytes from {at}"), flip_run(at, 64)));
    }
    for (what, damage) in &damages {
        let mut bytes = std::fs::read(&hsp).unwrap();
        damage(&mut bytes);
        std::fs::write(&hsp, &bytes).unwrap();
        let png = dir.path().join("after.png");
        let stderr = render(&png).unwrap();
        assert_rebuilt_with_warning(&stderr, &hsp, what);
        assert!(read_png(&png) == expected, "{what}: the image is the undamaged one");
    }
    let png = dir.path().join("again.png");
    let stderr = render(&png).unwrap();
    assert!(!stderr.contains("warning"), "the rebuilt pyramid is whole: {stderr}");
    assert!(read_png(&png) == expected);
}

#[test]
fn a_damaged_tree_cache_is_recomputed_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let (npy, cache) = (dir.path().join("m.npy"), dir.path().join("cache"));
    write_npy(&npy, 300, 6);
    let linkage = |name: &str| {
        let out = dir.path().join(name);
        let args = ["-q", "cluster", npy.to_str().unwrap(), "--axis", "rows", "--linkage-out", out.to_str().unwrap()];
        let run = heatscope(&cache, &args);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        (std::fs::read(out).unwrap(), String::from_utf8_lossy(&run.stderr).into_owned())
    };
    let (first, quiet) = linkage("first.npy");
    assert!(!quiet.contains("warning"), "{quiet}");
    let tree = only_file(&cache, "hst");
    let original = std::fs::read(&tree).unwrap();
    // The header, the checksum and the first and last merge heights.
    let (n, last) = (original.len(), original.len() - 8);
    for (k, at) in [0, 20, 32, 40 + 16, last].into_iter().enumerate() {
        let mut bytes = original.clone();
        bytes[at] ^= 0x5a;
        std::fs::write(&tree, &bytes).unwrap();
        let (again, stderr) = linkage(&format!("again{k}.npy"));
        assert_eq!(again, first, "byte {at} of {n}: the tree of the undamaged file");
        let name = tree.file_name().unwrap().to_str().unwrap();
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(name)).collect();
        assert_eq!(lines, [format!("warning: {}: the tree cache file is damaged; it was recomputed", tree.display())]);
        assert_eq!(std::fs::read(&tree).unwrap(), original, "byte {at}: the file is written whole again");
    }
}
