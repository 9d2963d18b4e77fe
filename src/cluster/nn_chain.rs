//! The nearest-neighbour chain for the reducible linkages (complete,
//! average, weighted, Ward), making exactly the decisions of scipy's
//! `nn_chain` while scanning far less memory.
//!
//! scipy scans all active clusters to find each chain element's nearest
//! neighbour. Here every cluster keeps its few nearest neighbours (first
//! indices at the smallest distances: the first is what a scan would
//! return), and a merge updates those caches in the same pass that applies
//! the Lance–Williams update. Only clusters left knowing no neighbour are
//! scanned again. A merge gathers the distances of every cluster to the
//! two merged ones, then updates them; a scan reads one cluster's. The
//! first lists come with the distances when their computation collected
//! them ([`FirstNeighbours`]), from one pass over the triangle otherwise. Each
//! reads down a column of the triangle (a cache line per value or per
//! block of four) and along a row, so large passes are split between
//! threads; each thread writes a disjoint, contiguous part of the matrix.

use crate::progress::Bar;

use super::Method;
use super::condensed::Blocks;
use super::lance_williams::{Dist, RawMerge, update};

/// Positions in the blocked triangle, and from how many clusters on a pass
/// is split between threads.
struct Layout<'a> {
    tri: &'a Blocks,
    parallel: usize,
}

impl Layout<'_> {
    /// Position of `d(i, j)`, `i ≠ j`.
    #[inline]
    fn pos(&self, i: usize, j: usize) -> usize {
        self.tri.pos(i, j)
    }

    /// Where the update of `d(i, y)` writes, also defined for `i = y`:
    /// increasing in `i`, so that a range of clusters writes a contiguous
    /// range of the matrix.
    #[inline]
    fn write_pos(&self, i: usize, y: usize) -> usize {
        if i == y { self.tri.diagonal(y) } else { self.pos(i, y) }
    }
}

/// A nearest neighbour and its distance; `(distance, index)` pairs compare
/// lexicographically, so the minimum is the first index at the smallest
/// distance.
#[derive(Clone, Copy)]
struct Neighbour<T> {
    d: T,
    j: u32,
}

impl<T: Dist> Neighbour<T> {
    const NONE: Self = Self { d: T::INFINITY, j: u32::MAX };

    #[inline]
    fn before(self, other: Self) -> bool {
        self.d < other.d || (self.d == other.d && self.j < other.j)
    }
}

/// How many nearest neighbours each cluster keeps: when its nearest merges
/// away, a known next one usually gives the new nearest without a scan.
const KEPT: usize = 4;

/// A search's result: the `KEPT + 1` first candidates, in order.
type Top<T> = [Neighbour<T>; KEPT + 1];

/// What a cluster knows of its nearest neighbours: `known[..len]` in order,
/// with their current distances, and a `bound` that every other active
/// cluster comes at or after. The nearest is `known[0]` while `len > 0`;
/// at `len = 0` it must be found again by a scan.
#[derive(Clone, Copy)]
struct Near<T> {
    known: [Neighbour<T>; KEPT],
    len: u8,
    bound: Neighbour<T>,
}

impl<T: Dist> Near<T> {
    /// What a search that left `top` knows.
    fn known(top: Top<T>) -> Self {
        let mut known = [Neighbour::NONE; KEPT];
        known.copy_from_slice(&top[..KEPT]);
        let len = known.iter().take_while(|c| c.j != u32::MAX).count() as u8;
        Self { known, len, bound: top[KEPT] }
    }

    fn nearest(&self) -> Neighbour<T> {
        self.known[0]
    }
}

/// What the update pass reads of every cluster to decide whether a merge
/// changes its cache: the bound, and the known neighbours' indices as bits
/// (`j mod 64`). The cache stays as it was when the merged cluster does not
/// come before the bound and neither merged index is known, which these 16
/// bytes (24 for `f64`) settle for most clusters without reading the list.
#[derive(Clone, Copy)]
struct Watch<T> {
    bound: Neighbour<T>,
    known: u64,
}

