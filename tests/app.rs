//! The application layer driven in process, as a program other than the
//! command line drives it: a `FigureSpec` built in Rust, prepared, laid out
//! and rendered, against `heatscope render` with the equivalent flags; the
//! spec as JSON. Needs a GPU adapter (llvmpipe will do) unless
//! HEATSCOPE_SKIP_GPU=1.

mod common;

use heatscope::app::{FigureSpec, HudStats, InputSpec, LinkOrder, SearchKey, Session, prepare, scene};
use heatscope::cluster::{Method, Metric};
use heatscope::figure::{Agg, LabelMode, text};
use heatscope::input::Axis;
use heatscope::pyramid::Level;
use heatscope::render::{Renderer, Target};
use heatscope::view::Action;

use common::{heatscope, natural_key, read_png, repo, skip_gpu};

#[test]
fn a_spec_built_in_rust_draws_the_same_pixels_as_the_command_line() {
    let Some(mut renderer) = (match Renderer::new() {
        Ok(renderer) => Some(renderer),
        Err(_) if skip_gpu() => None,
        Err(e) => panic!("{e} (set HEATSCOPE_SKIP_GPU=1 to skip GPU tests on purpose)"),
    }) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let obs = format!("{}:bulk_labels", repo("data/pbmc68k_reduced.obs.tsv").display());

    // The command line.
    let from_cli = dir.path().join("cli.png");
    let args =
        [matrix.to_str().unwrap(), "--row-colors", &obs, "--metric", "correlation", "--robust", "--row-cut", "4"];
    let size = ["--title", "PBMC", "--width", "900", "--height", "700", "-o", from_cli.to_str().unwrap()];
    let out = heatscope(&dir.path().join("cli-cache"), &[&["render"], &args[..], &size[..]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The same figure from a spec, in this process, with its own cache.
    let mut spec = FigureSpec::new(InputSpec::for_file(matrix.clone(), Some(dir.path().join("app-cache"))));
    spec.row_colors.push(obs);
    spec.metric = Metric::Correlation;
    spec.robust = true;
    spec.row_cut = Some(4);
    spec.title = Some("PBMC".to_owned());
    (spec.width, spec.height) = (900, 700);
    let prepared = prepare(&spec).unwrap();
    assert_eq!(prepared.row_groups.as_ref().map(|g| *g.iter().max().unwrap()), Some(4));
    let picture = scene(&mut text::font_system(), &prepared, &spec, &[], [spec.width, spec.height], false);
    let image =
        renderer.draw(&picture, &prepared.sources(spec.agg, &[], &picture), Target::Image).unwrap().into_image();

    let (w, h, pixels) = read_png(&from_cli);
    assert_eq!((image.width, image.height), (w, h));
    let differing = image.pixels.chunks(4).zip(pixels.chunks(4)).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} pixels differ from `heatscope render`");
}

#[test]
fn a_spec_reads_from_json_with_every_choice_named() {
    let json = r##"{
        "input": {
            "file": "m.npy", "cache_dir": null, "row_labels": "genes.txt", "col_labels": null,
            "row_label_mode": "all", "col_label_mode": "none", "layer": null, "transpose": false,
            "cols_subset": {"var_column": "highly_variable"}, "gene_ids": false,
            "label_col": null
        },
        "method": "ward", "metric": "sqeuclidean", "optimal_ordering": true, "memory_budget": 1073741824,
        "approx": {"when": "always", "groups": 64, "col_sample": null, "seed": 7},
        "no_row_cluster": false, "no_col_cluster": true,
        "row_linkage": null, "col_linkage": null, "row_order_file": null, "col_order_file": null,
        "row_order": null, "col_order": null,
        "row_split": null, "col_split": "var:part", "split_gap": 6.0, "split_order": "given",
        "cmap": "vlag", "center": 0.0, "vmin": null, "vmax": null, "robust": false,
        "z_score": "rows", "standard_scale": null,
        "row_colors": ["obs:louvain"], "col_colors": [], "categorical": ["louvain"], "numeric": [], "mark_rows": [], "mark_cols": [],
        "row_cut": 5, "col_cut": null, "row_cut_height": null, "col_cut_height": null,
        "row_clusters_out": "clusters.tsv", "col_clusters_out": null,
        "cbar_label": "z", "xlabel": "gene", "ylabel": null, "title": null, "dendrogram_ratio": 0.2, "colors_ratio": 0.03,
        "tree_linewidth": 2.0, "width": 800, "height": 600, "font_size": 10.0, "nan_color": "#000000", "agg": "extremes",
        "bare": false, "layout_out": null, "link": ["b.tsv"], "link_order": "follow",
        "link_shared_scale": true, "link_axis_names": [["time", null]], "connector_color": "clusters",
        "connector_alpha": 0.5
    }"##;
    let spec: FigureSpec = serde_json::from_str(json).unwrap();
    let mut want = FigureSpec::new(InputSpec {
        row_labels: Some("genes.txt".into()),
        row_label_mode: LabelMode::All,
        col_label_mode: LabelMode::None,
        cols_subset: Some(heatscope::input::ColsSubset::VarColumn("highly_variable".into())),
        ..InputSpec::for_file("m.npy".into(), None)
    });
    want.method = Method::Ward;
    want.metric = Metric::SqEuclidean;
    want.optimal_ordering = true;
    want.memory_budget = Some(1 << 30);
    want.approx.when = heatscope::cluster::approx::When::Always;
    want.approx.groups = Some(64);
    want.approx.seed = 7;
    want.no_col_cluster = true;
    want.col_split = Some("var:part".into());
    want.split_gap = 6.0;
    want.split_order = heatscope::app::split::SplitOrder::Given;
    want.cmap = Some("vlag".into());
    want.center = Some(0.0);
    want.z_score = Some(Axis::Rows);
    want.row_colors = vec!["obs:louvain".into()];
    want.categorical = vec!["louvain".into()];
    want.row_cut = Some(5);
    want.row_clusters_out = Some("clusters.tsv".into());
    want.cbar_label = Some("z".into());
    want.xlabel = Some("gene".into());
    (want.dendrogram_ratio, want.colors_ratio, want.tree_linewidth) = (0.2, 0.03, 2.0);
    (want.width, want.height, want.font_size) = (800, 600, 10.0);
    want.nan_color = "#000000".into();
    want.agg = Agg::Extremes;
    want.link = vec!["b.tsv".into()];
    want.link_order = LinkOrder::Follow;
    want.link_shared_scale = true;
    want.link_axis_names = vec![[Some("time".into()), None]];
    want.connector_color = "clusters".into();
    want.connector_alpha = 0.5;
    assert_eq!(spec, want);
    // And back: what it writes reads as the same spec.
    let again: FigureSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(again, spec);
}

