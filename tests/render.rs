//! The renderer on a real adapter (Mesa's llvmpipe on machines without a
//! GPU): pixels read back and compared with the colour map, golden images,
//! and shader validation. With no adapter these tests fail, unless
//! HEATSCOPE_SKIP_GPU=1 says to skip them on purpose.

use std::path::Path;
use std::sync::Arc;

use heatscope::figure::scene::{Line, Scene};
use heatscope::figure::{Agg, Colormap, HeatmapStyle, Norm, Rgba};
use heatscope::input::Matrix;
use heatscope::pyramid::{Pyramid, build_or_open};
use heatscope::render::{DataWindow, HeatmapSource, Image, Renderer, Target, shader_sources};

/// The renderer, or `None` when the GPU tests are skipped on purpose.
fn renderer() -> Option<Renderer> {
    match Renderer::new() {
        Ok(renderer) => Some(renderer),
        Err(_) if std::env::var("HEATSCOPE_SKIP_GPU").is_ok_and(|v| v == "1") => {
            eprintln!("HEATSCOPE_SKIP_GPU=1: GPU test skipped");
            None
        }
        Err(e) => panic!("{e} (set HEATSCOPE_SKIP_GPU=1 to skip GPU tests on purpose)"),
    }
}

fn pyramid(matrix: &Matrix, dir: &Path) -> Pyramid {
    let rows: Vec<u32> = (0..matrix.rows() as u32).collect();
    let cols: Vec<u32> = (0..matrix.cols() as u32).collect();
    build_or_open(matrix, &rows, &cols, dir).unwrap().0
}

fn style(colormap: &str, norm: Norm) -> HeatmapStyle {
    HeatmapStyle { colormap: Colormap::by_name(colormap).unwrap(), norm, nan_color: Rgba::LIGHT_GREY }
}

fn render_bare(renderer: &mut Renderer, matrix: &Matrix, style: &HeatmapStyle, agg: Agg, size: [u32; 2]) -> Image {
    let dir = tempfile::tempdir().unwrap();
    let pyramid = Arc::new(pyramid(matrix, dir.path()));
    let source = HeatmapSource { pyramid: &pyramid, style, agg, window: DataWindow::whole(pyramid.geometry()) };
    renderer.draw(&Scene::bare(size[0], size[1]), std::slice::from_ref(&source), Target::Image).unwrap().into_image()
}

fn assert_close(got: [u8; 4], want: Rgba, what: &str) {
    let off = got.iter().zip(want.0).map(|(g, w)| g.abs_diff(w)).max().unwrap();
    assert!(off <= 1, "{what}: got {got:?}, want {:?}", want.0);
}

/// Values in [lo, hi] that stay clear of the colour map's 256 bin edges, so
/// the expected entry does not hinge on the last bit of a division.
fn values(n: usize, seed: u64, norm: &Norm) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            loop {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let t = (state >> 11) as f64 / (1u64 << 53) as f64;
                let v = (norm.vmin as f64 + t * 1.2 * (norm.vmax - norm.vmin) as f64
                    - 0.1 * (norm.vmax - norm.vmin) as f64) as f32;
                let bin = norm.normalise(v) * 256.0;
                if (bin - bin.round()).abs() > 0.01 {
                    break v;
                }
            }
        })
        .collect()
}

#[test]
fn every_wgsl_module_parses_and_validates() {
    for (name, source) in shader_sources() {
        let module =
            naga::front::wgsl::parse_str(&source).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&source)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}

