//! `heatscope view`: the clustered heatmap in a window
//! ([`heatscope::window`]), with pan, zoom, hover, search and an
//! interactive cut; without a file, the bundled demo.

use std::path::PathBuf;

use heatscope::app::InputSpec;
use heatscope::cluster::Metric;
use heatscope::view::Script;
use heatscope::window::{DEFAULT_GPU_CACHE, ViewOptions};

use super::CliError;
use super::render::FigureArgs;

#[derive(clap::Args, Debug)]
pub struct ViewArgs {
    /// The matrix [default: the bundled PBMC demo, cell types as the row annotation, correlation
    /// distance (unless --metric names another) and a robust colour scale, as the README draws it].
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub input: ViewInputArgs,
    #[command(flatten)]
    pub figure: FigureArgs,
    /// Replay actions from FILE, one a line and a frame: zoom X Y F, zoom-rows X Y F, zoom-cols X Y F,
    /// pan DX DY, hover X Y (X, Y, DX, DY as fractions 0–1 of the heatmap), click X Y (fractions
    /// of the window), fit, agg, cut K, search LABEL, next, previous, help, hud, screenshot PATH, export.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Close the window after N frames.
    #[arg(long, value_name = "N")]
    pub exit_after_frames: Option<u64>,
    /// Save the last frame as PNG when the window closes.
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
    /// Save the first frame of the file-order preview (shown while a matrix of more than 4,096 rows
    /// is clustered), once it has filled in, as PNG.
    #[arg(long, value_name = "PNG")]
    pub preview_screenshot: Option<PathBuf>,
    /// GPU memory for heatmap tiles, in MB: tiles of the levels drawn before stay on the GPU until
    /// it is full, the least recently drawn let go first (0: only those of the frame in view).
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_GPU_CACHE_MB)]
    pub gpu_cache: u64,
    /// Reopen the view saved in FILE (what is in view, the cut, the selected subtree, the search),
    /// and save the view there when the window closes, to reopen or share it.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Where the `e` key writes its tables (the rows and columns in view, the selected subtree's
    /// labels, the cut's clusters) [default: beside the matrix].
    #[arg(long, value_name = "DIR")]
    pub export_dir: Option<PathBuf>,
}

/// `--gpu-cache`'s default, in MB.
pub(super) const DEFAULT_GPU_CACHE_MB: u64 = DEFAULT_GPU_CACHE >> 20;

/// Input options without the file (the file is optional for `view`).
#[derive(clap::Args, Debug)]
pub struct ViewInputArgs {
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

/// The demo: the bundled PBMC matrix with its cell types.
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pbmc68k_reduced.tsv");
const DEMO_OBS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pbmc68k_reduced.obs.tsv:bulk_labels");

pub fn run(args: ViewArgs) -> anyhow::Result<()> {
    let mut figure = args.figure.clone();
    let file = match &args.file {
        Some(file) => file.clone(),
        None => {
            // The demo as the README's render command draws it.
            if figure.row_colors.is_empty() {
                figure.row_colors.push(DEMO_OBS.to_owned());
            }
            if figure.metric == Metric::Euclidean {
                figure.metric = Metric::Correlation;
            }
            figure.robust |= figure.vmin.is_none() && figure.vmax.is_none();
            PathBuf::from(DEMO)
        }
    };
    let figure = figure.spec(InputSpec::for_file(file, args.input.cache_dir.clone()));
    let script = match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError {
                message: format!("{}: cannot read it ({e}); check the path", path.display()),
                code: 2,
            })?;
            Script::parse(path, &text).map_err(|e| CliError { message: e.to_string(), code: 2 })?
        }
        None => Script::default(),
    };
    let options = ViewOptions {
        script,
        exit_after_frames: args.exit_after_frames,
        screenshot: args.screenshot.clone(),
        preview_screenshot: args.preview_screenshot.clone(),
        gpu_cache: args.gpu_cache.saturating_mul(1 << 20),
        state: args.state.clone(),
        export_dir: args.export_dir.clone(),
    };
    heatscope::window::view(figure, options)
}