#[test]
fn a_spec_that_cannot_work_is_refused_in_the_flags_words() {
    let spec = |f: &dyn Fn(&mut FigureSpec)| {
        let mut spec = FigureSpec::new(InputSpec::for_file("m.npy".into(), None));
        f(&mut spec);
        spec.check().err().map(|e| e.to_string())
    };
    assert_eq!(spec(&|_| {}), None);
    assert_eq!(
        spec(&|s| (s.vmin, s.vmax) = (Some(2.0), Some(1.0))).as_deref(),
        Some("--vmin 2 --vmax 1: vmax must be above vmin")
    );
    assert_eq!(spec(&|s| s.row_cut = Some(0)).as_deref(), Some("--row-cut 0: ask for at least one cluster"));
    assert_eq!(
        spec(&|s| s.approx.groups = Some(1)).as_deref(),
        Some("--groups 1: the approximate mode needs at least 2 groups")
    );
    assert_eq!(spec(&|s| s.width = 0).as_deref(), Some("--width 0 --height 1000: give sizes from 1 to 16384 pixels"));
}

/// A session on the PBMC demo (correlation distance) in a 1000 × 800
/// window, the label searched for, and the display position of its row,
/// found by its line in the file (the header is line 0); the caches live in
/// the returned folder.
fn pbmc_session() -> (Session, &'static str, usize, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let mut spec = FigureSpec::new(InputSpec::for_file(matrix.clone(), Some(dir.path().to_owned())));
    spec.metric = Metric::Correlation;
    let prepared = prepare(&spec).unwrap();
    assert_eq!(prepared.matrix.rows(), 700);
    let text = std::fs::read_to_string(&matrix).unwrap();
    let wanted = "AATCCTTGCCTTCG-2";
    let index = text.lines().skip(1).position(|l| l.split('\t').next() == Some(wanted)).unwrap();
    let shown_at = prepared.row_order.iter().position(|&i| i == index).unwrap();
    (Session::new(prepared, spec, [1000, 800]), wanted, shown_at, dir)
}

