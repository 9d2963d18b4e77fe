//! `heatscope generate`: a synthetic matrix with planted clusters.

use std::path::PathBuf;

use heatscope::generate::{GenerateParams, generate};

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// Number of rows (genes, cells…).
    #[arg(long)]
    rows: u64,
    /// Number of columns (samples…).
    #[arg(long)]
    cols: u64,
    /// Planted row clusters [default: 8, or --rows if fewer].
    #[arg(long)]
    row_clusters: Option<u64>,
    /// Planted column clusters [default: 4, or --cols if fewer].
    #[arg(long)]
    col_clusters: Option<u64>,
    /// Standard deviation of the noise added to each cluster block's mean (means have sd 2).
    #[arg(long, default_value_t = 1.0)]
    noise: f32,
    /// Fraction of values made missing (NaN).
    #[arg(long, default_value_t = 0.0)]
    nan_fraction: f64,
    /// Random seed; the same seed gives the same file.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How many times larger the largest planted row cluster is than the smallest (sizes in geometric progression)
    #[arg(long, default_value_t = 1.0)]
    row_imbalance: f64,

    /// Output .npy file; labels and planted clusters go beside it.
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    if args.output.extension().is_none_or(|e| !e.eq_ignore_ascii_case("npy")) {
        let message =
            format!("-o {}: the output is a NumPy file; give it a name ending in .npy", args.output.display());
        return Err(super::CliError { message, code: 2 }.into());
    }
    let params = GenerateParams {
        rows: args.rows,
        cols: args.cols,
        row_clusters: args.row_clusters.unwrap_or(args.rows.clamp(1, 8)),
        col_clusters: args.col_clusters.unwrap_or(args.cols.clamp(1, 4)),
        noise: args.noise,
        nan_fraction: args.nan_fraction,
        seed: args.seed,
        row_imbalance: args.row_imbalance,
    }
    .check()?;
    let files = generate(&params, &args.output)?;
    eprintln!(
        "wrote {} ({} × {} float32), labels {} and {}, planted clusters {} and {}",
        files.matrix.display(),
        args.rows,
        args.cols,
        files.row_labels.display(),
        files.col_labels.display(),
        files.row_truth.display(),
        files.col_truth.display()
    );
    Ok(())
}
