//! Split heatmaps (`--row-split`, `--col-split`) against scipy: each slice
//! holds exactly its category's items, in the order scipy's clustering of
//! that slice alone gives; the slices follow scipy's tree over their mean
//! profiles; a split by K is scipy's `fcluster` in leaf order; the gaps are
//! background pixels; the viewer finds cells through the gaps. Fixtures:
//! tests/gen_split_fixtures.py. Needs a GPU adapter (llvmpipe will do)
//! unless HEATSCOPE_SKIP_GPU=1.

mod common;

use std::path::{Path, PathBuf};

use heatscope::app::{FigureSpec, InputSpec, Session, prepare};
use heatscope::view::Action;
use serde_json::Value;

use common::{heatscope, read_png, repo, skip_gpu};

fn fixture(name: &str) -> PathBuf {
    repo(&format!("tests/fixtures/split/{name}"))
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// Renders the fixture matrix at 900 × 700 with `extra` flags; the
/// layout, the image path, or `None` when skipped for want of a GPU.
fn render(dir: &Path, extra: &[&str]) -> Option<(Value, PathBuf)> {
    let size = [&["--width", "900", "--height", "700"][..], extra].concat();
    render_file(dir, &fixture("matrix.tsv"), &size)
}

/// Renders `matrix` with `extra` flags, as [`render`].
fn render_file(dir: &Path, matrix: &Path, extra: &[&str]) -> Option<(Value, PathBuf)> {
    let (png, json) = (dir.join("split.png"), dir.join("split.json"));
    let args = [
        &["render", matrix.to_str().unwrap()][..],
        extra,
        &["-o", png.to_str().unwrap(), "--layout-out", json.to_str().unwrap()],
    ]
    .concat();
    let out = heatscope(&dir.join("cache"), &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && skip_gpu() && stderr.contains("no GPU adapter") {
        return None;
    }
    assert!(out.status.success(), "{stderr}");
    Some((serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap(), png))
}

/// The labels of a heatmap axis in display order.
fn labels(layout: &Value, axis: &str) -> Vec<String> {
    layout["heatmaps"][0][axis].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap().to_owned()).collect()
}

fn slices<'a>(layout: &'a Value, axis: &str) -> Vec<&'a Value> {
    layout["slices"].as_array().unwrap().iter().filter(|s| s["axis"] == axis).collect()
}

fn rect(value: &Value) -> [f64; 4] {
    let r = &value["rect"];
    ["x", "y", "w", "h"].map(|k| r[k].as_f64().unwrap())
}