#[test]
fn the_viewer_session_follows_a_script_of_actions_without_a_window() {
    let (mut session, wanted, shown_at, _dir) = pbmc_session();
    let rows_shown = |s: &Session| s.windows()[0].rows.clone();
    assert_eq!(session.act(Action::Fit), None);
    assert_eq!(rows_shown(&session), 0.0..700.0);

    // Zooming 2× about the middle shows the middle half of the rows.
    session.act(Action::Zoom { at: [0.5, 0.5], factor: [1.0, 2.0] });
    let zoomed = rows_shown(&session);
    assert!((zoomed.start - 175.0).abs() < 1e-9 && (zoomed.end - 525.0).abs() < 1e-9, "{zoomed:?}");
    // Panning by a quarter of the panel down shows rows a quarter of the
    // window (87.5 rows) further up.
    session.act(Action::Pan { by: [0.0, 0.25] });
    let panned = rows_shown(&session);
    assert!((panned.start - 87.5).abs() < 1e-9 && (panned.end - 437.5).abs() < 1e-9, "{panned:?}");

    // A search goes to the row: about 40 rows around it, highlighted.
    session.act(Action::Search(wanted.to_owned()));
    assert_eq!(session.matches, vec![(Axis::Rows, shown_at)]);
    assert_eq!(session.highlight, Some((Axis::Rows, shown_at)));
    let found = rows_shown(&session);
    assert!(found.contains(&(shown_at as f64)) && (found.end - found.start - 40.0).abs() < 1e-9, "{found:?}");
    session.act(Action::Search("no such label".to_owned()));
    assert_eq!(session.search_note.as_deref(), Some("no row or column label contains 'no such label'"));

    // Cuts: four clusters, then one more.
    session.act(Action::Cut(4));
    let clusters =
        |s: &Session| s.prepared.row_groups.as_ref().map(|g| g.iter().collect::<std::collections::BTreeSet<_>>().len());
    assert_eq!((session.cut, clusters(&session)), (4, Some(4)));
    session.act(Action::CutMore);
    assert_eq!((session.cut, clusters(&session)), (5, Some(5)));
    assert_eq!(session.prepared.row_bars.last().map(|b| b.name.as_str()), Some("row clusters"));

    // A click on the column tree (above the heatmap) selects a subtree of it.
    session.act(Action::Fit);
    let layout = session.base_scene();
    let tree = layout.panels.iter().find(|p| p.name == "col_dendrogram").unwrap().rect;
    // Just above the leaves, halfway along.
    let at = [(tree.x + tree.w / 2.0) / 1000.0, (tree.bottom() - 2.0) / 800.0];
    session.act(Action::Click { at: [at[0] as f64, at[1] as f64] });
    assert!(matches!(session.selected, Some((Axis::Cols, _))), "{:?}", session.selected);

    // Toggles, and what only a window can do comes back to it.
    session.act(Action::ToggleAgg);
    assert_eq!(session.agg, Agg::Extremes);
    session.act(Action::ToggleFollow);
    assert!(session.follow);
    assert_eq!(session.act(Action::ToggleHud), None);
    assert!(session.hud);
    let shot = Action::Screenshot("shot.png".into());
    assert_eq!(session.act(shot.clone()), Some(shot));
}