#[test]
fn bare_cells_have_exactly_their_colour_map_colour() {
    let Some(mut renderer) = renderer() else { return };
    let (rows, cols, px) = (7, 5, 10u32);
    let cases = [
        ("viridis", Norm::new(-1.0, 3.0)),
        ("RdBu_r", Norm::with_center(-2.0, 5.0, 0.0)),
        ("magma", Norm::new(0.0, 1.0)),
        ("Blues", Norm::new(10.0, 1000.0)),
    ];
    for (seed, (name, norm)) in cases.into_iter().enumerate() {
        let mut data = values(rows * cols, seed as u64 + 1, &norm);
        data[3] = f32::NAN;
        data[17] = f32::NAN;
        let matrix = Matrix::from_vec(rows, cols, data.clone());
        let style = style(name, norm);
        let image = render_bare(&mut renderer, &matrix, &style, Agg::Mean, [cols as u32 * px, rows as u32 * px]);
        for (i, &v) in data.iter().enumerate() {
            let want = if v.is_nan() { Rgba::LIGHT_GREY } else { style.colormap.at(norm.normalise(v)) };
            let (r, c) = ((i / cols) as u32, (i % cols) as u32);
            for y in r * px..(r + 1) * px {
                for x in c * px..(c + 1) * px {
                    assert_close(image.pixel(x, y), want, &format!("{name}: cell ({r}, {c}) = {v}, pixel ({x}, {y})"));
                }
            }
        }
    }
}

/// A streaming renderer never leaves a heatmap pixel blank: tiles still
/// loading show the next coarser level. With a budget of one byte a frame
/// uploads one tile at a time, and once every tile has arrived the frame
/// equals the picture drawn waiting for them all.
#[test]
fn streamed_tiles_show_the_coarser_level_until_they_arrive_one_a_frame() {
    let Some(mut waiting) = renderer() else { return };
    let mut streaming = renderer().unwrap();
    streaming.stream(1);
    let (rows, cols) = (3000, 600);
    let norm = Norm::new(-1.0, 1.0);
    let matrix = Matrix::from_vec(rows, cols, values(rows * cols, 9, &norm));
    let dir = tempfile::tempdir().unwrap();
    let tall = Arc::new(pyramid(&matrix, dir.path()));
    let style = style("viridis", norm);
    // 1,000 rows on 500 px: level 1 (4 rows a cell), cells 275–525, tiles 1–2;
    // 600 columns on 600 px: level 0, tiles 0–2. Six tiles; level 2 of rows beneath.
    let window = DataWindow { rows: 1100.0..2100.0, cols: 0.0..600.0 };
    let source = HeatmapSource { pyramid: &tall, style: &style, agg: Agg::Mean, window };
    let scene = Scene::bare(600, 500);
    let sources = std::slice::from_ref(&source);
    let whole = waiting.draw(&scene, sources, Target::Image).unwrap().into_image();

    let coarse = streaming.draw(&scene, sources, Target::Snapshot).unwrap().into_image();
    assert!(streaming.incomplete(), "the first frame waited for its tiles");
    assert_ne!(coarse.pixels, whole.pixels, "the first frame is the coarser level");
    let mut frame = coarse.clone();
    let mut uploads = Vec::new();
    while streaming.incomplete() {
        // Each pixel is the coarser level's or its own: never blank, never a stale tile.
        let mixed = frame.pixels.chunks_exact(4).zip(coarse.pixels.chunks_exact(4)).zip(whole.pixels.chunks_exact(4));
        let odd = mixed.filter(|((p, c), w)| p != c && p != w).count();
        assert_eq!(odd, 0, "pixels neither coarse nor finished after {} frames", uploads.len());
        assert!(uploads.len() < 2000, "the tiles never all arrived");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let before = streaming.tile_traffic().0;
        frame = streaming.draw(&scene, sources, Target::Snapshot).unwrap().into_image();
        uploads.push(streaming.tile_traffic().0 - before);
    }
    // One tile a frame (the budget is one byte), six in all.
    assert!(uploads.iter().all(|&bytes| bytes <= 256 * 256 * 4), "{uploads:?}");
    assert_eq!(uploads.iter().filter(|&&bytes| bytes > 0).count(), 6, "{uploads:?}");
    assert_eq!(frame.pixels, whole.pixels, "the finished frame differs from the picture drawn waiting");
    // An export from the streaming renderer waits for every tile.
    let mut fresh = renderer().unwrap();
    fresh.stream(1);
    assert_eq!(fresh.draw(&scene, sources, Target::Image).unwrap().into_image().pixels, whole.pixels);
    // At the coarsest level there is nothing coarser to show: its tile is read at once.
    let small = Matrix::from_vec(40, 30, values(40 * 30, 3, &norm));
    let small_dir = tempfile::tempdir().unwrap();
    let small_pyramid = Arc::new(pyramid(&small, small_dir.path()));
    let window = DataWindow::whole(small_pyramid.geometry());
    let source = HeatmapSource { pyramid: &small_pyramid, style: &style, agg: Agg::Mean, window };
    let scene = Scene::bare(90, 80);
    let streamed = fresh.draw(&scene, std::slice::from_ref(&source), Target::Snapshot).unwrap().into_image();
    assert!(!fresh.incomplete());
    assert_eq!(
        streamed.pixels,
        waiting.draw(&scene, std::slice::from_ref(&source), Target::Image).unwrap().into_image().pixels
    );
}