impl<T: Dist> Watch<T> {
    /// A cluster whose nearest neighbour merged away, found again by a scan
    /// only when the chain reaches it (most merge before): no merge changes
    /// it meanwhile.
    const STALE: Self = Self { bound: Neighbour { d: T::NEG_INFINITY, j: 0 }, known: 0 };

    /// Whether this is [`Watch::STALE`] (no cache has a bound below every
    /// distance).
    fn stale(self) -> bool {
        self.bound.d == T::NEG_INFINITY
    }

    fn of(near: &Near<T>) -> Self {
        let known = near.known[..usize::from(near.len)].iter().fold(0, |bits, c| bits | bit(c.j));
        Self { bound: near.bound, known }
    }

    /// Whether the merge of `x` into `y`, now at distance `merged.d`, may
    /// change the cache.
    #[inline]
    fn touched(self, merged: Neighbour<T>, x: u32) -> bool {
        merged.before(self.bound) || self.known & (bit(x) | bit(merged.j)) != 0
    }
}

#[inline]
fn bit(j: u32) -> u64 {
    1 << (j & 63)
}

/// Keeps the first `KEPT + 1` of all candidates offered.
#[inline]
fn offer<T: Dist>(top: &mut Top<T>, c: Neighbour<T>) {
    if !c.before(top[KEPT]) {
        return;
    }
    let mut p = KEPT;
    while p > 0 && c.before(top[p - 1]) {
        top[p] = top[p - 1];
        p -= 1;
    }
    top[p] = c;
}

/// The first `KEPT + 1` of the union of two searches.
fn union<T: Dist>(mut a: Top<T>, b: Top<T>) -> Top<T> {
    for c in b {
        offer(&mut a, c);
    }
    a
}

/// The first neighbours of every item, collected while the distances are
/// computed (each pair offered once, in any order), so that the chain need
/// not read the triangle again for them: what [`initial_neighbours`] finds.
pub(crate) struct FirstNeighbours<T> {
    top: Vec<Top<T>>,
    /// The distance of each list's last candidate: a value beyond it cannot
    /// enter, which settles most offers with one comparison.
    last: Vec<T>,
}

impl<T: Dist> FirstNeighbours<T> {
    pub(crate) fn new(n: usize) -> Self {
        Self { top: vec![[Neighbour::NONE; KEPT + 1]; n], last: vec![T::INFINITY; n] }
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.top.len()
    }

    /// Offers `d(i, j) = v` to both items.
    #[inline]
    fn offer_pair(&mut self, i: usize, j: usize, v: T) {
        offer(&mut self.top[i], Neighbour { d: v, j: j as u32 });
        offer(&mut self.top[j], Neighbour { d: v, j: i as u32 });
        self.last[i] = self.top[i][KEPT].d;
        self.last[j] = self.top[j][KEPT].d;
    }

    /// Offers `d(i, lo + k) = row[k]` for every `k`, to both items.
    #[inline]
    pub(crate) fn offer_row(&mut self, i: usize, lo: usize, row: &[T]) {
        let cols = &self.last[lo..lo + row.len()];
        let row_last = self.last[i];
        // Most rows offer nothing: one branch-free test settles them.
        if !row.iter().zip(cols).fold(false, |near, (&v, &l)| near | (v <= row_last) | (v <= l)) {
            return;
        }
        for (k, &v) in row.iter().enumerate() {
            let j = lo + k;
            if v <= self.last[i] || v <= self.last[j] {
                self.offer_pair(i, j, v);
            }
        }
    }

    /// Offers the 4 × 4 block of `d(i0 + k / 4, j0 + k % 4) = block[k]`,
    /// `i0 + 4 ≤ j0`.
    #[inline]
    fn offer_block(&mut self, i0: usize, j0: usize, block: &[T]) {
        let (row_last, col_last) = (&self.last[i0..i0 + 4], &self.last[j0..j0 + 4]);
        let mut near = false;
        for (k, &v) in block.iter().enumerate() {
            near |= !(v > row_last[k / 4] && v > col_last[k % 4]);
        }
        if near {
            for (k, &v) in block.iter().enumerate() {
                self.offer_pair(i0 + k / 4, j0 + k % 4, v);
            }
        }
    }