#[test]
fn the_mouse_and_the_keys_reach_the_session_as_a_window_sends_them() {
    let (mut session, wanted, shown_at, _dir) = pbmc_session();
    let rows_shown = |s: &Session| s.windows()[0].rows.clone();
    let heatmap = session.heatmap_rects()[0];
    let middle = [(heatmap.x + heatmap.w / 2.0) as f64, (heatmap.y + heatmap.h / 2.0) as f64];

    // Zoomed 2× about the middle (rows 175–525), a drag a quarter of the
    // panel down shows 87.5 rows further up; moving after the release does not pan.
    session.act(Action::Zoom { at: [0.5, 0.5], factor: [1.0, 2.0] });
    session.pointer_moved(middle, false);
    session.press(false);
    assert_eq!(session.selected, None, "the heatmap is not a tree");
    session.pointer_moved([middle[0], middle[1] + heatmap.h as f64 / 4.0], false);
    let dragged = rows_shown(&session);
    assert!((dragged.start - 87.5).abs() < 1e-6 && (dragged.end - 437.5).abs() < 1e-6, "{dragged:?}");
    session.release();
    session.pointer_moved(middle, false);
    assert_eq!(rows_shown(&session), dragged);
    // A double click off the trees fits the view.
    session.press(true);
    session.release();
    assert_eq!(rows_shown(&session), 0.0..700.0);

    // Typing a search: a stray letter taken back, then Enter.
    assert!(!session.search_key(SearchKey::Enter), "no search is being typed");
    session.search = Some(String::new());
    for key in [SearchKey::Text("AATCCTTGCC"), SearchKey::Text("TTCG-2x"), SearchKey::Backspace] {
        assert!(session.search_key(key));
    }
    assert_eq!(session.search.as_deref(), Some(wanted));
    assert!(session.search_key(SearchKey::Enter));
    assert_eq!((session.search.as_deref(), session.matches.clone()), (None, vec![(Axis::Rows, shown_at)]));

    // Out of the window the wheel does nothing.
    session.pointer_left();
    assert_eq!(session.cursor, None);
    assert!(!session.wheel(1.0, false, false));

    // The heads-up display, when on, and a banner line, as the window shows them.
    session.act(Action::Fit);
    let stats = HudStats {
        frame_time: std::time::Duration::from_micros(12_500),
        uploaded: 2_000_000,
        gpu_tiles: 1_000_000,
        loading: true,
        level: Some(Level { row: 1, col: 0 }),
        resident: 7,
    };
    let texts = |scene: &heatscope::figure::Scene| -> Vec<String> {
        scene.overlay_texts.iter().map(|t| t.text.clone()).collect()
    };
    let off = session.window_scene(Some(&stats), Some("file order".to_owned()));
    assert!(!texts(&off).iter().any(|t| t.starts_with("frame")), "{:?}", texts(&off));
    session.act(Action::ToggleHud);
    let on = texts(&session.window_scene(Some(&stats), Some("file order".to_owned())));
    for line in [
        "frame 12.5 ms",
        "rows 0.0–700.0, columns 0.0–765.0",
        "level: rows 1, columns 0 (a cell holds 4 × 1 matrix cells); 7 tiles on the GPU",
        "tiles uploaded 2.0 MB, GPU tile memory 1.0 MB, more loading",
        "aggregate: mean",
        "file order",
    ] {
        assert!(on.iter().any(|t| t == line), "{line:?} not in {on:?}");
    }
}

/// The boxes of every text of `scene`, with the text.
fn text_boxes(scene: &heatscope::figure::scene::Scene) -> Vec<(String, heatscope::figure::scene::Rect)> {
    let mut fonts = text::font_system();
    scene.texts.iter().map(|t| (t.text.clone(), text::text_box(&mut fonts, t))).collect()
}

