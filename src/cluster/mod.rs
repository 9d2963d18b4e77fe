//! Exact hierarchical clustering of the rows or columns of a [`Matrix`].
//!
//! The pipeline is: pairwise distances ([`pdist`], condensed `f32` storage of
//! `n(n−1)/2` values) → linkage ([`linkage`]) → a [`Dendrogram`], whose leaf
//! order is scipy's `dendrogram(Z)['leaves']`, or the optimal leaf order of
//! [`Dendrogram::optimal_leaf_ordering`]. [`cluster`] runs the whole pipeline
//! after checking the [`MemoryBudget`].
//!
//! Definitions follow scipy: [`linkage`] of [`pdist`] gives the tree of
//! `linkage(pdist(X, metric), method)` (heights to `f32` precision, the same
//! merge order and labels; see below for near-ties), and
//! [`Dendrogram::to_linkage_matrix`] gives scipy's `(n−1) × 4` matrix.
//! Clustering both axes is two calls, one per [`Axis`].
//!
//! # Missing values
//! NaN (and ±∞) marks a missing value. The distance between two items uses the
//! coordinates finite in both (pairwise-complete, as Cluster 3.0 does):
//! euclidean, sqeuclidean and cityblock sums are rescaled by `d / n_common`
//! (so a pair missing half its coordinates is not half as far apart);
//! cosine, correlation and spearman are computed on the common coordinates
//! (spearman ranks each item over its own finite values, ties averaged).
//! A pair with no common finite coordinate gets the largest finite distance
//! of the whole matrix: it is as far apart as anything measured, and it is
//! never NaN. An item with no finite value at all is an error
//! ([`ClusterError::NoFiniteValue`]).
//!
//! # Undefined correlations
//! Where cosine, correlation or spearman divide by zero (a zero vector, or a
//! constant one over the common coordinates), the correlation is taken as 0,
//! so the distance is 1: such an item is unrelated to every other, even to a
//! copy of itself. scipy would return NaN there and refuse to cluster.
//!
//! # Ties, precision and determinism
//! Ties are broken exactly as scipy breaks them (first index in scan order,
//! the chain predecessor first in the nearest-neighbour chain, a stable sort
//! by height), so on the same distances the linkage matrix is scipy's, ids
//! included. Distances are computed in `f64` and stored as `f32` (heights
//! agree with scipy's to about 1e-7 relative); a distance beyond the `f32`
//! range is refused ([`ClusterError::DistanceOverflow`]), never saturated. Up to 4,096 items the linkage
//! works on an `f64` copy, as scipy does; beyond, in place in `f32`, where
//! two cluster distances closer than `f32` resolution count as tied. Every
//! distance is computed by the same code whatever the number of threads, so
//! the same input gives the same tree. The columns of a tall matrix (more
//! than one panel of them) are the exception: their distances come from one
//! streamed pass of `f32` matrix products (`gram.rs`), to about `1e-6` of
//! the pair's norms.
//!
//! # Memory
//! Exact clustering holds `n(n−1)/2` `f32` distances (1.5 GiB for 28,000
//! items); [`MemoryBudget::check`] refuses a problem beyond the budget
//! before anything is allocated, saying what it would need.
//!
//! # Approximate clustering
//! Beyond the budget (or when asked), [`cluster`] builds an approximate
//! tree over every item instead: k-means groups, the exact linkage inside
//! each group and a size-weighted linkage over their centroids. See
//! [`approx`] for the rules, and [`plan`] for which one an axis gets.
//!
//! # Files
//! - `metric.rs`: the six metrics as scipy's `pdist` defines them, and the
//!   per-item preparation (centring, normalising, ranking) that turns most of
//!   them into dot products.
//! - `condensed.rs`: [`pdist`], the condensed `n(n−1)/2` `f32` matrix, stored
//!   in 4 × 4 blocks of one cache line. The position of `d(i, j)`, `i < j`, is
//!   a per-item table value `lead(i)` plus `tail(j)`, so the linkage's passes
//!   along a row or a column take few instructions a load and keep many
//!   misses in flight. Computed in parallel panels: columns are gathered
//!   into bounded panels, never transposed whole. `pdist_items` does the same
//!   for the rows of any row-major slice (a k-means group).
//! - `gram.rs`: the distances of columns too many for one panel (a tall
//!   matrix) from one streamed pass of `f32` matrix products, added up in
//!   `f64`; missing values, cityblock and spearman take the panels.
//! - `lance_williams.rs`: the Lance–Williams update for each method, in `f64`
//!   as scipy computes it, and the float types distances are kept in while
//!   linking (`Dist`).
//! - `linkage.rs`, `nn_chain.rs`: single linkage by minimum spanning tree;
//!   complete, average, weighted and ward by the nearest-neighbour chain;
//!   centroid and median by the generic algorithm; optionally over clusters
//!   that start with given sizes (`linkage_of_clusters`). In the chain each
//!   cluster keeps up to four nearest neighbours and a bound on the rest,
//!   updated in the Lance–Williams pass, so only clusters left knowing none
//!   are scanned again. Large problems run on a worker of the rayon pool,
//!   with passes split in halves between threads. As many other workers as
//!   the passes have parts poll for them instead of sleeping between merges,
//!   until none has come for 50 ms.
//! - `dendrogram.rs`: [`Dendrogram`]: merges, scipy's linkage matrix both
//!   ways, scipy's leaf order, `fcluster` maxclust cuts, Newick.
//! - `ordering.rs`: optimal leaf ordering (minimal summed distance between
//!   neighbouring leaves).
//! - `memory.rs`: [`MemoryBudget`]: what exact clustering needs, refused
//!   before anything is allocated.
//! - `cluster3.rs`: [`read_tree`] reads Cluster 3.0 `.gtr`/`.atr` trees over
//!   a CDT's ids, children ordered to draw the CDT's order; [`write_cdt`]
//!   writes the CDT/GTR/ATR that Java TreeView opens.
//! - `cache.rs`: [`cluster_cached`]: trees stored beside the matrix cache,
//!   keyed by the matrix fingerprint, axis, method, metric and ordering (and,
//!   for an approximate tree, its group count, column sample and seed).
//! - `approx/`: the approximate mode ([`approx`]).
//!
//! # Checked against scipy
//! Tests compare with scipy on fixtures written by
//! `tests/gen_scipy_fixtures.py`. The script's outputs are committed, so the
//! tests need no Python.

