//! `heatscope bench`: replays a fixed camera path offscreen and reports
//! frame times, so GPUs can be compared on the same work.

use std::path::PathBuf;
use std::time::Instant;

use heatscope::app::bench::{self, Recorder};
use heatscope::app::{FigureSpec, InputSpec, Session, prepare};
use heatscope::quote::quote;
use heatscope::render::Renderer;

use super::CliError;

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
    let bad = || format!("'{}': give the shape as ROWSxCOLS, e.g. 1000000x1000", quote(text));
    let (rows, cols) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    Ok((rows.trim().parse().map_err(|_| bad())?, cols.trim().parse().map_err(|_| bad())?))
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
        (None, Some((rows, cols))) => (bench::synthetic(rows, cols, &cache_dir)?, false),
        (None, None) => unreachable!("clap requires one"),
    };
    let link = match (&args.link, args.synthetic_link, args.synthetic) {
        (Some(file), _, _) => Some(file.clone()),
        (None, Some((rows, cols)), Some((main_rows, _))) => {
            Some(bench::synthetic_link(rows.min(main_rows), cols, &file)?)
        }
        _ => None,
    };
    let input = InputSpec::for_file(file, input_dir);
    let figure = FigureSpec {
        no_row_cluster: !cluster,
        no_col_cluster: !cluster,
        link: Vec::from_iter(link),
        ..FigureSpec::new(input)
    };
    let size = [args.width, args.height];
    let mut session = Session::new(prepare(&figure)?, figure, size);
    let mut recorder = Recorder::new(started);
    let gpu_cache = args.gpu_cache.saturating_mul(1 << 20);
    let (renderer, size) = if args.window {
        heatscope::window::bench::run(&mut session, size, gpu_cache, &mut recorder)?
    } else {
        let mut renderer = Renderer::new()?;
        renderer.set_gpu_cache(gpu_cache);
        bench::offscreen(&mut session, &mut renderer, &mut recorder)?;
        (renderer, size)
    };
    let report = recorder.report(&session, &renderer, size, args.window);
    super::print_stdout(&report.to_string())?;
    if let Some(path) = &args.json {
        heatscope::output::write_atomically(path, |w| {
            serde_json::to_writer_pretty(&mut *w, &report)?;
            writeln!(w)
        })
        .map_err(|e| anyhow::anyhow!("cannot write {} ({e}); check the folder exists and has space", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_read_as_rows_by_columns() {
        assert_eq!(parse_shape("1000000x1000"), Ok((1_000_000, 1000)));
        assert!(parse_shape("1000000").is_err());
    }
}
