//! Linkage algorithms on condensed distances, each making the decisions of
//! scipy's (`scipy/cluster/_hierarchy.pyx`) so that ties are broken the same
//! way: Prim's minimum spanning tree for single linkage, the
//! nearest-neighbour chain for the reducible methods (in [`super::nn_chain`]),
//! and the generic algorithm of Müllner ("Modern hierarchical, agglomerative
//! clustering algorithms", 2011) for centroid and median.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::progress::Bar;

use super::Method;
use super::condensed::{Blocks, CondensedMatrix};
use super::dendrogram::{Dendrogram, Merge};
use super::lance_williams::{Dist, RawMerge, update};
use super::nn_chain::{FirstNeighbours, SMALL, nn_chain, small_nn_chain};

/// Up to this many items the linkage works on an `f64` copy of the
/// distances (at most 64 MiB), as scipy does, so that distances closer than
/// `f32` can tell apart are still ordered as scipy orders them; beyond it,
/// in place in `f32`, which halves the memory of large problems.
pub(crate) const F64_WORKSPACE_MAX: usize = 4096;

/// Below this many candidates a pass runs on one thread: splitting it
/// would cost more than it saves (from 2,048, the 10,000- and 20,000-item
/// average linkages took a third and a seventh less time than from 8,192:
/// BENCHMARKS.md, "Fresh huge pages, timed").
const PARALLEL: usize = 1 << 11;

/// Builds the tree of `dist` with `method`, as
/// `scipy.cluster.hierarchy.linkage(dist, method)`.
///
/// The distances are consumed: the algorithms update them in place, which
/// is what keeps exact clustering within `n(n−1)/2` floats.
pub fn linkage(dist: CondensedMatrix, method: Method, progress: Option<&Bar>) -> Dendrogram {
    let singletons = vec![1; dist.n()];
    linkage_of_clusters(dist, method, &singletons, progress)
}

/// [`linkage`] of `dist` between clusters that already hold `sizes[i]`
/// members each: the Lance–Williams updates weigh each by its size, so for
/// ward and centroid the tree is the one the members' linkage would build
/// above these clusters. The dendrogram has one leaf per cluster.
pub(crate) fn linkage_of_clusters(
    mut dist: CondensedMatrix,
    method: Method,
    sizes: &[u32],
    progress: Option<&Bar>,
) -> Dendrogram {
    let n = dist.n();
    assert_eq!(sizes.len(), n, "one size per cluster");
    if let Some(p) = progress {
        p.set_length(n.saturating_sub(1) as u64);
        p.set_position(0);
        p.set_message(format!("{} linkage", method.name()));
    }
    if n < 2 {
        return Dendrogram::from_merges(n, Vec::new());
    }
    let tri = dist.blocks().clone();
    let merges = if n <= F64_WORKSPACE_MAX {
        let mut wide: Vec<f64> = dist.raw().iter().map(|&v| f64::from(v)).collect();
        drop(dist);
        link(n, &tri, &mut wide, method, sizes, PARALLEL, None, progress)
    } else {
        let first = dist.take_first_neighbours();
        link(n, &tri, dist.raw_mut(), method, sizes, PARALLEL, first, progress)
    };
    Dendrogram::from_merges(n, merges)
}

/// Runs `method` on distances kept as `T` between clusters of `sizes`;
/// passes over at least `parallel` clusters are split between threads.
/// `first`: the items' first neighbours if the distances' computation
/// collected them (the chain finds them otherwise).
#[allow(clippy::too_many_arguments)]
fn link<T: Dist>(
    n: usize,
    tri: &Blocks,
    d: &mut [T],
    method: Method,
    sizes: &[u32],
    parallel: usize,
    first: Option<FirstNeighbours<T>>,
    progress: Option<&Bar>,
) -> Vec<Merge> {
    let reducible = matches!(method, Method::Complete | Method::Average | Method::Weighted | Method::Ward);
    if reducible && n <= SMALL {
        return sort_and_label(n, small_nn_chain(n, tri, d, method, sizes, progress));
    }
    // On a worker thread of the pool, a pass split between threads costs a
    // push and a steal; from outside it, two thread switches. As many other
    // workers as a pass has parts to spare poll for them instead of going
    // to sleep between merges, which would cost a wake-up at every pass.
    let splits = !matches!(method, Method::Centroid | Method::Median);
    let mut parts = 1;
    while splits && n / parts >= parallel.max(2) {
        parts *= 2;
    }
    let done = AtomicBool::new(false);
    rayon::scope(|s| {
        for _ in 1..parts.min(rayon::current_num_threads()) {
            s.spawn(|_| poll_until(&done));
        }
        // Set even on a panic, which the scope re-raises only once the
        // pollers have returned.
        let _done = SetOnDrop(&done);
        match method {
            Method::Single => sort_and_label(n, mst(n, tri, d, parallel, progress)),
            Method::Complete | Method::Average | Method::Weighted | Method::Ward => {
                sort_and_label(n, nn_chain(n, tri, d, method, sizes, parallel, first, progress))
            }
            Method::Centroid | Method::Median => generic(n, tri, d, method, sizes, progress),
        }
    })
}

