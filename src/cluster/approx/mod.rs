//! Approximate hierarchical clustering: a complete binary tree over every
//! item of a matrix too large for exact clustering (a million rows and
//! more), in memory `O(n + p·d)` beside the matrix (`p` ≤ [`PIECES_MAX`]
//! pieces of the top-level groups; groups are clustered exactly at most
//! [`LEAF_MAX`] items at a time).
//!
//! # The tree
//! 1. **Groups.** k-means (`kmeans.rs`) splits the `n` items into `k` groups,
//!    `k = √n` rounded, at most [`MAX_GROUPS`] (or `--groups K`); up to
//!    [`EXACT_MAX`] items without `--groups`, the tree is the exact one.
//!    k-means works in the geometry of the metric: cosine, correlation and
//!    spearman items are normalised (ranked first for spearman), so that
//!    the squared Euclidean distance `s` between prepared vectors is twice
//!    the metric's distance; euclidean, sqeuclidean and cityblock items are
//!    used as they are (cityblock groups are therefore Euclidean k-means
//!    groups). Missing values: the euclidean types leave a missing
//!    coordinate out of the distance to a centroid and out of the
//!    centroid's mean, as the exact mode does; the other metrics prepare an
//!    item over its finite values and count a missing coordinate as 0, the
//!    mean of the centred vector. At the top level, items of at least
//!    [`project::MIN_DIM`] values, more than [`project::SAMPLE`] of them,
//!    are grouped on their [`project::COMPONENTS`] leading principal
//!    components (of a seeded sample, `project.rs`; a missing coordinate
//!    counts as its mean there, over all rows or, beyond 16,384, over a
//!    seeded sample of 16,384), at this level and the levels below; the
//!    groups' centroids and spreads are then taken in the items' own values.
//! 2. **Pieces.** Each top-level group's tree (step 3) is cut into pieces,
//!    [`PIECES_PER_GROUP`] a group on average and at most [`PIECES_MAX`] in
//!    all, in proportion to the groups' sizes, by undoing its merges from
//!    the root down, the one over the most items first (`split`). A group is
//!    therefore not final: the tree above is built over the pieces, and the
//!    pieces of one group may join other groups' pieces before each other,
//!    as the items at a group's edge often do in the exact tree. What stays
//!    final is a piece: items joined below the cut of their group's tree.
//! 3. **Above the pieces.** The exact linkage of the requested method over
//!    the pieces' centroids, each weighted by its piece's size in the
//!    Lance–Williams updates. The distance between two pieces `i`, `j` of
//!    sizes `nᵢ`, `nⱼ`, centroid distance `D` (the metric between the
//!    centroids, from `f64` products) and spreads `σᵢ²`, `σⱼ²` (mean squared
//!    distance of the members to their centroid):
//!    - ward: `√(2nᵢnⱼ/(nᵢ+nⱼ))·D`, centroid and median: `D`. For Euclidean
//!      distances this is exact: the tree above the pieces is the one the
//!      members' own linkage would build if it first formed the pieces.
//!    - average, weighted, complete: the root-mean-square distance between
//!      members, `f(s + σᵢ² + σⱼ²)` where `D = f(s)`. For sqeuclidean,
//!      cosine, correlation and spearman on complete data this is exactly
//!      the average linkage distance between the pieces; for euclidean it
//!      is an upper bound close to it in many dimensions; for complete it
//!      is an approximation from below. Cityblock uses `D`.
//!    - single: `D`, an approximation from above.
//!
//!    The levels below the top join their k-means groups whole, by the same
//!    distances over the groups' centroids.
//! 4. **Inside the groups.** A group larger than [`LEAF_MAX`] is split
//!    again the same way, into groups of about half that; a group of at
//!    most [`LEAF_MAX`] gets the exact linkage of [`crate::cluster`] on the
//!    members' own values with the requested metric. A pair without common
//!    coordinates gets the largest distance within its group.
//! 5. **Heights.** Each piece's (or lower group's) tree hangs under the
//!    leaf that stood for it, and no merge sits below a merge under it: in
//!    the tree above the pieces a merge is raised to the highest merge under it (which only
//!    ever changes centroid and median trees), and a group whose own root
//!    would stand above the merge that joins it to the rest has all its
//!    heights scaled by one factor to meet that merge. So the heights
//!    between groups are the linkage distances above, and each group keeps
//!    the shape and the order of heights of its exact tree.
//!
//! # The passes
//! `cluster` asks [`plan`] first: within the memory budget (and without
//! `--approx`) the tree is exact. Beyond it the tree is built in levels,
//! reusing the exact pipeline for the small parts:
//!
//! ```text
//!  items (rows read with pread, or columns over a pread row sample held transposed)
//!    │  Space: the centre of each coordinate (≤ 16,384 rows: one pass, which
//!    │    also refuses an all-NaN row; beyond: a 16,384-row sample, and the
//!    │    first pass over every row refuses one, naming the first)
//!    │  > 16,384 items of ≥ 128 values: their 32 principal components
//!    │    (subspace iteration on a 16,384-item sample; one projection pass)
//!    ▼
//!  k-means, k ≈ √n (≤ 4,096): k-means++ and Lloyd on a 16·k sample,
//!    │  then Lloyd passes over all n in 256-row blocks (sgemm + first
//!    │  minimum): one in the items' own values, or four on the components
//!    ▼
//!  per group, in parallel: its rows read once into memory (up to 128 MB);
//!    │   > 256 items → k-means again (groups of ~128, on the components if any)
//!    │   ≤ 256 items → distances from one f32 product + linkage (the exact code)
//!    │   its tree cut into pieces; their centroids and spreads in the
//!    │   items' own values
//!    ▼
//!  linkage_of_clusters over the ≤ 4,096 pieces' centroids (distances from
//!    │  f64 products; Lance–Williams weighted by size)
//!    │  graft: piece trees under that tree's leaves, heights made
//!    ▼  monotone; merges labelled → Dendrogram (same type, same outputs)
//! ```
//!
//! # Memory
//! `O(n)` indices and merges (and 32 components an item when projected),
//! the centroids of at most [`PIECES_MAX`] pieces and their distances
//! (about 150 MB while the tree over them is built), one 256-row block per
//! thread, and one group's rows and distances at a time. The matrix is
//! read with `pread`, never mapped or copied whole: an 8,000,000 × 800
//! matrix larger than RAM was clustered in 2 GB.
//!
//! # Columns
//! Columns are clustered on a seeded sample of the rows
//! ([`Plan::Approx::sample_rows`]; by default as many rows as keep the
//! sample near 32 Mi values, from 1,000 to 50,000 rows), held transposed in
//! memory; then exactly when they are at most [`EXACT_MAX`], else as rows are.
//!
//! # Leaf order
//! By default scipy's order of the final tree. With optimal ordering, the
//! centroid tree is ordered optimally on the centroid distances and each
//! group's tree on its members' distances; each group keeps its own order.
//!
//! # Determinism
//! The tree depends only on the input, the options and the seed, never on
//! the thread count: samples and seeds are drawn from a ChaCha8 stream per
//! level and group, and every parallel pass writes or sums in a fixed order:
//! blocks have fixed bounds and write fixed places, and sums run group by
//! group over members in index order. The tests compare rayon pools of 1 and
//! 2 threads.
//!
//! # Ctrl-C
//! Every block and group polls [`crate::progress::interrupted`]; the run
//! ends with `ClusterError::Interrupted` (exit 130) before anything is
//! written or cached.