#[test]
fn cells_keep_their_place_when_the_image_is_not_a_multiple_of_the_matrix() {
    let Some(mut renderer) = renderer() else { return };
    // 3 × 4 cells on 31 × 17 px: each pixel shows the cell under its centre.
    let norm = Norm::new(0.0, 11.0);
    let data: Vec<f32> = (0..12).map(|i| i as f32 + 0.5).collect();
    let matrix = Matrix::from_vec(3, 4, data.clone());
    let style = style("viridis", norm);
    let image = render_bare(&mut renderer, &matrix, &style, Agg::Mean, [31, 17]);
    for y in 0..17 {
        for x in 0..31 {
            let (r, c) = (((y as f32 + 0.5) * 3.0 / 17.0) as usize, ((x as f32 + 0.5) * 4.0 / 31.0) as usize);
            let want = style.colormap.at(norm.normalise(data[r * 4 + c]));
            assert_close(image.pixel(x, y), want, &format!("pixel ({x}, {y}) over cell ({r}, {c})"));
        }
    }
}

#[test]
fn a_lone_outlier_shows_with_extremes_and_fades_into_the_mean() {
    let Some(mut renderer) = renderer() else { return };
    // 20,000 × 4 zeros with one 100 at row 12,345: on 100 px rows, each pixel
    // covers 200 rows; the outlier's pixel row is 61.
    let (rows, cols) = (20_000, 4);
    let mut data = vec![0.0f32; rows * cols];
    data[12_345 * cols + 2] = 100.0;
    let matrix = Matrix::from_vec(rows, cols, data);
    let norm = Norm::with_center(-100.0, 100.0, 0.0);
    let style = style("RdBu_r", norm);
    let extremes = render_bare(&mut renderer, &matrix, &style, Agg::Extremes, [4, 100]);
    let mean = render_bare(&mut renderer, &matrix, &style, Agg::Mean, [4, 100]);
    let top = style.colormap.at(1.0);
    let middle = style.colormap.at(0.5);
    assert_close(extremes.pixel(2, 61), top, "the outlier's pixel, extremes");
    assert_close(extremes.pixel(2, 30), middle, "a zero pixel, extremes");
    assert_close(extremes.pixel(1, 61), middle, "the next column, extremes");
    // The mean of 200+ cells with one 100 is about 0.3: within a step or two of the middle.
    let faded = mean.pixel(2, 61);
    assert!(faded.iter().zip(middle.0).all(|(a, b)| a.abs_diff(b) <= 12), "{faded:?} vs {middle:?}");
}

