//! `heatscope bench`: replays a fixed camera path offscreen and reports
//! frame times, so GPUs can be compared on the same work.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use heatscope::app::{InputSpec, Session, prepare};
use heatscope::figure::scene::DataWindow;
use heatscope::generate::{GenerateParams, generate};
use heatscope::render::{Renderer, Target};
use heatscope::view::{Action, bench_path};

use super::CliError;
use super::render::FigureArgs;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The matrix to draw (clustered as `render` would, unless --no-cluster).
    #[arg(value_name = "FILE", required_unless_present = "synthetic")]
    pub file: Option<PathBuf>,
    /// Draw a generated ROWSxCOLS matrix (made once in the cache folder, not clustered).
    #[arg(long, value_name = "ROWSxCOLS", value_parser = parse_shape, conflicts_with = "file")]
    pub synthetic: Option<(u64, u64)>,
    /// Frame width in pixels.
    #[arg(long, default_value_t = 1920)]
    pub width: u32,
    /// Frame height in pixels.
    #[arg(long, default_value_t = 1080)]
    pub height: u32,
    /// Keep FILE's rows and columns in file order.
    #[arg(long)]
    pub no_cluster: bool,
    /// A linked panel to the right, rows matched by label (clustered unless --no-cluster);
    /// the camera path moves every panel.
    #[arg(long, value_name = "FILE", conflicts_with = "synthetic_link")]
    pub link: Option<PathBuf>,
    /// A generated linked panel of ROWSxCOLS whose rows carry the main matrix's row labels
    /// in a shuffled order (made once in the cache folder).
    #[arg(long, value_name = "ROWSxCOLS", value_parser = parse_shape, requires = "synthetic")]
    pub synthetic_link: Option<(u64, u64)>,
    /// Folder for the caches [default: $HEATSCOPE_CACHE_DIR, else the platform cache folder].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Also write the report as JSON.
    #[arg(long, value_name = "OUT.json")]
    pub json: Option<PathBuf>,
    /// Draw into a window of --width × --height (no vertical sync) instead of offscreen.
    #[arg(long)]
    pub window: bool,
    /// GPU memory for heatmap tiles, in MB: tiles of the levels drawn before stay on the GPU until
    /// it is full, the least recently drawn let go first (0: only those of the frame in view).
    #[arg(long, value_name = "MB", default_value_t = super::view::DEFAULT_GPU_CACHE_MB)]
    pub gpu_cache: u64,
}

fn parse_shape(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("'{text}': give the shape as ROWSxCOLS, e.g. 1000000x1000");
    let (rows, cols) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    Ok((rows.trim().parse().map_err(|_| bad())?, cols.trim().parse().map_err(|_| bad())?))
}