    /// The lists of two collections of disjoint pairs.
    pub(crate) fn union(mut self, other: Self) -> Self {
        for ((a, b), last) in self.top.iter_mut().zip(other.top).zip(&mut self.last) {
            *a = union(*a, b);
            *last = a[KEPT].d;
        }
        self
    }

    /// Each item's list as `(distance, index)` pairs: the known neighbours
    /// in order, then the bound.
    #[cfg(test)]
    pub(crate) fn lists(self) -> Vec<Listed<T>> {
        let pair = |c: Neighbour<T>| (c.d, c.j);
        self.into_near()
            .iter()
            .map(|near| (near.known[..usize::from(near.len)].iter().map(|&c| pair(c)).collect(), pair(near.bound)))
            .collect()
    }

    fn into_near(self) -> Vec<Near<T>> {
        self.top.into_iter().map(Near::known).collect()
    }
}

/// A list as [`FirstNeighbours::lists`] gives it.
#[cfg(test)]
pub(crate) type Listed<T> = (Vec<(T, u32)>, (T, u32));

/// The `KEPT + 1` nearest neighbours of every item, from one pass over the
/// triangle.
fn initial_neighbours<T: Dist>(n: usize, d: &[T], layout: &Layout) -> Vec<Near<T>> {
    use rayon::prelude::*;
    // Rows of blocks split so that each part holds about the same number of
    // values; each part collects candidates for every item, merged after.
    let rows = n.div_ceil(4);
    // Each part holds `KEPT + 1` candidates for every item: at most 16
    // parts bound that memory whatever the thread count.
    let parts = (rayon::current_num_threads().max(1) * 4).min(16);
    let total = layout.tri.block_row(n);
    let mut bounds = vec![0usize];
    for r in 0..rows {
        if layout.tri.block_row(4 * r) * parts >= total * bounds.len() {
            bounds.push(r);
        }
    }
    bounds.push(rows);
    bounds.dedup();
    let ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    ranges
        .into_par_iter()
        .map(|(r0, r1)| {
            let mut part = FirstNeighbours::new(n);
            for r in r0..r1 {
                let i0 = 4 * r;
                for j0 in (i0..n).step_by(4) {
                    if j0 == i0 || j0 + 4 > n {
                        // Diagonal and partial blocks, pair by pair.
                        for i in i0..(i0 + 4).min(n) {
                            for j in j0.max(i + 1)..(j0 + 4).min(n) {
                                part.offer_pair(i, j, d[layout.tri.upper(i, j)]);
                            }
                        }
                        continue;
                    }
                    let at = layout.tri.upper(i0, j0);
                    part.offer_block(i0, j0, &d[at..at + 16]);
                }
            }
            part
        })
        .reduce_with(FirstNeighbours::union)
        .expect("at least one part")
        .into_near()
}

/// The first `KEPT + 1` of the clusters `ids` at distances `d[at(i)]`.
#[inline]
fn nearest_of<T: Dist>(d: &[T], ids: &[u32], at: impl Fn(usize) -> usize) -> Top<T> {
    let mut top = [Neighbour::NONE; KEPT + 1];
    for &i in ids {
        let v = d[at(i as usize)];
        // `offer` decides; this only skips what cannot enter (an infinite
        // distance can, while the list has room).
        if v <= top[KEPT].d {
            offer(&mut top, Neighbour { d: v, j: i });
        }
    }
    top
}

/// The `KEPT + 1` nearest active clusters to `x`.
fn scan<T: Dist>(d: &[T], layout: &Layout, active: &[u32], x: usize) -> Near<T> {
    // `d(i, x)` is at `lead(i) + tail(x)` before x, `lead(x) + tail(i)` after.
    let tri = layout.tri;
    let (tx, lx) = (Blocks::tail(x), tri.lead(x));
    let column = |ids: &[u32]| nearest_of(d, ids, |i| tri.lead(i) + tx);
    let row = |ids: &[u32]| nearest_of(d, ids, |i| lx + Blocks::tail(i));
    // Without x, split where the positions change from its column (one
    // value per row) to its row (contiguous).
    let at = active.partition_point(|&i| (i as usize) < x);
    let (before, after) = (&active[..at], &active[at..]);
    let after = after.strip_prefix(&[x as u32]).unwrap_or(after);
    if active.len() < layout.parallel {
        return Near::known(union(column(before), row(after)));
    }
    // A column value costs a cache line, four row values share one: split
    // by that cost.
    let cost = 4 * before.len() + after.len();
    if 4 * before.len() >= cost / 2 {
        let (b1, b2) = before.split_at(cost / 8);
        let (l, r) = rayon::join(|| column(b1), || union(column(b2), row(after)));
        Near::known(union(l, r))
    } else {
        let (a1, a2) = after.split_at(cost / 2 - 4 * before.len());
        let (l, r) = rayon::join(|| union(column(before), row(a1)), || row(a2));
        Near::known(union(l, r))
    }
}

