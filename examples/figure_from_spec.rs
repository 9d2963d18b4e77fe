//! The library's own way to a figure, without the command line: a
//! `FigureSpec` built in Rust, prepared, laid out and rendered to a PNG.
//!
//! `cargo run --release --example figure_from_spec -- MATRIX OUT.png`
//! (the bundled PBMC demo and `pbmc-spec.png` when no arguments are given).

use std::path::PathBuf;

use heatscope::app::{FigureSpec, InputSpec, prepare, scene};
use heatscope::cluster::Metric;
use heatscope::figure::text;
use heatscope::render::{Renderer, Target};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let matrix = args.next().unwrap_or_else(|| PathBuf::from("data/pbmc68k_reduced.tsv"));
    let out = args.next().unwrap_or_else(|| PathBuf::from("pbmc-spec.png"));

    let mut spec = FigureSpec::new(InputSpec::for_file(matrix, None));
    spec.metric = Metric::Correlation;
    spec.robust = true;
    spec.row_cut = Some(4);
    spec.title = Some("clustered in Rust".to_owned());
    spec.check()?;

    let prepared = prepare(&spec)?;
    let layout = scene(&mut text::font_system(), &prepared, &spec, &[], [spec.width, spec.height], false);
    let image = Renderer::new()?.draw(&layout, &prepared.sources(spec.agg, &[], &layout), Target::Image)?.into_image();
    std::fs::write(&out, image.to_png())?;
    eprintln!("{}: {} × {} px", out.display(), image.width, image.height);
    Ok(())
}