mod kmeans;
mod leaves;
pub mod project;

use crate::progress::Bar;
use ndarray::{Array2, ArrayView2, linalg::general_mat_mul, s};
use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::condensed::{Items, pdist_items};
use super::lance_williams::RawMerge;
use super::linkage::{label_in_height_order, linkage_of_clusters, sort_and_label};
use super::metric::{self, Metric};
use super::{Axis, ClusterError, ClusterOptions, CondensedMatrix, Dendrogram, Method, link_and_order};
use crate::hash::Fnv;
use crate::input::Matrix;
use crate::progress;
use kmeans::{Partition, Space};

/// The most groups k-means makes by default.
pub const MAX_GROUPS: usize = 4096;

/// Up to this many items (and without `--groups`) the approximate mode
/// is the exact linkage: it takes at most about 100 MiB and a second.
pub const EXACT_MAX: usize = super::linkage::F64_WORKSPACE_MAX;

/// The largest k-means group clustered exactly; a larger one is split
/// again by k-means into groups of about half this size. Exact clustering
/// costs each item time in proportion to its group's size, so this keeps
/// a million rows at seconds; 256 rows are also about the most a screen
/// shows one pixel each of.
pub const LEAF_MAX: usize = 256;

/// The pieces a top-level group is cut into, on average, for the tree above
/// the groups (see [`pieces_per_item`]).
pub const PIECES_PER_GROUP: usize = 16;