#[test]
fn a_pixel_over_up_to_four_cells_shows_their_weighted_mean() {
    let Some(mut renderer) = renderer() else { return };
    // 250 columns (one level only) on 90 px: 2.78 cells a pixel, so many
    // pixels straddle 4 cells, the most a pixel reads.
    let (cols, width) = (250usize, 90usize);
    let norm = Norm::new(0.0, 1.0);
    let data = values(cols, 17, &norm);
    let matrix = Matrix::from_vec(1, cols, data.clone());
    let style = style("Greys", norm);
    let image = render_bare(&mut renderer, &matrix, &style, Agg::Mean, [width as u32, 4]);
    let per_px = cols as f64 / width as f64;
    let mut four = 0;
    for x in 0..width {
        let (a, b) = (x as f64 * per_px, (x + 1) as f64 * per_px);
        let cells = a.floor() as usize..(b.ceil() as usize).min(cols);
        four += usize::from(cells.len() == 4);
        let weights = cells.clone().map(|c| (b.min(c as f64 + 1.0) - a.max(c as f64)).max(0.0));
        let (sum, weight) =
            cells.clone().zip(weights).fold((0.0, 0.0), |(s, w), (c, wc)| (s + wc * f64::from(data[c]), w + wc));
        let want = style.colormap.at(norm.normalise((sum / weight) as f32));
        let got = image.pixel(x as u32, 1);
        // Neighbouring entries of the grey map differ by at most 2.
        let off = got.iter().zip(want.0).map(|(g, w)| g.abs_diff(w)).max().unwrap();
        assert!(off <= 2, "pixel {x} over cells {cells:?}: got {got:?}, want {:?}", want.0);
    }
    assert!(four > 20, "{four} pixels straddle 4 cells");
}

/// Draws rows `0..to` (all columns) of `pyramid` on a bare `size` figure;
/// the image and the tile bytes it uploaded.
fn draw_rows(
    renderer: &mut Renderer,
    pyramid: &Arc<Pyramid>,
    style: &HeatmapStyle,
    size: [u32; 2],
    to: f64,
) -> (Image, u64) {
    let cols = pyramid.geometry().shape().1 as f64;
    let window = DataWindow { rows: 0.0..to, cols: 0.0..cols };
    let source = HeatmapSource { pyramid, style, agg: Agg::Mean, window };
    let before = renderer.tile_traffic().0;
    let image = renderer
        .draw(&Scene::bare(size[0], size[1]), std::slice::from_ref(&source), Target::Image)
        .unwrap()
        .into_image();
    (image, renderer.tile_traffic().0 - before)
}

#[test]
fn levels_drawn_before_stay_on_the_gpu_until_the_cache_lets_the_least_recent_go() {
    let Some(mut renderer) = renderer() else { return };
    // 4,096 × 64 on 64 × 256 px: the whole matrix at level 2 (16 rows a
    // cell), rows 0–1,024 at level 1 and rows 0–256 at level 0.
    let (rows, cols) = (4096, 64);
    let norm = Norm::new(0.0, 1.0);
    let matrix = Matrix::from_vec(rows, cols, values(rows * cols, 5, &norm));
    let dir = tempfile::tempdir().unwrap();
    let pyramid = Arc::new(pyramid(&matrix, dir.path()));
    let style = style("viridis", norm);
    let view = |renderer: &mut Renderer, to: f64| draw_rows(renderer, &pyramid, &style, [64, 256], to);
    let (a, b, c) = (4096.0, 1024.0, 256.0);
    // Room for two atlases: 4 tiles of 256 KB each (the 3 × 4 tiles a view
    // of this size can need, cut to the matrix's one tile across).
    let atlas = 4 * 256 * 256 * 4;
    renderer.set_gpu_cache(2 * atlas + atlas / 2);
    let (whole, first) = view(&mut renderer, a);
    assert_eq!(first, (rows / 16 * cols * 4) as u64, "level 2 whole: 256 × 64 cells uploaded");
    assert_eq!(renderer.tile_traffic().1, 2 * atlas, "the budget's two atlases, made at once");
    assert!(view(&mut renderer, b).1 > 0);
    assert_eq!(view(&mut renderer, b).1, 0, "level 1 again: held");
    // Level 0 takes the least recently drawn atlas, level 2's.
    assert!(view(&mut renderer, c).1 > 0);
    assert_eq!(view(&mut renderer, b).1, 0, "level 1 was drawn more recently than level 2");
    let (again, uploaded) = view(&mut renderer, a);
    assert_eq!(uploaded, first, "level 2 was let go and comes back whole");
    assert_eq!(again, whole);
    assert_eq!(renderer.tile_traffic().1, 2 * atlas, "never more than the budget");
    // Level 0, drawn before level 1's last drawing, went for it; level 1 stayed.
    assert_eq!(view(&mut renderer, b).1, 0);
    assert!(view(&mut renderer, c).1 > 0);
    // Without a cache, every change of level uploads anew.
    renderer.set_gpu_cache(0);
    assert!(view(&mut renderer, a).1 > 0);
    assert!(view(&mut renderer, c).1 > 0);
    assert_eq!(view(&mut renderer, a).1, first);
}