/// Runs the pool's pending work until `done`, or until none has come for
/// [`POLL_IDLE`] (the passes have become too small to split): then the
/// worker goes back to the pool, which puts it to sleep.
fn poll_until(done: &AtomicBool) {
    // The clock is read once every 256 idle rounds: on a VM a read can
    // cost more than a round.
    let mut idle_since = std::time::Instant::now();
    let mut idle = 0u32;
    while !done.load(Ordering::Acquire) {
        if rayon::yield_now() == Some(rayon::Yield::Executed) {
            idle = 0;
            continue;
        }
        if idle == 0 {
            idle_since = std::time::Instant::now();
        }
        idle = idle.wrapping_add(1);
        if idle.is_multiple_of(256) && idle_since.elapsed() > POLL_IDLE {
            return;
        }
        std::hint::spin_loop();
    }
}

/// How long a worker polls without finding work before it stops: longer
/// than the pauses between passes (with 2 ms, pollers stopped early on this
/// VM and the 20,000-row linkage took 4.6–5.7 s instead of 3.8–4.8 s).
const POLL_IDLE: std::time::Duration = std::time::Duration::from_millis(50);

struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The first nearest of two searches' results, `l` over earlier items than
/// `r` (`usize::MAX` where a search had no item).
fn nearer<T: Dist>(l: (usize, T), r: (usize, T)) -> (usize, T) {
    if r.1 < l.1 || l.0 == usize::MAX { r } else { l }
}

/// Lowers each `reach` of the items `ids` to their distance `d[at(i)]` to
/// the item that joined the tree; returns the first of the nearest (its
/// position counted from `offset`) and its distance.
#[inline]
fn relax_range<T: Dist>(
    d: &[T],
    ids: &[u32],
    reach: &mut [T],
    offset: usize,
    at: impl Fn(usize) -> usize,
) -> (usize, T) {
    let mut best = (usize::MAX, T::INFINITY);
    for (k, (&i, r)) in ids.iter().zip(reach.iter_mut()).enumerate() {
        let v = d[at(i as usize)];
        if *r > v {
            *r = v;
        }
        // The first item always counts, so that an overflowed (infinite)
        // distance still joins the tree.
        if *r < best.1 || best.0 == usize::MAX {
            best = (offset + k, *r);
        }
    }
    best
}