/// The most pieces the tree above the groups is built over: a linkage over
/// as many items as the exact mode takes in about a second.
pub const PIECES_MAX: usize = EXACT_MAX;

/// The values a default column sample aims at (rows × columns).
const COL_SAMPLE_VALUES: usize = 32 << 20;
/// Bounds of the default column sample, in rows.
const COL_SAMPLE_MIN: usize = 1000;
const COL_SAMPLE_MAX: usize = 50_000;

/// The most bytes of a group's values read into memory at once (a group of
/// a √n split of a million rows of 1,000 values holds about 4 MB).
const GATHER_BYTES: usize = 128 << 20;

/// Lloyd passes over every item on principal components: each costs
/// [`project::COMPONENTS`] values an item, so a few more settle the groups.
const PROJECTED_PASSES: usize = 4;

/// Bump when the approximate tree changes for the same options: it names
/// cached trees.
pub(crate) const VERSION: u64 = 4;

/// When clustering is approximate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// When exact clustering would not fit the memory budget.
    #[default]
    OverBudget,
    /// Always (`--approx`).
    Always,
    /// Never: over the budget, clustering fails with
    /// [`ClusterError::OverBudget`].
    Never,
}

/// How approximate clustering is chosen and run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApproxOptions {
    /// When it is used.
    pub when: When,
    /// The number of k-means groups at the top; `None`: `√n`, at most
    /// [`MAX_GROUPS`], and none for at most [`EXACT_MAX`] items (exact).
    pub groups: Option<usize>,
    /// For columns: how many rows their distances are estimated on;
    /// `None`: [`default_col_sample`].
    pub col_sample: Option<usize>,
    /// Seeds every sample and k-means run.
    pub seed: u64,
}

/// How one axis will be clustered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Exactly, as scipy.
    Exact,
    /// Approximately.
    Approx {
        /// k-means groups at the top (`None`: chosen from `n`).
        groups: Option<usize>,
        /// For columns, the rows their distances are estimated on (all of
        /// them when it equals the row count).
        sample_rows: Option<usize>,
        /// The seed.
        seed: u64,
    },
}

/// How `options` cluster `matrix` along `axis`: approximately when asked
/// to, or when exact clustering would not fit the memory budget.
pub fn plan(matrix: &Matrix, axis: Axis, options: &ClusterOptions) -> Plan {
    let approx = options.approx;
    let approximate = match approx.when {
        When::Never => false,
        When::Always => true,
        When::OverBudget => options.budget.check(axis.len(matrix), axis.dim(matrix), options.optimal_ordering).is_err(),
    };
    if !approximate {
        return Plan::Exact;
    }
    let sample_rows = (axis == Axis::Cols)
        .then(|| approx.col_sample.unwrap_or_else(|| default_col_sample(matrix.cols())).min(matrix.rows()));
    Plan::Approx { groups: approx.groups, sample_rows, seed: approx.seed }
}

/// The rows a column sample takes by default for `cols` columns: about
/// 32 Mi values (128 MiB), from 1,000 to 50,000 rows.
pub fn default_col_sample(cols: usize) -> usize {
    (COL_SAMPLE_VALUES / cols.max(1)).clamp(COL_SAMPLE_MIN, COL_SAMPLE_MAX)
}

