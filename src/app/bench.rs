//! The benchmark: a fixed camera path over a prepared figure, drawn frame
//! by frame, and a report of the frame times and the traffic behind them,
//! so GPUs can be compared on the same work. The command line draws it
//! offscreen ([`offscreen`]) or in a window of its own, recording both
//! the same way ([`Recorder`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::figure::scene::DataWindow;
use crate::generate::{GenerateParams, generate};
use crate::render::{RenderError, Renderer, Target};
use crate::view::{Action, bench_path};

use super::{Session, UsageError};

/// One step of the camera path: every panel moved by `action` (each by
/// its own camera), anything else done once; the panels' data windows.
pub fn step(session: &mut Session, action: &Action) -> Vec<DataWindow> {
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

/// Draws the benchmark's camera path offscreen, one frame a step, each
/// waited for.
pub fn offscreen(session: &mut Session, renderer: &mut Renderer, recorder: &mut Recorder) -> Result<(), RenderError> {
    for action in bench_path() {
        let began = Instant::now();
        let windows = step(session, &action);
        let frame = session.base_scene();
        let sources = session.prepared.sources(session.agg, &windows, &frame);
        let before = renderer.tile_traffic().0;
        let triangles = renderer.draw(&frame, &sources, Target::Offscreen)?.triangles;
        recorder.frame(began, renderer.tile_traffic().0 - before, triangles, frame.texts.len(), renderer);
    }
    Ok(())
}

/// Frame times and per-frame traffic along the path.
pub struct Recorder {
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
    /// A recorder whose first frame is timed from `started` (the start of
    /// the command, so that it includes preparing the figure).
    pub fn new(started: Instant) -> Recorder {
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

    /// A frame begun at `began` and just finished on the GPU by `renderer`,
    /// having uploaded `uploaded` bytes of tiles and drawn `triangles` and
    /// `texts`.
    pub fn frame(&mut self, began: Instant, uploaded: u64, triangles: usize, texts: usize, renderer: &Renderer) {
        self.times.push(began.elapsed());
        self.first_frame.get_or_insert_with(|| self.started.elapsed());
        self.max_upload = self.max_upload.max(uploaded);
        self.max_triangles = self.max_triangles.max(triangles);
        self.max_texts = self.max_texts.max(texts);
        self.gpu_objects.push(renderer.made_last_drawing());
    }

    /// The report of the frames recorded for `session`, drawn by
    /// `renderer` at `size` (in a window or not).
    pub fn report(self, session: &Session, renderer: &Renderer, size: [u32; 2], window: bool) -> Report {
        let Recorder { times, first_frame, max_upload, max_triangles, max_texts, mut gpu_objects, .. } = self;
        gpu_objects.sort_unstable();
        let (uploaded, atlas) = renderer.tile_traffic();
        let upload_time = renderer.upload_time().as_secs_f64();
        let prepared = &session.prepared;
        Report {
            adapter: renderer.describe(),
            matrix: session.figure.input.file.display().to_string(),
            rows: prepared.matrix.rows(),
            cols: prepared.matrix.cols(),
            width: size[0],
            height: size[1],
            window,
            linked_panels: prepared.linked.len(),
            links: prepared.linked.iter().map(|l| l.links.len()).sum(),
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
        }
    }
}

/// What a benchmark measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub adapter: String,
    pub matrix: String,
    pub rows: usize,
    pub cols: usize,
    pub width: u32,
    pub height: u32,
    /// Drawn into a window (else offscreen).
    pub window: bool,
    /// Linked panels drawn beside the main one, and the links between them.
    pub linked_panels: usize,
    pub links: usize,
    pub frames: usize,
    /// From the start of the command to the first frame on screen.
    pub first_frame_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub tile_upload_mb: f64,
    pub tile_upload_mb_per_s: f64,
    pub gpu_tile_memory_mb: f64,
    /// The most tile data one frame uploaded.
    pub max_frame_upload_mb: f64,
    /// The most triangles (trees, bars, legends) and texts one frame drew.
    pub max_triangles: usize,
    pub max_texts: usize,
    /// GPU objects a frame made: the median frame's, and at most.
    pub median_gpu_objects: u64,
    pub max_gpu_objects: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let linked = if self.linked_panels > 0 {
            format!(", {} linked panel(s), {} links", self.linked_panels, self.links)
        } else {
            String::new()
        };
        writeln!(f, "adapter        {}", self.adapter)?;
        writeln!(f, "matrix         {} ({} × {}){linked}", self.matrix, self.rows, self.cols)?;
        let place = if self.window { "in a window" } else { "offscreen" };
        writeln!(f, "frame size     {} × {}, {place}", self.width, self.height)?;
        writeln!(f, "frames         {}", self.frames)?;
        writeln!(f, "first frame    {:.0} ms after start", self.first_frame_ms)?;
        writeln!(
            f,
            "frame time     p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.p50_ms, self.p95_ms, self.p99_ms, self.max_ms
        )?;
        writeln!(f, "tile uploads   {:.1} MB at {:.0} MB/s", self.tile_upload_mb, self.tile_upload_mb_per_s)?;
        writeln!(f, "GPU tiles      {:.1} MB", self.gpu_tile_memory_mb)?;
        writeln!(
            f,
            "per frame      at most {:.1} MB of tiles, {} triangles, {} texts",
            self.max_frame_upload_mb, self.max_triangles, self.max_texts
        )?;
        writeln!(
            f,
            "GPU objects    {} made a frame (median), at most {}",
            self.median_gpu_objects, self.max_gpu_objects
        )
    }
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

/// A generated `rows` × `cols` matrix to benchmark on (20 row and 8 column
/// clusters), made once in `dir` and reused.
pub fn synthetic(rows: u64, cols: u64, dir: &Path) -> anyhow::Result<PathBuf> {
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
    let checked = params.check().map_err(|e| UsageError(format!("--synthetic: {e}")))?;
    generate(&checked, &path)?;
    Ok(path)
}

/// A generated matrix to link to the [`synthetic`] matrix at `main`, made
/// once beside it: `rows` rows labelled with the first `rows` of the main
/// matrix's row labels, shuffled, so every row links to a different place.
pub fn synthetic_link(rows: u64, cols: u64, main: &Path) -> anyhow::Result<PathBuf> {
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
    let checked = params.check().map_err(|e| UsageError(format!("--synthetic-link: {e}")))?;
    let scratch = main.with_file_name(format!("{stem}-link-{rows}x{cols}.partial.npy"));
    let generated = generate(&checked, &scratch)?;
    let main_labels = std::fs::read_to_string(main.with_extension("rows.txt"))?;
    let main_labels: Vec<&str> = main_labels.lines().take(rows as usize).collect();
    // A fixed permutation of the rows: i → (i · a + b) mod rows, a coprime to rows.
    let a = (0..).map(|k| 2_654_435_761u64 + k).find(|a| gcd(*a, rows) == 1).expect("some number is coprime");
    crate::output::write_atomically(&path.with_extension("rows.txt"), |w| {
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
    }

    #[test]
    fn a_fixed_permutation_needs_a_multiplier_coprime_to_the_rows() {
        assert_eq!(gcd(12, 18), 6);
        assert_eq!(gcd(17, 5), 1);
    }
}
