//! What a matrix file holds (`heatscope info`): its shape, how it is
//! stored and cached, its values, labels, annotation columns, and the
//! trees saved beside a CDT file.

use std::path::{Path, PathBuf};

use super::{InputSpec, UsageError};
use crate::cluster::read_tree;
use crate::input::{CacheUse, Labels, annotation_columns, cdt_ids, scan};

/// How many labels to show from each end of an axis.
const EXAMPLES: usize = 3;

/// What a matrix file holds. Serialised, it is `heatscope info --json`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Info {
    pub file: PathBuf,
    pub rows: usize,
    pub cols: usize,
    pub stored_as: String,
    pub nan_count: u64,
    /// The smallest and largest values (as the `f64` with the same shortest
    /// decimal form as the `f32`), none when every value is missing.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    /// How the cache was used: memory, none, reused, built or temporary.
    pub cache: String,
    pub cache_path: Option<PathBuf>,
    /// The same, in a few words.
    #[serde(skip)]
    pub cache_note: &'static str,
    pub row_labels_first: Vec<String>,
    pub row_labels_last: Vec<String>,
    pub col_labels_first: Vec<String>,
    pub col_labels_last: Vec<String>,
    pub row_labels_generated: bool,
    pub col_labels_generated: bool,
    /// Annotation columns stored with the matrix: name and kind.
    pub annotations: Vec<Annotation>,
    /// The Cluster 3.0 trees beside a CDT file, with their leaf counts.
    #[serde(skip)]
    pub trees: Vec<(PathBuf, usize)>,
    /// The labels summed up for a line of text.
    #[serde(skip)]
    row_summary: String,
    #[serde(skip)]
    col_summary: String,
}

/// An annotation column stored with a matrix.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Annotation {
    pub name: String,
    pub kind: String,
}

/// Opens `input`, reads every value once, and says what it holds; with
/// `trees`, also reads and checks the trees saved beside a CDT file.
pub fn info(input: &InputSpec, trees: bool) -> anyhow::Result<Info> {
    let matrix = input.open()?;
    let stats = scan(&matrix)?;
    let source = matrix.source();
    let (cache_note, cache_path) = match &source.cache {
        CacheUse::InMemory => ("memory", None),
        CacheUse::InPlace => ("none (mapped in place)", None),
        CacheUse::Reused(path) => ("reused", Some(path.clone())),
        CacheUse::Built(path) => ("built", Some(path.clone())),
        CacheUse::Temporary => ("temporary (the input is a pipe: its cache is not kept)", None),
    };
    let annotations = annotation_columns(&matrix)?.into_iter().map(|(name, kind)| Annotation { name, kind }).collect();
    let (row_labels_first, row_labels_last) = ends(matrix.row_labels());
    let (col_labels_first, col_labels_last) = ends(matrix.col_labels());
    Ok(Info {
        file: source.path.clone(),
        rows: matrix.rows(),
        cols: matrix.cols(),
        stored_as: source.stored_as.clone(),
        nan_count: stats.nan_count,
        min: stats.min.map(shortest),
        max: stats.max.map(shortest),
        mean: stats.mean,
        cache: cache_note.split(' ').next().unwrap_or_default().to_owned(),
        cache_path,
        cache_note,
        row_labels_first,
        row_labels_last,
        col_labels_first,
        col_labels_last,
        row_labels_generated: matrix.row_labels().is_generated(),
        col_labels_generated: matrix.col_labels().is_generated(),
        annotations,
        trees: if trees { saved_trees(&source.path)? } else { Vec::new() },
        row_summary: summary(matrix.row_labels()),
        col_summary: summary(matrix.col_labels()),
    })
}

impl std::fmt::Display for Info {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cells = (self.rows * self.cols) as f64;
        let number = |v: Option<f64>| v.map_or("none".to_owned(), human_number);
        writeln!(f, "file       {}", self.file.display())?;
        writeln!(f, "shape      {} rows × {} columns", self.rows, self.cols)?;
        writeln!(f, "stored as  {}", self.stored_as)?;
        match &self.cache_path {
            Some(path) => writeln!(f, "cache      {}: {}", self.cache_note, path.display())?,
            None => writeln!(f, "cache      {}", self.cache_note)?,
        }
        writeln!(f, "values     min {}, max {}, mean {}", number(self.min), number(self.max), number(self.mean))?;
        writeln!(f, "missing    {} NaN ({:.2}%)", self.nan_count, 100.0 * self.nan_count as f64 / cells)?;
        writeln!(f, "rows       {}", self.row_summary)?;
        writeln!(f, "columns    {}", self.col_summary)?;
        for Annotation { name, kind } in &self.annotations {
            writeln!(f, "annotation {name} ({kind})")?;
        }
        for (path, leaves) in &self.trees {
            writeln!(f, "tree       {} ({leaves} leaves)", path.display())?;
        }
        Ok(())
    }
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
            let tree = read_tree(&tree_path, &ids).map_err(|e| UsageError(e.to_string()))?;
            trees.push((tree_path, tree.n_leaves()));
        }
    }
    Ok(trees)
}

/// A number for people: plain when it reads well, in exponent form when it
/// is very large or very small.
pub fn human_number(x: f64) -> String {
    let size = x.abs();
    if x == 0.0 || (1e-4..1e7).contains(&size) {
        let text = format!("{x:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{x:.6e}")
    }
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

/// An axis's labels on one line: the first and last few, and how many.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_plainly_unless_very_large_or_small() {
        assert_eq!(human_number(-0.000455), "-0.000455");
        assert_eq!(human_number(28.408), "28.408");
        assert_eq!(human_number(0.0), "0");
        assert_eq!(human_number(-2.5e37), "-2.500000e37");
        assert_eq!(human_number(1.5e-50), "1.500000e-50");
    }
}
