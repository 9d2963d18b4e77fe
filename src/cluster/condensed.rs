//! Condensed pairwise distances and their parallel, blocked computation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::progress::Bar;
use ndarray::{ArrayView2, linalg::general_mat_mul};
use rayon::prelude::*;

use super::gram;
use super::metric::{self, Metric, Prepared};
use super::nn_chain::FirstNeighbours;
use super::{Axis, ClusterError};
use crate::input::Matrix;

/// The distances between `n` items: the upper triangle of a symmetric
/// matrix without its diagonal, the same values as scipy's condensed form.
///
/// They are stored in 4 × 4 blocks (64 bytes, one cache line of `f32`), the
/// blocks of the upper triangle row after row: the linkage
/// reads whole rows and whole columns of the triangle, and in blocks a
/// column read brings in four useful values per cache line instead of one.
/// [`CondensedMatrix::from_vec`] and [`CondensedMatrix::to_vec`] convert
/// from and to scipy's order.
pub struct CondensedMatrix {
    n: usize,
    blocks: Blocks,
    data: Storage,
    /// Every item's first neighbours, when the computation of the values
    /// collected them; forgotten as soon as the values may change, and not
    /// copied by `clone`.
    first: Option<FirstNeighbours<f32>>,
}

/// Where the values live: large matrices in anonymous memory, in huge
/// pages where they come cheaply (4 KiB pages make most column reads a TLB
/// miss too).
enum Storage {
    Heap(Vec<f32>),
    Anon(memmap2::MmapMut),
}

/// From this size on, distances go to anonymous memory ([`fault_in`]).
const ANON_BYTES: usize = 32 << 20;

/// A huge page whose fault takes longer (2 MiB zeroed at under 2 GB/s)
/// was not at hand: see [`fault_in`].
const SLOW_HUGE_PAGE: Duration = Duration::from_millis(1);

/// Huge pages faulted in at a time, and timed together.
const RUN: usize = 8 * HUGE_PAGE;

/// Runs of huge pages slower than [`SLOW_HUGE_PAGE`] a page that settle
/// it: one could be a thread's time slice lost to another.
const SLOW_RUNS: usize = 2;

/// A huge page of x86-64 (and of arm64 with 4 KiB pages).
const HUGE_PAGE: usize = 2 << 20;

/// Faults in the fresh memory of a triangle in huge pages while they come
/// within `slow` each, and leaves the rest to small pages once
/// [`SLOW_RUNS`] runs of them did not.
///
/// Huge pages spare the linkage a TLB miss on most reads down a column of
/// the triangle: from a tenth of a second to over one at 20,000 items on
/// the VM where it was measured. Where memory is backed lazily,
/// as on virtual machines that hand free memory back to their host, fresh
/// huge pages come from the host at several times the cost of the small
/// pages the system already holds, which is more than they save
/// (BENCHMARKS.md, "Fresh huge pages, timed"); the first few may come
/// fast, from memory freed lately.
fn fault_in(map: &mut memmap2::MmapMut, slow: Duration) {
    // Only hints: either way everything works.
    if map.advise(memmap2::Advice::HugePage).is_err() {
        return;
    }
    let slow_runs = AtomicUsize::new(0);
    map.par_chunks_mut(RUN).for_each(|run| {
        if slow_runs.load(Ordering::Relaxed) >= SLOW_RUNS {
            return;
        }
        let start = Instant::now();
        // The memory reads zero already; a write faults its page in.
        for at in (0..run.len()).step_by(HUGE_PAGE) {
            run[at] = 0;
        }
        if start.elapsed() >= run.len().div_ceil(HUGE_PAGE) as u32 * slow {
            slow_runs.fetch_add(1, Ordering::Relaxed);
        }
    });
    if slow_runs.into_inner() >= SLOW_RUNS {
        let _ = map.advise(memmap2::Advice::NoHugePage);
    }
}

/// Side of a block: 4 × 4 `f32` fill one 64-byte cache line.
const B: usize = 4;

/// Positions in the blocked triangle. Block `(I, J)`, `I ≤ J`, holds
/// `d(i, j)` for `i` in `4I..4I+4` and `j` in `4J..4J+4` at
/// `(i mod 4)·4 + (j mod 4)`; blocks are laid out row of blocks after row of
/// blocks. Diagonal blocks waste their lower half, `2n` values in all.
///
/// The position splits into a part of the smaller index and a part of the
/// larger, `pos(i, j) = lead(i) + tail(j)` for `i < j`, so that a pass
/// along one item's row or column adds one table value to one computed
/// one: the linkage's passes wait on scattered loads, and the fewer
/// instructions each load takes, the more of them are in flight.
#[derive(Clone, Debug)]
pub(crate) struct Blocks {
    /// Where each row of blocks starts (in values), plus the total.
    row: Vec<usize>,
    /// `lead(i)` for every item.
    lead: Vec<usize>,
}

