//! Clustering one axis for a figure, and the files that give or take a
//! tree, an order or a cut: every problem worded for the user.

use std::path::Path;
use std::time::Instant;

use super::UsageError;
use crate::cluster::agreement::Agreement;
use crate::cluster::{Axis, ClusterError, ClusterOptions, Dendrogram, Plan, TreeOrigin, cluster_cached, plan};
use crate::input::{InputError, Labels, Matrix};
use crate::output::{one_field, write_atomically};
use crate::quote::quote;

/// How an axis is clustered, as its summary line and `--layout-out` say.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClusteringNote {
    pub method: &'static str,
    pub metric: &'static str,
    pub approximate: bool,
    /// Columns clustered approximately: the rows their distances are
    /// estimated on, when fewer than all.
    pub sample_rows: Option<usize>,
    /// Approximate: the principal components k-means groups the items on,
    /// and the items of the sample they are found on.
    pub components: Option<usize>,
    pub components_sample: Option<usize>,
    /// Approximate: the measured agreement with the exact tree of a sample.
    pub agreement: Option<crate::cluster::agreement::Agreement>,
}

impl ClusteringNote {
    pub fn new(matrix: &Matrix, axis: Axis, options: &ClusterOptions) -> Self {
        use crate::cluster::approx::EXACT_MAX;
        use crate::cluster::approx::project::{COMPONENTS, projects, sample_size};
        let (approximate, sample_rows) = match plan(matrix, axis, options) {
            Plan::Exact => (false, None),
            Plan::Approx { sample_rows, groups, .. } => {
                let sample_rows = sample_rows.filter(|&rows| rows < matrix.rows());
                // Few enough items with no groups asked for: the exact tree.
                let exact = groups.is_none() && sample_rows.is_none() && axis.len(matrix) <= EXACT_MAX;
                (!exact, sample_rows)
            }
        };
        let dim = sample_rows.unwrap_or(axis.dim(matrix));
        let projected = approximate && projects(axis.len(matrix), dim);
        ClusteringNote {
            method: options.method.name(),
            metric: options.metric.name(),
            approximate,
            sample_rows,
            components: projected.then_some(COMPONENTS.min(dim)),
            components_sample: projected.then(|| sample_size(axis.len(matrix), dim)),
            agreement: None,
        }
    }
}

/// Clusters `axis` of `matrix` (or reuses the cached tree) and prints its
/// summary line; an approximate tree comes with its measured agreement
/// with the exact tree of a sample ([`crate::cluster::agreement`]).
pub fn cluster_axis(
    matrix: &Matrix,
    axis: Axis,
    options: &ClusterOptions,
    dir: &Path,
) -> anyhow::Result<(Dendrogram, Option<Agreement>)> {
    let start = Instant::now();
    let bar = crate::progress::items_bar(0, &format!("{}s", axis.item_name()));
    let (tree, origin) = cluster_cached(matrix, axis, options, dir, Some(&bar))
        .map_err(|e| about_file(e, matrix, labels(matrix, axis)))?;
    bar.finish_and_clear();
    let how = match &origin {
        TreeOrigin::Reused(_) => "reused from the cache",
        TreeOrigin::Computed(_) => "computed",
        TreeOrigin::Replaced(_) => {
            crate::progress::note(origin.damage_warning().expect("a replaced tree").to_string());
            "computed"
        }
        TreeOrigin::NotStored(reason) => {
            crate::progress::note(format!("warning: the tree is not cached: {reason}"));
            "computed"
        }
    };
    let note = ClusteringNote::new(matrix, axis, options);
    let approximate = match (note.approximate, note.sample_rows, note.components) {
        (false, ..) => String::new(),
        (true, Some(rows), _) => {
            format!(" (approximate: distances estimated on a sample of {rows} of {} rows)", matrix.rows())
        }
        (true, None, Some(components)) => format!(
            " (approximate: k-means groups on {components} principal components of a {}-{} sample, exact inside each, joined by the linkage over their pieces)",
            note.components_sample.unwrap_or(0),
            axis.item_name()
        ),
        (true, None, None) => {
            " (approximate: k-means groups, exact inside each, joined by the linkage over their pieces)".to_owned()
        }
    };
    let agreement = if note.approximate {
        let bar = crate::progress::items_bar(0, &format!("agreement on a sample of {}s", axis.item_name()));
        let tree_path = match &origin {
            TreeOrigin::Reused(path) | TreeOrigin::Computed(path) | TreeOrigin::Replaced(path) => Some(path.as_path()),
            TreeOrigin::NotStored(_) => None,
        };
        let measured = crate::cluster::agreement_cached(matrix, axis, options, &tree, tree_path)
            .map_err(|e| about_file(e, matrix, labels(matrix, axis)))?;
        bar.finish_and_clear();
        measured
    } else {
        None
    };
    let agreed = agreement.as_ref().map_or(String::new(), |a| {
        format!(
            "; agreement with the exact tree of a {}-{} sample: cophenetic r {:.2}, mean ARI at k = 2…10 {:.2}",
            a.sample,
            axis.item_name(),
            a.cophenetic_r,
            a.mean_ari()
        )
    });
    crate::progress::note(format!(
        "{}s: {} leaves, {} linkage of {} distances{approximate}{agreed}, top merge at {:.6}, {how} in {:.2} s",
        axis.item_name(),
        tree.n_leaves(),
        options.method.name(),
        options.metric.name(),
        tree.merges().last().map_or(0.0, |m| m.height),
        start.elapsed().as_secs_f64()
    ));
    Ok((tree, agreement))
}