pub mod agreement;
pub mod approx;
mod cache;
mod cluster3;
mod condensed;
mod dendrogram;
mod gram;
mod lance_williams;
mod linkage;
pub(crate) mod memory;
mod metric;
mod nn_chain;
mod ordering;

use crate::progress::Bar;
use thiserror::Error;

use crate::input::Matrix;

pub use approx::{ApproxOptions, Plan, When, plan};
pub use cache::{TreeOrigin, agreement_cached, cluster_cached};
pub use cluster3::{read_tree, write_cdt};
pub use condensed::{CondensedMatrix, pdist};
pub use dendrogram::{Dendrogram, Merge};
pub use linkage::linkage;
pub use memory::{MemoryBudget, exact_memory_bytes};
pub use metric::Metric;

/// Which items are clustered: the rows, or the columns (clustered on the
/// transposed view, gathered in bounded panels, never transposed whole).
pub use crate::input::Axis;

/// The linkage criterion, with scipy's Lance–Williams definitions.
///
/// Ward, centroid and median are meant for Euclidean distances; with another
/// metric they give what scipy gives for `linkage(pdist(X, metric), method)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Minimum distance between members (minimum spanning tree).
    Single,
    /// Maximum distance between members.
    Complete,
    /// Mean distance between members (UPGMA).
    Average,
    /// Mean of the two merged clusters' distances (WPGMA).
    Weighted,
    /// Increase in within-cluster variance.
    Ward,
    /// Distance between centroids (UPGMC); heights may decrease.
    Centroid,
    /// Distance between WPGMC midpoints; heights may decrease.
    Median,
}

impl Method {
    /// All methods, in scipy's documentation order.
    pub const ALL: [Method; 7] = [
        Method::Single,
        Method::Complete,
        Method::Average,
        Method::Weighted,
        Method::Centroid,
        Method::Median,
        Method::Ward,
    ];

    /// scipy's name for the method.
    pub fn name(self) -> &'static str {
        match self {
            Method::Single => "single",
            Method::Complete => "complete",
            Method::Average => "average",
            Method::Weighted => "weighted",
            Method::Ward => "ward",
            Method::Centroid => "centroid",
            Method::Median => "median",
        }
    }

    /// Whether merge heights never decrease (all but centroid and median).
    pub fn is_monotone(self) -> bool {
        !matches!(self, Method::Centroid | Method::Median)
    }
}

impl std::str::FromStr for Method {
    type Err = ClusterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        by_name(&Method::ALL, Method::name, "method", s)
    }
}

/// The one of `all` called `s` (scipy's spelling), or an error naming
/// the `kind` of name.
fn by_name<T: Copy>(all: &[T], name: fn(T) -> &'static str, kind: &'static str, s: &str) -> Result<T, ClusterError> {
    all.iter().copied().find(|&m| name(m) == s).ok_or_else(|| ClusterError::UnknownName {
        kind,
        name: s.to_string(),
        known: all.iter().map(|&m| name(m)).collect::<Vec<_>>().join(", "),
    })
}