/// Prim's algorithm as scipy's `mst_single_linkage`: grow the tree from
/// item 0, each step joining the outside item nearest to the tree (the
/// first such in index order).
fn mst<T: Dist>(n: usize, tri: &Blocks, d: &[T], parallel: usize, progress: Option<&Bar>) -> Vec<RawMerge> {
    // The items not yet in the tree, in index order, with their distance to
    // the tree so far.
    let mut outside: Vec<u32> = (1..n as u32).collect();
    let mut reach = vec![T::INFINITY; n - 1];
    let mut merges = Vec::with_capacity(n - 1);
    let mut x = 0usize;
    for _ in 0..n - 1 {
        // `d(x, i)` is at `lead(i) + tail(x)` before x, `lead(x) + tail(i)`
        // after: one table value plus a computed one.
        let (tx, lx) = (Blocks::tail(x), tri.lead(x));
        let relax = |offset: usize, ids: &[u32], reach: &mut [T]| -> (usize, T) {
            let column = ids.partition_point(|&i| (i as usize) < x);
            let (before, after) = ids.split_at(column);
            let (reach_before, reach_after) = reach.split_at_mut(column);
            let l = relax_range(d, before, reach_before, offset, |i| tri.lead(i) + tx);
            let r = relax_range(d, after, reach_after, offset + column, |i| lx + Blocks::tail(i));
            nearer(l, r)
        };
        let (pos, h) = if outside.len() < parallel {
            relax(0, &outside, &mut reach)
        } else {
            // A value of `x`'s column (items before it) costs a cache line,
            // four of its row (after it) share one: split by that cost.
            let column = outside.partition_point(|&i| (i as usize) < x);
            let cost = 4 * column + (outside.len() - column);
            let half = if 4 * column >= cost / 2 { cost / 8 } else { column + cost / 2 - 4 * column };
            let (ids_l, ids_r) = outside.split_at(half);
            let (reach_l, reach_r) = reach.split_at_mut(half);
            let (l, r) = rayon::join(|| relax(0, ids_l, reach_l), || relax(half, ids_r, reach_r));
            nearer(l, r)
        };
        // Each pass counts its first item, so a candidate was always found,
        // even at an infinite distance.
        let y = outside.remove(pos) as usize;
        reach.remove(pos);
        merges.push((x as u32, y as u32, h.to_f64()));
        x = y;
        if let Some(p) = progress {
            p.inc(1);
        }
    }
    merges
}

/// Orders merges by height (stably) and gives them scipy's labels: the
/// smaller of the two merged clusters' current labels first, new clusters
/// numbered `n, n+1, …` in merge order (scipy's `label`).
pub(crate) fn sort_and_label(n: usize, raw: Vec<RawMerge>) -> Vec<Merge> {
    let mut merges = label_in_height_order(n, raw);
    for m in &mut merges {
        if m.a > m.b {
            std::mem::swap(&mut m.a, &mut m.b);
        }
    }
    merges
}

/// Orders merges by height (stably) and numbers the new clusters `n, n+1,
/// …` in that order. A merge names its clusters by any of their members
/// (`x`, `y`); the cluster holding `x` becomes `a`, drawn on the left.
/// Merges must come children first, which a stable sort keeps wherever a
/// parent is at least as high as its children.
pub(crate) fn label_in_height_order(n: usize, mut raw: Vec<RawMerge>) -> Vec<Merge> {
    raw.sort_by(|a, b| a.2.total_cmp(&b.2));
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    let mut size = vec![1usize; 2 * n - 1];
    let find = |parent: &mut Vec<usize>, mut x: usize| {
        let mut root = x;
        while parent[root] != root {
            root = parent[root];
        }
        while parent[x] != root {
            let next = parent[x];
            parent[x] = root;
            x = next;
        }
        root
    };
    raw.iter()
        .enumerate()
        .map(|(k, &(x, y, h))| {
            let rx = find(&mut parent, x as usize);
            let ry = find(&mut parent, y as usize);
            let label = n + k;
            parent[rx] = label;
            parent[ry] = label;
            size[label] = size[rx] + size[ry];
            Merge { a: rx, b: ry, height: h, size: size[label] }
        })
        .collect()
}

/// A binary min-heap of values keyed `0..len`, with the same sift rules as
/// scipy's `Heap`, so that equal values come out in the same order.
struct Heap<T> {
    index_by_key: Vec<usize>,
    key_by_index: Vec<usize>,
    values: Vec<T>,
    size: usize,
}

impl<T: Dist> Heap<T> {
    fn new(values: Vec<T>) -> Self {
        let size = values.len();
        let mut heap = Self { index_by_key: (0..size).collect(), key_by_index: (0..size).collect(), values, size };
        for i in (0..size / 2).rev() {
            heap.sift_down(i);
        }
        heap
    }

    fn min(&self) -> (usize, T) {
        (self.key_by_index[0], self.values[0])
    }

    fn remove_min(&mut self) {
        self.swap(0, self.size - 1);
        self.size -= 1;
        self.sift_down(0);
    }

    fn change(&mut self, key: usize, value: T) {
        let index = self.index_by_key[key];
        let old = self.values[index];
        self.values[index] = value;
        if value < old {
            self.sift_up(index);
        } else {
            self.sift_down(index);
        }
    }