#[test]
fn every_text_lies_inside_the_figure_and_none_overlaps_another() {
    let dir = tempfile::tempdir().unwrap();
    // The demo's cell types with long names, as reference mappings write them.
    let obs = std::fs::read_to_string(repo("data/pbmc68k_reduced.obs.tsv")).unwrap();
    let header: Vec<&str> = obs.lines().next().unwrap().split('\t').collect();
    let column = header.iter().position(|&h| h == "bulk_labels").unwrap();
    let long: String = obs
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
            if i > 0 {
                fields[column].push_str(" (annotated by reference mapping to the PBMC atlas)");
            }
            fields.join("\t") + "\n"
        })
        .collect();
    let long_obs = dir.path().join("obs_long.tsv");
    std::fs::write(&long_obs, long).unwrap();
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let mut fonts = text::font_system();
    for obs in [repo("data/pbmc68k_reduced.obs.tsv"), long_obs] {
        let mut spec = FigureSpec::new(InputSpec::for_file(matrix.clone(), Some(dir.path().join("cache"))));
        spec.row_colors.push(format!("{}:bulk_labels", obs.display()));
        // Cluster numbers: a numeric bar, its legend a gradient with its ends.
        spec.row_colors.push(format!("{}:louvain", obs.display()));
        spec.metric = Metric::Correlation;
        // A bar of each axis's cut: the column bar's name beside the row labels.
        (spec.row_cut, spec.col_cut) = (Some(4), Some(3));
        spec.cbar_label = Some("scaled expression".into());
        (spec.xlabel, spec.ylabel) = (Some("gene".into()), Some("cell (PBMC 68k, reduced)".into()));
        spec.title = Some("PBMC 68k reduced: 700 cells × 765 genes, average linkage of correlation distances".into());
        let prepared = prepare(&spec).unwrap();
        let categories: Vec<String> = {
            // In natural order (CD4 before CD14).
            let mut c: Vec<String> = obs_values(&obs, "bulk_labels");
            c.sort_by_key(|c| natural_key(c));
            c.dedup();
            c
        };
        for (w, h) in [(1000, 800), (700, 600), (1600, 1200), (320, 260)] {
            for font_size in [8.0, 12.0, 16.0, 20.0] {
                let spec = FigureSpec { width: w, height: h, font_size, ..spec.clone() };
                let picture = scene(&mut fonts, &prepared, &spec, &[], [w, h], false);
                let case = format!("{} at {w} × {h}, font {font_size}", obs.display());
                let boxes = text_boxes(&picture);
                assert!(boxes.len() > 3, "{case}: {} texts", boxes.len());
                for (t, b) in &boxes {
                    let inside = b.x >= 0.0 && b.y >= 0.0 && b.right() <= w as f32 && b.bottom() <= h as f32;
                    assert!(inside, "{case}: '{t}' at {b:?} leaves the figure");
                }
                for (i, (t, a)) in boxes.iter().enumerate() {
                    for (u, b) in &boxes[i + 1..] {
                        let across = a.right().min(b.right()) - a.x.max(b.x);
                        let down = a.bottom().min(b.bottom()) - a.y.max(b.y);
                        assert!(across <= 0.5 || down <= 0.5, "{case}: '{t}' {a:?} overlaps '{u}' {b:?}");
                    }
                }
                if (w, h, font_size) == (1000, 800, 12.0) {
                    // The axes' names beyond the labels they name.
                    let kind = heatscope::figure::scene::TextKind::AxisName;
                    let named = |k| {
                        picture
                            .texts
                            .iter()
                            .filter(move |t| t.kind == k)
                            .map(|t| text::text_box(&mut text::font_system(), t))
                            .collect::<Vec<_>>()
                    };
                    let [gene, cell] = [0, 1].map(|i| {
                        let t = picture.texts.iter().filter(|t| t.kind == kind).nth(i).unwrap();
                        (t.text.clone(), text::text_box(&mut fonts, t))
                    });
                    assert_eq!((gene.0.as_str(), cell.0.as_str()), ("gene", "cell (PBMC 68k, reduced)"));
                    let cols = named(heatscope::figure::scene::TextKind::ColLabel);
                    let rows = named(heatscope::figure::scene::TextKind::RowLabel);
                    assert!(cols.iter().all(|b| b.bottom() <= gene.1.y), "gene below the column labels");
                    assert!(rows.iter().all(|b| b.right() <= cell.1.x), "cell right of the row labels");
                    // Room for every legend entry whole, long names wrapped.
                    assert_eq!(picture.shortened, Vec::<String>::new(), "{case}");
                    let legend = picture.panels.iter().find(|p| p.name == "legend:bulk_labels").unwrap().rect;
                    let entries: String = picture
                        .texts
                        .iter()
                        .filter(|t| t.kind == heatscope::figure::scene::TextKind::LegendEntry)
                        .filter(|t| t.at[1] >= legend.y && t.at[1] <= legend.bottom())
                        .map(|t| t.text.replace(' ', ""))
                        .collect();
                    assert_eq!(entries, categories.concat().replace(' ', ""), "{case}");
                }
                if (w, h) == (320, 260) && font_size == 20.0 {
                    // No room: what was cut or left out is said.
                    assert!(!picture.shortened.is_empty(), "{case}");
                }
            }
        }
    }
}

/// The values of `column` in a TSV table.
fn obs_values(path: &std::path::Path, column: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let at = lines.next().unwrap().split('\t').position(|h| h == column).unwrap();
    lines.map(|l| l.split('\t').nth(at).unwrap().to_owned()).collect()
}