/// Everything that can go wrong while clustering.
#[derive(Debug, Error)]
pub enum ClusterError {
    /// Clustering needs at least two items.
    #[error("cannot cluster {n} {item}(s): at least 2 are needed")]
    TooFewItems {
        /// How many items there were.
        n: usize,
        /// "row" or "column".
        item: &'static str,
    },
    /// An item has no finite value, so no distance to it is defined.
    #[error("{item} {index} has no finite value (all NaN): remove it before clustering")]
    NoFiniteValue {
        /// "row" or "column".
        item: &'static str,
        /// Its index (0-based).
        index: usize,
    },
    /// Exact clustering would need more memory than the budget allows.
    #[error(
        "exact clustering of {n} items needs {} of memory, over the budget of {}; \
         raise --memory-budget if this machine has that much free",
        memory::human_bytes(*.needed),
        memory::human_bytes(*.budget)
    )]
    OverBudget {
        /// Number of items.
        n: usize,
        /// Bytes exact clustering needs.
        needed: u64,
        /// Bytes allowed.
        budget: u64,
    },
    /// The allocator refused memory that the budget allowed.
    #[error(
        "could not allocate {} for the distance matrix; \
         free memory by closing other programs, or lower --memory-budget",
        memory::human_bytes(*.bytes)
    )]
    OutOfMemory {
        /// Bytes requested.
        bytes: u64,
    },
    /// Two items (0-based) whose distance is beyond the `f32` range the
    /// distances are kept in.
    #[error(
        "{item}s {a} and {b} (0-based) are too far apart for a {metric} distance: it passes the float32 range \
         (±3.4e38) that distances are kept in; rescale the data (divide it, or a log transform) before clustering"
    )]
    DistanceOverflow {
        /// "row" or "column".
        item: &'static str,
        /// The first of the two items.
        a: usize,
        /// The second.
        b: usize,
        /// The metric's name.
        metric: &'static str,
    },
    /// A linkage matrix read from elsewhere is not a valid scipy linkage.
    #[error("invalid linkage matrix: {0}")]
    InvalidLinkage(String),
    /// The number of labels given does not match the number of leaves.
    #[error("{labels} labels given for a tree of {leaves} leaves")]
    LabelCount {
        /// Labels given.
        labels: usize,
        /// Leaves in the tree.
        leaves: usize,
    },
    /// A Cluster 3.0 tree file (`.gtr`, `.atr`) that cannot be read.
    #[error("{}: {}{message}; re-save the tree with Cluster 3.0, or cluster again", path.display(), if *line == 0 { String::new() } else { format!("line {line}: ") })]
    TreeFile {
        /// The tree file.
        path: std::path::PathBuf,
        /// Its line; 0 for the file as a whole.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The matrix file could not be read (it changed while open).
    #[error("cannot read the matrix ({0}); was it changed while heatscope had it open?")]
    Read(String),
    /// The user pressed Ctrl-C; nothing was kept.
    #[error("interrupted; nothing half-written was kept")]
    Interrupted,
    /// A method or metric name that is not known.
    #[error("unknown {kind} \"{}\"; use one of {known}", crate::quote::quote(name))]
    UnknownName {
        /// "method" or "metric".
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names that are known, comma-separated.
        known: String,
    },
}

/// What [`cluster`] computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClusterOptions {
    /// The linkage criterion.
    pub method: Method,
    /// The distance between items.
    pub metric: Metric,
    /// Reorder the leaves to minimise the summed distance between neighbours
    /// (scipy's `optimal_leaf_ordering`) instead of scipy's default order.
    pub optimal_ordering: bool,
    /// The most memory exact clustering may use.
    pub budget: MemoryBudget,
    /// When and how to cluster approximately instead.
    pub approx: ApproxOptions,
}

/// Clusters the items of `matrix` along `axis`, exactly or approximately
/// as [`plan`] decides. Exactly, it checks the memory budget before
/// allocating anything, computes the distances, the linkage and, if asked,
/// the optimal leaf order.
///
/// `progress`, if given, is reset and advanced through each stage.
pub fn cluster(
    matrix: &Matrix,
    axis: Axis,
    options: &ClusterOptions,
    progress: Option<&Bar>,
) -> Result<Dendrogram, ClusterError> {
    let plan = plan(matrix, axis, options);
    if plan != Plan::Exact {
        return approx::cluster_approx(matrix, axis, options, plan, progress);
    }
    let n = axis.len(matrix);
    options.budget.check(n, axis.dim(matrix), options.optimal_ordering)?;
    let dist = pdist(matrix, axis, options.metric, progress)?;
    let tree = link_and_order(dist, options.method, options.optimal_ordering, progress);
    // The ordering stops early, unordered, when interrupted.
    if options.optimal_ordering && crate::progress::interrupted() {
        return Err(ClusterError::Interrupted);
    }
    Ok(tree)
}

/// The tree of `dist` by `method`, in optimal leaf order if `ordering`.
fn link_and_order(dist: CondensedMatrix, method: Method, ordering: bool, progress: Option<&Bar>) -> Dendrogram {
    if ordering {
        // The linkage overwrites the distances it is given, and the ordering
        // needs the originals: the budget check counted this copy.
        let tree = linkage(dist.clone(), method, progress);
        tree.optimal_leaf_ordering(&dist)
    } else {
        linkage(dist, method, progress)
    }
}