/// The approximate tree of `matrix` along `axis` (see the module
/// documentation), with the parameters of a [`Plan::Approx`]; `progress`
/// is reset for each stage.
pub(crate) fn cluster_approx(
    matrix: &Matrix,
    axis: Axis,
    options: &ClusterOptions,
    plan: Plan,
    progress: Option<&Bar>,
) -> Result<Dendrogram, ClusterError> {
    let Plan::Approx { groups, sample_rows, seed } = plan else {
        unreachable!("called with an approximate plan");
    };
    let n = axis.len(matrix);
    if n < 2 {
        return Err(ClusterError::TooFewItems { n, item: axis.item_name() });
    }
    let sampled;
    let space = match axis {
        Axis::Rows => Space::of_rows(matrix, axis.item_name(), options.metric, seed)?,
        Axis::Cols => {
            let rows = sample_rows.unwrap_or(matrix.rows()).min(matrix.rows());
            sampled = sampled_columns(matrix, rows, seed, progress)?;
            Space::new(&sampled, rows, axis.item_name(), options.metric)?
        }
    };
    let items: Vec<u32> = (0..n as u32).collect();
    // A pass stopped at an empty item names the first one, whichever thread met one.
    let named = |space: &Space, e: ClusterError| match e {
        ClusterError::NoFiniteValue { item, index } => match space.first_empty(&items) {
            Ok(first) => ClusterError::NoFiniteValue { item, index: first.unwrap_or(index) },
            // Interrupted, or a read that failed: that is the error.
            Err(e) => e,
        },
        e => e,
    };
    let coordinates = match project::projects(n, space.dim()) && (groups.is_some() || n > EXACT_MAX) {
        true => Some(project::components(&space, &items, seed, progress).map_err(|e| named(&space, e))?),
        false => None,
    };
    let components = match &coordinates {
        Some(c) => Some(Space::new(c, c.len() / n, axis.item_name(), Metric::SqEuclidean)?),
        None => None,
    };
    let run = Run { space, components, method: options.method, ordering: options.optimal_ordering };
    let top = match groups {
        None if n <= EXACT_MAX => exact(&run, &items),
        None => build(&run, &items, Top::Groups(((n as f64).sqrt().round() as usize).min(MAX_GROUPS)), seed, progress),
        Some(k) => build(&run, &items, Top::Groups(k), seed, progress),
    }
    .map_err(|e| named(&run.space, e))?;
    // An ordering stops early, unordered, when interrupted.
    if run.ordering && progress::interrupted() {
        return Err(ClusterError::Interrupted);
    }
    let merges = if run.ordering { label_in_height_order(n, top.merges) } else { sort_and_label(n, top.merges) };
    Ok(Dendrogram::from_merges(n, merges))
}

/// What every level of the tree shares.
struct Run<'a> {
    space: Space<'a>,
    /// The items' principal components, which k-means groups them on at
    /// every level when they have many values (`project.rs`).
    components: Option<Space<'a>>,
    method: Method,
    ordering: bool,
}

/// The tree over a set of items, as merges of items (each cluster named by
/// one of its members, the left one first), children before parents.
struct Subtree {
    merges: Vec<RawMerge>,
    /// A member of the root cluster.
    member: u32,
    /// The root's height.
    height: f64,
}

impl Subtree {
    /// The tree of one item.
    fn leaf(item: u32) -> Self {
        Subtree { merges: Vec::new(), member: item, height: 0.0 }
    }

    /// The same tree over items named `ids[i]` instead of `i`.
    fn renamed(mut self, ids: &[u32]) -> Self {
        for merge in &mut self.merges {
            (merge.0, merge.1) = (ids[merge.0 as usize], ids[merge.1 as usize]);
        }
        Subtree { member: ids[self.member as usize], ..self }
    }
}

/// How many groups a level of [`build`] makes.
#[derive(Clone, Copy)]
enum Top {
    /// This many (the top level).
    Groups(usize),
    /// Groups of about `LEAF_MAX / 2` items, if there are more than
    /// [`LEAF_MAX`] (the levels below).
    Leaves,
}