#[test]
fn every_label_asked_for_on_more_rows_than_lines_is_said_to_be_illegible() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = FigureSpec::new(InputSpec {
        row_label_mode: LabelMode::All,
        ..InputSpec::for_file(repo("data/pbmc68k_reduced.tsv"), Some(dir.path().to_owned()))
    });
    spec.metric = Metric::Correlation;
    let prepared = prepare(&spec).unwrap();
    let mut fonts = text::font_system();
    // 700 rows on about 500 px: 0.7 px a row, labels at the 1 px floor.
    let small =
        scene(&mut fonts, &prepared, &FigureSpec { width: 800, height: 600, ..spec.clone() }, &[], [800, 600], false);
    assert_eq!(small.shortened.len(), 1, "{:?}", small.shortened);
    assert!(small.shortened[0].starts_with("row_label: all 700 labels at 1.0 px"), "{:?}", small.shortened);
    // 700 rows on about 9,000 px: 12 px a row, every label legible.
    let tall = FigureSpec { width: 1000, height: 10_000, ..spec };
    let tall = scene(&mut fonts, &prepared, &tall, &[], [1000, 10_000], false);
    assert!(tall.shortened.iter().all(|s| !s.starts_with("row_label")), "{:?}", tall.shortened);
}

#[test]
fn wide_tree_lines_stay_inside_their_panels() {
    let dir = tempfile::tempdir().unwrap();
    let spec = FigureSpec::new(InputSpec::for_file(repo("data/pbmc68k_reduced.tsv"), Some(dir.path().join("cache"))));
    let prepared = prepare(&spec).unwrap();
    let mut fonts = text::font_system();
    for linewidth in [1.0, 3.0, 8.0] {
        let spec = FigureSpec { tree_linewidth: linewidth, ..spec.clone() };
        let picture = scene(&mut fonts, &prepared, &spec, &[], [1000, 800], false);
        let panel = |name: &str| picture.panels.iter().find(|p| p.name == name).unwrap().rect;
        let trees = [panel("row_dendrogram"), panel("col_dendrogram")];
        let mut wide = 0;
        let branches = picture.lines.iter().filter(|l| l.color == heatscope::figure::layout::TREE_COLOR);
        for line in branches.filter(|l| l.width == linewidth) {
            // Branches are drawn across or along the leaves with square
            // caps: the stroke's box is the segment widened by half the
            // width on every side.
            let [(x0, y0), (x1, y1)] = [line.from, line.to].map(|p| (p[0], p[1]));
            assert!(x0 == x1 || y0 == y1, "{line:?} is neither across nor along the leaves");
            let half = line.width / 2.0;
            let (left, right) = (x0.min(x1) - half, x0.max(x1) + half);
            let (top, bottom) = (y0.min(y1) - half, y0.max(y1) + half);
            let inside = trees.iter().any(|r| {
                left >= r.x - 1e-3 && right <= r.right() + 1e-3 && top >= r.y - 1e-3 && bottom <= r.bottom() + 1e-3
            });
            assert!(inside, "width {linewidth}: {line:?} leaves the tree panels {trees:?}");
            wide += 1;
        }
        assert!(wide > 100, "width {linewidth}: {wide} branches");
    }
}

