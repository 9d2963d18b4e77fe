//! `heatscope render` as a user runs it: the PBMC demo figure against its
//! golden image, the layout it reports, SVG output, and one-line errors for
//! bad options. Needs a GPU adapter (llvmpipe will do) unless
//! HEATSCOPE_SKIP_GPU=1.
//!
//! HEATSCOPE_UPDATE_GOLDEN=1 rewrites the golden images from this run.

use std::path::Path;
use std::process::Output;

use common::{natural_key, read_png, repo, skip_gpu};

mod common;

fn heatscope(cache: &Path, args: &[&str]) -> Output {
    heatscope_with(cache, args, &[])
}

fn heatscope_with(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    common::command(cache).args(args).envs(env.iter().copied()).output().expect("the binary runs")
}

/// Runs `render` and checks it succeeded (or was skipped for want of a GPU).
fn render(cache: &Path, args: &[&str]) -> Option<Output> {
    render_with(cache, args, &[])
}

/// [`render`] with extra environment variables.
fn render_with(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    let out = heatscope_with(cache, &[&["render"], args].concat(), env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && skip_gpu() && stderr.contains("no GPU adapter") {
        eprintln!("HEATSCOPE_SKIP_GPU=1: skipped");
        return None;
    }
    assert!(out.status.success(), "render {args:?} failed: {stderr}");
    Some(out)
}

/// Compares an image with its golden copy: same size, at most 0.5% of the
/// pixels off by more than 24 in a channel (text antialiasing differs a
/// little between drivers), mean channel difference under 1.
fn assert_matches_golden(image: &Path, golden: &Path) {
    if std::env::var("HEATSCOPE_UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::copy(image, golden).unwrap();
        return;
    }
    let (w, h, got) = read_png(image);
    let (gw, gh, want) = read_png(golden);
    assert_eq!((w, h), (gw, gh), "size differs from {}", golden.display());
    let mut off = 0usize;
    let mut total = 0u64;
    for (a, b) in got.chunks(4).zip(want.chunks(4)) {
        let worst = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
        off += usize::from(worst > 24);
        total += a.iter().zip(b).map(|(x, y)| u64::from(x.abs_diff(*y))).sum::<u64>();
    }
    let pixels = (w * h) as usize;
    let mean = total as f64 / (4 * pixels) as f64;
    assert!(
        off * 200 <= pixels && mean < 1.0,
        "{} differs from {}: {off} of {pixels} pixels off, mean difference {mean:.3} (HEATSCOPE_UPDATE_GOLDEN=1 rewrites it)",
        image.display(),
        golden.display()
    );
}

#[test]
fn the_pbmc_demo_figure_matches_its_golden_image() {
    pbmc_demo_matches_golden(&[]);
}

/// OpenGL adapters cannot draw into `R32Float` textures (the heatmap
/// atlases); the figure must not need to.
#[test]
fn the_pbmc_demo_figure_is_the_same_through_opengl() {
    pbmc_demo_matches_golden(&[("WGPU_BACKEND", "gl")]);
}

fn pbmc_demo_matches_golden(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pbmc.png");
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let obs = format!("{}:bulk_labels", repo("data/pbmc68k_reduced.obs.tsv").display());
    let args = [
        matrix.to_str().unwrap(),
        "--row-colors",
        &obs,
        "--metric",
        "correlation",
        "--robust",
        "--title",
        "PBMC 68k reduced: 700 cells × 765 genes",
        "--cbar-label",
        "scaled expression",
        "--width",
        "1000",
        "--height",
        "800",
        "-o",
        out.to_str().unwrap(),
    ];
    let Some(done) = render_with(dir.path(), &args, env) else {
        return;
    };
    if !env.is_empty() && std::env::var_os("HEATSCOPE_UPDATE_GOLDEN").is_some() {
        return; // the golden image is the default adapter's
    }
    if let Some((_, backend)) = env.iter().find(|(k, _)| *k == "WGPU_BACKEND") {
        let stderr = String::from_utf8_lossy(&done.stderr).to_lowercase();
        assert!(stderr.contains(&format!("({backend})")), "not drawn through {backend}: {stderr}");
    }
    assert_matches_golden(&out, &repo("tests/golden/pbmc.png"));
}

#[test]
fn layout_reports_panels_and_every_label_in_display_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let matrix = d.join("m.tsv");
    std::fs::write(&matrix, "gene\ts1\ts2\ts3\nA\t1\t2\t3\nB\t9\t8\t7\nC\t1.5\t2\t3\nD\t9\t8.5\t7\n").unwrap();
    let layout = d.join("layout.json");
    let png = d.join("m.png");
    let args = [
        matrix.to_str().unwrap(),
        "--width",
        "400",
        "--height",
        "300",
        "--row-labels",
        "all",
        "-o",
        png.to_str().unwrap(),
        "--layout-out",
        layout.to_str().unwrap(),
    ];
    if render(d, &args).is_none() {
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    assert_eq!((json["width"].as_u64(), json["height"].as_u64()), (Some(400), Some(300)));
    let names: Vec<&str> = json["panels"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in ["heatmap", "row_dendrogram", "col_dendrogram", "colorbar", "row_labels", "col_labels"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let heatmap = &json["heatmaps"][0];
    let rect = &heatmap["rect"];
    let (y, h) = (rect["y"].as_f64().unwrap(), rect["h"].as_f64().unwrap());
    // A and C are close, B and D are close: average linkage joins (A, C) and (B, D).
    let rows: Vec<&str> = heatmap["rows"].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap()).collect();
    let pairs = [rows[0..2].to_vec(), rows[2..4].to_vec()];
    for pair in &pairs {
        let mut sorted = pair.clone();
        sorted.sort();
        assert!(sorted == ["A", "C"] || sorted == ["B", "D"], "rows {rows:?}");
    }
    for (i, row) in heatmap["rows"].as_array().unwrap().iter().enumerate() {
        assert!((row["from"].as_f64().unwrap() - (y + i as f64 * h / 4.0)).abs() < 1e-3, "{row}");
        assert!((row["to"].as_f64().unwrap() - (y + (i + 1) as f64 * h / 4.0)).abs() < 1e-3, "{row}");
        assert_eq!(row["drawn"], true);
    }
    let cols: Vec<&str> = heatmap["cols"].as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap()).collect();
    let mut sorted = cols.clone();
    sorted.sort();
    assert_eq!(sorted, ["s1", "s2", "s3"]);
    // Three short column labels on a 400 px figure fit side by side: written
    // level, each centred under its column (as matplotlib writes tick labels).
    let texts = json["texts"].as_array().unwrap();
    let col_labels: Vec<&serde_json::Value> = texts.iter().filter(|t| t["kind"] == "col_label").collect();
    assert_eq!(col_labels.len(), 3, "{texts:?}");
    for (label, col) in col_labels.iter().zip(heatmap["cols"].as_array().unwrap()) {
        assert_eq!(label["text"], col["label"]);
        let b: Vec<f64> = label["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        // One 15 px line tall (12 px font), as wide as its two characters.
        assert!((b[3] - 15.0).abs() < 1e-3 && b[2] < 14.5, "level {b:?}");
        let centre = (col["from"].as_f64().unwrap() + col["to"].as_f64().unwrap()) / 2.0;
        assert!((b[0] + b[2] / 2.0 - centre).abs() < 0.5, "{b:?} centred on {centre}");
        assert!(b[1] > y + h, "below the heatmap {b:?}");
    }
    // How each axis was clustered: the defaults, exactly.
    let exact = serde_json::json!({
        "method": "average", "metric": "euclidean", "approximate": false,
        "sample_rows": null, "components": null, "components_sample": null, "agreement": null
    });
    assert_eq!(heatmap["clustering"], serde_json::json!({"rows": exact, "cols": exact}));
}

#[test]
fn a_long_label_cut_to_fit_is_quoted_short_in_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let matrix = d.join("m.tsv");
    let label = "L".repeat(100_000);
    std::fs::write(&matrix, format!("gene\ts1\ts2\n{label}\t1\t2\nB\t9\t8\nC\t1.5\t2\n")).unwrap();
    let png = d.join("m.png");
    let args = [matrix.to_str().unwrap(), "--row-labels", "all", "-o", png.to_str().unwrap()];
    let Some(out) = render(d, &args) else { return };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warning = stderr.lines().find(|l| l.starts_with("warning:")).expect("a warning about the cut label");
    assert!(warning.contains("not drawn whole") && warning.contains("LLLL…"), "{warning}");
    assert!(warning.chars().count() < 500, "{} characters", warning.chars().count());
}

#[test]
fn svg_output_holds_vectors_a_gradient_and_the_cells_as_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pbmc.svg");
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let args = [matrix.to_str().unwrap(), "--width", "800", "--height", "600", "-o", out.to_str().unwrap()];
    if render(dir.path(), &args).is_none() {
        return;
    }
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
    assert!(svg.contains("<linearGradient"), "the colour bar is a gradient");
    assert!(svg.contains("data:image/png;base64,"), "the cells are an embedded PNG");
    assert!(svg.matches("<line ").count() > 100, "the trees are lines");
    assert!(svg.contains(r#"transform="rotate(-90"#), "column labels are rotated");
    assert!(svg.matches("<text ").count() > 40, "labels, ticks and the legend are text");
    // Fewer cells than pixels: one image pixel a cell, the matrix's own values.
    let small = dir.path().join("small.tsv");
    let labels: Vec<String> = (0..12).map(|i| format!("r{i}")).collect();
    write_tsv(&small, &labels, 5, "s");
    let out = dir.path().join("small.svg");
    let args = [small.to_str().unwrap(), "--no-row-cluster", "--no-col-cluster", "-o", out.to_str().unwrap()];
    render(dir.path(), &[&args[..], &["--cmap", "gray", "--vmin", "-1", "--vmax", "1"]].concat()).unwrap();
    let svg = std::fs::read_to_string(&out).unwrap();
    let data = svg.split("data:image/png;base64,").nth(1).unwrap().split('"').next().unwrap();
    let png = dir.path().join("cells.png");
    std::fs::write(&png, base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).unwrap()).unwrap();
    let (w, h, pixels) = read_png(&png);
    assert_eq!((w, h), (5, 12));
    // write_tsv's value of row i, column j on matplotlib's gray map from -1 to 1.
    for (i, j) in [(0, 0), (3, 2), (11, 4)] {
        let v = ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0;
        let expected = ((v + 1.0) / 2.0 * 255.0).round() as i32;
        let got = i32::from(pixels[4 * (i * 5 + j)]);
        assert!((got - expected).abs() <= 2, "cell ({i}, {j}): {got} against {expected}");
    }
}

#[test]
fn h5ad_annotation_columns_become_bars_with_legends() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = repo("data/pbmc68k_reduced.h5ad");
    let png = dir.path().join("h5ad.png");
    let layout = dir.path().join("layout.json");
    let args = [
        matrix.to_str().unwrap(),
        "--row-colors",
        "obs:bulk_labels,n_genes",
        "--width",
        "900",
        "--height",
        "700",
        "-o",
        png.to_str().unwrap(),
        "--layout-out",
        layout.to_str().unwrap(),
    ];
    if render(dir.path(), &args).is_none() {
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let names: Vec<&str> = json["panels"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in ["row_colors:bulk_labels", "row_colors:n_genes", "legend:bulk_labels", "legend:n_genes"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    // The bar of cell types sits left of the n_genes bar, which touches the heatmap.
    let rect =
        |name: &str| json["panels"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["rect"].clone();
    let heatmap_x = rect("heatmap")["x"].as_f64().unwrap();
    let genes = rect("row_colors:n_genes");
    assert!(genes["x"].as_f64().unwrap() < heatmap_x);
    assert!((genes["x"].as_f64().unwrap() + genes["w"].as_f64().unwrap() + 1.0 - heatmap_x).abs() < 1e-3);
    assert!(rect("row_colors:bulk_labels")["x"].as_f64().unwrap() < genes["x"].as_f64().unwrap());
    let wrong_axis = heatscope(
        dir.path(),
        &["render", matrix.to_str().unwrap(), "--col-colors", "obs:bulk_labels", "-o", png.to_str().unwrap()],
    );
    assert_eq!(wrong_axis.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong_axis.stderr).contains("annotates the other axis"));
}

#[test]
fn bad_render_options_fail_with_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let m = matrix.to_str().unwrap();
    let out = d.join("x.png");
    let o = out.to_str().unwrap();
    let plain = d.join("plain.tsv");
    std::fs::write(&plain, "g\ts1\ts2\nA\t1\t2\nB\t3\t4\n").unwrap();
    let p = plain.to_str().unwrap();
    let single = d.join("single.tsv");
    std::fs::write(&single, "g\ts1\ts2\ts3\nA\t1\t2\t4\n").unwrap();
    let s = single.to_str().unwrap();
    let cases: [(&[&str], &str); 19] = [
        (&[p, "-o", o, "--row-colors", "obs:type"], "obs columns come from an .h5ad, or from X.obs.tsv"),
        (&[m, "-o", "x.jpg"], "name a .png or .svg file"),
        (&[m, "-o", o, "--cmap", "jet"], "unknown colour map 'jet'"),
        (&[m, "-o", o, "--vmin", "3", "--vmax", "1"], "vmax must be above vmin"),
        (&[m, "-o", o, "--vmin", "1000"], "--vmin 1000 is above the data's largest value"),
        (&[m, "-o", o, "--row-colors", "no/such/file.tsv"], "no/such/file.tsv: cannot read it"),
        (
            &[m, "-o", o, "--row-colors", &format!("{}:nope", repo("data/pbmc68k_reduced.obs.tsv").display())],
            "no column named 'nope'",
        ),
        (&[m, "-o", o, "--nan-color", "greenish"], "--nan-color greenish"),
        (&[m, "-o", o, "--no-row-cluster", "--row-cut", "3"], "--row-cut needs a tree of the rows"),
        (
            &[m, "-o", o, "--no-col-cluster", "--col-cut-height", "2"],
            "--col-cut-height needs a tree of the columns, and there is none (--no-col-cluster, a given order, or a single item); drop --col-cut-height",
        ),
        (&[s, "-o", o, "--row-cut", "1"], "--row-cut needs a tree of the rows, and there is none"),
        (&[m, "-o", o, "--row-cut-height", "nan"], "--row-cut-height NaN: give a finite height"),
        (&[m, "-o", o, "--width", "0"], "give sizes from 1 to 16384"),
        (&[m, "-o", o, "--link", p, "--connector-color", "clusters"], "add --row-cut K"),
        (&[m, "-o", o, "--link", p, "--connector-color", "tealish"], "--connector-color tealish"),
        (&[m, "-o", o, "--link", p, "--connector-alpha", "2"], "give a number from 0 to 1"),
        (&[m, "-o", o, "--row-cut", "5000"], "--row-cut 5000: the tree has 700 leaves; give 1 to 700 clusters"),
        (&[m, "-o", o, "--link-order", "follow"], "--link-order and --link-shared-scale go with --link FILE"),
        (&[m, "-o", o, "--link", "no/such/link.tsv"], "no/such/link.tsv"),
    ];
    for (args, expected) in cases {
        let result = heatscope(d, &[&["render"], args].concat());
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        assert!(errors[0].contains(expected), "{args:?}: expected '{expected}' in {stderr}");
        assert!(!out.exists(), "no image is written");
    }
}

/// A TSV matrix: `labels` as rows, `cols` columns named `prefix0…`, values
/// from the row and column numbers.
fn write_tsv(path: &Path, labels: &[String], cols: usize, prefix: &str) {
    let mut text = format!("gene\t{}\n", (0..cols).map(|j| format!("{prefix}{j}")).collect::<Vec<_>>().join("\t"));
    for (i, label) in labels.iter().enumerate() {
        let values: Vec<String> =
            (0..cols).map(|j| format!("{:.3}", ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0)).collect();
        text += &format!("{label}\t{}\n", values.join("\t"));
    }
    std::fs::write(path, text).unwrap();
}

/// `n` distinct random 5-letter labels (a fixed linear congruential stream).
fn random_labels(n: usize) -> Vec<String> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut labels = Vec::new();
    while labels.len() < n {
        let label: String = (0..5)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                (b'A' + ((state >> 33) % 26) as u8) as char
            })
            .collect();
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels
}