/// The tree over `items` (in increasing order): k-means groups, each built
/// the same way with [`Top::Leaves`], joined by the tree over their
/// centroids; exact for a set of at most [`LEAF_MAX`] items below the top.
fn build(run: &Run, items: &[u32], top: Top, seed: u64, progress: Option<&Bar>) -> Result<Subtree, ClusterError> {
    let m = items.len();
    let k = match top {
        Top::Groups(k) => k.min(m),
        Top::Leaves if m <= LEAF_MAX => return leaf_group(run, items),
        Top::Leaves => m.div_ceil(LEAF_MAX / 2),
    };
    if k < 2 || m <= 2 {
        return exact(run, items);
    }
    let mut partition = match &run.components {
        Some(components) => {
            let passes = if matches!(top, Top::Groups(_)) { PROJECTED_PASSES } else { kmeans::FULL_PASSES };
            kmeans::kmeans(components, items, k, seed, passes, progress)?
        }
        None => kmeans::kmeans(&run.space, items, k, seed, kmeans::FULL_PASSES, progress)?,
    };
    if partition.len() < 2 {
        // Every item prepares to the same vector: any split will do.
        partition = Partition::runs(&run.space, items, LEAF_MAX)?;
    }
    if let Some(p) = progress {
        p.set_length(m as u64);
        p.set_position(0);
        p.set_message("groups");
    }
    let pieces = match top {
        Top::Groups(_) => pieces_per_item(m, partition.len()),
        Top::Leaves => 0.0,
    };
    let parts = (0..partition.len())
        .into_par_iter()
        .map(|g| {
            if progress::interrupted() {
                return Err(ClusterError::Interrupted);
            }
            let members = partition.members(g);
            let seed = Fnv::default().u64(seed).u64(g as u64).finish();
            let pieces = (members.len() as f64 * pieces).round() as usize;
            let parts = if members.len() * run.space.dim() * 4 > GATHER_BYTES {
                // Too large to hold: read from where it is, as its own
                // groups below will be gathered.
                let part = build(run, members, Top::Leaves, seed, None)?;
                centred_pieces(&run.space, part, members, pieces)?
            } else {
                // The group's rows are read once; its centroid (in the items'
                // own values) and everything below work on them in memory.
                let values = run.space.gather(members)?;
                let coordinates = run.components.as_ref().map(|c| c.gather(members)).transpose()?;
                let local = Run {
                    space: run.space.local(&values),
                    components: run.components.as_ref().zip(coordinates.as_deref()).map(|(c, v)| c.local(v)),
                    method: run.method,
                    ordering: run.ordering,
                };
                let numbered: Vec<u32> = (0..members.len() as u32).collect();
                let part = build(&local, &numbered, Top::Leaves, seed, None)?;
                let mut parts = centred_pieces(&local.space, part, &numbered, pieces)?;
                for piece in &mut parts {
                    piece.tree = std::mem::replace(&mut piece.tree, Subtree::leaf(0)).renamed(members);
                }
                parts
            };
            if let Some(p) = progress {
                p.inc(members.len() as u64);
            }
            Ok(parts)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let pieces: Vec<Piece> = parts.into_iter().flatten().collect();
    let sizes: Vec<u32> = pieces.iter().map(|p| p.size).collect();
    let centroids: Vec<(Vec<f64>, f64)> = pieces.iter().map(|p| (p.centroid.clone(), p.spread)).collect();
    Ok(graft(&centroid_tree(run, &sizes, &centroids), pieces.into_iter().map(|p| p.tree).collect()))
}

/// How many pieces the top-level groups of `n` items, `groups` of them,
/// are cut into, for each item they hold: about [`PIECES_PER_GROUP`] a
/// group, at most [`PIECES_MAX`] in all, each group in proportion to its
/// size (k-means groups differ in size several times over).
///
/// The tree above the groups is built over the pieces, so that the groups
/// of k-means are not final: the pieces of one group may join pieces of
/// other groups before they join each other, as the items near a group's
/// edge often do in the exact tree.
fn pieces_per_item(n: usize, groups: usize) -> f64 {
    (PIECES_PER_GROUP * groups).min(PIECES_MAX) as f64 / n as f64
}

/// A piece of a group's tree, as the tree above the groups sees it.
struct Piece {
    tree: Subtree,
    size: u32,
    /// The members' mean, prepared.
    centroid: Vec<f64>,
    /// The members' mean squared distance to the centroid.
    spread: f64,
}

/// `part` (a tree over `members`) cut into at most `count` pieces, each
/// with its centroid and spread in `space`.
fn centred_pieces(space: &Space, part: Subtree, members: &[u32], count: usize) -> Result<Vec<Piece>, ClusterError> {
    split(part, members, count)
        .into_iter()
        .map(|(tree, items)| {
            let (centroid, spread) = kmeans::centroid_of(space, &items)?;
            Ok(Piece { tree, size: items.len() as u32, centroid, spread })
        })
        .collect()
}

/// `part`, a tree over `members` (in increasing order), cut into at most
/// `count` subtrees by undoing merges from the root down, always the one
/// that joins the most items (the highest among equal ones): the pieces
/// come out of even size where the tree allows, rather than one large
/// piece beside outliers cut off singly. Each piece's tree and members, in
/// increasing order.
fn split(part: Subtree, members: &[u32], count: usize) -> Vec<(Subtree, Vec<u32>)> {
    let merges = &part.merges;
    if count < 2 || merges.is_empty() {
        return vec![(part, members.to_vec())];
    }
    let position = |item: u32| members.binary_search(&item).expect("a merge joins members");
    // Each merge's children (the last merge before it that named each
    // side) and how many items it joins.
    let mut last = vec![None; members.len()];
    let mut children = Vec::with_capacity(merges.len());
    let mut size = Vec::with_capacity(merges.len());
    for &(a, b, _) in merges {
        let pair = [last[position(a)], last[position(b)]];
        size.push(pair.iter().map(|c| c.map_or(1, |c: usize| size[c])).sum::<usize>());
        children.push(pair);
        last[position(a)] = Some(children.len() - 1);
    }
    let ranked = |i: usize| Ranked(size[i], merges[i].2, i);
    let mut undone = vec![false; merges.len()];
    let mut open = std::collections::BinaryHeap::from([ranked(merges.len() - 1)]);
    for _ in 1..count {
        let Some(Ranked(_, _, i)) = open.pop() else { break };
        undone[i] = true;
        open.extend(children[i].into_iter().flatten().map(ranked));
    }
    // The pieces are what the merges left join.
    let mut root: Vec<usize> = (0..members.len()).collect();
    fn find(root: &mut [usize], mut x: usize) -> usize {
        while root[x] != x {
            root[x] = root[root[x]];
            x = root[x];
        }
        x
    }
    for (&(a, b, _), _) in merges.iter().zip(&undone).filter(|(_, u)| !**u) {
        let (ra, rb) = (find(&mut root, position(a)), find(&mut root, position(b)));
        root[rb] = ra;
    }
    let mut piece_of = vec![usize::MAX; members.len()];
    let mut pieces: Vec<(Subtree, Vec<u32>)> = Vec::new();
    for (p, &item) in members.iter().enumerate() {
        let r = find(&mut root, p);
        if piece_of[r] == usize::MAX {
            piece_of[r] = pieces.len();
            pieces.push((Subtree::leaf(item), Vec::new()));
        }
        pieces[piece_of[r]].1.push(item);
    }
    for (&merge, _) in merges.iter().zip(&undone).filter(|(_, u)| !**u) {
        let r = find(&mut root, position(merge.0));
        let piece = &mut pieces[piece_of[r]].0;
        piece.merges.push(merge);
        (piece.member, piece.height) = (merge.0, merge.2);
    }
    pieces
}

/// A merge by the items it joins, then by height, later merges first among
/// equal ones (a parent comes after its children).
struct Ranked(usize, f64, usize);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0).then(self.1.total_cmp(&other.1)).then(self.2.cmp(&other.2))
    }
}