#[test]
fn after_a_resize_the_cache_keeps_levels_at_the_new_size_too() {
    let Some(mut renderer) = renderer() else { return };
    let (rows, cols) = (4096, 64);
    let norm = Norm::new(0.0, 1.0);
    let matrix = Matrix::from_vec(rows, cols, values(rows * cols, 9, &norm));
    let dir = tempfile::tempdir().unwrap();
    let pyramid = Arc::new(pyramid(&matrix, dir.path()));
    let style = style("viridis", norm);
    let view = |renderer: &mut Renderer, size: [u32; 2], to: f64| draw_rows(renderer, &pyramid, &style, size, to).1;
    renderer.set_gpu_cache(64 << 20);
    for size in [[64, 256], [128, 512]] {
        // Three views drawn a first time (uploads), then again (none): the
        // larger window's atlases are made anew while the budget has room.
        let first: u64 = [4096.0, 1024.0, 256.0].iter().map(|&to| view(&mut renderer, size, to)).sum();
        assert!(first > 0, "{size:?}: the first drawings upload");
        for to in [4096.0, 1024.0, 256.0] {
            assert_eq!(view(&mut renderer, size, to), 0, "{size:?} rows 0–{to}: drawn again from the cache");
        }
    }
    assert!(renderer.tile_traffic().1 <= 64 << 20);
}

#[test]
fn a_one_pixel_line_covers_exactly_its_pixels() {
    let Some(mut renderer) = renderer() else { return };
    let mut scene = Scene::bare(20, 10);
    scene.lines.push(Line { from: [3.5, 2.5], to: [12.5, 2.5], width: 1.0, color: Rgba::BLACK });
    let image = renderer.draw(&scene, &[], Target::Image).unwrap().into_image();
    for y in 0..10 {
        for x in 0..20 {
            let on = y == 2 && (3..=12).contains(&x);
            let want = if on { Rgba::BLACK } else { Rgba::WHITE };
            assert_close(image.pixel(x, y), want, &format!("pixel ({x}, {y})"));
        }
    }
}

#[test]
fn images_larger_than_one_target_are_drawn_in_pieces() {
    let Some(mut renderer) = renderer() else { return };
    // 2,500 px wide (pieces of at most 2,048): a 5-column matrix, 500 px per cell.
    let norm = Norm::new(0.0, 4.0);
    let data = vec![0.5, 1.5, 2.5, 3.5, 0.25];
    let matrix = Matrix::from_vec(1, 5, data.clone());
    let style = style("viridis", norm);
    let image = render_bare(&mut renderer, &matrix, &style, Agg::Mean, [2500, 3]);
    for (c, &v) in data.iter().enumerate() {
        for x in [c as u32 * 500, c as u32 * 500 + 250, c as u32 * 500 + 499] {
            assert_close(image.pixel(x, 1), style.colormap.at(norm.normalise(v)), &format!("column {c}, x {x}"));
        }
    }
}