/// What a benchmark measured.
#[derive(serde::Serialize)]
struct Report {
    adapter: String,
    matrix: String,
    rows: usize,
    cols: usize,
    width: u32,
    height: u32,
    /// Drawn into a window (else offscreen).
    window: bool,
    /// Linked panels drawn beside the main one, and the links between them.
    linked_panels: usize,
    links: usize,
    frames: usize,
    /// From the start of the command to the first frame on screen.
    first_frame_ms: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    tile_upload_mb: f64,
    tile_upload_mb_per_s: f64,
    gpu_tile_memory_mb: f64,
    /// The most tile data one frame uploaded.
    max_frame_upload_mb: f64,
    /// The most triangles (trees, bars, legends) and texts one frame drew.
    max_triangles: usize,
    max_texts: usize,
    /// GPU objects a frame made: the median frame's, and at most.
    median_gpu_objects: u64,
    max_gpu_objects: u64,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let usage = |message: String| -> anyhow::Error { CliError { message, code: 2 }.into() };
    if !(16..=8192).contains(&args.width) || !(16..=8192).contains(&args.height) {
        return Err(usage(format!(
            "--width {} --height {}: give sizes from 16 to 8192 pixels",
            args.width, args.height
        )));
    }
    let input_dir = args.cache_dir.clone();
    let cache_dir = InputSpec::for_file(PathBuf::new(), input_dir.clone()).cache_dir();
    let (file, cluster) = match (&args.file, args.synthetic) {
        (Some(file), _) => (file.clone(), !args.no_cluster),
        (None, Some((rows, cols))) => (synthetic(rows, cols, &cache_dir)?, false),
        (None, None) => unreachable!("clap requires one"),
    };
    let link = match (&args.link, args.synthetic_link, args.synthetic) {
        (Some(file), _, _) => Some(file.clone()),
        (None, Some((rows, cols)), Some((main_rows, _))) => Some(synthetic_link(rows.min(main_rows), cols, &file)?),
        _ => None,
    };
    let input = InputSpec::for_file(file.clone(), input_dir);
    let mut flags = vec!["figure"];
    if !cluster {
        flags.extend(["--no-row-cluster", "--no-col-cluster"]);
    }
    let mut figure = FigureFlags::parse_from(flags).figure.spec(input);
    figure.link.extend(link);
    let size = [args.width, args.height];
    let mut session = Session::new(prepare(&figure)?, figure, size);
    let (rows, cols) = (session.prepared.matrix.rows(), session.prepared.matrix.cols());
    let mut recorder = Recorder::new(started);
    let (renderer, size) = if args.window {
        super::bench_window::run(&mut session, size, args.gpu_cache.saturating_mul(1 << 20), &mut recorder)?
    } else {
        let mut renderer = Renderer::new()?;
        renderer.set_gpu_cache(args.gpu_cache.saturating_mul(1 << 20));
        for action in bench_path() {
            let frame_started = Instant::now();
            let windows = step(&mut session, &action);
            let frame = session.base_scene();
            let sources = session.prepared.sources(session.agg, &windows);
            let before = renderer.tile_traffic().0;
            let triangles = renderer.draw(&frame, &sources, Target::Offscreen)?.triangles;
            recorder.frame(
                frame_started,
                renderer.tile_traffic().0 - before,
                triangles,
                frame.texts.len(),
                renderer.made_last_drawing(),
            );
        }
        (renderer, size)
    };
    let Recorder { times, first_frame, max_upload, max_triangles, max_texts, mut gpu_objects, .. } = recorder;
    gpu_objects.sort_unstable();
    let (uploaded, atlas) = renderer.tile_traffic();
    let upload_time = renderer.upload_time().as_secs_f64();
    let report = Report {
        adapter: renderer.describe(),
        matrix: file.display().to_string(),
        rows,
        cols,
        width: size[0],
        height: size[1],
        window: args.window,
        linked_panels: session.prepared.linked.len(),
        links: session.prepared.linked.iter().map(|l| l.links.len()).sum(),
        frames: times.len(),
        first_frame_ms: ms(first_frame.unwrap_or_default()),
        p50_ms: percentile(&times, 0.50),
        p95_ms: percentile(&times, 0.95),
        p99_ms: percentile(&times, 0.99),
        max_ms: times.iter().copied().max().map_or(0.0, ms),
        tile_upload_mb: uploaded as f64 / 1e6,
        tile_upload_mb_per_s: if upload_time > 0.0 { uploaded as f64 / 1e6 / upload_time } else { 0.0 },
        gpu_tile_memory_mb: atlas as f64 / 1e6,
        max_frame_upload_mb: max_upload as f64 / 1e6,
        max_triangles,
        max_texts,
        median_gpu_objects: gpu_objects.get(gpu_objects.len() / 2).copied().unwrap_or(0),
        max_gpu_objects: gpu_objects.last().copied().unwrap_or(0),
    };
    let text = format!(
        "adapter        {}\nmatrix         {} ({} × {}){}\nframe size     {} × {}{}\nframes         {}\nfirst frame    {:.0} ms after start\nframe time     p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms\ntile uploads   {:.1} MB at {:.0} MB/s\nGPU tiles      {:.1} MB\nper frame      at most {:.1} MB of tiles, {} triangles, {} texts\nGPU objects    {} made a frame (median), at most {}\n",
        report.adapter,
        report.matrix,
        report.rows,
        report.cols,
        if report.linked_panels > 0 {
            format!(", {} linked panel(s), {} links", report.linked_panels, report.links)
        } else {
            String::new()
        },
        report.width,
        report.height,
        if report.window { ", in a window" } else { ", offscreen" },
        report.frames,
        report.first_frame_ms,
        report.p50_ms,
        report.p95_ms,
        report.p99_ms,
        report.max_ms,
        report.tile_upload_mb,
        report.tile_upload_mb_per_s,
        report.gpu_tile_memory_mb,
        report.max_frame_upload_mb,
        report.max_triangles,
        report.max_texts,
        report.median_gpu_objects,
        report.max_gpu_objects,
    );
    super::print_stdout(&text)?;
    if let Some(path) = &args.json {
        heatscope::output::write_atomically(path, |w| {
            serde_json::to_writer_pretty(&mut *w, &report)?;
            writeln!(w)
        })
        .map_err(|e| anyhow::anyhow!("cannot write {} ({e}); check the folder exists and has space", path.display()))?;
    }
    Ok(())
}

/// One step of the camera path: every panel moved by `action` (each by
/// its own camera), anything else done once; the panels' data windows.
pub(super) fn step(session: &mut Session, action: &Action) -> Vec<DataWindow> {
    match action {
        Action::Zoom { .. } | Action::Pan { .. } | Action::Fit => {
            for panel in 0..=session.prepared.linked.len() {
                session.focus = panel;
                session.act(action.clone());
            }
            session.focus = 0;
        }
        _ => {
            session.act(action.clone());
        }
    }
    session.windows()
}