pub fn labels(matrix: &Matrix, axis: Axis) -> &Labels {
    match axis {
        Axis::Rows => matrix.row_labels(),
        Axis::Cols => matrix.col_labels(),
    }
}

/// Writes each of `order`'s items (indices into `labels`) with its flat
/// cluster in `groups` (by index), as TSV under a `label`, `cluster` header.
pub fn write_clusters(path: &Path, labels: &Labels, order: &[usize], groups: &[usize]) -> anyhow::Result<()> {
    write_atomically(path, |w| {
        writeln!(w, "label\tcluster")?;
        order.iter().try_for_each(|&i| writeln!(w, "{}\t{}", one_field(&labels.get(i)), groups[i]))
    })
    .map_err(|e| cannot_write(path, &e))
}

/// A clustering error about the input, worded with the file and the label.
pub(super) fn about_file(error: ClusterError, matrix: &Matrix, labels: &Labels) -> anyhow::Error {
    // A matrix made in memory (from Python) has no file to name.
    let path = match matrix.source().path.as_os_str().is_empty() {
        true => "the matrix".to_owned(),
        false => matrix.source().path.display().to_string(),
    };
    let message = match &error {
        ClusterError::NoFiniteValue { item, index } => format!(
            "{path}: {item} '{}' ({item} {} of {}) has no finite value (all NaN); remove it before clustering",
            quote(&labels.get(*index)),
            index + 1,
            labels.len()
        ),
        ClusterError::DistanceOverflow { item, a, b, .. } => {
            format!("{path}: {item}s '{}' and '{}': {error}", quote(&labels.get(*a)), quote(&labels.get(*b)))
        }
        ClusterError::TooFewItems { .. } | ClusterError::OverBudget { .. } => format!("{path}: {error}"),
        _ => return error.into(),
    };
    UsageError(message).into()
}

/// The tree of scipy's linkage matrix in the `.npy` at `path`, checked to
/// be valid and to have `n` leaves; every problem is one line (exit 2).
pub fn read_linkage(path: &Path, n: usize, item: &str) -> anyhow::Result<Dendrogram> {
    let refuse = |why: String| -> anyhow::Error { UsageError(format!("{}: {why}", path.display())).into() };
    let file = std::fs::File::open(path).map_err(|e| refuse(format!("cannot open it ({e}); check the path")))?;
    let npy = npyz::NpyFile::new(std::io::BufReader::new(file)).map_err(|e| {
        refuse(format!("not a NumPy .npy file ({e}); give scipy's linkage matrix saved with numpy.save"))
    })?;
    let shape = npy.shape().to_vec();
    if shape != [n.saturating_sub(1) as u64, 4] {
        return Err(refuse(format!(
            "a linkage matrix of shape {shape:?}; the matrix has {n} {item}s, so it needs shape [{}, 4]",
            n.saturating_sub(1)
        )));
    }
    if npy.order() != npyz::Order::C {
        return Err(refuse(
            "stored in Fortran order; save it with numpy.save(path, numpy.ascontiguousarray(Z))".into(),
        ));
    }
    let values: Vec<f64> = npy.into_vec().map_err(|e| {
        refuse(format!("cannot read it as float64 ({e}); save Z as numpy's float64, as scipy makes it"))
    })?;
    let z: Vec<[f64; 4]> = values.chunks_exact(4).map(|r| [r[0], r[1], r[2], r[3]]).collect();
    Dendrogram::from_linkage_matrix(&z).map_err(|e| refuse(format!("{e}; give a linkage matrix scipy accepts")))
}