/// The exact tree over `items`.
fn exact(run: &Run, items: &[u32]) -> Result<Subtree, ClusterError> {
    linked(run, items, false)
}

/// The tree of a leaf group: the exact linkage, on distances from `f32`
/// products where they apply (`leaves.rs`).
fn leaf_group(run: &Run, items: &[u32]) -> Result<Subtree, ClusterError> {
    linked(run, items, true)
}

fn linked(run: &Run, items: &[u32], in_f32: bool) -> Result<Subtree, ClusterError> {
    let space = &run.space;
    let leaves = items.iter().map(|&i| Subtree::leaf(i)).collect();
    if items.len() < 2 {
        return Ok(graft(&Dendrogram::from_merges(items.len(), Vec::new()), leaves));
    }
    let values = space.gather(items)?;
    let fast = in_f32.then(|| leaves::distances(&values, space.dim(), space.metric())).flatten();
    let dist = match fast {
        Some(dist) => dist,
        None => {
            pdist_items(Items::Rows { data: &values, dim: space.dim(), item: space.item_name() }, space.metric(), None)?
        }
    };
    Ok(graft(&link_and_order(dist, run.method, run.ordering, None), leaves))
}

/// `tree`'s merges over `parts` (one per leaf of `tree`): every part's
/// merges, then `tree`'s. A merge of `tree` is never below the merges of
/// `tree` under it; a part whose root would stand above the merge that
/// joins it has all its heights scaled by the same factor to meet it.
fn graft(tree: &Dendrogram, parts: Vec<Subtree>) -> Subtree {
    let k = parts.len();
    let mut height = vec![0.0f64; k];
    let mut limit = vec![f64::INFINITY; k];
    for m in tree.merges() {
        let h = m.height.max(height[m.a]).max(height[m.b]);
        for c in [m.a, m.b].into_iter().filter(|&c| c < k) {
            limit[c] = h;
        }
        height.push(h);
    }
    let inner: usize = parts.iter().map(|p| p.merges.len()).sum();
    let mut merges = Vec::with_capacity(inner + tree.merges().len());
    let mut member = Vec::with_capacity(2 * k);
    for (part, limit) in parts.into_iter().zip(limit) {
        let start = merges.len();
        merges.extend(part.merges);
        if part.height > limit {
            let scale = limit / part.height;
            merges[start..].iter_mut().for_each(|m| m.2 *= scale);
        }
        member.push(part.member);
    }
    for (i, m) in tree.merges().iter().enumerate() {
        merges.push((member[m.a], member[m.b], height[k + i]));
        member.push(member[m.a]);
    }
    Subtree {
        merges,
        member: *member.last().expect("a tree has a root"),
        height: *height.last().expect("a tree has a root"),
    }
}