/// Gathers `(d(i, x), d(i, y))` for the active clusters `ids` into `out`
/// (infinite for `y` itself), split between threads as [`update_pass`]
/// splits them: the worker that runs a half here usually runs the same
/// half there, and finds its cache lines already read.
fn gather_pass<T: Dist>(d: &[T], layout: &Layout, (x, y): (usize, usize), ids: &[u32], out: &mut [(T, T)]) {
    if ids.len() >= layout.parallel {
        let mid = ids.len() / 2;
        let (out_l, out_r) = out.split_at_mut(mid);
        rayon::join(
            || gather_pass(d, layout, (x, y), &ids[..mid], out_l),
            || gather_pass(d, layout, (x, y), &ids[mid..], out_r),
        );
        return;
    }
    // In three ranges (before x, between, after y), each position is a
    // table value plus a computed one.
    let tri = layout.tri;
    let (a, b) = (ids.partition_point(|&i| (i as usize) < x), ids.partition_point(|&i| (i as usize) < y));
    let (tx, ty) = (Blocks::tail(x), Blocks::tail(y));
    let (lx, ly) = (tri.lead(x), tri.lead(y));
    for (&i, o) in ids[..a].iter().zip(&mut out[..a]) {
        let li = tri.lead(i as usize);
        *o = (d[li + tx], d[li + ty]);
    }
    for (&i, o) in ids[a..b].iter().zip(&mut out[a..b]) {
        *o = (d[lx + Blocks::tail(i as usize)], d[tri.lead(i as usize) + ty]);
    }
    for (&i, o) in ids[b..].iter().zip(&mut out[b..]) {
        let ti = Blocks::tail(i as usize);
        *o = if i as usize == y { (T::INFINITY, T::INFINITY) } else { (d[lx + ti], d[ly + ti]) };
    }
}

/// What the update pass needs besides the matrix.
struct Merged<T> {
    method: Method,
    x: usize,
    y: usize,
    h: T,
    nx: u32,
    ny: u32,
}