impl Blocks {
    pub(crate) fn new(n: usize) -> Self {
        let nb = n.div_ceil(B);
        let mut row = Vec::with_capacity(nb + 1);
        let mut at = 0;
        for i in 0..=nb {
            row.push(at);
            at += (nb - i.min(nb)) * B * B;
        }
        // A row of blocks holds at least one block per earlier row of
        // blocks, so `row[I] ≥ 16·I` and the difference is never negative.
        let lead = (0..n).map(|i| row[i / B] - (i / B) * B * B + (i % B) * B).collect();
        Self { row, lead }
    }

    /// The part of `d(i, j)`'s position, `i < j`, that depends on `i`.
    #[inline]
    pub(crate) fn lead(&self, i: usize) -> usize {
        self.lead[i]
    }

    /// The part of `d(i, j)`'s position, `i < j`, that depends on `j`.
    #[inline]
    pub(crate) fn tail(j: usize) -> usize {
        (j / B) * B * B + j % B
    }

    /// Number of values stored.
    pub(crate) fn len(&self) -> usize {
        *self.row.last().expect("total")
    }

    /// Position of `d(i, j)`, `i < j`.
    #[inline]
    pub(crate) fn upper(&self, i: usize, j: usize) -> usize {
        debug_assert!(i < j, "upper({i}, {j})");
        self.lead[i] + Self::tail(j)
    }

    /// Position of `d(i, j)`, `i ≠ j`.
    #[inline]
    pub(crate) fn pos(&self, i: usize, j: usize) -> usize {
        if i < j { self.upper(i, j) } else { self.upper(j, i) }
    }

    /// The unused diagonal slot of item `i`: between the positions of its
    /// column (`d(k, i)`, `k < i`) and of its row (`d(i, k)`, `k > i`).
    #[inline]
    pub(crate) fn diagonal(&self, i: usize) -> usize {
        self.row[i / B] + (i % B) * (B + 1)
    }

    /// Where the blocks of rows `4I..` start: rows `r0..r1` (multiples of 4,
    /// or `r1 = n`) occupy `block_row(r0)..block_row(r1)`.
    pub(crate) fn block_row(&self, r: usize) -> usize {
        self.row[r.div_ceil(B)]
    }
}

impl CondensedMatrix {
    /// The distances given in scipy's condensed order.
    ///
    /// # Panics
    /// If `condensed.len() != n(n−1)/2`.
    pub fn from_vec(n: usize, condensed: Vec<f32>) -> Self {
        assert_eq!(condensed.len(), n * n.saturating_sub(1) / 2, "condensed length");
        let blocks = Blocks::new(n);
        let mut data = vec![0.0f32; blocks.len()];
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                data[blocks.upper(i, j)] = condensed[k];
                k += 1;
            }
        }
        Self { n, blocks, data: Storage::Heap(data), first: None }
    }

    /// The distances in scipy's condensed order.
    pub fn to_vec(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.n * self.n.saturating_sub(1) / 2);
        for i in 0..self.n {
            out.extend((i + 1..self.n).map(|j| self.raw()[self.blocks.upper(i, j)]));
        }
        out
    }

    /// An all-zero matrix for `n` items, or [`ClusterError::OutOfMemory`].
    /// Pages are zeroed by the kernel when first written: large matrices'
    /// huge pages by [`fault_in`] on every thread, small pages by the
    /// parallel distance computation.
    pub(crate) fn zeros(n: usize) -> Result<Self, ClusterError> {
        let blocks = Blocks::new(n);
        let len = blocks.len();
        let bytes = len * size_of::<f32>();
        let oom = || ClusterError::OutOfMemory { bytes: bytes as u64 };
        let data = if bytes >= ANON_BYTES {
            let mut map = memmap2::MmapMut::map_anon(bytes).map_err(|_| oom())?;
            fault_in(&mut map, SLOW_HUGE_PAGE);
            Storage::Anon(map)
        } else {
            let mut data = Vec::new();
            data.try_reserve_exact(len).map_err(|_| oom())?;
            data.resize(len, 0.0);
            Storage::Heap(data)
        };
        Ok(Self { n, blocks, data, first: None })
    }

    /// Number of items.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `d(i, j)` for `i ≠ j`.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.raw()[self.blocks.pos(i, j)]
    }

    pub(crate) fn blocks(&self) -> &Blocks {
        &self.blocks
    }

    /// The stored values, in blocks.
    pub(crate) fn raw(&self) -> &[f32] {
        match &self.data {
            Storage::Heap(v) => v,
            Storage::Anon(m) => bytemuck::cast_slice(m),
        }
    }

    /// The items' first neighbours if the computation of the values
    /// collected them (and nothing changed the values since).
    pub(crate) fn take_first_neighbours(&mut self) -> Option<FirstNeighbours<f32>> {
        self.first.take()
    }

    pub(crate) fn raw_mut(&mut self) -> &mut [f32] {
        self.first = None;
        match &mut self.data {
            Storage::Heap(v) => v,
            Storage::Anon(m) => bytemuck::cast_slice_mut(m),
        }
    }
}