/// Renders `a` linked to `b` into `out` with `extra` options; the layout it reports.
fn render_linked(d: &Path, a: &Path, b: &Path, out: &Path, extra: &[&str]) -> Option<serde_json::Value> {
    let layout = d.join("layout.json");
    let (a, b, o, l) = (a.to_str().unwrap(), b.to_str().unwrap(), out.to_str().unwrap(), layout.to_str().unwrap());
    render(d, &[&[a, "--link", b, "-o", o, "--layout-out", l], extra].concat())?;
    Some(serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap())
}

/// The first gap's links and unmatched rows on its left and right.
fn gap_counts(layout: &serde_json::Value) -> [u64; 3] {
    let gap = &layout["gaps"][0];
    ["links", "unmatched_left", "unmatched_right"].map(|k| gap[k].as_u64().unwrap())
}

/// The centre (pixels) of the row labelled `label` in a heatmap of the layout.
fn row_centre(heatmap: &serde_json::Value, label: &str) -> f64 {
    let row = heatmap["rows"].as_array().unwrap().iter().find(|r| r["label"] == label).unwrap();
    (row["from"].as_f64().unwrap() + row["to"].as_f64().unwrap()) / 2.0
}

#[test]
fn linked_heatmaps_join_matching_rows_with_curves_ending_on_their_centres() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels = random_labels(20);
    // Five of them, in another order.
    let subset: Vec<String> = [13, 2, 17, 8, 5].iter().map(|&i| labels[i].clone()).collect();
    let (a, b) = (d.join("a.tsv"), d.join("b.tsv"));
    write_tsv(&a, &labels, 5, "s");
    write_tsv(&b, &subset, 4, "t");
    let out = d.join("linked.png");
    let extra = ["--width", "900", "--height", "600", "--connector-alpha", "1"];
    let Some(layout) = render_linked(d, &a, &b, &out, &extra) else { return };
    assert_eq!(gap_counts(&layout), [5, 15, 0]);
    let (left, right) = (&layout["heatmaps"][0], &layout["heatmaps"][1]);
    let connectors = layout["connectors"].as_array().unwrap();
    assert_eq!(connectors.len(), 5);
    let (_, _, pixels) = read_png(&out);
    let mut joined: Vec<String> = Vec::new();
    for c in connectors {
        assert_eq!(c["kind"], "curve");
        let label = c["from_labels"][0].as_str().unwrap();
        assert_eq!(c["to_labels"][0], label);
        joined.push(label.to_owned());
        let (from, to) = (&c["from"], &c["to"]);
        assert!((from[1].as_f64().unwrap() - row_centre(left, label)).abs() < 1e-3, "{c}");
        assert!((to[1].as_f64().unwrap() - row_centre(right, label)).abs() < 1e-3, "{c}");
        // From the right of the left heatmap to the left edge of the right one.
        let left_edge = left["rect"]["x"].as_f64().unwrap() + left["rect"]["w"].as_f64().unwrap();
        assert!(from[0].as_f64().unwrap() >= left_edge);
        assert!((to[0].as_f64().unwrap() - (right["rect"]["x"].as_f64().unwrap() - 1.0)).abs() < 1e-3);
        // The curve passes through the midpoint of its ends: the pixel nearest
        // to it is at least 5/8 covered by the #404040 stroke (anti-aliased).
        let mid = [
            (from[0].as_f64().unwrap() + to[0].as_f64().unwrap()) / 2.0,
            (from[1].as_f64().unwrap() + to[1].as_f64().unwrap()) / 2.0,
        ];
        let darkest = (-1..=1)
            .flat_map(|dy| (-1..=1).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| pixels[4 * ((mid[1] as i64 + dy) as usize * 900 + (mid[0] as i64 + dx) as usize)])
            .min()
            .unwrap();
        assert!(u32::from(darkest) <= 255 - 191 * 5 / 8, "connector {label} at {mid:?}: darkest red {darkest}");
    }
    joined.sort();
    let mut expected = subset.clone();
    expected.sort();
    assert_eq!(joined, expected);
    assert_matches_golden(&out, &repo("tests/golden/linked.png"));
}