/// The order of `labels` named by the file at `path`, one label a line
/// (blank lines skipped): every label exactly once.
pub fn read_order(path: &Path, labels: &Labels, item: &str) -> anyhow::Result<Vec<usize>> {
    let refuse = |why: String| -> anyhow::Error { UsageError(format!("{}: {why}", path.display())).into() };
    let text = std::fs::read_to_string(path).map_err(|e| refuse(format!("cannot read it ({e}); check the path")))?;
    // Labels as the order files heatscope writes hold them: one field, trimmed.
    let index: std::collections::HashMap<String, usize> =
        labels.iter().enumerate().map(|(i, l)| (one_field(&l).trim().to_owned(), i)).collect();
    if index.len() < labels.len() {
        return Err(refuse(format!("the {item} labels repeat, so a label cannot name one {item}; rename them first")));
    }
    let mut order = Vec::with_capacity(labels.len());
    let mut seen = vec![false; labels.len()];
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let label = line.trim();
        let Some(&i) = index.get(label) else {
            return Err(refuse(format!("line {}: '{}' is not a {item} label of the matrix", number + 1, quote(label))));
        };
        if std::mem::replace(&mut seen[i], true) {
            return Err(refuse(format!(
                "line {}: '{}' comes a second time; name each {item} once",
                number + 1,
                quote(label)
            )));
        }
        order.push(i);
    }
    if order.len() < labels.len() {
        let missing = seen.iter().position(|&s| !s).expect("one is missing");
        return Err(refuse(format!(
            "names {} of the {} {item}s (e.g. not '{}'); name every {item} once",
            order.len(),
            labels.len(),
            quote(&labels.get(missing))
        )));
    }
    Ok(order)
}

pub fn cannot_write(path: &Path, error: &std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot write {} ({error}); check the folder exists and has space", path.display())
}

/// Checks a `float32` `.npy` mapped in place for infinities (converted
/// files were checked on the way in), once: a marker named after the
/// matrix's fingerprint in the cache folder records a clean pass, so later
/// runs on the unchanged file start at once.
pub fn check_in_place(matrix: &Matrix, cache_dir: &Path) -> Result<(), InputError> {
    if matrix.source().cache != crate::input::CacheUse::InPlace {
        return Ok(());
    }
    let marker = cache_dir.join(format!("finite-{:016x}.ok", matrix.fingerprint()));
    if marker.is_file() {
        return Ok(());
    }
    crate::input::scan(matrix)?;
    // Only an optimisation: a marker that cannot be written means a scan next time.
    let _ = std::fs::create_dir_all(cache_dir).and_then(|_| std::fs::write(&marker, b""));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::approx::{ApproxOptions, When};
    use crate::cluster::{MemoryBudget, Method, Metric};

    #[test]
    fn the_note_says_how_each_axis_is_approximated() {
        let options = |col_sample| ClusterOptions {
            method: Method::Ward,
            metric: Metric::Correlation,
            optimal_ordering: false,
            budget: MemoryBudget::default(),
            approx: ApproxOptions { when: When::Always, groups: None, col_sample, seed: 0 },
        };
        // 20,000 rows of 200 values: rows on 32 components of a 16,384-row
        // sample; columns on 2,000 sampled rows, too few columns to project.
        let wide = Matrix::from_vec(20_000, 200, vec![0.0; 20_000 * 200]);
        let rows = ClusteringNote::new(&wide, Axis::Rows, &options(Some(2000)));
        assert_eq!(
            (rows.method, rows.metric, rows.approximate, rows.sample_rows, rows.components, rows.components_sample),
            ("ward", "correlation", true, None, Some(32), Some(16_384))
        );
        let cols = ClusteringNote::new(&wide, Axis::Cols, &options(Some(2000)));
        assert_eq!((cols.approximate, cols.sample_rows, cols.components), (true, Some(2000), None));
        // 40 values a row are grouped as they are.
        let narrow = Matrix::from_vec(20_000, 40, vec![0.0; 20_000 * 40]);
        assert_eq!(ClusteringNote::new(&narrow, Axis::Rows, &options(None)).components, None);
    }
}