impl Clone for CondensedMatrix {
    fn clone(&self) -> Self {
        Self { n: self.n, blocks: self.blocks.clone(), data: Storage::Heap(self.raw().to_vec()), first: None }
    }
}

impl PartialEq for CondensedMatrix {
    fn eq(&self, other: &Self) -> bool {
        // Unused slots are zero in both, so the stored values compare.
        self.n == other.n && self.raw() == other.raw()
    }
}

impl std::fmt::Debug for CondensedMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CondensedMatrix").field("n", &self.n).finish()
    }
}

/// Items per computation tile: a tile's prepared vectors and its
/// `TILE × TILE` block of dot products stay in a core's L2 cache.
const TILE: usize = 128;

/// The largest panel of prepared items held at once (bytes of `f64`): the
/// whole set for typical matrices, a bounded slice for huge ones.
const PANEL_BYTES: usize = 256 << 20;

/// Pairwise distances between the items of `matrix` along `axis`, as
/// scipy's `pdist(X, metric)` (see the module documentation of
/// [`crate::cluster`] for missing values and undefined correlations).
///
/// Items are prepared in panels of bounded size (columns are gathered panel
/// by panel, streaming over the rows, so the matrix is never copied or
/// transposed whole); each panel pair is computed in parallel tiles, with
/// dot products as blocked matrix products where the metric allows.
pub fn pdist(
    matrix: &Matrix,
    axis: Axis,
    metric: Metric,
    progress: Option<&Bar>,
) -> Result<CondensedMatrix, ClusterError> {
    let items = match axis {
        Axis::Rows => Items::Rows { data: matrix.data(), dim: matrix.cols(), item: axis.item_name() },
        Axis::Cols => Items::Cols(matrix),
    };
    // Columns that do not fit one panel would cost a pass over the matrix
    // per pair of panels; one streamed pass gives their distances instead.
    if axis == Axis::Cols
        && matrix.cols() > panel_items(matrix.rows())
        && let Some(dist) = gram::column_distances(matrix, metric, progress)?
    {
        return Ok(dist);
    }
    pdist_items(items, metric, progress)
}

/// The items [`pdist`] compares: the rows of a row-major slice (a matrix's
/// rows, or vectors gathered elsewhere), or the columns of a matrix.
#[derive(Clone, Copy)]
pub(crate) enum Items<'a> {
    /// `data.len() / dim` items of `dim` values each, called `item` in
    /// messages.
    Rows { data: &'a [f32], dim: usize, item: &'static str },
    /// The columns of a matrix, gathered panel by panel.
    Cols(&'a Matrix),
}

impl Items<'_> {
    fn len(self) -> usize {
        match self {
            Items::Rows { data, dim, .. } => data.len() / dim.max(1),
            Items::Cols(m) => m.cols(),
        }
    }

    fn dim(self) -> usize {
        match self {
            Items::Rows { dim, .. } => dim,
            Items::Cols(m) => m.rows(),
        }
    }

    fn item_name(self) -> &'static str {
        match self {
            Items::Rows { item, .. } => item,
            Items::Cols(_) => Axis::Cols.item_name(),
        }
    }
}

/// [`pdist`] of any [`Items`].
pub(crate) fn pdist_items(
    items: Items,
    metric: Metric,
    progress: Option<&Bar>,
) -> Result<CondensedMatrix, ClusterError> {
    let n = items.len();
    let dim = items.dim();
    if n < 2 {
        return Err(ClusterError::TooFewItems { n, item: items.item_name() });
    }
    if dim == 0 {
        return Err(ClusterError::NoFiniteValue { item: items.item_name(), index: 0 });
    }
    in_panels(items, metric, progress, panel_items(dim))
}

/// How many items of `dim` values a panel holds. Panels start on tile
/// boundaries, so tiles own whole rows of blocks.
fn panel_items(dim: usize) -> usize {
    (PANEL_BYTES / (dim.max(1) * size_of::<f64>())).max(TILE) / TILE * TILE
}