    fn sift_up(&mut self, mut index: usize) {
        while index > 0 {
            let parent = (index - 1) / 2;
            if self.values[parent] > self.values[index] {
                self.swap(index, parent);
                index = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut index: usize) {
        let mut child = 2 * index + 1;
        while child < self.size {
            if child + 1 < self.size && self.values[child + 1] < self.values[child] {
                child += 1;
            }
            if self.values[index] > self.values[child] {
                self.swap(index, child);
                index = child;
                child = 2 * index + 1;
            } else {
                break;
            }
        }
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.values.swap(i, j);
        self.key_by_index.swap(i, j);
        self.index_by_key[self.key_by_index[i]] = i;
        self.index_by_key[self.key_by_index[j]] = j;
    }
}

/// The nearest active cluster after `x` (among higher indices), as scipy's
/// `find_min_dist`: `(index, distance)`, or `None` if there is none.
fn nearest_after<T: Dist>(tri: &Blocks, d: &[T], size: &[u32], x: usize) -> Option<(usize, T)> {
    let mut best: Option<(usize, T)> = None;
    for (i, &s) in size.iter().enumerate().skip(x + 1) {
        if s > 0 {
            let v = d[tri.upper(x, i)];
            if best.is_none_or(|(_, b)| v < b) {
                best = Some((i, v));
            }
        }
    }
    best
}

/// A merge keeps the higher of its two slots, so slot `n − 1` is never
/// dropped and every lower active slot has an active successor.
const LAST_SLOT_ACTIVE: &str = "slot n − 1 stays active";

/// The generic algorithm as scipy's `fast_linkage`: each cluster keeps a
/// candidate nearest neighbour among higher indices and a lower bound of its
/// distance in a heap; candidates are re-checked lazily when they reach the
/// top. Merges come out labelled, in the order found (heights of centroid
/// and median linkage may decrease).
fn generic<T: Dist>(
    n: usize,
    tri: &Blocks,
    d: &mut [T],
    method: Method,
    sizes: &[u32],
    progress: Option<&Bar>,
) -> Vec<Merge> {
    // `size` weighs the updates (0 marks a merged-away slot); `leaves`
    // counts the dendrogram's leaves.
    let mut size = sizes.to_vec();
    let mut leaves = vec![1usize; n];
    let mut cluster_id: Vec<usize> = (0..n).collect();
    let mut neighbor = vec![0usize; n - 1];
    let mut min_dist = vec![T::INFINITY; n - 1];
    for x in 0..n - 1 {
        let (y, v) = nearest_after(tri, d, &size, x).expect(LAST_SLOT_ACTIVE);
        neighbor[x] = y;
        min_dist[x] = v;
    }
    let mut heap = Heap::new(min_dist.clone());
    let mut merges = Vec::with_capacity(n - 1);
    for k in 0..n - 1 {
        let mut found = None;
        // A fixed bound, as in scipy: at most n − k re-checks find the pair.
        for _ in 0..n - k {
            let (x, h) = heap.min();
            let y = neighbor[x];
            if h == d[tri.pos(x, y)] {
                found = Some((x, y, h));
                break;
            }
            let (y, v) = nearest_after(tri, d, &size, x).expect(LAST_SLOT_ACTIVE);
            neighbor[x] = y;
            min_dist[x] = v;
            heap.change(x, v);
            found = Some((x, y, v));
        }
        let (x, y, h) = found.expect("n − k ≥ 1 tries");
        heap.remove_min();
        let (id_x, id_y) = (cluster_id[x], cluster_id[y]);
        let (nx, ny) = (size[x], size[y]);
        leaves[y] += leaves[x];
        merges.push(Merge { a: id_x.min(id_y), b: id_x.max(id_y), height: h.to_f64(), size: leaves[y] });
        size[x] = 0;
        size[y] = nx + ny;
        cluster_id[y] = n + k;
        for (z, &nz) in size.iter().enumerate() {
            if nz > 0 && z != y {
                let (zx, zy) = (tri.pos(z, x), tri.pos(z, y));
                d[zy] = update(method, d[zx], d[zy], h, nx, ny, nz);
            }
        }
        for z in 0..x {
            if size[z] > 0 && neighbor[z] == x {
                neighbor[z] = y;
            }
        }
        for z in 0..y {
            if size[z] > 0 {
                let v = d[tri.pos(z, y)];
                if v < min_dist[z] {
                    neighbor[z] = y;
                    min_dist[z] = v;
                    heap.change(z, v);
                }
            }
        }
        if y < n - 1 {
            let (z, v) = nearest_after(tri, d, &size, y).expect(LAST_SLOT_ACTIVE);
            neighbor[y] = z;
            min_dist[y] = v;
            heap.change(y, v);
        }
        if let Some(p) = progress {
            p.inc(1);
        }
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_scipy() {
        // Merges found as slots (2,3), (0,1), (1,3): after sorting by height
        // the union of {2,3} is 4, of {0,1} is 5, and the last joins 5 and 4.
        let raw = vec![(1, 3, 3.0), (2, 3, 1.0), (0, 1, 2.0)];
        let merges = sort_and_label(4, raw);
        let rows: Vec<_> = merges.iter().map(|m| (m.a, m.b, m.height, m.size)).collect();
        assert_eq!(rows, vec![(2, 3, 1.0, 2), (0, 1, 2.0, 2), (4, 5, 3.0, 4)]);
    }

    /// Seeded xorshift numbers, uniform in [0, 1).
    fn uniform(mut state: u64) -> impl FnMut() -> f64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Condensed distances of `n` seeded pseudo-random points in 3-d.
    fn walk(n: usize) -> Vec<f32> {
        let mut next = uniform(0x9e37_79b9_7f4a_7c15);
        let points: Vec<[f64; 3]> = (0..n).map(|_| [next(), next(), next()]).collect();
        let mut d = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let s: f64 = (0..3).map(|k| (points[i][k] - points[j][k]).powi(2)).sum();
                d.push(s.sqrt() as f32);
            }
        }
        d
    }

    #[test]
    fn f32_and_threaded_passes_give_the_f64_tree() {
        // Large problems link in f32 with passes split between threads;
        // forced here on a small one, they must give the same tree.
        let n = 700;
        let dist = CondensedMatrix::from_vec(n, walk(n));
        let d32 = dist.raw().to_vec();
        let d64: Vec<f64> = d32.iter().map(|&v| f64::from(v)).collect();
        let tri = dist.blocks();
        for method in Method::ALL {
            let ones = vec![1; n];
            let wide = link(n, tri, &mut d64.clone(), method, &ones, usize::MAX, None, None);
            let narrow = link(n, tri, &mut d32.clone(), method, &ones, 64, None, None);
            for (w, s) in wide.iter().zip(&narrow) {
                assert_eq!((w.a, w.b, w.size), (s.a, s.b, s.size), "{}", method.name());
                assert!((w.height - s.height).abs() <= 1e-5 * w.height, "{}", method.name());
            }
        }
    }

    #[test]
    fn the_chain_builds_the_tree_of_the_generic_algorithm() {
        // Müllner's generic algorithm rescans for every merge and keeps no
        // neighbour lists; the chain, whose clusters keep a few neighbours
        // and rescan only when all have merged away, must find the same
        // merges (split between threads here, as for large problems).
        // Uniform points, and tight groups, where most merges happen among
        // clusters that know each other.
        let n = 900;
        let tri = Blocks::new(n);
        let uniform = CondensedMatrix::from_vec(n, walk(n));
        let uniform: Vec<f64> = uniform.raw().iter().map(|&v| f64::from(v)).collect();
        let ones = vec![1; n];
        for (name, d) in [("uniform", uniform), ("groups", groups(n, &tri))] {
            for method in [Method::Complete, Method::Average, Method::Weighted, Method::Ward] {
                let chain = sort_and_label(n, nn_chain(n, &tri, &mut d.clone(), method, &ones, 64, None, None));
                let reference = generic(n, &tri, &mut d.clone(), method, &ones, None);
                assert_eq!(chain.len(), n - 1);
                for (c, r) in chain.iter().zip(&reference) {
                    assert_eq!((c.a, c.b, c.size), (r.a, r.b, r.size), "{name} {}", method.name());
                    assert!((c.height - r.height).abs() <= 1e-12 * r.height, "{name} {}", method.name());
                }
            }
        }
    }

    #[test]
    fn the_small_chain_makes_the_decisions_of_the_chain() {
        // Few clusters link on a square matrix with a scan per step; the
        // neighbour-list chain must agree merge for merge, ties included
        // (distances of a few whole values tie constantly), for clusters of
        // one item and of several.
        let mut next = uniform(0x9e37_79b9_7f4a_7c15);
        for n in [2usize, 3, 17, 130, 300] {
            let tri = Blocks::new(n);
            let mut ties = vec![0.0f64; tri.len()];
            let mut spread = vec![0.0f64; tri.len()];
            for i in 0..n {
                for j in i + 1..n {
                    ties[tri.pos(i, j)] = (1.0 + (next() * 4.0).floor()).max(1.0);
                    spread[tri.pos(i, j)] = 0.1 + next();
                }
            }
            let ones = vec![1u32; n];
            let several: Vec<u32> = (0..n).map(|_| 1 + (next() * 5.0) as u32).collect();
            // Distances that overflowed `f32` (kept as infinities) among finite ones.
            let mut overflowed = spread.clone();
            for (k, v) in overflowed.iter_mut().enumerate() {
                if k % 3 == 1 {
                    *v = f64::INFINITY;
                }
            }
            for (name, d) in [("ties", &ties), ("spread", &spread), ("overflowed", &overflowed)] {
                for sizes in [&ones, &several] {
                    for method in [Method::Complete, Method::Average, Method::Weighted, Method::Ward] {
                        let small = sort_and_label(n, small_nn_chain(n, &tri, d, method, sizes, None));
                        let chain = sort_and_label(n, nn_chain(n, &tri, &mut d.clone(), method, sizes, 64, None, None));
                        assert_eq!(small, chain, "{name}, n = {n}, {}", method.name());
                    }
                }
            }
        }
    }

    /// Blocked distances (in `f64`) of `n` seeded points in 8-d, in 30
    /// groups of small spread.
    fn groups(n: usize, tri: &Blocks) -> Vec<f64> {
        let mut next = uniform(0x2545_f491_4f6c_dd1d);
        let centres: Vec<Vec<f64>> = (0..30).map(|_| (0..8).map(|_| 10.0 * next()).collect()).collect();
        let points: Vec<Vec<f64>> =
            (0..n).map(|i| centres[i % 30].iter().map(|c| c + 0.3 * next()).collect()).collect();
        let mut d = vec![0.0; tri.len()];
        for i in 0..n {
            for j in i + 1..n {
                d[tri.upper(i, j)] =
                    points[i].iter().zip(&points[j]).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
            }
        }
        d
    }

    #[test]
    fn distances_that_overflowed_still_give_a_whole_tree() {
        // Items 0–2 at finite distances, the rest at distances that
        // overflowed `f32`: every method joins all nine, the finite merge
        // first, on one thread and with passes split.
        let n = 9;
        let tri = Blocks::new(n);
        let mut d = vec![0.0f32; tri.len()];
        for i in 0..n {
            for j in i + 1..n {
                d[tri.upper(i, j)] = if j < 3 { (i + j) as f32 } else { f32::INFINITY };
            }
        }
        let check = |merges: Vec<Merge>, what: &str| {
            assert_eq!(merges.len(), n - 1, "{what}");
            assert_eq!((merges[0].a, merges[0].b, merges[0].height), (0, 1, 1.0), "{what}");
            assert_eq!(merges[n - 2].size, n, "{what}");
        };
        for method in Method::ALL {
            for parallel in [2, usize::MAX] {
                check(link(n, &tri, &mut d.clone(), method, &[1; 9], parallel, None, None), method.name());
            }
        }
        // Nine clusters link on the small chain: the neighbour-list chain,
        // which larger problems take, is held to the same.
        for method in [Method::Complete, Method::Average, Method::Weighted, Method::Ward] {
            for parallel in [2, usize::MAX] {
                let merges =
                    sort_and_label(n, nn_chain(n, &tri, &mut d.clone(), method, &[1; 9], parallel, None, None));
                check(merges, &format!("neighbour-list chain, {}", method.name()));
            }
        }
    }
}