/// Applies the Lance–Williams update `d(i, y) ← f(d(i, x), d(i, y))` for the
/// active clusters `ids` (with `dxy` their distances to `x` and `y`, gathered
/// before: a loop of loads alone keeps many cache misses in flight, where
/// loads among the update's arithmetic wait one by one), writing into
/// `d`, the part of the matrix from `offset` on, and `nn` and `watch`, the
/// caches from cluster `nn_offset` on (a cluster whose cache empties is
/// marked [`Watch::STALE`]). Returns the first `KEPT + 1` neighbours of the
/// merged cluster among `ids`.
#[allow(clippy::too_many_arguments)]
fn update_pass<T: Dist>(
    m: &Merged<T>,
    layout: &Layout,
    size: &[u32],
    ids: &[u32],
    dxy: &[(T, T)],
    (d, offset): (&mut [T], usize),
    (nn, watch, nn_offset): (&mut [Near<T>], &mut [Watch<T>], usize),
) -> Top<T> {
    if ids.len() >= layout.parallel {
        let mid = ids.len() / 2;
        let split_d = layout.write_pos(ids[mid] as usize, m.y) - offset;
        let split_nn = ids[mid] as usize - nn_offset;
        let (d_l, d_r) = d.split_at_mut(split_d);
        let (nn_l, nn_r) = nn.split_at_mut(split_nn);
        let (w_l, w_r) = watch.split_at_mut(split_nn);
        let (best_l, best_r) = rayon::join(
            || update_pass(m, layout, size, &ids[..mid], &dxy[..mid], (d_l, offset), (nn_l, w_l, nn_offset)),
            || {
                let d_offset = offset + split_d;
                let nn_off = nn_offset + split_nn;
                update_pass(m, layout, size, &ids[mid..], &dxy[mid..], (d_r, d_offset), (nn_r, w_r, nn_off))
            },
        );
        return union(best_l, best_r);
    }
    let mut best = [Neighbour::NONE; KEPT + 1];
    let (ty, ly) = (Blocks::tail(m.y), layout.tri.lead(m.y));
    for (&i, &(d_ix, d_iy)) in ids.iter().zip(dxy) {
        let iu = i as usize;
        if iu == m.y {
            continue;
        }
        let v = update(m.method, d_ix, d_iy, m.h, m.nx, m.ny, size[iu]);
        let at = if iu < m.y { layout.tri.lead(iu) + ty } else { ly + Blocks::tail(iu) };
        d[at - offset] = v;
        if v <= best[KEPT].d {
            offer(&mut best, Neighbour { d: v, j: i });
        }
        let k = iu - nn_offset;
        if watch[k].touched(Neighbour { d: v, j: m.y as u32 }, m.x as u32) {
            watch[k] = if refresh(&mut nn[k], v, m) { Watch::of(&nn[k]) } else { Watch::STALE };
        }
    }
    best
}

/// Brings cluster `i`'s cache up to date after `x` merged into `y`, now at
/// distance `v` from `i`; `false` if its nearest must be found again by a
/// scan. Only `x` and `y` changed: they leave the known list, and `y`
/// re-enters it if it comes before the bound; whatever drops off the end
/// becomes the new bound.
#[inline]
fn refresh<T: Dist>(near: &mut Near<T>, v: T, m: &Merged<T>) -> bool {
    let (x, y) = (m.x as u32, m.y as u32);
    let merged = Neighbour { d: v, j: y };
    let known = &near.known[..usize::from(near.len)];
    if !merged.before(near.bound) && known.iter().all(|c| c.j != x && c.j != y) {
        // The usual case: neither was known, nor is `y` now.
        return !known.is_empty();
    }
    let mut len = 0;
    for t in 0..usize::from(near.len) {
        let c = near.known[t];
        if c.j != x && c.j != y {
            near.known[len] = c;
            len += 1;
        }
    }
    if merged.before(near.bound) {
        if len == KEPT {
            let last = near.known[KEPT - 1];
            if merged.before(last) {
                near.bound = last;
                len -= 1;
            } else {
                near.bound = merged;
                near.len = len as u8;
                return true;
            }
        }
        let mut p = len;
        while p > 0 && merged.before(near.known[p - 1]) {
            near.known[p] = near.known[p - 1];
            p -= 1;
        }
        near.known[p] = merged;
        len += 1;
    }
    near.len = len as u8;
    len > 0
}