#[test]
fn labels_shown_for_some_items_are_joined_to_them_by_ticks() {
    let dir = tempfile::tempdir().unwrap();
    let spec = FigureSpec::new(InputSpec::for_file(repo("data/pbmc68k_reduced.tsv"), Some(dir.path().join("cache"))));
    let prepared = prepare(&spec).unwrap();
    let mut fonts = text::font_system();
    let picture = scene(&mut fonts, &prepared, &spec, &[], [900, 700], false);
    let heatmap = picture.panels.iter().find(|p| p.name == "heatmap").unwrap().rect;
    let black = heatscope::figure::Rgba::BLACK;
    let ticks: Vec<_> = picture.lines.iter().filter(|l| l.color == black && l.width == 1.0).collect();
    let kinds = [heatscope::figure::scene::TextKind::RowLabel, heatscope::figure::scene::TextKind::ColLabel];
    let mut joined = [0, 0];
    for t in picture.texts.iter().filter(|t| kinds.contains(&t.kind)) {
        // A row label's tick runs right from the heatmap at its height, a
        // column label's down from it at its centre, 5 px long, ending
        // before the label.
        let row = t.kind == kinds[0];
        let want = if row {
            [[heatmap.right(), t.at[1]], [heatmap.right() + 5.0, t.at[1]]]
        } else {
            [[t.at[0], heatmap.bottom()], [t.at[0], heatmap.bottom() + 5.0]]
        };
        assert!(ticks.iter().any(|l| [l.from, l.to] == want), "no tick for '{}' at {:?}", t.text, t.at);
        assert!(if row { t.at[0] > want[1][0] } else { t.at[1] > want[1][1] }, "'{}' overlaps its tick", t.text);
        joined[usize::from(!row)] += 1;
    }
    // 700 rows and 765 columns on about 500 and 400 pixels: some of each labelled.
    assert!(joined[0] > 10 && joined[0] < 700 && joined[1] > 10 && joined[1] < 765, "{joined:?}");
    // Every row labelled: no ticks for the rows.
    let mut all = spec.clone();
    all.input.row_label_mode = heatscope::figure::LabelMode::All;
    let prepared = prepare(&all).unwrap();
    let picture = scene(&mut fonts, &prepared, &all, &[], [900, 2000], false);
    let heatmap = picture.panels.iter().find(|p| p.name == "heatmap").unwrap().rect;
    let row_ticks = picture.lines.iter().filter(|l| l.color == black && l.from[0] == heatmap.right()).count();
    assert_eq!(row_ticks, 0);
}

#[test]
fn marks_follow_the_viewers_zoom_and_pan() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = repo("data/pbmc68k_reduced.tsv");
    let mut spec = FigureSpec::new(InputSpec::for_file(matrix.clone(), Some(dir.path().to_owned())));
    let text = std::fs::read_to_string(&matrix).unwrap();
    let names: Vec<&str> = text.lines().skip(1).map(|l| l.split('\t').next().unwrap()).collect();
    // Every 50th cell of the file is marked: 14 marks.
    spec.mark_rows = names.iter().step_by(50).map(|s| s.to_string()).collect();
    let prepared = prepare(&spec).unwrap();
    let marked: Vec<usize> = prepared.row_marks.clone();
    assert_eq!(marked.len(), 14);
    let mut session = Session::new(prepared, spec, [1000, 800]);
    session.act(Action::Fit);
    let fitted = session.window_scene(None, None).marks;
    assert_eq!(fitted.iter().map(|m| m.position).collect::<Vec<_>>(), marked);
    // Zoomed 4× about the middle: only the marks of rows 262.5–437.5, each
    // joined to its row where the zoomed heatmap draws it.
    session.act(Action::Zoom { at: [0.5, 0.5], factor: [1.0, 4.0] });
    let window = session.windows()[0].rows.clone();
    let scene = session.window_scene(None, None);
    let heatmap = scene.heatmap;
    let in_view: Vec<usize> =
        marked.iter().copied().filter(|&p| (p as f64 + 0.5) > window.start && (p as f64 + 0.5) < window.end).collect();
    assert!(!in_view.is_empty() && in_view.len() < marked.len(), "{in_view:?}");
    assert_eq!(scene.marks.iter().map(|m| m.position).collect::<Vec<_>>(), in_view);
    for m in &scene.marks {
        let y = heatmap.y as f64
            + (m.position as f64 + 0.5 - window.start) / (window.end - window.start) * heatmap.h as f64;
        assert!(m.rows && (m.at as f64 - y).abs() < 1e-2, "{m:?} against {y}");
    }
}

#[test]
fn marks_on_a_figure_too_small_for_them_are_noted_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = FigureSpec::new(InputSpec::for_file(repo("data/pbmc68k_reduced.tsv"), Some(dir.path().to_owned())));
    spec.mark_rows = vec!["AATCCTTGCCTTCG-2".into()];
    let prepared = prepare(&spec).unwrap();
    let mut fonts = text::font_system();
    for [w, h] in [[50, 50], [60, 60], [1200, 50]] {
        let picture = scene(&mut fonts, &prepared, &spec, &[], [w, h], false);
        let drawn = picture.marks.len();
        let noted = picture.shortened.iter().any(|s| s.contains("1 marked rows"));
        assert!(drawn == 1 || noted, "{w} × {h}: {:?}", picture.shortened);
    }
}