#[test]
fn each_slice_holds_its_category_clustered_alone_and_slices_follow_the_tree_of_their_means() {
    let dir = tempfile::tempdir().unwrap();
    let rows = format!("{}:group", fixture("rows.tsv").display());
    let cols = format!("{}:part", fixture("cols.tsv").display());
    let Some((layout, png)) = render(dir.path(), &["--row-split", &rows, "--col-split", &cols, "--row-colors", &rows])
    else {
        return;
    };
    let expected = expected();
    for (axis, key) in [("rows", "rows"), ("cols", "cols")] {
        let drawn = labels(&layout, axis);
        let slices = slices(&layout, axis);
        let names: Vec<String> = slices.iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
        assert_eq!(names, strings(&expected[key]["order"]), "{axis}: slice order");
        let mut next = 0;
        for slice in &slices {
            let (first, last) = (slice["first"].as_u64().unwrap() as usize, slice["last"].as_u64().unwrap() as usize);
            assert_eq!(first, next, "{axis}: slices follow each other");
            let name = slice["name"].as_str().unwrap();
            assert_eq!(drawn[first..=last], strings(&expected[key]["within"][name])[..], "{axis}: slice {name}");
            next = last + 1;
        }
        assert_eq!(next, drawn.len(), "{axis}: the slices cover the axis");
    }
    // The gaps: 4 background pixels between neighbouring slices, across
    // the heatmap; cells on either side.
    let (width, _, pixels) = read_png(&png);
    let at = |x: usize, y: usize| {
        let i = 4 * (y * width as usize + x);
        [pixels[i], pixels[i + 1], pixels[i + 2]]
    };
    let heatmap = layout["heatmaps"][0]["rect"].clone();
    let (hx, hw) = (heatmap["x"].as_f64().unwrap(), heatmap["w"].as_f64().unwrap());
    let row_slices = slices(&layout, "rows");
    for pair in row_slices.windows(2) {
        let (a, b) = (rect(pair[0]), rect(pair[1]));
        assert!((b[1] - (a[1] + a[3]) - 4.0).abs() < 1e-3, "a 4 px gap: {a:?} {b:?}");
        let gap: Vec<usize> = ((a[1] + a[3]).ceil() as usize..b[1].floor() as usize).collect();
        assert!(gap.len() >= 3, "{gap:?}");
        for y in gap {
            for x in (hx.ceil() as usize..(hx + hw).floor() as usize).step_by(3) {
                assert_eq!(at(x, y), [255, 255, 255], "gap pixel ({x}, {y})");
            }
        }
        // The pixel rows beside the gap are cells, not background.
        let cells = |y: usize| (hx as usize + 2..(hx + hw) as usize - 2).filter(|&x| at(x, y) != [255; 3]).count();
        assert!(cells((a[1] + a[3]).floor() as usize - 1) > (hw as usize) / 2);
        assert!(cells(b[1].ceil() as usize + 1) > (hw as usize) / 2);
    }
    let (hy, hh) = (heatmap["y"].as_f64().unwrap(), heatmap["h"].as_f64().unwrap());
    for pair in slices(&layout, "cols").windows(2) {
        let (a, b) = (rect(pair[0]), rect(pair[1]));
        let gap: Vec<usize> = ((a[0] + a[2]).ceil() as usize..b[0].floor() as usize).collect();
        assert!(gap.len() >= 3, "{gap:?}");
        for x in gap {
            for y in (hy.ceil() as usize..(hy + hh).floor() as usize).step_by(3) {
                assert_eq!(at(x, y), [255, 255, 255], "gap pixel ({x}, {y})");
            }
        }
    }
    // Each slice is titled.
    let titles: Vec<&str> = layout["texts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "slice_title")
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    for name in strings(&expected["cols"]["order"]) {
        assert!(titles.contains(&name.as_str()), "{name} in {titles:?}");
    }
}

#[test]
fn given_order_keeps_the_tables_sorted_categories() {
    let dir = tempfile::tempdir().unwrap();
    let rows = format!("{}:group", fixture("rows.tsv").display());
    let Some((layout, _)) = render(dir.path(), &["--row-split", &rows, "--split-order", "given"]) else { return };
    let names: Vec<&str> = slices(&layout, "rows").iter().map(|s| s["name"].as_str().unwrap()).collect();
    // A table's categories sort as text (as --row-order and the legends have them).
    assert_eq!(names, ["alpha", "beta", "delta", "gamma"]);
    // Each still clustered alone.
    let drawn = labels(&layout, "rows");
    let expected = expected();
    assert_eq!(drawn[..37], strings(&expected["rows"]["within"]["alpha"])[..]);
}

#[test]
fn a_split_by_k_is_scipys_maxclust_cut_in_leaf_order() {
    let dir = tempfile::tempdir().unwrap();
    let Some((layout, _)) = render(dir.path(), &["--row-split", "4"]) else { return };
    let expected = expected();
    assert_eq!(labels(&layout, "rows"), strings(&expected["cut4"]["labels"]));
    let clusters: Vec<u64> =
        expected["cut4"]["clusters"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect();
    let slices = slices(&layout, "rows");
    assert_eq!(slices.len(), 4);
    for slice in slices {
        let (first, last) = (slice["first"].as_u64().unwrap() as usize, slice["last"].as_u64().unwrap() as usize);
        let name: u64 = slice["name"].as_str().unwrap().parse().unwrap();
        assert!(clusters[first..=last].iter().all(|&c| c == name), "slice {name}: {first}..={last}");
        assert!(first == 0 || clusters[first - 1] != name);
        assert!(last + 1 == clusters.len() || clusters[last + 1] != name);
    }
}

#[test]
fn the_viewer_finds_cells_through_the_gaps_and_keeps_them_while_zooming() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = FigureSpec::new(InputSpec::for_file(fixture("matrix.tsv"), Some(dir.path().to_owned())));
    spec.row_split = Some(format!("{}:group", fixture("rows.tsv").display()));
    let prepared = prepare(&spec).unwrap();
    let expected = expected();
    let order = strings(&expected["rows"]["order"]);
    let mut session = Session::new(prepared, spec, [900, 700]);
    session.act(Action::Fit);
    let scene = session.window_scene(None, None);
    let boxes: Vec<_> = scene.slices.iter().filter(|s| s.axis == "rows").cloned().collect();
    assert_eq!(boxes.iter().map(|s| s.name.clone()).collect::<Vec<_>>(), order);
    // The pointer on the middle of the first row of the third slice.
    let third = &boxes[2];
    let row_px = third.rect.h as f64 / (third.last - third.first + 1) as f64;
    let x = (scene.heatmap.x + scene.heatmap.w / 2.0) as f64;
    session.pointer_moved([x, third.rect.y as f64 + row_px / 2.0], false);
    let hover = overlay_text(&mut session);
    let first = &strings(&expected["rows"]["within"][&third.name])[0];
    assert!(hover.contains(&format!("row: {first}\n")), "{hover}");
    assert!(hover.contains(&format!("row slice: {}", third.name)), "{hover}");
    // In the gap above it: no cell.
    session.pointer_moved([x, third.rect.y as f64 - 2.0], false);
    assert!(!overlay_text(&mut session).contains("row: "));
    // Zoomed 3× about the third slice's top: the gap stays 4 px, the row
    // under the pointer stays under it.
    let y = third.rect.y as f64 + row_px / 2.0;
    session.pointer_moved([x, y], false);
    session.wheel(3.0, true, false);
    let zoomed = session.window_scene(None, None);
    let pieces = &zoomed.row_pieces;
    assert!(pieces.len() >= 2, "{pieces:?}");
    let k = pieces.iter().position(|p| p.slice == 2).expect("the third slice in view");
    let above = &pieces[k - 1];
    assert!((pieces[k].start - (above.start + above.extent) - 4.0).abs() < 1e-3);
    assert!(overlay_text(&mut session).contains(&format!("row: {first}\n")));
}

/// The hover box's lines, one a line.
fn overlay_text(session: &mut Session) -> String {
    let scene = session.window_scene(None, None);
    scene.overlay_texts.iter().map(|t| format!("{}\n", t.text)).collect()
}

#[test]
fn bad_splits_fail_with_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = fixture("matrix.tsv");
    let rows = fixture("rows.tsv");
    let out = dir.path().join("out.png");
    let link = matrix.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--row-split".into(), format!("{}:nope", rows.display())], "no column named 'nope'"),
        (vec!["--row-split".into(), "0".into()], "--row-split 0: ask for at least one slice"),
        (vec!["--row-split".into(), "00".into()], "--row-split 00: ask for at least one slice"),
        (vec!["--col-split".into(), "+0".into()], "--col-split +0: ask for at least one slice"),
        (vec!["--row-split".into(), "101".into()], "--row-split 101: give at most 100 slices"),
        (vec!["--row-split".into(), "91".into()], "--row-split 91: the tree has 90 leaves; give 1 to 90 slices"),
        (
            vec!["--row-split".into(), "90".into(), "--col-split".into(), "12".into()],
            "--row-split and --col-split: 90 × 12 slices make more than 1000 pieces",
        ),
        (vec!["--row-split".into(), "3".into(), "--no-row-cluster".into()], "--row-split 3 cuts the row tree"),
        (vec!["--row-split".into(), "3".into(), "--row-cut".into(), "2".into()], "drop the cut"),
        (vec!["--col-split".into(), "2".into(), "--link".into(), link], "--col-split goes with one heatmap"),
        (
            vec!["--split-gap".into(), "500".into(), "--row-split".into(), "2".into()],
            "--split-gap 500: give a gap from 0 to 100 pixels",
        ),
    ];
    for (flags, says) in cases {
        let args: Vec<&str> = ["render", matrix.to_str().unwrap(), "-o", out.to_str().unwrap()]
            .into_iter()
            .chain(flags.iter().map(String::as_str))
            .collect();
        let run = heatscope(&dir.path().join("cache"), &args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().filter(|l| l.starts_with("error")).count(), 1, "{stderr}");
    }
}

