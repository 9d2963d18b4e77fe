//! `heatscope info`: what a matrix file holds.

use heatscope::input::{CacheUse, Labels, scan};
use serde_json::json;

use super::InputArgs;

#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// How many labels to show from each end of an axis.
const EXAMPLES: usize = 3;

pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    let matrix = args.input.open()?;
    let stats = scan(&matrix)?;
    let source = matrix.source();
    let (cache, cache_path) = match &source.cache {
        CacheUse::InMemory => ("memory", None),
        CacheUse::InPlace => ("none (mapped in place)", None),
        CacheUse::Reused(path) => ("reused", Some(path)),
        CacheUse::Built(path) => ("built", Some(path)),
    };
    if args.json {
        let report = json!({
            "file": source.path,
            "rows": matrix.rows(),
            "cols": matrix.cols(),
            "stored_as": source.stored_as,
            "nan_count": stats.nan_count,
            "min": stats.min.map(shortest),
            "max": stats.max.map(shortest),
            "mean": stats.mean,
            "cache": cache.split(' ').next(),
            "cache_path": cache_path,
            "row_labels": examples(matrix.row_labels()),
            "col_labels": examples(matrix.col_labels()),
            "row_labels_generated": matrix.row_labels().is_generated(),
            "col_labels_generated": matrix.col_labels().is_generated(),
        });
        println!("{report}");
        return Ok(());
    }
    let cells = (matrix.rows() * matrix.cols()) as f64;
    let number = |v: Option<f32>| v.map_or("none".to_owned(), |v| format!("{v}"));
    println!("file       {}", source.path.display());
    println!("shape      {} rows × {} columns", matrix.rows(), matrix.cols());
    println!("stored as  {}", source.stored_as);
    match cache_path {
        Some(path) => println!("cache      {cache}: {}", path.display()),
        None => println!("cache      {cache}"),
    }
    println!(
        "values     min {}, max {}, mean {}",
        number(stats.min),
        number(stats.max),
        stats.mean.map_or("none".to_owned(), |m| format!("{m:.6}"))
    );
    println!("missing    {} NaN ({:.2}%)", stats.nan_count, 100.0 * stats.nan_count as f64 / cells);
    println!("rows       {}", summary(matrix.row_labels()));
    println!("columns    {}", summary(matrix.col_labels()));
    Ok(())
}

/// An `f32` as the `f64` with the same shortest decimal form, so JSON shows
/// `28.408` rather than `28.408000946044922`.
fn shortest(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

fn examples(labels: &Labels) -> Vec<String> {
    let n = labels.len();
    let mut shown: Vec<usize> = (0..n.min(EXAMPLES)).collect();
    shown.extend(n.saturating_sub(EXAMPLES).max(EXAMPLES)..n);
    shown.into_iter().map(|i| labels.get(i).into_owned()).collect()
}

fn summary(labels: &Labels) -> String {
    let n = labels.len();
    let shown = examples(labels);
    let text = if n > 2 * EXAMPLES {
        format!("{}, …, {}", shown[..EXAMPLES].join(", "), shown[EXAMPLES..].join(", "))
    } else {
        shown.join(", ")
    };
    let generated = if labels.is_generated() { ", numbered: the file has no labels" } else { "" };
    format!("{text} ({n}{generated})")
}
