//! An axis split into slices (`--row-split`, `--col-split`): by the tree's
//! cut into K clusters, or by an annotation's categories. A slice by a
//! category holds exactly that category's items, clustered on their own
//! (exactly or approximately, as the slice's size demands: each is a
//! matrix of its own, [`crate::input::subset`]; on an axis too large for
//! its exact tree, approximately as the whole axis would be); the slices follow a tree
//! over their mean profiles (`--split-order tree`) or the annotation's own
//! order (`given`). A cut's slices are its clusters in the tree's order,
//! each with its subtree, which is the tree of its items clustered alone.

use std::path::Path;
use std::time::Instant;

use super::UsageError;
use super::cluster::ClusteringNote;
use crate::cluster::approx::When;
use crate::cluster::{Axis, ClusterError, ClusterOptions, Dendrogram, Plan, TreeOrigin, cluster, cluster_cached, plan};
use crate::figure::annotation::{AnnotationBar, BarValues};
use crate::figure::dendrogram::TreeGeometry;
use crate::figure::slices::Slices;
use crate::input::Matrix;

/// Slices of at least this many items are named on stderr as their
/// clustering starts.
const LARGE_SLICE: usize = 4096;

/// The most slices an axis may be split into.
pub const MAX_SLICES: usize = 100;

/// The most pieces (a row slice by a column slice) a figure may draw.
pub const MAX_PIECES: usize = 1000;

/// How an axis is split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitBy {
    /// Into the tree's K clusters (`--row-split K`).
    Cut(usize),
    /// By the categories of an annotation column (`TABLE:COL`, `obs:COL`).
    Annotation(String),
}

impl SplitBy {
    /// `K` (a whole number, `00` and `+3` too) or an annotation column.
    pub fn parse(text: &str) -> SplitBy {
        match text.parse::<usize>() {
            Ok(k) => SplitBy::Cut(k),
            Err(_) => SplitBy::Annotation(text.to_owned()),
        }
    }
}

/// How the slices of an annotation follow each other (`--split-order`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitOrder {
    /// By a tree over the slices' mean profiles (ComplexHeatmap's
    /// `cluster_row_slices`).
    #[default]
    Tree,
    /// In the annotation's order of categories.
    Given,
}

/// An axis split: its display order and its slices.
pub struct Split {
    /// Display position → item.
    pub order: Vec<usize>,
    /// The slices along that order.
    pub slices: Slices,
    /// How the largest slice was clustered (`None`: not clustered).
    pub note: Option<ClusteringNote>,
}

/// The items of each category, ascending, in the annotation's order of
/// categories (those with no item left out; missing values last, as
/// "missing").
pub struct Categories {
    /// Each category's name.
    pub names: Vec<String>,
    /// Each category's items, ascending.
    pub members: Vec<Vec<usize>>,
}

impl Categories {
    /// The categories of `bar` (its values in item order), or why it
    /// cannot split (too many different numbers).
    pub fn of(bar: &AnnotationBar) -> Result<Categories, String> {
        let n = bar.len();
        let (mut names, codes): (Vec<String>, Vec<Option<usize>>) = match &bar.values {
            BarValues::Categorical { codes, categories, .. } => {
                (categories.clone(), codes.iter().map(|c| c.map(|c| c as usize)).collect())
            }
            BarValues::Numeric { values, .. } => {
                // Numbers used as categories, in ascending order.
                let mut distinct: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
                distinct.sort_by(f32::total_cmp);
                distinct.dedup();
                if distinct.len() > MAX_SLICES {
                    return Err(format!(
                        "{} holds {} different numbers; split by a column of at most {MAX_SLICES} categories",
                        bar.name,
                        distinct.len()
                    ));
                }
                let code = |v: f32| distinct.binary_search_by(|d| d.total_cmp(&v)).ok();
                (distinct.iter().map(f32::to_string).collect(), values.iter().map(|&v| code(v)).collect())
            }
        };
        let mut members = vec![Vec::new(); names.len() + 1];
        for (i, code) in codes.iter().enumerate().take(n) {
            members[code.unwrap_or(names.len())].push(i);
        }
        if members[names.len()].len() == n {
            return Err(format!("{} has no values; split by a column that holds categories", bar.name));
        }
        names.push("missing".to_owned());
        let (names, members): (Vec<String>, Vec<Vec<usize>>) =
            names.into_iter().zip(members).filter(|(_, m)| !m.is_empty()).unzip();
        if names.len() > MAX_SLICES {
            return Err(format!(
                "{} holds {} categories; split by a column of at most {MAX_SLICES}",
                bar.name,
                names.len()
            ));
        }
        Ok(Categories { names, members })
    }
}