#[test]
fn an_h5ad_splits_by_a_stored_obs_column() {
    let dir = tempfile::tempdir().unwrap();
    let h5ad = repo("data/pbmc68k_reduced.h5ad");
    let Some((layout, _)) =
        render_file(dir.path(), &h5ad, &["--row-split", "obs:bulk_labels", "--split-order", "given"])
    else {
        return;
    };
    // Each cell's type, read from the table exported with the demo.
    let table = std::fs::read_to_string(repo("data/pbmc68k_reduced.obs.tsv")).unwrap();
    let header: Vec<&str> = table.lines().next().unwrap().split('\t').collect();
    let column = header.iter().position(|&h| h == "bulk_labels").unwrap();
    let kind: std::collections::HashMap<&str, &str> = table
        .lines()
        .skip(1)
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            (fields[0], fields[column])
        })
        .collect();
    let drawn = labels(&layout, "rows");
    let slices = slices(&layout, "rows");
    // The stored categories in their stored order, as anndata reads them
    // (`obs["bulk_labels"].cat.categories`).
    let names: Vec<&str> = slices.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let stored = [
        "CD4+/CD25 T Reg",
        "CD4+/CD45RA+/CD25- Naive T",
        "CD4+/CD45RO+ Memory",
        "CD8+ Cytotoxic T",
        "CD8+/CD45RA+ Naive Cytotoxic",
        "CD14+ Monocyte",
        "CD19+ B",
        "CD34+",
        "CD56+ NK",
        "Dendritic",
    ];
    assert_eq!(names, stored);
    for slice in slices {
        let (first, last) = (slice["first"].as_u64().unwrap() as usize, slice["last"].as_u64().unwrap() as usize);
        let name = slice["name"].as_str().unwrap();
        assert!(drawn[first..=last].iter().all(|cell| kind[cell.as_str()] == name), "slice {name}");
    }
    assert_eq!(drawn.len(), kind.len());
}