#[test]
fn links_handle_duplicates_partial_overlap_follow_order_and_no_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (a, b, c) = (d.join("a.tsv"), d.join("b.tsv"), d.join("c.tsv"));
    write_tsv(&a, &names(&["g1", "g2", "g3", "g4", "g5", "g6", "g2"]), 3, "s");
    write_tsv(&b, &names(&["x1", "g3", "g2", "x2", "g3"]), 2, "t");
    write_tsv(&c, &names(&["y1", "y2"]), 2, "u");
    let Some(layout) = render_linked(d, &a, &b, &d.join("x.png"), &["--link-order", "follow"]) else { return };
    // Each file is opened once, so each says its repeated label once.
    let (a_name, b_name) = (a.to_str().unwrap(), b.to_str().unwrap());
    let Some(out) = render(d, &[a_name, "--link", b_name, "-o", d.join("w.png").to_str().unwrap()]) else { return };
    let stderr = String::from_utf8_lossy(&out.stderr);
    for file in [a_name, b_name] {
        let said = stderr.lines().filter(|l| l.starts_with(&format!("warning: {file}: 1 row labels repeat"))).count();
        assert_eq!(said, 1, "{stderr}");
    }
    // g2 twice on the left × once on the right, g3 once × twice: 4 links.
    assert_eq!(gap_counts(&layout), [4, 4, 2]);
    assert_eq!(layout["connectors"].as_array().unwrap().len(), 4);
    // Following: matched rows in the order of their first match on the left, then x1, x2.
    let order = |h: &serde_json::Value| -> Vec<String> {
        h["rows"].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap().to_owned()).collect()
    };
    let left = order(&layout["heatmaps"][0]);
    let right = order(&layout["heatmaps"][1]);
    assert_eq!(&right[3..], ["x1", "x2"]);
    let first = |label: &str| left.iter().position(|l| l == label).unwrap();
    let expected: Vec<&str> = if first("g2") < first("g3") { vec!["g2", "g3", "g3"] } else { vec!["g3", "g3", "g2"] };
    assert_eq!(&right[..3], expected);
    // No label in common: one line that says so.
    let none = heatscope(
        d,
        &["render", a.to_str().unwrap(), "--link", c.to_str().unwrap(), "-o", d.join("y.png").to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert_eq!(none.status.code(), Some(2), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("none of its 2 row labels (e.g. 'y1')") && errors[0].contains("a.tsv"), "{stderr}");
    assert!(!d.join("y.png").exists());
}

#[test]
fn a_shared_scale_colours_a_linked_panel_whose_values_lie_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels = random_labels(12);
    let (a, b) = (d.join("a.tsv"), d.join("b.tsv"));
    // The main panel's values run from 5 to 9, the linked one's from -1 to 1.
    write_tsv(&a, &labels, 4, "s");
    let text = std::fs::read_to_string(&a).unwrap();
    let shifted: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => line.to_owned(),
            _ => {
                let mut fields = line.split('\t').map(str::to_owned).collect::<Vec<_>>();
                for f in &mut fields[1..] {
                    *f = format!("{:.3}", 2.0 * f.parse::<f32>().unwrap() + 7.0);
                }
                fields.join("\t")
            }
        })
        .collect();
    std::fs::write(&a, shifted.join("\n") + "\n").unwrap();
    write_tsv(&b, &labels, 3, "t");
    let out = d.join("shared.png");
    let extra = ["--vmin", "6", "--cmap", "viridis", "--link-shared-scale", "--width", "900", "--height", "600"];
    let Some(layout) = render_linked(d, &a, &b, &out, &extra) else { return };
    // Every linked value lies below --vmin 6: every cell is viridis' first colour, #440154.
    let (_, _, pixels) = read_png(&out);
    let rect = &layout["heatmaps"][1]["rect"];
    let [x, y, w, h] = ["x", "y", "w", "h"].map(|k| rect[k].as_f64().unwrap());
    for (fx, fy) in [(0.2, 0.2), (0.5, 0.5), (0.8, 0.9)] {
        let (px, py) = ((x + fx * w) as usize, (y + fy * h) as usize);
        let at = 4 * (py * 900 + px);
        assert_eq!(&pixels[at..at + 3], &[0x44, 0x01, 0x54], "linked cell at ({px}, {py})");
    }
    // On their own scales, --vmin 6 is above the linked panel's largest value: one line naming its file.
    let own = heatscope(
        d,
        &[
            "render",
            a.to_str().unwrap(),
            "--link",
            b.to_str().unwrap(),
            "--vmin",
            "6",
            "-o",
            d.join("own.png").to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&own.stderr);
    assert_eq!(own.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{stderr}");
    assert!(stderr.contains("b.tsv: --vmin 6 is above the data's largest value 1"), "{stderr}");
}

#[test]
fn rows_sorted_by_an_annotation_keep_their_file_order_within_each_category() {
    let dir = tempfile::tempdir().unwrap();
    let (matrix, obs) = (repo("data/pbmc68k_reduced.tsv"), repo("data/pbmc68k_reduced.obs.tsv"));
    let spec = format!("{}:bulk_labels", obs.display());
    let (png, layout) = (dir.path().join("s.png"), dir.path().join("s.json"));
    // A table that does not exist: one line, exit 2, before any work.
    let missing = format!("{}:bulk_labels", dir.path().join("none.tsv").display());
    let out = heatscope(dir.path(), &["render", matrix.to_str().unwrap(), "--row-order", &missing, "-o", "x.png"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.lines().count() == 1 && stderr.contains("none.tsv"), "{stderr}");
    let args = [matrix.to_str().unwrap(), "--row-order", &spec, "-o", png.to_str().unwrap()];
    if render(dir.path(), &[&args[..], &["--layout-out", layout.to_str().unwrap()]].concat()).is_none() {
        return;
    }
    // Expected: the file's rows, stably sorted by their cell type's name.
    let text = std::fs::read_to_string(&obs).unwrap();
    let mut lines = text.lines();
    let column = lines.next().unwrap().split('\t').position(|h| h == "bulk_labels").unwrap();
    let kind: std::collections::HashMap<&str, &str> =
        lines.map(|l| l.split('\t').collect::<Vec<_>>()).map(|f| (f[0], f[column])).collect();
    let file = std::fs::read_to_string(&matrix).unwrap();
    let mut expected: Vec<&str> = file.lines().skip(1).map(|l| l.split('\t').next().unwrap()).collect();
    expected.sort_by_key(|label| natural_key(kind[label]));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let rows: Vec<&str> =
        json["heatmaps"][0]["rows"].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(rows, expected);
}

/// The texts of `kind` in a layout, in the order drawn.
fn texts_of(layout: &serde_json::Value, kind: &str) -> Vec<String> {
    let texts = layout["texts"].as_array().unwrap().iter().filter(|t| t["kind"] == kind);
    texts.map(|t| t["text"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn h5ad_categories_keep_their_stored_order_and_colours_and_kinds_can_be_forced() {
    // colors.h5ad stores cell_type as T, NK, Mono, B with scanpy's colours
    // for them (tests/gen_category_fixtures.py); anndata reads cell00-A as Mono.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let matrix = repo("tests/fixtures/h5ad/colors.h5ad");
    let (png, layout) = (d.join("c.png"), d.join("c.json"));
    let args = [matrix.to_str().unwrap(), "--row-colors", "obs:cell_type", "--row-labels", "all"];
    let out = ["-o", png.to_str().unwrap(), "--layout-out", layout.to_str().unwrap(), "--width", "800"];
    if render(d, &[&args[..], &out[..]].concat()).is_none() {
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    assert_eq!(texts_of(&json, "legend_entry"), ["T", "NK", "Mono", "B"]);
    let bar = json["panels"].as_array().unwrap().iter().find(|p| p["name"] == "row_colors:cell_type").unwrap();
    let x = (bar["rect"]["x"].as_f64().unwrap() + bar["rect"]["w"].as_f64().unwrap() / 2.0) as usize;
    let y = row_centre(&json["heatmaps"][0], "cell00-A") as usize;
    let (w, _, pixels) = read_png(&png);
    let at = 4 * (y * w as usize + x);
    assert_eq!(&pixels[at..at + 3], &[0x2c, 0xa0, 0x2c], "cell00-A (Mono) drawn in the stored #2ca02c");

    // Integer batches (0, 1, 2) from the text twin: categories when asked,
    // numbers (a gradient, no entries) when asked.
    let twin = repo("tests/fixtures/h5ad/twin.tsv");
    let obs = format!("{}:batch", repo("tests/fixtures/h5ad/twin.obs.tsv").display());
    for (flag, entries) in [("--categorical", vec!["0", "1", "2"]), ("--numeric", vec!["0.0", "2.0"])] {
        let args = [twin.to_str().unwrap(), "--row-colors", &obs, flag, "batch"];
        render(d, &[&args[..], &out[..]].concat()).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
        assert_eq!(texts_of(&json, "legend_entry"), entries, "{flag}");
    }
    // Names that are no bar, or not numbers, are refused in one line.
    for (extra, expected) in [
        (["--categorical", "batches"], "--categorical batches: no bar of that name; the bars are: batch"),
        (["--numeric", "cell_type"], "is not a number; drop cell_type from --numeric"),
    ] {
        let obs = format!("{}:batch,cell_type", repo("tests/fixtures/h5ad/twin.obs.tsv").display());
        let args = ["render", twin.to_str().unwrap(), "--row-colors", &obs, extra[0], extra[1], "-o", out[1]];
        let run = heatscope(d, &args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
        assert!(!stderr.contains("leaves"), "refused before any clustering: {stderr}");
    }
}

#[test]
fn marked_rows_are_labelled_apart_and_joined_to_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels: Vec<String> = (0..2000).map(|i| format!("gene{i}")).collect();
    let matrix = d.join("m.tsv");
    write_tsv(&matrix, &labels, 4, "s");
    // Rows with equal values sit side by side once clustered: their labels must move apart.
    let marked = ["gene0", "gene11", "gene22", "gene33", "gene44", "gene5", "gene1999", "gene1000", "gene777"];
    let file = d.join("marked.txt");
    std::fs::write(&file, marked.join("\n") + "\n").unwrap();
    let (png, layout) = (d.join("marks.png"), d.join("marks.json"));
    let args = [matrix.to_str().unwrap(), "--mark-rows", file.to_str().unwrap(), "--width", "900", "--height", "700"];
    let out = ["-o", png.to_str().unwrap(), "--layout-out", layout.to_str().unwrap()];
    if render(d, &[&args[..], &out[..]].concat()).is_none() {
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let marks = json["marks"].as_array().unwrap();
    let mut drawn: Vec<&str> = marks.iter().map(|m| m["label"].as_str().unwrap()).collect();
    drawn.sort_unstable();
    let mut expected = marked.to_vec();
    expected.sort_unstable();
    assert_eq!(drawn, expected);
    // Only the marked rows are labelled.
    let mut texts = texts_of(&json, "row_label");
    texts.sort_unstable();
    assert_eq!(texts, expected);
    let heatmap = &json["heatmaps"][0];
    let mut last: Option<(f64, f64)> = None;
    for m in marks {
        // Each joined to its row's true centre, labels in the rows' order, a line apart at least.
        assert_eq!(m["axis"], "rows");
        let (y, label_y) = (m["at"].as_f64().unwrap(), m["label_at"].as_f64().unwrap());
        assert!((y - row_centre(heatmap, m["label"].as_str().unwrap())).abs() < 1e-3, "{m}");
        // Its line leaves the heatmap's right edge on the row's centre line;
        // its label's box is centred on the label's height.
        let rect = &heatmap["rect"];
        let right = rect["x"].as_f64().unwrap() + rect["w"].as_f64().unwrap();
        assert_eq!(m["index"], m["position"]);
        assert!((m["anchor"][0].as_f64().unwrap() - right).abs() < 1e-3, "{m}");
        assert!((m["anchor"][1].as_f64().unwrap() - y).abs() < 1e-3, "{m}");
        let [bx, by, _, bh] = [0, 1, 2, 3].map(|k| m["box"][k].as_f64().unwrap());
        assert!(bx > right && (by + bh / 2.0 - label_y).abs() < 1.0, "{m}");
        if let Some((y0, label_y0)) = last {
            assert!(y >= y0 && label_y - label_y0 >= 12.0 * 1.25 - 1e-3, "{m} after ({y0}, {label_y0})");
        }
        last = Some((y, label_y));
    }
    let boxes: Vec<[f64; 4]> = json["texts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "row_label")
        .map(|t| [0, 1, 2, 3].map(|k| t["box"][k].as_f64().unwrap()))
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let down = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
            assert!(down <= 0.5, "{a:?} overlaps {b:?}");
        }
    }
    // More marks than lines fit even at 5 px (the smallest legible font,
    // 6.25 px a line): as many as fit, at 5 px, the rest noted.
    let many: Vec<String> = (0..300).map(|i| format!("gene{}", i * 6)).collect();
    std::fs::write(&file, many.join("\n") + "\n").unwrap();
    render(d, &[&args[..], &out[..]].concat()).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let fit = (json["heatmaps"][0]["rect"]["h"].as_f64().unwrap() / 6.25).floor() as usize;
    assert_eq!(json["marks"].as_array().unwrap().len(), fit);
    let heights: Vec<f64> = json["texts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "row_label")
        .map(|t| t["box"][3].as_f64().unwrap())
        .collect();
    assert_eq!(heights.len(), fit);
    assert!(heights.iter().all(|&h| (h - 6.25).abs() < 1e-3), "{heights:?}");
    let note = format!("row_label: {} of 300 marked rows not labelled", 300 - fit);
    assert!(json["shortened"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().starts_with(&note)), "{note}");
    // Marked columns: only their labels, each joined to its column's centre.
    let args = [matrix.to_str().unwrap(), "--mark-cols", "s1,s3", "--width", "900", "--height", "700"];
    render(d, &[&args[..], &out[..]].concat()).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let mut cols = texts_of(&json, "col_label");
    cols.sort_unstable();
    assert_eq!(cols, ["s1", "s3"]);
    let heatmap = &json["heatmaps"][0];
    for m in json["marks"].as_array().unwrap() {
        assert_eq!(m["axis"], "cols");
        let col = heatmap["cols"].as_array().unwrap().iter().find(|c| c["label"] == m["label"]).unwrap();
        let centre = (col["from"].as_f64().unwrap() + col["to"].as_f64().unwrap()) / 2.0;
        assert!((m["at"].as_f64().unwrap() - centre).abs() < 1e-3, "{m}");
    }
    // A label no row has: one line naming it.
    let run = heatscope(d, &["render", matrix.to_str().unwrap(), "--mark-rows", "gene1,GENE2", "-o", out[1]]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--mark-rows: no row is labelled 'GENE2'"), "{stderr}");
    // Several: each named, in one line; a missing file of labels called one.
    let run = heatscope(d, &["render", matrix.to_str().unwrap(), "--mark-rows", "X1,gene1,X2,X3", "-o", out[1]]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!((run.status.code(), stderr.lines().count()), (Some(2), 1), "{stderr}");
    assert!(stderr.contains("--mark-rows: 3 of 4 labels name no row: 'X1', 'X2', 'X3'"), "{stderr}");
    let run = heatscope(d, &["render", matrix.to_str().unwrap(), "--mark-rows", "genes/marked.txt", "-o", out[1]]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--mark-rows genes/marked.txt: no such file"), "{stderr}");
}

#[test]
fn an_approximate_tree_reports_its_agreement_with_the_exact_one() {
    // Two groups a thousand apart, interleaved in the file: k-means with
    // two groups finds them, each group's tree is its exact tree, and the
    // only merge between them is the last, as in the exact tree of all 300
    // rows. The two trees agree at every cut; only the top merge's height
    // may differ, which moves the cophenetic correlation by under 1e-4.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels = random_labels(300);
    let matrix = d.join("m.tsv");
    let mut text = "gene\ts0\ts1\ts2\ts3\ts4\ts5\n".to_owned();
    for (i, label) in labels.iter().enumerate() {
        let values: Vec<String> =
            (0..6).map(|j| format!("{:.3}", (i % 2 * 1000) as f32 + ((i * 7 + j * 3) % 11) as f32 / 5.0)).collect();
        text += &format!("{label}\t{}\n", values.join("\t"));
    }
    std::fs::write(&matrix, text).unwrap();
    let (png, layout) = (d.join("a.png"), d.join("a.json"));
    let out = ["-o", png.to_str().unwrap(), "--layout-out", layout.to_str().unwrap()];
    // Up to 4,096 rows with no groups asked for, --approx builds the exact
    // tree, and says so: no agreement to measure.
    let Some(run) = render(d, &[&[matrix.to_str().unwrap(), "--approx"][..], &out[..]].concat()) else { return };
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let rows = &json["heatmaps"][0]["clustering"]["rows"];
    assert_eq!((&rows["approximate"], &rows["agreement"]), (&serde_json::json!(false), &serde_json::Value::Null));
    assert!(!String::from_utf8_lossy(&run.stderr).contains("approximate"), "{:?}", run.stderr);
    let args = [matrix.to_str().unwrap(), "--groups", "2"];
    let out = render(d, &[&args[..], &out[..]].concat()).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let agreement = &json["heatmaps"][0]["clustering"]["rows"]["agreement"];
    assert_eq!(agreement["sample"], 300, "{agreement}");
    assert!((agreement["cophenetic_r"].as_f64().unwrap() - 1.0).abs() < 1e-4, "{agreement}");
    let ari = agreement["ari"].as_array().unwrap();
    assert_eq!(ari.iter().map(|p| p[0].as_u64().unwrap()).collect::<Vec<_>>(), (2..=10).collect::<Vec<_>>());
    assert!(ari.iter().all(|p| (p[1].as_f64().unwrap() - 1.0).abs() < 1e-12), "{agreement}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "agreement with the exact tree of a 300-row sample: cophenetic r 1.00, mean ARI at k = 2…10 1.00"
        ),
        "{stderr}"
    );
}

#[test]
fn legends_taller_than_the_figure_go_on_in_a_second_column() {
    // 60 cell types on a 700 px figure: 60 entries of 15 px and a title
    // do not fit in its height.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels: Vec<String> = (0..200).map(|i| format!("r{i}")).collect();
    let matrix = d.join("m.tsv");
    write_tsv(&matrix, &labels, 8, "s");
    let obs = d.join("obs.tsv");
    let lines: String = labels.iter().enumerate().map(|(i, l)| format!("{l}\tcell type {}\n", i % 60)).collect();
    std::fs::write(&obs, format!("gene\tcelltype\n{lines}")).unwrap();
    let (png, layout) = (d.join("m.png"), d.join("m.json"));
    let args = [matrix.to_str().unwrap(), "--row-colors", obs.to_str().unwrap(), "--width", "1000", "--height", "700"];
    let out = ["-o", png.to_str().unwrap(), "--layout-out", layout.to_str().unwrap()];
    if render(d, &[&args[..], &out[..]].concat()).is_none() {
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    assert_eq!(json["shortened"], serde_json::json!([]), "nothing left out");
    let entries: Vec<&serde_json::Value> =
        json["texts"].as_array().unwrap().iter().filter(|t| t["kind"] == "legend_entry").collect();
    let mut names: Vec<String> = entries.iter().map(|t| t["text"].as_str().unwrap().to_owned()).collect();
    names.sort_by_key(|n| n[10..].parse::<usize>().unwrap());
    assert_eq!(names, (0..60).map(|i| format!("cell type {i}")).collect::<Vec<_>>());
    let boxes: Vec<Vec<f64>> =
        entries.iter().map(|t| t["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()).collect();
    let columns: std::collections::BTreeSet<i64> = boxes.iter().map(|b| b[0].round() as i64).collect();
    assert_eq!(columns.len(), 2, "two columns: {columns:?}");
    for (i, a) in boxes.iter().enumerate() {
        assert!(a[0] >= 0.0 && a[0] + a[2] <= 1000.0 && a[1] >= 0.0 && a[1] + a[3] <= 700.0, "inside: {a:?}");
        for b in &boxes[i + 1..] {
            let apart = a[0] + a[2] <= b[0] || b[0] + b[2] <= a[0] || a[1] + a[3] <= b[1] || b[1] + b[3] <= a[1];
            assert!(apart, "{a:?} overlaps {b:?}");
        }
    }
}

#[test]
fn column_bars_are_named_every_column_label_is_kept_and_the_colour_bar_label_runs_on() {
    // 20 × 8, rows G0…, columns S0…; a row table (type, three categories)
    // and a column table (group), on a 500 × 400 figure with a row cut.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = String::from("gene");
    (0..8).for_each(|c| text.push_str(&format!("\tS{c}")));
    for r in 0..20 {
        text.push_str(&format!("\nG{r}"));
        (0..8).for_each(|c| text.push_str(&format!("\t{}", (r * 7 + c * 3) % 11 + r % 3 * 5)));
    }
    std::fs::write(d.join("m.tsv"), text + "\n").unwrap();
    let rows: String = (0..20).map(|r| format!("G{r}\t{}\n", ["kinase", "receptor", "other"][r % 3])).collect();
    std::fs::write(d.join("rows.tsv"), format!("gene\ttype\n{rows}")).unwrap();
    let cols: String = (0..8).map(|c| format!("S{c}\t{}\n", ["a", "b"][c % 2])).collect();
    std::fs::write(d.join("cols.tsv"), format!("sample\tgroup\n{cols}")).unwrap();
    let (png, layout) = (d.join("m.png"), d.join("m.json"));
    let [m, r, c, p, l] = [d.join("m.tsv"), d.join("rows.tsv"), d.join("cols.tsv"), png, layout.clone()];
    let args = [
        m.to_str().unwrap(),
        "--row-colors",
        r.to_str().unwrap(),
        "--col-colors",
        c.to_str().unwrap(),
        "--row-cut",
        "3",
        "--cbar-label",
        "log2 fold change",
        "--width",
        "500",
        "--height",
        "400",
        "-o",
        p.to_str().unwrap(),
        "--layout-out",
        l.to_str().unwrap(),
    ];
    let Some(out) = render(d, &args) else { return };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let mut labels = texts_of(&json, "col_label");
    labels.sort();
    assert_eq!(labels, ["S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7"]);
    assert_eq!(texts_of(&json, "colorbar_label"), ["log2 fold change"]);
    // The column bar's name on its right, level, centred on it.
    let rect = |name: &str| {
        let panel = json["panels"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap();
        ["x", "y", "w", "h"].map(|k| panel["rect"][k].as_f64().unwrap())
    };
    let (bar, heatmap) = (rect("col_colors:group"), rect("heatmap"));
    let texts = json["texts"].as_array().unwrap();
    let name = texts.iter().find(|t| t["kind"] == "bar_name" && t["text"] == "group").expect("the column bar's name");
    let b: Vec<f64> = name["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(b[0] >= heatmap[0] + heatmap[2] && b[2] > b[3], "level, right of the heatmap: {b:?}");
    assert!((b[1] + b[3] / 2.0 - (bar[1] + bar[3] / 2.0)).abs() < 1.0, "{b:?} centred on {bar:?}");
}

#[test]
fn legends_start_under_the_title_where_nothing_stands_beside_the_column_tree() {
    // A 600 × 500 figure with two row bars (bulk_labels' 10 types, some
    // on two lines, and phase's 3) and a row cut into 4: more than the
    // height beside the heatmap holds, all shown once the legends start
    // under the title.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (png, layout) = (d.join("m.png"), d.join("m.json"));
    let obs = repo("data/pbmc68k_reduced.obs.tsv");
    let bar = |column: &str| format!("{}:{column}", obs.display());
    let (bulk, phase) = (bar("bulk_labels"), bar("phase"));
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let args = [
        matrix.to_str().unwrap(),
        "--metric",
        "correlation",
        "--row-colors",
        &bulk,
        "--row-colors",
        &phase,
        "--row-cut",
        "4",
        "--title",
        "PBMC",
        "--cbar-label",
        "scaled expression: log1p of counts per 10,000, z-scored per gene, clipped at the 2nd and 98th percentiles",
        "--width",
        "600",
        "--height",
        "500",
        "-o",
        png.to_str().unwrap(),
        "--layout-out",
        layout.to_str().unwrap(),
    ];
    if render(d, &args).is_none() {
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    let shortened: Vec<&str> = json["shortened"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(shortened.iter().all(|s| !s.starts_with("legend")), "{shortened:?}");
    let texts = json["texts"].as_array().unwrap();
    let boxed = |t: &serde_json::Value| -> Vec<f64> {
        t["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
    };
    let panels: Vec<&str> = json["panels"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for legend in ["legend:bulk_labels", "legend:phase", "legend:row clusters"] {
        assert!(panels.contains(&legend), "{legend}: {panels:?}");
    }
    let title = boxed(texts.iter().find(|t| t["kind"] == "title").unwrap());
    let heatmap = &json["panels"].as_array().unwrap().iter().find(|p| p["name"] == "heatmap").unwrap()["rect"];
    let legends: Vec<Vec<f64>> =
        texts.iter().filter(|t| t["kind"].as_str().unwrap().starts_with("legend")).map(boxed).collect();
    let first = legends.iter().map(|b| b[1]).fold(f64::INFINITY, f64::min);
    assert!(first >= title[1] + title[3] && first < heatmap["y"].as_f64().unwrap(), "{first} {title:?} {heatmap}");
    // Under the colour bar's label too, which runs on along its line.
    let label = boxed(texts.iter().find(|t| t["kind"] == "colorbar_label").unwrap());
    assert!(label[0] + label[2] > legends[0][0] && first >= label[1] + label[3], "{label:?} {first}");
    for a in &legends {
        assert!(a[0] + a[2] <= 600.0 && a[1] + a[3] <= 500.0, "inside: {a:?}");
        for b in texts.iter().map(boxed).filter(|b| b != a) {
            let apart = a[0] + a[2] <= b[0] || b[0] + b[2] <= a[0] || a[1] + a[3] <= b[1] || b[1] + b[3] <= a[1];
            assert!(apart, "{a:?} overlaps {b:?}");
        }
    }
}