/// [`pdist`] on valid input, preparing at most `panel` items at a time.
fn in_panels(
    items: Items,
    metric: Metric,
    progress: Option<&Bar>,
    panel: usize,
) -> Result<CondensedMatrix, ClusterError> {
    let n = items.len();
    let center = center(items);
    let mut dist = CondensedMatrix::zeros(n)?;
    if let Some(p) = progress {
        // One unit per row of a panel per panel pair it takes part in.
        let units: usize = (0..n).step_by(panel).map(|a0| (n - a0).div_ceil(panel) * (n - a0).min(panel)).sum();
        p.set_length(units as u64);
        p.set_position(0);
        p.set_message("distances");
    }
    let mut found = Found::default();
    // The chain finds the first neighbours in a pass of its own unless they
    // come with the distances: collected wherever it would link the `f32`
    // values in place (Prim's and the generic algorithm leave them unused).
    let collect = n > super::linkage::F64_WORKSPACE_MAX;
    let mut first = None;
    for a0 in (0..n).step_by(panel) {
        let a1 = (a0 + panel).min(n);
        let pa = prepare(items, metric, &center, a0..a1)?;
        for b0 in (a0..n).step_by(panel) {
            let b1 = (b0 + panel).min(n);
            let pb_owned;
            let pb = if b0 == a0 {
                &pa
            } else {
                pb_owned = prepare(items, metric, &center, b0..b1)?;
                &pb_owned
            };
            let (more, firsts) = panel_pair(&mut dist, metric, (a0, &pa), (b0, pb), collect, progress);
            found = found.merge(more);
            first = union_first(first, firsts);
        }
    }
    if let Some((a, b)) = found.overflow {
        return Err(ClusterError::DistanceOverflow { item: items.item_name(), a, b, metric: metric.name() });
    }
    if found.missing {
        // Pairs without a common coordinate were left NaN; now that the
        // largest finite distance is known they get it (documented value).
        let max_finite = dist.raw().par_iter().filter(|d| !d.is_nan()).copied().reduce(|| 0.0, f32::max);
        dist.raw_mut().par_iter_mut().for_each(|d| {
            if d.is_nan() {
                *d = max_finite;
            }
        });
    }
    // A pair without a common coordinate was offered as NaN, which no list
    // takes; such matrices find their neighbours again.
    if !found.missing {
        dist.first = first;
    }
    Ok(dist)
}

/// The shift that centres the euclidean-type items: the mean of each
/// coordinate over the finite values, found in one streaming pass.
fn center(items: Items) -> Vec<f64> {
    let dim = items.dim();
    let mut sum = vec![0.0f64; dim];
    let mut count = vec![0u64; dim];
    match items {
        Items::Rows { data, .. } => {
            for row in data.chunks_exact(dim) {
                for (c, &v) in row.iter().enumerate() {
                    if v.is_finite() {
                        sum[c] += f64::from(v);
                        count[c] += 1;
                    }
                }
            }
        }
        Items::Cols(matrix) => {
            for r in 0..matrix.rows() {
                let finite = matrix.row(r).iter().filter(|v| v.is_finite());
                count[r] = finite.clone().count() as u64;
                sum[r] = finite.map(|&v| f64::from(v)).sum();
            }
        }
    }
    sum.iter().zip(&count).map(|(&s, &c)| if c > 0 { s / c as f64 } else { 0.0 }).collect()
}

/// Prepares the items `range`; for columns this gathers the panel's values
/// from every row (the only transposition ever made).
fn prepare(
    items: Items,
    metric: Metric,
    center: &[f64],
    range: std::ops::Range<usize>,
) -> Result<Prepared, ClusterError> {
    let dim = items.dim();
    let item = items.item_name();
    match items {
        Items::Rows { data, .. } => {
            let raw = &data[range.start * dim..range.end * dim];
            Prepared::new(metric, raw, dim, center, range.start, item)
        }
        Items::Cols(matrix) => {
            let width = range.len();
            let mut raw = vec![0.0f32; width * dim];
            for r in 0..matrix.rows() {
                for (k, &v) in matrix.row(r)[range.clone()].iter().enumerate() {
                    raw[k * dim + r] = v;
                }
            }
            Prepared::new(metric, &raw, dim, center, range.start, item)
        }
    }
}

