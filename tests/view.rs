//! `heatscope view` in a real window under Xvfb, and `heatscope bench`
//! along its camera path on a million rows. Both need a GPU adapter
//! (llvmpipe will do) and the window test needs Xvfb, unless
//! HEATSCOPE_SKIP_GPU=1.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use common::{read_png, skip_gpu};

mod common;

fn heatscope(cache: &Path, args: &[&str], display: Option<&str>) -> Output {
    let mut command = common::command(cache);
    command.args(args);
    if let Some(display) = display {
        command.env("DISPLAY", display).env_remove("WAYLAND_DISPLAY");
    }
    command.output().expect("the binary runs")
}

/// An Xvfb server on a display of its own, stopped on drop.
struct Xvfb(Child, String);

impl Xvfb {
    fn start() -> Option<Xvfb> {
        for number in 90..120 {
            let display = format!(":{number}");
            if display_in_use(number) {
                continue;
            }
            let child = Command::new("Xvfb")
                .args([display.as_str(), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let Ok(child) = child else {
                assert!(skip_gpu(), "Xvfb is not installed (apt-get install xvfb, or .ci/deps)");
                return None;
            };
            let mut child = child;
            // Wait until it holds the display: its pid in the lock file, its
            // socket made. Another test may have taken the number first: then
            // this server exits, and the next number is tried.
            for _ in 0..100 {
                if child.try_wait().is_ok_and(|status| status.is_some()) {
                    break;
                }
                let lock = std::fs::read_to_string(format!("/tmp/.X{number}-lock")).unwrap_or_default();
                let ours = lock.trim().parse::<u32>() == Ok(child.id());
                if ours && Path::new(&format!("/tmp/.X11-unix/X{number}")).exists() {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    return Some(Xvfb(child, display));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            if child.try_wait().is_ok_and(|status| status.is_some()) {
                continue;
            }
            let _ = child.kill();
            panic!("Xvfb {display} did not start");
        }
        panic!("no free X display number");
    }
}

/// Whether a live X server holds display `number` (its lock file names a
/// running process). A socket left by a killed server does not count:
/// Xvfb replaces it.
fn display_in_use(number: u32) -> bool {
    let lock = std::fs::read_to_string(format!("/tmp/.X{number}-lock")).unwrap_or_default();
    lock.trim().parse::<u32>().is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM lets Xvfb remove its socket and lock file.
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        if nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).is_err() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Runs the demo in a window under Xvfb with `script` for 5 frames; its
/// stderr and the last frame (width, height, RGBA), or `None` when the GPU
/// tests are skipped on purpose.
fn run_demo_script(script: &str) -> Option<(String, u32, u32, Vec<u8>)> {
    run_view_script(script, |_| Vec::new())
}

/// Runs the demo view with the options `extra` gives (it may write files
/// into the folder it is handed) and `script`: what it printed and the
/// screenshot.
fn run_view_script(script: &str, extra: impl FnOnce(&Path) -> Vec<String>) -> Option<(String, u32, u32, Vec<u8>)> {
    let xvfb = Xvfb::start()?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.script");
    std::fs::write(&path, script).unwrap();
    let shot = dir.path().join("view.png");
    let extra = extra(dir.path());
    let mut args = vec![
        "view",
        "--script",
        path.to_str().unwrap(),
        "--exit-after-frames",
        "5",
        "--screenshot",
        shot.to_str().unwrap(),
    ];
    args.extend(extra.iter().map(String::as_str));
    let out = heatscope(dir.path(), &args, Some(&xvfb.1));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() && skip_gpu() {
        return None;
    }
    assert!(out.status.success(), "{stderr}");
    let (w, h, pixels) = read_png(&shot);
    Some((stderr, w, h, pixels))
}

#[test]
fn the_demo_window_zooms_searches_and_cuts_as_scripted() {
    // The demo's row labels are cell barcodes; this one is a row of the PBMC matrix.
    let script = "zoom 0.5 0.5 2\nsearch AATCCTTGCCTTCG-2\ncut 4\nclick 0.03 0.5\n";
    let Some((_, w, h, pixels)) = run_demo_script(script) else { return };
    assert_eq!((w, h), (1280, 800));
    // The match is highlighted by two orange lines one row apart, across
    // the heatmap, in the middle of the 40 rows the view shows.
    let orange = |x: u32, y: u32| pixels[4 * (y * w + x) as usize..][..3] == [255, 140, 0];
    let rows: Vec<u32> = (0..h).filter(|&y| (0..w).filter(|&x| orange(x, y)).count() > 300).collect();
    assert!(!rows.is_empty(), "no highlight in the screenshot");
    let (top, bottom) = (rows[0], *rows.last().unwrap());
    let gap = bottom - top;
    assert!((10..40).contains(&gap), "highlight lines {top} and {bottom}");
    // The cut's cluster bar legend ("row clusters") adds its four swatches:
    // Set2's first colour (the second categorical palette) is on screen.
    let set2 = [0x66, 0xc2, 0xa5];
    let swatch = (0..w * h).any(|i| pixels[4 * i as usize..][..3] == set2);
    assert!(swatch, "no cluster colour on screen");
    // The click on the row tree selected a subtree: a translucent orange
    // band (alpha 60 over white: 255, 228, 195) crosses the white margin.
    let band = (0..h).filter(|&y| {
        let p = &pixels[4 * (y * w + 3) as usize..][..3];
        p[0] == 255 && p[1].abs_diff(228) <= 2 && p[2].abs_diff(195) <= 2
    });
    assert!(band.count() >= 2, "no selected subtree band");
}

#[test]
fn a_click_on_the_column_tree_selects_the_subtree_above_the_clicked_column() {
    // The column tree spans y 8–120 of 800 above the heatmap; 1.5 % of the
    // way down (y 12) is just below its root.
    let Some((_, w, _, pixels)) = run_demo_script("click 0.45 0.015\n") else { return };
    // A translucent orange band (alpha 60 over white) runs down from the
    // window's top edge over the subtree's columns, one unbroken run that
    // holds the clicked x (0.45 × 1280 = 576).
    let band: Vec<u32> = (0..w)
        .filter(|&x| {
            let p = &pixels[4 * (3 * w + x) as usize..][..3];
            p[0] == 255 && p[1].abs_diff(228) <= 2 && p[2].abs_diff(195) <= 2
        })
        .collect();
    assert!(band.len() >= 10, "band {band:?}");
    assert_eq!(band.last().unwrap() - band[0] + 1, band.len() as u32, "band {band:?}");
    assert!((band[0]..=*band.last().unwrap()).contains(&576), "band {band:?}");
}

#[test]
fn a_lost_gpu_device_is_replaced_and_the_view_goes_on() {
    let Some((stderr, w, h, pixels)) = run_demo_script("zoom 0.5 0.5 2\nlose-device\nzoom 0.5 0.5 2\n") else {
        return;
    };
    assert!(stderr.contains("the GPU device was lost; starting a new one"), "{stderr}");
    // The view after the loss is drawn: the annotation bar's colours are there.
    let coloured = (0..w * h).filter(|&i| {
        let p = &pixels[4 * i as usize..][..3];
        p.iter().max().unwrap() - p.iter().min().unwrap() > 100
    });
    assert!(coloured.count() > 5000, "the view after the loss is empty");
}

#[test]
fn a_window_without_a_display_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // A display named but unreachable: a failure (1).
    let out = heatscope(dir.path(), &["view"], Some(":9999"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("heatscope render"), "{stderr}");
    // None named at all: a usage error (2), as other commands give.
    let out =
        common::command(dir.path()).arg("view").env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("DISPLAY and WAYLAND_DISPLAY are unset") && errors[0].contains("heatscope render"),
        "{stderr}"
    );
}

#[test]
fn bench_on_a_million_rows_keeps_primitives_and_uploads_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let (w, h) = (640u32, 400u32);
    let args =
        ["bench", "--synthetic", "1000000x10", "--width", "640", "--height", "400", "--json", json.to_str().unwrap()];
    let out = heatscope(dir.path(), &args, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && skip_gpu() && stderr.contains("no GPU adapter") {
        return;
    }
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["rows"], 1_000_000);
    assert_eq!(report["frames"], 224);
    // Far fewer triangles and texts than pixels, whatever the zoom.
    let triangles = report["max_triangles"].as_u64().unwrap();
    assert!(triangles > 0 && triangles <= u64::from(w * h / 16), "{triangles} triangles");
    let texts = report["max_texts"].as_u64().unwrap();
    assert!(texts <= u64::from(h / 8), "{texts} texts");
    // No frame uploads more than the GPU tile memory holds.
    let upload = report["max_frame_upload_mb"].as_f64().unwrap();
    assert!(upload <= report["gpu_tile_memory_mb"].as_f64().unwrap(), "{upload} MB in one frame");
    for key in ["p50_ms", "p99_ms", "first_frame_ms"] {
        assert!(report[key].as_f64().unwrap() > 0.0, "{key}");
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("frame time     p50"), "{text}");
}

/// `--gpu-cache` bounds the GPU memory for tiles; the levels the path
/// returns to are still there with the default, and uploaded again without.
#[test]
fn bench_keeps_levels_on_the_gpu_within_gpu_cache() {
    let dir = tempfile::tempdir().unwrap();
    let report = |cache: &str| -> Option<serde_json::Value> {
        let json = dir.path().join(format!("bench-{cache}.json"));
        let mut args = vec!["bench", "--synthetic", "20000x30", "--width", "480", "--height", "320", "-q"];
        args.extend(["--gpu-cache", cache, "--json", json.to_str().unwrap()]);
        let out = heatscope(dir.path(), &args, None);
        if !out.status.success() && skip_gpu() {
            return None;
        }
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Some(serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap())
    };
    let (Some(none), Some(some)) = (report("0"), report("64")) else { return };
    let mb = |r: &serde_json::Value, key: &str| r[key].as_f64().unwrap();
    assert!(mb(&some, "gpu_tile_memory_mb") <= 64.0 * 1.048_576, "{some}");
    assert!(mb(&some, "gpu_tile_memory_mb") > mb(&none, "gpu_tile_memory_mb"), "{some} {none}");
    assert!(mb(&some, "tile_upload_mb") < mb(&none, "tile_upload_mb"), "{some} {none}");
}

/// `bench --window` draws the same frames as the offscreen bench (same
/// triangles, texts and tile uploads along the path), in a window of the
/// size asked for; without a display it says so in one line.
#[test]
fn bench_in_a_window_draws_what_the_offscreen_bench_draws() {
    let Some(xvfb) = Xvfb::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let report = |window: bool| -> Option<serde_json::Value> {
        let json = dir.path().join(format!("bench-{window}.json"));
        let mut args = vec!["bench", "--synthetic", "20000x30", "--width", "480", "--height", "320", "-q"];
        args.extend(["--json", json.to_str().unwrap()]);
        if window {
            args.push("--window");
        }
        let out = heatscope(dir.path(), &args, Some(&xvfb.1));
        if !out.status.success() && skip_gpu() {
            return None;
        }
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let place = if window { "480 × 320, in a window" } else { "480 × 320, offscreen" };
        assert!(text.contains(place), "{text}");
        Some(serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap())
    };
    let (Some(offscreen), Some(windowed)) = (report(false), report(true)) else { return };
    assert_eq!(windowed["window"], true);
    assert_eq!(offscreen["window"], false);
    assert_eq!((windowed["width"].clone(), windowed["height"].clone()), (480.into(), 320.into()));
    for key in ["frames", "max_triangles", "max_texts", "tile_upload_mb", "max_frame_upload_mb", "gpu_tile_memory_mb"] {
        assert_eq!(windowed[key], offscreen[key], "{key}");
    }
    assert_eq!(windowed["frames"], 224);
    assert!(windowed["p99_ms"].as_f64().unwrap() >= windowed["p50_ms"].as_f64().unwrap());

    let out = heatscope(dir.path(), &["bench", "--synthetic", "20000x30", "--window", "-q"], Some(":9999"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("leave out --window"), "{stderr}");
}

/// The demo beside a linked panel of 50 of its rows (in reverse order),
/// connectors pure green, after `script`: the screenshot.
fn run_linked_script(script: &str) -> Option<(u32, u32, Vec<u8>)> {
    let (_, w, h, pixels) = run_view_script(script, |dir| {
        let demo =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/pbmc68k_reduced.tsv")).unwrap();
        let mut linked = String::from("cell\ta\tb\tc\n");
        for (i, line) in demo.lines().skip(1).take(50).collect::<Vec<_>>().into_iter().rev().enumerate() {
            let label = line.split('\t').next().unwrap();
            linked += &format!("{label}\t{}\t{}\t{}\n", i % 7, (i * 3) % 5, i % 2);
        }
        let path = dir.join("linked.tsv");
        std::fs::write(&path, linked).unwrap();
        let link = path.to_str().unwrap().to_owned();
        ["--link", &link, "--connector-color", "#00ff00", "--connector-alpha", "1"].map(str::to_owned).to_vec()
    })?;
    Some((w, h, pixels))
}

#[test]
fn linked_panels_zoom_on_their_own_and_follow_each_other_with_l() {
    let zoom_linked = "panel 2\nzoom 0.5 0.5 4\n";
    let Some((w, h, alone)) = run_linked_script(zoom_linked) else { return };
    let Some((_, _, following)) = run_linked_script(&format!("follow\n{zoom_linked}")) else { return };
    // Connectors are drawn: pure green strokes (fully covered pixels) in the gap.
    let green = |p: &[u8]| p[..3] == [0, 255, 0];
    assert!(alone.chunks(4).filter(|p| green(p)).count() > 50, "no connector on screen");
    // Zooming the linked panel alone leaves the main heatmap (left half)
    // showing all 700 rows; following, the main one scrolls to the rows
    // linked to the ones in view, so its left half changes.
    let left_half = |pixels: &[u8]| -> Vec<u8> {
        (0..h).flat_map(|y| pixels[4 * (y * w) as usize..][..4 * (w / 2) as usize].to_vec()).collect()
    };
    let changed = left_half(&alone).chunks(4).zip(left_half(&following).chunks(4)).filter(|(a, b)| a != b).count();
    assert!(changed > 10_000, "following changed only {changed} pixels of the main panel");
    // Follow mode says so in the overlay: a box whose 1-px border is
    // (90, 90, 90), the top edge one long run of those pixels.
    let border_run = |pixels: &[u8]| {
        (0..h as usize)
            .map(|y| {
                let row = &pixels[4 * y * w as usize..][..4 * w as usize];
                let (mut run, mut best) = (0, 0);
                for p in row.chunks(4) {
                    run = if p[..3] == [90, 90, 90] { run + 1 } else { 0 };
                    best = best.max(run);
                }
                best
            })
            .max()
            .unwrap()
    };
    assert!(
        border_run(&following) >= 100,
        "no overlay box in follow mode (longest border run {})",
        border_run(&following)
    );
    assert!(border_run(&alone) < 100, "an overlay box without follow mode");
}

#[test]
fn a_large_matrix_shows_in_file_order_while_it_is_clustered() {
    // 8,000 rows in pairs of 0s and 1s (rows 0–1: 0, rows 2–3: 1, …): the
    // preview takes every second row, so its rows alternate 0, 1, 0, 1 and
    // every pixel averages to 0.5; clustered, the 0s and the 1s form two
    // blocks. The preview fills in, every 32nd row (all 0s), then every 8th
    // (all 0s), then every second: the screenshot, of its last stage, shows
    // the mean only if the finer stages replaced the coarse ones.
    // Colours are matplotlib's viridis over [0, 1]: entries 0, 128
    // (⌊0.5 × 256⌋, 127 where the mean rounds a hair below) and 255.
    let dir = tempfile::tempdir().unwrap();
    let matrix = dir.path().join("pairs.tsv");
    // The last row is labelled g0 again: the file's one warning, said once
    // although the preview and the figure both use the matrix.
    let mut text = String::from("gene\ta\tb\tc\td\te\tf\tg\th\n");
    for i in 0..8000 {
        let v = (i / 2) % 2;
        let label = if i == 7999 { 0 } else { i };
        text.push_str(&format!("g{label}{}\n", format!("\t{v}").repeat(8)));
    }
    std::fs::write(&matrix, text).unwrap();
    let preview = dir.path().join("preview.png");
    let extra = |_: &Path| {
        let (m, p) = (matrix.to_str().unwrap(), preview.to_str().unwrap());
        [m, "--cmap", "viridis", "--vmin", "0", "--vmax", "1", "--preview-screenshot", p].map(str::to_owned).to_vec()
    };
    let Some((stderr, w, h, last_pixels)) = run_view_script("", extra) else { return };
    assert_eq!(stderr.matches("1 row labels repeat an earlier one").count(), 1, "{stderr}");
    let near = |p: &[u8], c: [u8; 3]| p.iter().zip(c).all(|(&a, b)| a.abs_diff(b) <= 2);
    let (low, middle, below, high) = ([68, 1, 84], [33, 145, 140], [33, 144, 141], [253, 231, 37]);
    // Down one column of pixels across the heatmap: which colour each is.
    let column = |(w, h, pixels): (u32, u32, Vec<u8>)| -> Vec<char> {
        (0..h)
            .map(|y| {
                let p = &pixels[4 * (y * w + w * 3 / 5) as usize..][..3];
                match () {
                    _ if near(p, low) => '0',
                    _ if near(p, middle) || near(p, below) => 'm',
                    _ if near(p, high) => '1',
                    _ => '.',
                }
            })
            .collect()
    };
    let count = |c: &[char], k: char| c.iter().filter(|&&x| x == k).count();
    let first = column(read_png(&preview));
    assert!(count(&first, 'm') > 300, "the preview is not the file order's mean: {}", String::from_iter(&first));
    assert_eq!(count(&first, '0') + count(&first, '1'), 0, "{}", String::from_iter(&first));
    let last = column((w, h, last_pixels));
    assert_eq!(count(&last, 'm'), 0, "{}", String::from_iter(&last));
    assert!(count(&last, '0') > 150 && count(&last, '1') > 150, "{}", String::from_iter(&last));
    // Two blocks, one above the other.
    let runs = last.iter().filter(|&&c| c != '.').collect::<Vec<_>>().windows(2).filter(|p| p[0] != p[1]).count();
    assert_eq!(runs, 1, "{}", String::from_iter(&last));
}

#[test]
fn the_window_writes_the_row_clusters_of_each_cut() {
    // The demo opens cut into 3 (file written), the script cuts into 5
    // (written again): the file then holds `cluster --cut 5`'s clusters of
    // the same clustering, in the same order.
    let out = tempfile::tempdir().unwrap();
    let (drawn, clustered) = (out.path().join("drawn.tsv"), out.path().join("clustered.tsv"));
    let path = drawn.to_str().unwrap().to_owned();
    let extra = |_: &Path| vec!["--row-cut".to_owned(), "3".to_owned(), "--row-clusters-out".to_owned(), path];
    let Some((stderr, ..)) = run_view_script("cut 5\n", extra) else { return };
    assert!(stderr.contains("the rows' 5 clusters"), "{stderr}");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pbmc68k_reduced.tsv");
    let args =
        ["cluster", demo, "--metric", "correlation", "--cut", "5", "--clusters-out", clustered.to_str().unwrap()];
    let run = heatscope(out.path(), &args, None);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&drawn).unwrap();
    assert_eq!(text.lines().count(), 701);
    assert_eq!(text, std::fs::read_to_string(&clustered).unwrap());
}

#[test]
fn the_window_exports_what_is_in_view_and_reopens_a_saved_view() {
    // Zoomed 4× about the centre of the demo's 700 rows and 765 columns,
    // cut into 4, a row subtree clicked: `export` writes the 175 rows and
    // ~191 columns in view, the subtree and the cut, each checked against
    // `cluster`'s own leaf order and clusters.
    let out = tempfile::tempdir().unwrap();
    let state = out.path().join("state.json");
    let options = |_: &Path| {
        let dir = out.path().to_str().unwrap().to_owned();
        vec!["--export-dir".to_owned(), dir, "--state".to_owned(), state.to_str().unwrap().to_owned()]
    };
    let Some((stderr, ..)) = run_view_script("zoom 0.5 0.5 4\ncut 4\nclick 0.03 0.5\nexport\n", options) else {
        return;
    };
    assert!(stderr.contains("pbmc68k_reduced.view1.in_view.tsv"), "{stderr}");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pbmc68k_reduced.tsv");
    let (rows, cols, clusters) =
        (out.path().join("rows.txt"), out.path().join("cols.txt"), out.path().join("clusters.tsv"));
    for (axis, order) in [("rows", &rows), ("cols", &cols)] {
        let args = ["cluster", demo, "--metric", "correlation", "--axis", axis, "--order-out", order.to_str().unwrap()];
        let run = heatscope(out.path(), &args, None);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    }
    let args = ["cluster", demo, "--metric", "correlation", "--cut", "4", "--clusters-out", clusters.to_str().unwrap()];
    assert!(heatscope(out.path(), &args, None).status.success());
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
    let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
    let (row_order, col_order) = (lines(&read("rows.txt")), lines(&read("cols.txt")));
    // Rows 262.5–437.5 of 700 in view: rows 262 to 437 (centres inside, or on the edge).
    let mut expected = vec!["axis\tlabel".to_owned()];
    expected.extend(row_order[262..438].iter().map(|l| format!("row\t{l}")));
    let in_view = lines(&read("pbmc68k_reduced.view1.in_view.tsv"));
    assert_eq!(in_view[..expected.len()], expected[..]);
    let (start, end) = (765.0 / 2.0 - 765.0 / 8.0, 765.0 / 2.0 + 765.0 / 8.0);
    let first = (start - 0.5f64).ceil() as usize;
    let last = (end - 0.5f64).floor() as usize + 1;
    let columns: Vec<String> = col_order[first..last].iter().map(|l| format!("column\t{l}")).collect();
    assert_eq!(in_view[expected.len()..], columns[..]);
    // The subtree: a run of the leaf order holding the row at the click's height.
    let selected = lines(&read("pbmc68k_reduced.view1.selected.tsv"));
    assert_eq!(selected[0], "label");
    let at = row_order.iter().position(|l| *l == selected[1]).unwrap();
    assert_eq!(row_order[at..at + selected.len() - 1], selected[1..]);
    assert!((at..at + selected.len() - 1).contains(&350), "{at} + {}", selected.len() - 1);
    assert_eq!(read("pbmc68k_reduced.view1.clusters.tsv"), read("clusters.tsv"));
    // The view was saved on closing; reopened with no script it is the
    // same view, and saved again unchanged. Another export is numbered 2.
    let saved = std::fs::read_to_string(&state).unwrap();
    let json: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!((&json["rows"], &json["cut"]), (&serde_json::json!([262.5, 437.5]), &serde_json::json!(4)));
    let Some(_) = run_view_script("export\n", options) else { return };
    assert_eq!(std::fs::read_to_string(&state).unwrap(), saved);
    assert_eq!(read("pbmc68k_reduced.view2.in_view.tsv"), read("pbmc68k_reduced.view1.in_view.tsv"));
    // A file that is no saved view: one line, exit 2.
    std::fs::write(&state, "{\"rows\": 3}").unwrap();
    let Some(xvfb) = Xvfb::start() else { return };
    let run = heatscope(out.path(), &["view", "--state", state.to_str().unwrap()], Some(&xvfb.1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!((run.status.code(), stderr.lines().count()), (Some(2), 1), "{stderr}");
    assert!(stderr.contains("not a saved heatscope view"), "{stderr}");
}

#[test]
fn a_split_window_keeps_its_gaps_a_few_pixels_tall_at_every_zoom() {
    // The demo split by its 10 cell types: 9 gaps of 4 background pixels
    // across the heatmap; zoomed 2.5× on the rows and panned, the gaps in
    // view are still 4 pixels, not 10.
    let split = |_: &Path| {
        let obs = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pbmc68k_reduced.obs.tsv:bulk_labels");
        vec!["--row-split".to_owned(), obs.to_owned()]
    };
    // Runs of pure white pixel rows across the heatmap (the colour map's
    // middle is (247, 247, 247), not white), between the first and last
    // pixel rows of cells: rows mostly in colour (the trees and the text
    // are grey).
    let gaps = |w: u32, h: u32, pixels: &[u8]| -> Vec<u32> {
        let xs = w / 4..w * 9 / 20;
        let pixel = |x: u32, y: u32| &pixels[4 * (y * w + x) as usize..][..3];
        let white = |y: u32| xs.clone().all(|x| pixel(x, y) == [255, 255, 255]);
        let colour = |p: &[u8]| p.iter().max().unwrap() - p.iter().min().unwrap() > 20;
        let cells: Vec<u32> =
            (0..h).filter(|&y| xs.clone().filter(|&x| colour(pixel(x, y))).count() * 3 > xs.len()).collect();
        let (top, bottom) = (cells[0], *cells.last().unwrap());
        let mut runs = Vec::new();
        let mut run = 0;
        for y in top..=bottom {
            if white(y) {
                run += 1;
            } else if run > 0 {
                runs.push(run);
                run = 0;
            }
        }
        runs
    };
    let Some((_, w, h, pixels)) = run_view_script("fit\n", split) else { return };
    let whole = gaps(w, h, &pixels);
    assert_eq!(whole.len(), 9, "{whole:?}");
    assert!(whole.iter().all(|&g| (3..=5).contains(&g)), "{whole:?}");
    let Some((_, w, h, pixels)) = run_view_script("zoom-rows 0.5 0.5 2.5\npan 0 -0.2\n", split) else { return };
    let zoomed = gaps(w, h, &pixels);
    assert!(!zoomed.is_empty() && zoomed.len() < 9, "{zoomed:?}");
    assert!(zoomed.iter().all(|&g| (3..=5).contains(&g)), "{zoomed:?}");
}