/// The slices of `tree` cut into `k` clusters (scipy's `fcluster` with
/// `maxclust`), in the tree's order, each named by its cluster number and
/// holding its subtree.
pub fn by_cut(tree: &Dendrogram, k: usize) -> Split {
    let groups = tree.fcluster_maxclust(k);
    let order = tree.leaves();
    let mut bounds: Vec<std::ops::Range<usize>> = Vec::new();
    for (p, &leaf) in order.iter().enumerate() {
        match bounds.last_mut() {
            Some(last) if groups[order[last.start]] == groups[leaf] => last.end = p + 1,
            _ => bounds.push(p..p + 1),
        }
    }
    let names = bounds.iter().map(|b| groups[order[b.start]].to_string()).collect();
    let sets: Vec<Vec<usize>> = bounds
        .iter()
        .map(|b| {
            let mut members = order[b.clone()].to_vec();
            members.sort_unstable();
            members
        })
        .collect();
    let trees =
        tree.restricted_each(&sets).iter().map(|t| (t.n_leaves() > 1).then(|| TreeGeometry::new(t, None))).collect();
    Split { order, slices: Slices { names, bounds, trees }, note: None }
}

/// The slices of `categories` along `axis` of `matrix`: each clustered on
/// its own with `options` (`None`: kept in matrix order), ordered as
/// `order` says. Slice matrices and trees are cached in `dir`.
pub fn by_categories(
    matrix: &Matrix,
    axis: Axis,
    categories: Categories,
    options: Option<&ClusterOptions>,
    order: SplitOrder,
    dir: &Path,
) -> anyhow::Result<Split> {
    let started = Instant::now();
    let item = axis.item_name();
    let all_rows: Vec<usize> = if axis == Axis::Cols { (0..matrix.rows()).collect() } else { Vec::new() };
    let mut within: Vec<Vec<usize>> = Vec::with_capacity(categories.members.len());
    let mut trees: Vec<Option<Dendrogram>> = Vec::with_capacity(categories.members.len());
    let mut largest: Option<(usize, ClusteringNote)> = None;
    let mut approximate = 0;
    // An axis too large for its exact tree has its slices clustered
    // approximately (as the approximate path goes: a row slice of up to
    // EXACT_MAX rows still gets its exact tree), not each exactly: twenty
    // exact trees of 50,000 rows take many minutes where the whole axis
    // takes seconds.
    let options = options.map(|options| {
        let mut options = *options;
        if plan(matrix, axis, &options) != Plan::Exact && options.approx.when == When::OverBudget {
            options.approx.when = When::Always;
        }
        options
    });
    if let Some(options) = &options {
        let bar = crate::progress::items_bar(0, &format!("{item} slices"));
        let count = categories.members.len();
        for (k, (members, name)) in categories.members.iter().zip(&categories.names).enumerate() {
            // A slice that takes a while is named as it starts.
            if members.len() >= LARGE_SLICE {
                crate::progress::note(format!("{item} slice {} of {count}: {name}, {} {item}s", k + 1, members.len()));
            }
            if members.len() < 2 {
                within.push(members.clone());
                trees.push(None);
                continue;
            }
            let part = match axis {
                Axis::Rows => crate::input::subset(matrix, members, None, dir)?,
                Axis::Cols => crate::input::subset(matrix, &all_rows, Some(members), dir)?,
            };
            let (tree, origin) = cluster_cached(&part, axis, options, dir, Some(&bar)).map_err(|e| {
                // Items named as the matrix numbers them, not as the slice does.
                let e = match e {
                    ClusterError::NoFiniteValue { item, index } => {
                        ClusterError::NoFiniteValue { item, index: members[index] }
                    }
                    ClusterError::DistanceOverflow { item, a, b, metric } => {
                        ClusterError::DistanceOverflow { item, a: members[a], b: members[b], metric }
                    }
                    e => e,
                };
                super::cluster::about_file(e, matrix, super::cluster::labels(matrix, axis))
            })?;
            if let TreeOrigin::NotStored(reason) = &origin {
                crate::progress::note(format!("warning: a slice's tree is not cached: {reason}"));
            }
            if let Some(warning) = origin.damage_warning() {
                crate::progress::note(warning.to_string());
            }
            let note = ClusteringNote::new(&part, axis, options);
            approximate += usize::from(note.approximate);
            if largest.as_ref().is_none_or(|(n, _)| members.len() > *n) {
                largest = Some((members.len(), note));
            }
            within.push(tree.leaves().into_iter().map(|k| members[k]).collect());
            trees.push(Some(tree));
        }
        bar.finish_and_clear();
    } else {
        within = categories.members.clone();
        trees = vec![None; categories.members.len()];
    }
    let sequence: Vec<usize> = match order {
        SplitOrder::Given => (0..categories.names.len()).collect(),
        SplitOrder::Tree => slice_order(matrix, axis, &categories.members, options.as_ref())?,
    };
    let mut split_order = Vec::with_capacity(axis.len(matrix));
    let mut bounds = Vec::with_capacity(sequence.len());
    let mut names = Vec::with_capacity(sequence.len());
    let mut geometries = Vec::with_capacity(sequence.len());
    for &s in &sequence {
        let start = split_order.len();
        split_order.extend_from_slice(&within[s]);
        bounds.push(start..split_order.len());
        names.push(categories.names[s].clone());
        geometries.push(trees[s].as_ref().map(|t| TreeGeometry::new(t, None)));
    }
    if options.is_some() {
        let approximately = if approximate > 0 { format!(" ({approximate} approximately)") } else { String::new() };
        crate::progress::note(format!(
            "{item}s: {} slices, each clustered on its own{approximately}, in {:.2} s",
            sequence.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(Split { order: split_order, slices: Slices { names, bounds, trees: geometries }, note: largest.map(|l| l.1) })
}

/// The slices in the order of a tree over their mean profiles (the mean of
/// each of the other axis's items over the slice's finite values), with
/// the figure's linkage and distance when the axis is clustered, else
/// average linkage of euclidean distances.
fn slice_order(
    matrix: &Matrix,
    axis: Axis,
    members: &[Vec<usize>],
    options: Option<&ClusterOptions>,
) -> anyhow::Result<Vec<usize>> {
    let k = members.len();
    if k < 3 {
        return Ok((0..k).collect());
    }
    let means = mean_profiles(matrix, axis, members)?;
    let dim = means.len() / k;
    let mut options = options.copied().unwrap_or_else(|| ClusterOptions {
        method: crate::cluster::Method::Average,
        metric: crate::cluster::Metric::Euclidean,
        optimal_ordering: false,
        budget: Default::default(),
        approx: Default::default(),
    });
    options.approx.when = When::Never;
    let profiles = Matrix::from_vec(k, dim, means);
    let tree = cluster(&profiles, Axis::Rows, &options, None).map_err(|e| {
        anyhow::Error::from(UsageError(format!(
            "{}: the slices cannot be ordered by their mean profiles ({e}); use --split-order given",
            matrix.source().path.display()
        )))
    })?;
    Ok(tree.leaves())
}

/// Column slices' profiles take at most this many rows, evenly spaced.
const PROFILE_ROWS: usize = 50_000;

/// Each slice's mean profile (`members.len()` × the other axis's length;
/// for column slices, over at most [`PROFILE_ROWS`] evenly spaced rows),
/// in one pass over the rows, read from the file.
fn mean_profiles(matrix: &Matrix, axis: Axis, members: &[Vec<usize>]) -> anyhow::Result<Vec<f32>> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    let k = members.len();
    let step = if axis == Axis::Cols { rows.div_ceil(PROFILE_ROWS).max(1) } else { 1 };
    let dim = if axis == Axis::Cols { rows.div_ceil(step) } else { cols };
    let mut sums = vec![0.0f64; k * dim];
    let mut counts = vec![0u64; k * dim];
    let mut slice_of = vec![0usize; axis.len(matrix)];
    for (s, m) in members.iter().enumerate() {
        for &i in m {
            slice_of[i] = s;
        }
    }
    let mut row = vec![0.0f32; cols];
    let read = |e: std::io::Error| crate::input::InputError::Read { path: matrix.source().path.clone(), source: e };
    let bar = crate::progress::items_bar(rows as u64, "slice means");
    for i in (0..rows).step_by(step) {
        if i % 4096 < step {
            bar.set_position(i as u64);
            if crate::progress::interrupted() {
                return Err(crate::input::InputError::Interrupted.into());
            }
        }
        matrix.read_row(i, &mut row).map_err(read)?;
        for (j, &v) in row.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            // Rows: slice of row i, coordinate j; columns: slice of column j, coordinate i.
            let at = match axis {
                Axis::Rows => slice_of[i] * dim + j,
                Axis::Cols => slice_of[j] * dim + i / step,
            };
            sums[at] += v as f64;
            counts[at] += 1;
        }
    }
    bar.finish_and_clear();
    Ok(sums.iter().zip(&counts).map(|(&s, &c)| if c > 0 { (s / c as f64) as f32 } else { f32::NAN }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_splits_the_tree_order_into_its_clusters() {
        // scipy's linkage([[0], [1], [5], [6], [20]], 'single'); fcluster
        // maxclust 3 gives [1, 1, 2, 2, 3]; leaves [4, 0, 1, 2, 3].
        let tree = Dendrogram::from_linkage_matrix(&[
            [0.0, 1.0, 1.0, 2.0],
            [2.0, 3.0, 1.0, 2.0],
            [5.0, 6.0, 4.0, 4.0],
            [4.0, 7.0, 14.0, 5.0],
        ])
        .unwrap();
        let split = by_cut(&tree, 3);
        assert_eq!(split.order, vec![4, 0, 1, 2, 3]);
        assert_eq!(split.slices.bounds, vec![0..1, 1..3, 3..5]);
        assert_eq!(split.slices.names, vec!["3", "1", "2"]);
        assert!(split.slices.trees[0].is_none());
        assert_eq!(split.slices.trees[1].as_ref().map(|t| (t.n_leaves(), t.max_height())), Some((2, 1.0)));
    }

    #[test]
    fn numbers_split_as_categories_in_ascending_order_missing_last() {
        let bar = AnnotationBar {
            name: "batch".into(),
            values: BarValues::Numeric {
                values: vec![2.0, 1.0, f32::NAN, 2.0, 1.0],
                colormap: crate::figure::Colormap::by_name("viridis").unwrap(),
                norm: crate::figure::Norm::new(1.0, 2.0),
            },
        };
        let c = Categories::of(&bar).unwrap();
        assert_eq!(c.names, vec!["1", "2", "missing"]);
        assert_eq!(c.members, vec![vec![1, 4], vec![0, 3], vec![2]]);
    }
}
