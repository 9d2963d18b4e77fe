//! `heatscope info`: what a matrix file holds.

use std::path::{Path, PathBuf};

use heatscope::cluster::read_tree;
use heatscope::input::{CacheUse, Labels, annotation_columns, cdt_ids, scan};
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
        CacheUse::Temporary => ("temporary (the input is a pipe: its cache is not kept)", None),
    };
    let annotations = annotation_columns(&matrix)?;
    if args.json {
        let annotations: Vec<_> = annotations.iter().map(|(name, kind)| json!({"name": name, "kind": kind})).collect();
        let (row_first, row_last) = ends(matrix.row_labels());
        let (col_first, col_last) = ends(matrix.col_labels());
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
            "row_labels_first": row_first,
            "row_labels_last": row_last,
            "col_labels_first": col_first,
            "col_labels_last": col_last,
            "row_labels_generated": matrix.row_labels().is_generated(),
            "col_labels_generated": matrix.col_labels().is_generated(),
            "annotations": annotations,
        });
        return super::print_stdout(&format!("{report}\n"));
    }
    let cells = (matrix.rows() * matrix.cols()) as f64;
    let number = |v: Option<f64>| v.map_or("none".to_owned(), super::human_number);
    let mut text = String::new();
    let mut line = |s: String| {
        text.push_str(&s);
        text.push('\n');
    };
    line(format!("file       {}", source.path.display()));
    line(format!("shape      {} rows × {} columns", matrix.rows(), matrix.cols()));
    line(format!("stored as  {}", source.stored_as));
    match cache_path {
        Some(path) => line(format!("cache      {cache}: {}", path.display())),
        None => line(format!("cache      {cache}")),
    }
    line(format!(
        "values     min {}, max {}, mean {}",
        number(stats.min.map(shortest)),
        number(stats.max.map(shortest)),
        number(stats.mean)
    ));
    line(format!("missing    {} NaN ({:.2}%)", stats.nan_count, 100.0 * stats.nan_count as f64 / cells));
    line(format!("rows       {}", summary(matrix.row_labels())));
    line(format!("columns    {}", summary(matrix.col_labels())));
    for (name, kind) in &annotations {
        line(format!("annotation {name} ({kind})"));
    }
    for (path, leaves) in saved_trees(&source.path)? {
        line(format!("tree       {} ({leaves} leaves)", path.display()));
    }
    super::print_stdout(&text)
}

/// The Cluster 3.0 trees saved beside a CDT file (`X.gtr`, `X.atr`), read
/// and checked against it, with their leaf counts.
fn saved_trees(path: &Path) -> anyhow::Result<Vec<(PathBuf, usize)>> {
    // X.cdt.gz keeps its trees in X.gtr and X.atr.
    let plain = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        path.with_extension("")
    } else {
        path.to_owned()
    };
    if !plain.extension().is_some_and(|e| e.eq_ignore_ascii_case("cdt")) {
        return Ok(Vec::new());
    }
    let ids = cdt_ids(path)?;
    let mut trees = Vec::new();
    for (extension, ids) in [("gtr", ids.rows), ("atr", ids.cols)] {
        let tree_path = plain.with_extension(extension);
        if let (true, Some(ids)) = (tree_path.is_file(), ids) {
            let tree = read_tree(&tree_path, &ids).map_err(|e| super::CliError { message: e.to_string(), code: 2 })?;
            trees.push((tree_path, tree.n_leaves()));
        }
    }
    Ok(trees)
}

/// An `f32` as the `f64` with the same shortest decimal form, so JSON shows
/// `28.408` rather than `28.408000946044922`.
fn shortest(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

/// The first and the last few labels (each label once, so a short axis has
/// all its labels in `first` and none in `last`).
fn ends(labels: &Labels) -> (Vec<String>, Vec<String>) {
    let n = labels.len();
    let first = (0..n.min(EXAMPLES)).map(|i| labels.get(i).into_owned()).collect();
    let last = (n.saturating_sub(EXAMPLES).max(EXAMPLES)..n).map(|i| labels.get(i).into_owned()).collect();
    (first, last)
}

/// A label cut to a readable length.
fn short(label: String) -> String {
    const MAX: usize = 60;
    match label.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &label[..at]),
        None => label,
    }
}

fn summary(labels: &Labels) -> String {
    let n = labels.len();
    let (first, last) = ends(labels);
    let (first, last): (Vec<_>, Vec<_>) =
        (first.into_iter().map(short).collect(), last.into_iter().map(short).collect());
    let text = if n > 2 * EXAMPLES {
        format!("{}, …, {}", first.join(", "), last.join(", "))
    } else {
        [first, last].concat().join(", ")
    };
    let generated = if labels.is_generated() { ", numbered: the file has no labels" } else { "" };
    format!("{text} ({n}{generated})")
}