/// Computes every pair `(i, j)`, `i < j`, with `i` in panel `a` and `j` in
/// panel `b` (`b` starts at or after `a`); with `collect`, also the first
/// neighbours of every item among these pairs.
fn panel_pair(
    dist: &mut CondensedMatrix,
    metric: Metric,
    (a0, pa): (usize, &Prepared),
    (b0, pb): (usize, &Prepared),
    collect: bool,
    progress: Option<&Bar>,
) -> (Found, Option<FirstNeighbours<f32>>) {
    let a1 = a0 + pa.len();
    let n = dist.n();
    // Hand each tile of rows its own slice of the condensed values, so that
    // tiles run in parallel without sharing anything mutable.
    let blocks = dist.blocks().clone();
    let (start, end) = (blocks.block_row(a0), blocks.block_row(a1));
    let mut rest = &mut dist.raw_mut()[start..end];
    let mut tiles = Vec::new();
    for t0 in (a0..a1).step_by(TILE) {
        let t1 = (t0 + TILE).min(a1);
        let (head, tail) = rest.split_at_mut(blocks.block_row(t1) - blocks.block_row(t0));
        tiles.push((t0, t1, head));
        rest = tail;
    }
    // Each run of tiles collects neighbours for every item: at most
    // `MAX_RUNS` runs bound that memory. Runs are contiguous, so the tiles
    // go long, short, long, … (a tile's work falls along the triangle),
    // which gives every run about the same work.
    let min_len = if collect {
        tiles = zigzag(tiles);
        tiles.len().div_ceil(MAX_RUNS)
    } else {
        1
    };
    tiles
        .into_par_iter()
        .with_min_len(min_len)
        .fold(
            || (Found::default(), collect.then(|| FirstNeighbours::new(n))),
            |(found, mut first), (t0, t1, out)| {
                let result = row_tile(&blocks, metric, (t0, t1, out), (a0, pa), (b0, pb), first.as_mut());
                if let Some(p) = progress {
                    p.inc((t1 - t0) as u64);
                }
                (found.merge(result), first)
            },
        )
        .reduce(|| (Found::default(), None), |(fa, a), (fb, b)| (fa.merge(fb), union_first(a, b)))
}

/// The most runs of tiles that collect first neighbours of their own
/// (`memory.rs` counts them): on machines of more than 16 threads, the
/// distances of more than 4,096 items are computed on 16 of them.
pub(crate) const MAX_RUNS: usize = 16;

/// `v` in the order first, last, second, second to last, …
fn zigzag<T>(v: Vec<T>) -> Vec<T> {
    let mut ends: std::collections::VecDeque<T> = v.into();
    let mut out = Vec::with_capacity(ends.len());
    while let Some(first) = ends.pop_front() {
        out.push(first);
        out.extend(ends.pop_back());
    }
    out
}

/// The first neighbours among the pairs of both, which are disjoint.
fn union_first(a: Option<FirstNeighbours<f32>>, b: Option<FirstNeighbours<f32>>) -> Option<FirstNeighbours<f32>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.union(b)),
        (a, b) => a.or(b),
    }
}

/// Computes rows `t0..t1` (of panel `a`) against the items of panel `b`,
/// writing into `out`, the blocks of rows `t0..t1`.
fn row_tile(
    blocks: &Blocks,
    metric: Metric,
    (t0, t1, out): (usize, usize, &mut [f32]),
    (a0, pa): (usize, &Prepared),
    (b0, pb): (usize, &Prepared),
    mut first: Option<&mut FirstNeighbours<f32>>,
) -> Found {
    let dim = pa.dim;
    let b1 = b0 + pb.len();
    let mut found = Found::default();
    let mut gram = vec![0.0f64; TILE * TILE];
    let mut line = vec![0.0f32; TILE];
    let base = blocks.block_row(t0);
    let rows = t1 - t0;
    let a_view =
        ArrayView2::from_shape((rows, dim), &pa.values[(t0 - a0) * dim..(t1 - a0) * dim]).expect("panel shape");
    // Only the columns after the tile's first row are needed.
    for j0 in (b0.max(t0 + 1)..b1).step_by(TILE) {
        let j1 = (j0 + TILE).min(b1);
        let cols = j1 - j0;
        if metric.uses_dot() {
            let b_view =
                ArrayView2::from_shape((cols, dim), &pb.values[(j0 - b0) * dim..(j1 - b0) * dim]).expect("panel shape");
            let mut g = ndarray::ArrayViewMut2::from_shape((rows, cols), &mut gram[..rows * cols]).expect("tile shape");
            general_mat_mul(1.0, &a_view, &b_view.t(), 0.0, &mut g);
        }
        for i in t0..t1 {
            let ia = i - a0;
            let lo = j0.max(i + 1);
            if lo >= j1 {
                continue;
            }
            let row = &mut line[..j1 - lo];
            if metric.uses_dot() && pa.complete[ia] {
                let g = &gram[(i - t0) * cols + (lo - j0)..(i - t0 + 1) * cols];
                metric::from_dots(metric, pa.sqnorm[ia], &pb.sqnorm[lo - b0..j1 - b0], g, row);
            } else {
                row.fill(f32::NAN);
            }
            // NaN marks the pairs the dot form cannot give. Most rows have
            // none (nor an overflow): one branch-free test covers both.
            if row.iter().fold(false, |any, v| any | !v.is_finite()) {
                for (k, v) in row.iter_mut().enumerate() {
                    if v.is_nan() {
                        match metric::direct(metric, pa.item(ia), pb.item(lo + k - b0)) {
                            Some(d) => *v = d as f32,
                            None => found.missing = true,
                        }
                    }
                }
                if let Some(k) = row.iter().position(|v| v.is_infinite()) {
                    found = found.merge(Found { missing: false, overflow: Some((i, lo + k)) });
                }
            }
            write_row(out, blocks.upper(i, lo) - base, lo, row);
            if let Some(first) = first.as_deref_mut() {
                first.offer_row(i, lo, row);
            }
        }
    }
    found
}