/// The exact linkage over the groups' centroids, weighted by group sizes
/// (the distances of the module documentation), optimally ordered on the
/// centroid distances if asked.
fn centroid_tree(run: &Run, sizes: &[u32], centroids: &[(Vec<f64>, f64)]) -> Dendrogram {
    let k = sizes.len();
    let metric = run.space.metric();
    // From the squared distance s between prepared vectors to the metric.
    let from_squared = |s: f64| match metric {
        Metric::Euclidean | Metric::Cityblock => s.sqrt(),
        Metric::SqEuclidean => s,
        Metric::Cosine | Metric::Correlation | Metric::Spearman => s / 2.0,
    };
    let rows: Vec<Vec<(f32, f32)>> = pairwise(centroids, |i, j, s| {
        let (ci, cj) = (&centroids[i].0, &centroids[j].0);
        let plain = match metric {
            Metric::Cityblock => metric::direct(metric, ci, cj).expect("centroids are complete"),
            _ => from_squared(s),
        };
        let (ni, nj) = (f64::from(sizes[i]), f64::from(sizes[j]));
        let linked = match run.method {
            Method::Ward => (2.0 * ni * nj / (ni + nj)).sqrt() * plain,
            Method::Centroid | Method::Median | Method::Single => plain,
            Method::Average | Method::Weighted | Method::Complete => match metric {
                Metric::Cityblock => plain,
                _ => from_squared(s + centroids[i].1 + centroids[j].1),
            },
        };
        (linked as f32, plain as f32)
    });
    let (linked, plain): (Vec<f32>, Vec<f32>) = rows.into_iter().flatten().unzip();
    let tree = linkage_of_clusters(CondensedMatrix::from_vec(k, linked), run.method, sizes, None);
    if run.ordering { tree.optimal_leaf_ordering(&CondensedMatrix::from_vec(k, plain)) } else { tree }
}

/// `pair(i, j, s)` for every pair of centroids, row by row (for each `i`
/// those with `j > i`), where `s` is their squared distance. From `f64`
/// products (`|a|² + |b|² − 2a·b`), a block of rows at a time: thousands of
/// centroids of a thousand values each are billions of products. The
/// centroids are centred on the items' mean, so the terms stay near the
/// size of the distances.
fn pairwise<T: Send>(centroids: &[(Vec<f64>, f64)], pair: impl Fn(usize, usize, f64) -> T + Sync) -> Vec<Vec<T>> {
    const BLOCK: usize = 64;
    let k = centroids.len();
    let dim = centroids.first().map_or(0, |c| c.0.len());
    let flat: Vec<f64> = centroids.iter().flat_map(|c| c.0.iter().copied()).collect();
    let all = ArrayView2::from_shape((k, dim), &flat).expect("centroid shape");
    let norms: Vec<f64> = centroids.iter().map(|c| c.0.iter().map(|v| v * v).sum()).collect();
    let starts: Vec<usize> = (0..k).step_by(BLOCK).collect();
    starts
        .into_par_iter()
        .flat_map_iter(|start| {
            let end = (start + BLOCK).min(k);
            let block = all.slice(s![start..end, ..]);
            let mut products = Array2::<f64>::zeros((end - start, k));
            general_mat_mul(1.0, &block, &all.t(), 0.0, &mut products);
            let (norms, pair) = (&norms, &pair);
            (start..end)
                .map(move |i| {
                    let squared = |j: usize| (norms[i] + norms[j] - 2.0 * products[[i - start, j]]).max(0.0);
                    (i + 1..k).map(|j| pair(i, j, squared(j))).collect()
                })
                .collect::<Vec<Vec<T>>>()
        })
        .collect()
}