/// The nearest-neighbour chain: follow nearest neighbours (preferring the
/// chain's previous element on ties) until two clusters are each other's
/// nearest, merge them into the slot of the larger index, and continue from
/// the rest of the chain. `first`: the items' first neighbours, if the
/// distances' computation collected them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn nn_chain<T: Dist>(
    n: usize,
    tri: &Blocks,
    d: &mut [T],
    method: Method,
    sizes: &[u32],
    parallel: usize,
    first: Option<FirstNeighbours<T>>,
    progress: Option<&Bar>,
) -> Vec<RawMerge> {
    debug_assert!(parallel >= 2, "a pass of one cluster cannot be split");
    let layout = Layout { tri, parallel };
    let mut size = sizes.to_vec();
    let mut active: Vec<u32> = (0..n as u32).collect();
    let mut nn = match first {
        Some(first) => {
            assert_eq!(first.len(), n, "first neighbours of the same items");
            first.into_near()
        }
        None => initial_neighbours(n, d, &layout),
    };
    let mut watch: Vec<Watch<T>> = nn.iter().map(Watch::of).collect();
    let mut chain: Vec<u32> = Vec::with_capacity(n);
    let mut merges = Vec::with_capacity(n - 1);
    let mut dxy: Vec<(T, T)> = Vec::with_capacity(n);
    for _ in 0..n - 1 {
        if chain.is_empty() {
            chain.push(active[0]);
        }
        let (x, y, h) = loop {
            let x = *chain.last().expect("chain is not empty") as usize;
            if watch[x].stale() {
                nn[x] = scan(d, &layout, &active, x);
                watch[x] = Watch::of(&nn[x]);
            }
            let near = nn[x].nearest();
            let prev = (chain.len() > 1).then(|| chain[chain.len() - 2] as usize);
            // scipy starts its scan from the previous element, which keeps
            // it unless something is strictly nearer: no cycles.
            let (y, h) = match prev {
                Some(p) if d[layout.pos(x, p)] <= near.d => (p, d[layout.pos(x, p)]),
                _ => (near.j as usize, near.d),
            };
            if Some(y) == prev {
                break (x, y, h);
            }
            chain.push(y as u32);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = (x.min(y), x.max(y));
        let (nx, ny) = (size[x], size[y]);
        merges.push((x as u32, y as u32, h.to_f64()));
        size[x] = 0;
        size[y] = nx + ny;
        active.remove(active.binary_search(&(x as u32)).expect("x is active"));
        if let Some(p) = progress {
            p.inc(1);
        }
        if active.len() == 1 {
            break;
        }
        dxy.resize(active.len(), (T::INFINITY, T::INFINITY));
        gather_pass(d, &layout, (x, y), &active, &mut dxy);
        let merged = Merged { method, x, y, h, nx, ny };
        let best = update_pass(&merged, &layout, &size, &active, &dxy, (d, 0), (&mut nn, &mut watch, 0));
        nn[y] = Near::known(best);
        watch[y] = Watch::of(&nn[y]);
    }
    merges
}

/// The smallest value of `row` (ignoring NaN), over eight lanes so that
/// the comparisons do not wait on one another.
fn smallest<T: Dist>(row: &[T]) -> T {
    const L: usize = 8;
    let mut best = [T::INFINITY; L];
    let chunks = row.chunks_exact(L);
    let tail = chunks.remainder();
    for chunk in chunks {
        for l in 0..L {
            if chunk[l] < best[l] {
                best[l] = chunk[l];
            }
        }
    }
    for (l, &v) in tail.iter().enumerate() {
        if v < best[l] {
            best[l] = v;
        }
    }
    best.into_iter().fold(T::INFINITY, |a, b| if b < a { b } else { a })
}

/// Up to this many clusters [`small_nn_chain`] runs instead of
/// [`nn_chain`]: on a square matrix of at most 2 MiB, scanning a row per
/// chain step costs less than keeping neighbour lists up to date.
pub(crate) const SMALL: usize = 512;

/// The same chain and decisions as [`nn_chain`] (scipy's), for few
/// clusters: the distances copied into a square matrix, each chain step a
/// scan of one row, each merge an update of one row and column. The approximate
/// mode links thousands of groups of about 128 rows this way.
pub(crate) fn small_nn_chain<T: Dist>(
    n: usize,
    tri: &Blocks,
    d: &[T],
    method: Method,
    sizes: &[u32],
    progress: Option<&Bar>,
) -> Vec<RawMerge> {
    // Merged-away clusters and the diagonal read as infinitely far, so a
    // scan compares values only.
    let mut m = vec![T::INFINITY; n * n];
    for i in 0..n {
        let lead = tri.lead(i);
        for j in i + 1..n {
            let v = d[lead + Blocks::tail(j)];
            m[i * n + j] = v;
            m[j * n + i] = v;
        }
    }
    let mut size = sizes.to_vec();
    let mut active: Vec<usize> = (0..n).collect();
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    for _ in 1..n {
        if chain.is_empty() {
            chain.push(active[0]);
        }
        let (x, y, h) = loop {
            let x = *chain.last().expect("chain is not empty");
            let prev = (chain.len() > 1).then(|| chain[chain.len() - 2]);
            let row = &m[x * n..(x + 1) * n];
            // From the previous element, kept unless something is strictly
            // nearer; without one, the first cluster at the smallest distance
            // (the first other active one when all are infinitely far).
            let (mut y, mut h) = prev.map_or((usize::MAX, T::INFINITY), |p| (p, row[p]));
            let least = smallest(row);
            if least < h {
                h = least;
                y = row.iter().position(|&v| v == least).expect("the smallest is in the row");
            }
            if y == usize::MAX {
                y = *active.iter().find(|&&i| i != x).expect("two clusters are left");
            }
            if Some(y) == prev {
                break (x, y, h);
            }
            chain.push(y);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = (x.min(y), x.max(y));
        let (nx, ny) = (size[x], size[y]);
        merges.push((x as u32, y as u32, h.to_f64()));
        size[y] = nx + ny;
        active.remove(active.binary_search(&x).expect("x is active"));
        for &i in &active {
            if i != y {
                let v = update(method, m[i * n + x], m[i * n + y], h, nx, ny, size[i]);
                m[i * n + y] = v;
                m[y * n + i] = v;
            }
            m[i * n + x] = T::INFINITY;
        }
        m[x * n..(x + 1) * n].fill(T::INFINITY);
    }
    if let Some(p) = progress {
        p.set_position(n.saturating_sub(1) as u64);
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(known: &[(f64, u32)], bound: (f64, u32)) -> Near<f64> {
        let mut top = [Neighbour::NONE; KEPT + 1];
        for (slot, &(d, j)) in top.iter_mut().zip(known) {
            *slot = Neighbour { d, j };
        }
        let mut near = Near::known(top);
        near.bound = Neighbour { d: bound.0, j: bound.1 };
        near
    }

    fn listed(near: &Near<f64>) -> (Vec<(f64, u32)>, (f64, u32)) {
        let known = near.known[..usize::from(near.len)].iter().map(|c| (c.d, c.j)).collect();
        (known, (near.bound.d, near.bound.j))
    }

    fn merge(x: usize, y: usize) -> Merged<f64> {
        Merged { method: Method::Average, x, y, h: 0.0, nx: 1, ny: 1 }
    }

    #[test]
    fn a_merge_updates_the_known_neighbours_and_their_bound() {
        let mut n = near(&[(1.0, 10), (2.0, 11), (3.0, 12), (4.0, 13)], (5.0, 14));
        // 20 and 21 were unseen; their union at 2.5 pushes 13 out, which
        // becomes the bound.
        assert!(refresh(&mut n, 2.5, &merge(20, 21)));
        assert_eq!(listed(&n), (vec![(1.0, 10), (2.0, 11), (2.5, 21), (3.0, 12)], (4.0, 13)));
        // 10 and 11 merge beyond the bound: both leave the list.
        assert!(refresh(&mut n, 6.0, &merge(10, 11)));
        assert_eq!(listed(&n), (vec![(2.5, 21), (3.0, 12)], (4.0, 13)));
        // At the bound's distance but a smaller index, 9 comes before it.
        assert!(refresh(&mut n, 4.0, &merge(8, 9)));
        assert_eq!(listed(&n), (vec![(2.5, 21), (3.0, 12), (4.0, 9)], (4.0, 13)));
        // A merged cluster nearer than before stays, moved up.
        assert!(refresh(&mut n, 2.0, &merge(7, 12)));
        assert_eq!(listed(&n), (vec![(2.0, 12), (2.5, 21), (4.0, 9)], (4.0, 13)));
        // Every known one gone: a scan must find the nearest again.
        assert!(refresh(&mut n, 3.0, &merge(12, 21)));
        assert_eq!(listed(&n), (vec![(3.0, 21), (4.0, 9)], (4.0, 13)));
        assert!(!refresh(&mut n, 7.0, &merge(9, 21)));
        assert_eq!(listed(&n), (vec![], (4.0, 13)));
    }

    #[test]
    fn the_lists_stay_exact_through_random_merges_with_ties() {
        // Cluster 0 watches 40 others merge at random, each merged cluster
        // at a random distance in {0, 1, 2, 3} (many ties). After every
        // merge its list must hold exactly the first clusters by
        // (distance, index), and everything else must come at or after the
        // bound; an emptied list is refilled as a scan would.
        let mut state = 0x853c_49e6_748f_ea9bu64;
        let mut next = move |k: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % k
        };
        for _round in 0..200 {
            let n = 41;
            let mut dist: Vec<f64> = (0..n).map(|_| next(4) as f64).collect();
            let mut active: Vec<usize> = (1..n).collect();
            let first = |active: &[usize], dist: &[f64]| {
                let mut top = [Neighbour::NONE; KEPT + 1];
                for &j in active {
                    offer(&mut top, Neighbour { d: dist[j], j: j as u32 });
                }
                top
            };
            let mut near = Near::known(first(&active, &dist));
            while active.len() > 1 {
                let a = active.remove(next(active.len() as u64) as usize);
                let b = active[next(active.len() as u64) as usize];
                let (x, y) = (a.min(b), a.max(b));
                if x == b {
                    // The survivor sits in the slot of the larger index.
                    let at = active.binary_search(&b).unwrap();
                    active[at] = a;
                    active.sort_unstable();
                }
                dist[y] = next(4) as f64;
                // What the update pass reads first must send every cluster
                // whose list changes to `refresh`.
                let touched = Watch::of(&near).touched(Neighbour { d: dist[y], j: y as u32 }, x as u32);
                let before = listed(&near);
                let kept = refresh(&mut near, dist[y], &merge(x, y));
                if !touched {
                    assert!(kept);
                    assert_eq!(listed(&near), before, "an untouched list changed");
                }
                if !kept {
                    near = Near::known(first(&active, &dist));
                }
                let expect = first(&active, &dist);
                let len = usize::from(near.len);
                assert!(len > 0);
                assert_eq!(near.nearest().j, expect[0].j);
                for (k, c) in near.known[..len].iter().enumerate() {
                    assert_eq!(c.j, expect[k].j, "the list is the first ones in order");
                    assert_eq!(c.d, dist[c.j as usize]);
                }
                for &j in &active {
                    let c = Neighbour { d: dist[j], j: j as u32 };
                    let known = near.known[..len].iter().any(|k| k.j == c.j);
                    assert!(known || !c.before(near.bound), "{j} unseen before the bound");
                }
            }
        }
    }

    #[test]
    fn the_first_neighbours_are_those_of_a_sort() {
        // Whole distances 0 to 3, which tie constantly, and distances that
        // do not; sizes that end in every shape of a partial block, and
        // enough items for blocks settled without offers.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for (n, levels) in
            [(2usize, 4), (5, 4), (38, 4), (128, 4), (129, 4), (203, 4), (37, 1 << 20), (40, 1 << 20), (203, 1 << 20)]
        {
            let tri = Blocks::new(n);
            let mut d = vec![0.0f64; tri.len()];
            for i in 0..n {
                for j in i + 1..n {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    d[tri.upper(i, j)] = (state % levels) as f64;
                }
            }
            let layout = Layout { tri: &tri, parallel: 64 };
            let found = initial_neighbours(n, &d, &layout);
            for (i, near) in found.iter().enumerate() {
                let mut all: Vec<(f64, u32)> =
                    (0..n).filter(|&j| j != i).map(|j| (d[tri.pos(i, j)], j as u32)).collect();
                all.sort_by(|a, b| a.partial_cmp(b).unwrap());
                let (known, bound) = listed(near);
                let want = all.len().min(KEPT);
                assert_eq!(known, all[..want], "n = {n}, item {i}");
                assert_eq!(bound, all.get(KEPT).copied().unwrap_or((f64::INFINITY, u32::MAX)), "n = {n}, item {i}");
            }
        }
    }

    #[test]
    fn a_full_list_passes_on_what_falls_off_its_end_as_the_bound() {
        let mut n = near(&[(1.0, 10), (2.0, 11), (3.0, 12), (4.0, 13)], (5.0, 14));
        // After the last known one but before the bound: it is the bound.
        assert!(refresh(&mut n, 4.5, &merge(20, 21)));
        assert_eq!(listed(&n), (vec![(1.0, 10), (2.0, 11), (3.0, 12), (4.0, 13)], (4.5, 21)));
    }
}