/// Frame times and per-frame traffic along the path.
pub(super) struct Recorder {
    started: Instant,
    times: Vec<Duration>,
    /// From the start of the command to the first frame drawn.
    first_frame: Option<Duration>,
    max_upload: u64,
    max_triangles: usize,
    max_texts: usize,
    /// GPU objects each frame made.
    gpu_objects: Vec<u64>,
}

impl Recorder {
    fn new(started: Instant) -> Recorder {
        Recorder {
            started,
            times: Vec::new(),
            first_frame: None,
            max_upload: 0,
            max_triangles: 0,
            max_texts: 0,
            gpu_objects: Vec::new(),
        }
    }

    /// A frame begun at `began` and just finished on the GPU.
    pub fn frame(&mut self, began: Instant, uploaded: u64, triangles: usize, texts: usize, gpu_objects: u64) {
        self.times.push(began.elapsed());
        self.first_frame.get_or_insert_with(|| self.started.elapsed());
        self.max_upload = self.max_upload.max(uploaded);
        self.max_triangles = self.max_triangles.max(triangles);
        self.max_texts = self.max_texts.max(texts);
        self.gpu_objects.push(gpu_objects);
    }
}

/// Figure options at their defaults, parsed from flags.
#[derive(Parser)]
struct FigureFlags {
    #[command(flatten)]
    figure: FigureArgs,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `q` quantile of `times` in milliseconds (nearest rank).
fn percentile(times: &[Duration], q: f64) -> f64 {
    let mut sorted: Vec<Duration> = times.to_vec();
    sorted.sort();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().map_or(0.0, ms)
}

/// The generated matrix for `--synthetic`, made once in the cache folder.
fn synthetic(rows: u64, cols: u64, dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("synthetic-{rows}x{cols}.npy"));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(dir)?;
    let params = GenerateParams {
        rows,
        cols,
        row_clusters: 20,
        col_clusters: 8,
        noise: 1.0,
        nan_fraction: 0.0,
        seed: 1,
        row_imbalance: 1.0,
    };
    let checked = params.check().map_err(|e| CliError { message: format!("--synthetic: {e}"), code: 2 })?;
    generate(&checked, &path)?;
    Ok(path)
}

/// The generated linked matrix for `--synthetic-link`, beside the `main`
/// synthetic matrix: `rows` rows labelled with the first `rows` of the
/// main matrix's row labels, shuffled, so every row links to a different
/// place (made once).
fn synthetic_link(rows: u64, cols: u64, main: &std::path::Path) -> anyhow::Result<PathBuf> {
    let stem = main.file_stem().and_then(|s| s.to_str()).unwrap_or("synthetic");
    let path = main.with_file_name(format!("{stem}-link-{rows}x{cols}.npy"));
    if path.is_file() {
        return Ok(path);
    }
    let params = GenerateParams {
        rows,
        cols,
        row_clusters: 12,
        col_clusters: 4,
        noise: 1.0,
        nan_fraction: 0.0,
        seed: 2,
        row_imbalance: 1.0,
    };
    let checked = params.check().map_err(|e| CliError { message: format!("--synthetic-link: {e}"), code: 2 })?;
    let scratch = main.with_file_name(format!("{stem}-link-{rows}x{cols}.partial.npy"));
    let generated = generate(&checked, &scratch)?;
    let main_labels = std::fs::read_to_string(main.with_extension("rows.txt"))?;
    let main_labels: Vec<&str> = main_labels.lines().take(rows as usize).collect();
    // A fixed permutation of the rows: i → (i · a + b) mod rows, a coprime to rows.
    let a = (0..).map(|k| 2_654_435_761u64 + k).find(|a| gcd(*a, rows) == 1).expect("some number is coprime");
    heatscope::output::write_atomically(&path.with_extension("rows.txt"), |w| {
        (0..rows).try_for_each(|i| writeln!(w, "{}", main_labels[((i * a + 12_345) % rows) as usize]))
    })?;
    for side in [generated.row_labels, generated.row_truth, generated.col_truth] {
        let _ = std::fs::remove_file(side);
    }
    std::fs::rename(&generated.col_labels, path.with_extension("cols.txt"))?;
    // The matrix last: its presence means the whole set exists.
    std::fs::rename(&scratch, &path)?;
    Ok(path)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&times, 0.5), 50.0);
        assert_eq!(percentile(&times, 0.99), 99.0);
        assert_eq!(percentile(&times, 1.0), 100.0);
        assert_eq!(parse_shape("1000000x1000"), Ok((1_000_000, 1000)));
        assert!(parse_shape("1000000").is_err());
    }
}