/// Writes `row`, the values `d(i, lo..)`, into `out`, where `d(i, lo)`
/// goes to `at` and `d(i, j)` to `at + tail(j) − tail(lo)`: the first values
/// up to a block's edge one by one, then four at a time, one block's row
/// each.
fn write_row(out: &mut [f32], at: usize, lo: usize, row: &[f32]) {
    let offset = |j: usize| at + Blocks::tail(j) - Blocks::tail(lo);
    let head = ((B - lo % B) % B).min(row.len());
    for (k, &v) in row[..head].iter().enumerate() {
        out[offset(lo + k)] = v;
    }
    let runs = row[head..].chunks_exact(B);
    let rest = runs.remainder();
    let mut to = offset(lo + head);
    for run in runs {
        // A fixed length, so that the copy is one move, not a call.
        out[to..to + B].copy_from_slice(run);
        to += B * B;
    }
    if !rest.is_empty() {
        out[to..to + rest.len()].copy_from_slice(rest);
    }
}

/// What computing a set of pairs found besides their distances.
#[derive(Clone, Copy, Default)]
struct Found {
    /// A pair had no common coordinate (left as NaN).
    missing: bool,
    /// The first pair (in index order) whose distance is beyond the `f32`
    /// range (left infinite).
    overflow: Option<(usize, usize)>,
}