#[test]
fn a_row_that_cannot_be_clustered_in_a_slice_is_named_as_the_matrix_numbers_it() {
    let dir = tempfile::tempdir().unwrap();
    let (matrix, kinds) = (dir.path().join("m.tsv"), dir.path().join("k.tsv"));
    std::fs::write(&matrix, "g\ta\tb\tc\nr0\t1\t2\t3\nr1\t2\t3\t1\nr2\tNA\tNA\tNA\nr3\t4\t1\t2\nr4\t0\t1\t5\n")
        .unwrap();
    std::fs::write(&kinds, "g\tk\nr0\tx\nr1\tx\nr2\ty\nr3\ty\nr4\ty\n").unwrap();
    let split = format!("{}:k", kinds.display());
    let out = dir.path().join("m.png");
    let args = ["render", matrix.to_str().unwrap(), "--row-split", &split, "-o", out.to_str().unwrap()];
    let run = heatscope(&dir.path().join("cache"), &args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("m.tsv: row 'r2' (row 3 of 5) has no finite value"), "{stderr}");
}

#[test]
fn long_slice_titles_are_written_level_whole_beside_their_slices() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let obs = format!("{}:bulk_labels", repo("data/pbmc68k_reduced.obs.tsv").display());
    let Some((layout, _)) = render_file(dir.path(), &matrix, &["--row-split", &obs, "--metric", "correlation"]) else {
        return;
    };
    let tree = layout["panels"].as_array().unwrap().iter().find(|p| p["name"] == "row_dendrogram").unwrap();
    let tree_x = tree["rect"]["x"].as_f64().unwrap();
    let titles: Vec<&Value> =
        layout["texts"].as_array().unwrap().iter().filter(|t| t["kind"] == "slice_title").collect();
    // The eight slices taller than a line of text, each titled whole, level,
    // left of the trees and inside its slice's height.
    assert_eq!(titles.len(), 8, "{titles:?}");
    for title in titles {
        let name = title["text"].as_str().unwrap();
        let slice = slices(&layout, "rows").into_iter().find(|s| s["name"] == name).expect("a whole name");
        let [x, y, w, h] = [0, 1, 2, 3].map(|i| title["box"][i].as_f64().unwrap());
        let [_, sy, _, sh] = rect(slice);
        assert!(w > h && x + w <= tree_x && y >= sy && y + h <= sy + sh, "{name}: {:?} in {sy} + {sh}", [x, y, w, h]);
    }
}

#[test]
fn a_split_by_nothing_or_by_an_empty_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.tsv");
    let mut table = String::from("gene\tnote\n");
    (0..90).for_each(|i| table += &format!("gene{i}\t\n"));
    std::fs::write(&empty, table).unwrap();
    let matrix = fixture("matrix.tsv");
    let out = dir.path().join("out.png");
    let blank = format!("{}:note", empty.display());
    for (split, says) in [
        ("abc", "--row-split abc: give K (a number of slices), TABLE.tsv:COLUMN or obs:COLUMN"),
        ("2.5", "--row-split 2.5: give K (a number of slices)"),
        (blank.as_str(), "note has no values; split by a column that holds categories"),
    ] {
        let args = ["render", matrix.to_str().unwrap(), "--row-split", split, "-o", out.to_str().unwrap()];
        let run = heatscope(&dir.path().join("cache"), &args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{split}: {stderr}");
        assert!(stderr.contains(says), "{split}: {stderr}");
    }
}