/// The columns of `matrix` over a seeded sample of `rows` of its rows (in
/// file order; all rows when `rows` is the row count), one column after
/// another: `cols × rows` values.
///
/// Rows are read with `pread` ([`Matrix::read_row`]), not through the map:
/// a sample touches a few rows per page run, and faulting them in would map
/// (and count as resident) most of the file around them.
fn sampled_columns(matrix: &Matrix, rows: usize, seed: u64, progress: Option<&Bar>) -> Result<Vec<f32>, ClusterError> {
    /// Columns transposed per task: each sampled row gives one cache line.
    const WIDTH: usize = 16;
    let picked: Vec<usize> = if rows >= matrix.rows() {
        (0..matrix.rows()).collect()
    } else {
        let mut rng = ChaCha8Rng::seed_from_u64(Fnv::default().u64(seed).bytes(b"columns").finish());
        let mut picked = index::sample(&mut rng, matrix.rows(), rows).into_vec();
        picked.sort_unstable();
        picked
    };
    let cols = matrix.cols();
    let len = cols * picked.len();
    let zeros = || -> Result<Vec<f32>, ClusterError> {
        let mut v = Vec::new();
        v.try_reserve_exact(len).map_err(|_| ClusterError::OutOfMemory { bytes: (len * 4) as u64 })?;
        v.resize(len, 0.0f32);
        Ok(v)
    };
    if let Some(p) = progress {
        p.set_length(picked.len() as u64);
        p.set_position(0);
        p.set_message("sampling rows");
    }
    let mut sample = zeros()?;
    sample.par_chunks_mut(cols).zip(&picked).try_for_each(|(row, &r)| {
        if progress::interrupted() {
            return Err(ClusterError::Interrupted);
        }
        // A read error on a file that opened and mapped means it changed
        // under us; the map's own read would fault the same way.
        matrix.read_row(r, row).map_err(|e| ClusterError::Read(e.to_string()))?;
        if let Some(p) = progress {
            p.inc(1);
        }
        Ok(())
    })?;
    let mut out = zeros()?;
    out.par_chunks_mut(WIDTH * picked.len()).enumerate().for_each(|(t, chunk)| {
        let first = t * WIDTH;
        for (s, row) in sample.chunks_exact(cols).enumerate() {
            for (c, &v) in row[first..first + chunk.len() / picked.len()].iter().enumerate() {
                chunk[c * picked.len() + s] = v;
            }
        }
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces' members and merges.
    fn cut(merges: &[RawMerge], members: &[u32], count: usize) -> Vec<(Vec<u32>, Vec<RawMerge>, u32)> {
        let part = Subtree { merges: merges.to_vec(), member: members[0], height: merges.last().map_or(0.0, |m| m.2) };
        split(part, members, count).into_iter().map(|(p, items)| (items, p.merges, p.member)).collect()
    }

    #[test]
    fn a_tree_is_cut_into_whole_subtrees_the_largest_first() {
        // ((((10 20) 30) 40) 50): 50 joins last, high above the rest.
        let members = [10, 20, 30, 40, 50];
        let merges = [(10, 20, 1.0), (10, 30, 1.5), (10, 40, 2.0), (10, 50, 10.0)];
        assert_eq!(cut(&merges, &members, 1), vec![(members.to_vec(), merges.to_vec(), 10)]);
        assert_eq!(
            cut(&merges, &members, 2),
            vec![(vec![10, 20, 30, 40], merges[..3].to_vec(), 10), (vec![50], vec![], 50)]
        );
        assert_eq!(
            cut(&merges, &members, 3),
            vec![(vec![10, 20, 30], merges[..2].to_vec(), 10), (vec![40], vec![], 40), (vec![50], vec![], 50)]
        );
        // Never more pieces than items.
        assert_eq!(cut(&merges, &members, 9).len(), 5);
    }

    #[test]
    fn the_larger_side_is_cut_before_a_higher_merge_of_fewer_items() {
        // ((10 20) (30 (40 50))) with the pair (10 20) joined higher than
        // the three: the three are cut first, as the larger piece.
        let members = [10, 20, 30, 40, 50];
        let merges = [(40, 50, 1.0), (30, 40, 2.0), (10, 20, 5.0), (10, 30, 6.0)];
        assert_eq!(
            cut(&merges, &members, 3),
            vec![
                (vec![10, 20], vec![(10, 20, 5.0)], 10),
                (vec![30], vec![], 30),
                (vec![40, 50], vec![(40, 50, 1.0)], 40)
            ]
        );
    }

    #[test]
    fn centroid_distances_from_products_equal_the_direct_ones() {
        let centroids: Vec<(Vec<f64>, f64)> =
            (0..70).map(|i| ((0..5).map(|d| ((i * 7 + d * 13) % 11) as f64 - 5.0).collect(), 0.0)).collect();
        let rows = pairwise(&centroids, |_, _, s| s);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.len(), centroids.len() - i - 1);
            for (j, &s) in (i + 1..).zip(row) {
                let direct = metric::squared_difference(&centroids[i].0, &centroids[j].0);
                assert!((s - direct).abs() <= 1e-9 * (1.0 + direct), "{i} {j}: {s} {direct}");
            }
        }
    }
}