impl Found {
    fn merge(self, other: Found) -> Found {
        let overflow = match (self.overflow, other.overflow) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Found { missing: self.missing || other.missing, overflow }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Method;

    /// The `VmFlags` and the resident bytes of the mapping of this process
    /// that holds `address`.
    #[cfg(target_os = "linux")]
    fn smaps(address: usize) -> (Vec<String>, usize) {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let (mut inside, mut resident) = (false, None);
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&address);
            } else if inside && let Some(kb) = line.strip_prefix("Rss:") {
                resident = Some(kb.trim().trim_end_matches("kB").trim().parse::<usize>().unwrap() * 1024);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                let flags = flags.split_whitespace().map(str::to_owned).collect();
                return (flags, resident.expect("Rss comes before VmFlags"));
            }
        }
        panic!("no mapping holds {address:#x}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn fresh_memory_goes_to_small_pages_once_huge_pages_are_slow() {
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists() {
            // No transparent huge pages in this kernel: the advice fails
            // and the memory is left as it is.
            return;
        }
        let threads = rayon::current_num_threads();
        // More runs than the threads can start before two are timed.
        let bytes = (4 * threads + 8) * RUN;
        // Every huge page slow: at most one run a thread, and one more,
        // is faulted in before the rest is left to small pages.
        let mut map = memmap2::MmapMut::map_anon(bytes).unwrap();
        fault_in(&mut map, Duration::ZERO);
        let (flags, resident) = smaps(map.as_ptr() as usize);
        assert!(flags.contains(&"nh".to_owned()) && !flags.contains(&"hg".to_owned()), "{flags:?}");
        assert!(resident <= (threads + SLOW_RUNS) * RUN, "{resident} of {bytes} bytes resident");
        assert!(map.iter().all(|&b| b == 0));
        // None slow: every run faulted in, the mapping left in huge pages
        // (a few runs, whatever the thread count: all of it is resident).
        let bytes = 4 * RUN;
        let mut map = memmap2::MmapMut::map_anon(bytes).unwrap();
        fault_in(&mut map, Duration::from_secs(3600));
        let (flags, resident) = smaps(map.as_ptr() as usize);
        assert!(flags.contains(&"hg".to_owned()) && !flags.contains(&"nh".to_owned()), "{flags:?}");
        // At least a small page for each huge one asked for.
        assert!(resident >= bytes / HUGE_PAGE * 4096, "{resident} of {bytes} bytes resident");
        assert!(map.iter().all(|&b| b == 0));
    }

    #[test]
    fn positions_are_the_blocks_of_the_upper_triangle() {
        // n = 7: two rows of blocks, 2 + 1 blocks of 16 values.
        let tri = Blocks::new(7);
        assert_eq!(tri.len(), 48);
        // (0, 1): block (0, 0), at row 0, column 1.
        assert_eq!(tri.pos(0, 1), 1);
        // (2, 6): block (0, 1), the second block, row 2, column 2.
        assert_eq!(tri.pos(6, 2), 16 + 2 * 4 + 2);
        // (5, 6): block (1, 1), the third block, row 1, column 2.
        assert_eq!(tri.pos(5, 6), 32 + 4 + 2);
        // Every pair at the place the layout defines, in every shape of the
        // last block, and each in a slot of its own.
        for n in 1..=13 {
            let tri = Blocks::new(n);
            let nb = n.div_ceil(4);
            let block_row = |bi: usize| (0..bi).map(|k| (nb - k) * 16).sum::<usize>();
            let mut seen = std::collections::HashSet::new();
            for i in 0..n {
                for j in i + 1..n {
                    let (bi, bj) = (i / 4, j / 4);
                    assert_eq!(tri.upper(i, j), block_row(bi) + (bj - bi) * 16 + (i % 4) * 4 + j % 4);
                    assert!(tri.upper(i, j) < tri.len());
                    assert!(seen.insert(tri.upper(i, j)), "n = {n}: ({i}, {j}) shares a slot");
                }
            }
        }
    }

    /// A seeded matrix with a few missing values (and one row and column
    /// sharing no coordinate with some others).
    fn sample(rows: usize, cols: usize) -> Matrix {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let data = (0..rows * cols)
            .map(|k| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let v = (state >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0;
                let (r, c) = (k / cols, k % cols);
                if (r * 7 + c * 3) % 23 == 0 || (r == 5 && c % 2 == 0) || (r == 9 && c % 2 == 1) { f32::NAN } else { v }
            })
            .collect();
        Matrix::from_vec(rows, cols, data)
    }

    #[test]
    fn panels_give_the_distances_of_one_panel() {
        // Huge matrices are prepared a panel at a time; forced here on a
        // small one, every panel pair must give what one panel gives.
        let (tall, wide) = (sample(300, 7), sample(7, 300));
        let rows = Items::Rows { data: tall.data(), dim: 7, item: "row" };
        for (axis, items) in [(Axis::Rows, rows), (Axis::Cols, Items::Cols(&wide))] {
            for metric in Metric::ALL {
                let whole = in_panels(items, metric, None, 1 << 20).unwrap().to_vec();
                let panels = in_panels(items, metric, None, TILE).unwrap().to_vec();
                for (k, (a, b)) in whole.iter().zip(&panels).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-6 * a.abs().max(1.0),
                        "{axis:?} {}: pair {k}: {a} vs {b}",
                        metric.name()
                    );
                }
            }
        }
    }

    #[test]
    fn every_pair_across_tiles_is_the_brute_force_distance() {
        // Sizes past one and two tiles, on and off block edges; every row
        // after the first few is complete, and a row with NaNs takes the
        // direct kernel in the middle of tiles written four at a time.
        for n in [129, 263, 260] {
            let dim = 5;
            let mut m = sample(n, dim).data().to_vec();
            for (k, v) in m.iter_mut().enumerate().skip(3 * dim) {
                if v.is_nan() && k / dim != 200 {
                    *v = (k % 7) as f32 - 3.0;
                }
            }
            let items = Items::Rows { data: &m, dim, item: "row" };
            let ours = pdist_items(items, Metric::Euclidean, None).unwrap().to_vec();
            let mut k = 0;
            for i in 0..n {
                for j in i + 1..n {
                    let (a, b) = (&m[i * dim..(i + 1) * dim], &m[j * dim..(j + 1) * dim]);
                    let common = a.iter().zip(b).filter(|(x, y)| x.is_finite() && y.is_finite());
                    let (sum, count) = common
                        .fold((0.0f64, 0usize), |(s, c), (&x, &y)| (s + (f64::from(x) - f64::from(y)).powi(2), c + 1));
                    let want = (sum * dim as f64 / count as f64).sqrt();
                    let got = f64::from(ours[k]);
                    assert!((got - want).abs() <= 1e-6 * want.max(1e-3), "n = {n}: d({i}, {j}) = {got}, not {want}");
                    k += 1;
                }
            }
        }
    }

    /// `n` items of three whole coordinates 0 to 15: distances tie often,
    /// at many values.
    fn whole_points(n: usize) -> Vec<f32> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        (0..3 * n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 60) as f32
            })
            .collect()
    }

    #[test]
    fn first_neighbours_collected_with_the_distances_are_those_of_a_sort() {
        // Just past the size from which they are collected, in one panel and
        // in panels of a tile (lists merged across panel pairs).
        let n = crate::cluster::linkage::F64_WORKSPACE_MAX + 37;
        let data = whole_points(n);
        let items = Items::Rows { data: &data, dim: 3, item: "row" };
        for panel in [1 << 20, TILE] {
            let mut dist = in_panels(items, Metric::Euclidean, None, panel).unwrap();
            let lists = dist.take_first_neighbours().expect("collected").lists();
            assert_eq!(lists.len(), n);
            for (i, (known, bound)) in lists.iter().enumerate() {
                // Brute force: every other item by (distance, index), the
                // distances as the triangle holds them.
                let mut all: Vec<(f32, u32)> = (0..n).filter(|&j| j != i).map(|j| (dist.get(i, j), j as u32)).collect();
                all.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap());
                assert_eq!(known[..], all[..4], "panel {panel}, item {i}");
                assert_eq!(*bound, all[4], "panel {panel}, item {i}");
            }
            assert!(lists.iter().any(|(known, _)| known[3].0 > 0.0), "some lists reach past duplicates");
        }
        // A pair without a common coordinate: nothing collected.
        let mut gaps = data.clone();
        gaps[0] = f32::NAN;
        gaps[4] = f32::NAN;
        gaps[5] = f32::NAN;
        let items = Items::Rows { data: &gaps, dim: 3, item: "row" };
        assert!(pdist_items(items, Metric::Euclidean, None).unwrap().take_first_neighbours().is_none());
    }

    #[test]
    fn trees_from_collected_first_neighbours_are_those_found_by_the_chain() {
        // A copy forgets the collected lists, so its linkage finds them in
        // its own pass; both must give the same tree.
        let n = crate::cluster::linkage::F64_WORKSPACE_MAX + 37;
        let data = whole_points(n);
        let items = Items::Rows { data: &data, dim: 3, item: "row" };
        let dist = pdist_items(items, Metric::Euclidean, None).unwrap();
        for method in [Method::Complete, Method::Average, Method::Weighted, Method::Ward] {
            let found = crate::cluster::linkage::linkage(dist.clone(), method, None);
            let mut collected = dist.clone();
            collected.first = pdist_items(items, Metric::Euclidean, None).unwrap().take_first_neighbours();
            assert!(collected.first.is_some());
            let tree = crate::cluster::linkage::linkage(collected, method, None);
            assert_eq!(tree.merges(), found.merges(), "{}", method.name());
        }
    }

    #[test]
    fn distances_beyond_f32_are_refused_and_those_within_it_kept() {
        let rows = |scale: f32| [scale, -scale, -scale, scale, 0.0, 1.0];
        let hand = |data: &[f32; 6], i: usize, j: usize| {
            let (a, b) = (&data[2 * i..2 * i + 2], &data[2 * j..2 * j + 2]);
            a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>().sqrt()
        };
        // ±3e38: rows 0 and 1 are √2 · 6e38 ≈ 8.5e38 apart, past f32::MAX.
        let far = rows(3e38);
        assert!(hand(&far, 0, 1) > f64::from(f32::MAX));
        let items = Items::Rows { data: &far, dim: 2, item: "row" };
        for metric in [Metric::Euclidean, Metric::SqEuclidean, Metric::Cityblock] {
            match pdist_items(items, metric, None) {
                Err(ClusterError::DistanceOverflow { item: "row", a: 0, b: 1, metric: name }) => {
                    assert_eq!(name, metric.name())
                }
                other => panic!("{}: {:?}", metric.name(), other.map(|d| d.to_vec())),
            }
        }
        // ±1e38: every distance is within the range, and as computed in f64.
        let near = rows(1e38);
        let items = Items::Rows { data: &near, dim: 2, item: "row" };
        let dist = pdist_items(items, Metric::Euclidean, None).unwrap();
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            let want = hand(&near, i, j);
            assert!(want < f64::from(f32::MAX));
            let got = f64::from(dist.get(i, j));
            assert!((got - want).abs() <= 1e-6 * want, "d({i}, {j}) = {got}, by hand {want}");
        }
    }
}
