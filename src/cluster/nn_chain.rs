//! The nearest-neighbour chain for the reducible linkages (complete,
//! average, weighted, Ward), making exactly the decisions of scipy's
//! `nn_chain` while scanning far less memory.
//!
//! scipy scans all active clusters to find each chain element's nearest
//! neighbour. Here every cluster keeps its nearest neighbour (the first
//! index at the smallest distance, which is what a scan would return), and
//! a merge updates those caches in the same pass that applies the
//! Lance–Williams update. Only clusters whose neighbour was one of the two
//! merged ones are scanned again.
//!
//! Every pass reads all distances of one cluster. In the condensed triangle
//! half of them lie down a column, one cache line per value, and those
//! reads wait on memory. So once few enough clusters are left for a full
//! symmetric square of them to fit in the triangle's memory (about
//! `n/√2`), the distances are moved, in place, into that square: every
//! read is then along a row, and only the update's copy into the merged
//! cluster's column is strided (writes, which do not stall the passes).
//! The square is compacted again each time half of its clusters are gone,
//! so its rows stay dense. Compaction keeps the clusters' order, so ties
//! are broken as before.

use indicatif::ProgressBar;

use super::Method;
use super::condensed::{Blocks, shrink_square, square_pos, square_side, triangle_to_square};
use super::linkage::{Dist, RawMerge, update};

/// The distances between active clusters and the passes the chain makes
/// over them: the blocked triangle at first, a full square later.
trait Store<T: Dist> {
    /// `d(i, j)`, `i ≠ j`.
    fn get(&self, i: usize, j: usize) -> T;

    /// The two nearest active clusters to `x`.
    fn scan(&mut self, active: &[u32], x: usize) -> Near<T>;

    /// Applies the Lance–Williams update of merge `m` to every active
    /// cluster (gathering their distances to `x` into `dx` first) and
    /// refreshes their neighbour caches. Returns the nearest neighbours of
    /// the merged cluster and the clusters whose cache must be rescanned.
    fn merge(
        &mut self,
        m: &Merged<T>,
        size: &[u32],
        active: &[u32],
        dx: &mut Vec<T>,
        nn: &mut [Near<T>],
        stale: &[bool],
    ) -> ([Neighbour<T>; 2], Vec<u32>);
}

/// The blocked condensed triangle of all items; passes over at least
/// `parallel` clusters are split between threads.
struct Triangle<'a, T> {
    tri: &'a Blocks,
    d: &'a mut [T],
    parallel: usize,
}

impl<T: Dist> Store<T> for Triangle<'_, T> {
    #[inline]
    fn get(&self, i: usize, j: usize) -> T {
        self.d[self.tri.pos(i, j)]
    }

    fn scan(&mut self, active: &[u32], x: usize) -> Near<T> {
        nearest(active, x, self.parallel, |i| self.d[self.tri.pos(i, x)])
    }

    fn merge(
        &mut self,
        m: &Merged<T>,
        size: &[u32],
        active: &[u32],
        dx: &mut Vec<T>,
        nn: &mut [Near<T>],
        stale: &[bool],
    ) -> ([Neighbour<T>; 2], Vec<u32>) {
        gather(active, m.y, self.parallel, dx, |i| self.d[self.tri.pos(i, m.x)]);
        let tri = self.tri;
        let column = TriangleColumn { tri, y: m.y, d: &mut *self.d, offset: 0 };
        update_pass(m, size, active, dx, column, (nn, 0), stale, self.parallel)
    }
}

/// The full symmetric square of the active clusters, `w × w`, in 4 × 4
/// blocks like the triangle (see [`square_pos`]; the diagonal unused). A
/// merge writes the merged cluster's row and column; the column costs a
/// cache line per four values, as a column of the triangle does, but every
/// other pass reads along rows.
struct Square<'a, T> {
    w: usize,
    d: &'a mut [T],
    /// The merged cluster's new distances, before they are written to its
    /// row and column.
    row: Vec<T>,
    parallel: usize,
}

impl<T: Dist> Store<T> for Square<'_, T> {
    #[inline]
    fn get(&self, i: usize, j: usize) -> T {
        self.d[square_pos(self.w, i, j)]
    }

    fn scan(&mut self, active: &[u32], x: usize) -> Near<T> {
        nearest(active, x, self.parallel, |i| self.d[square_pos(self.w, x, i)])
    }

    fn merge(
        &mut self,
        m: &Merged<T>,
        size: &[u32],
        active: &[u32],
        dx: &mut Vec<T>,
        nn: &mut [Near<T>],
        stale: &[bool],
    ) -> ([Neighbour<T>; 2], Vec<u32>) {
        let (w, d) = (self.w, &*self.d);
        gather(active, m.y, self.parallel, dx, |i| d[square_pos(w, m.x, i)]);
        self.row.clear();
        self.row.resize(active.len(), T::INFINITY);
        let column = SquareColumn { d, w, y: m.y, new: &mut self.row };
        let result = update_pass(m, size, active, dx, column, (nn, 0), stale, self.parallel);
        for (&i, &v) in active.iter().zip(&self.row) {
            let i = i as usize;
            if i != m.y {
                self.d[square_pos(w, m.y, i)] = v;
                self.d[square_pos(w, i, m.y)] = v;
            }
        }
        result
    }
}

/// `d(i, x)` of every active cluster `i` (∞ for `y`) into `dx`.
fn gather<T: Dist>(active: &[u32], y: usize, parallel: usize, dx: &mut Vec<T>, value: impl Fn(usize) -> T + Sync) {
    use rayon::prelude::*;
    let one = |&i: &u32| {
        let i = i as usize;
        if i == y { T::INFINITY } else { value(i) }
    };
    if active.len() >= parallel {
        active.par_iter().map(one).collect_into_vec(dx);
    } else {
        dx.clear();
        dx.extend(active.iter().map(one));
    }
}

/// The two nearest active clusters to `x`, given `value(i) = d(i, x)`.
fn nearest<T: Dist>(active: &[u32], x: usize, parallel: usize, value: impl Fn(usize) -> T + Sync) -> Near<T> {
    let part = |ids: &[u32]| {
        let mut top = [Neighbour::NONE; 2];
        for &i in ids {
            let v = value(i as usize);
            // Indices grow, so only a strictly smaller distance enters.
            if v < top[1].d {
                offer(&mut top, Neighbour { d: v, j: i });
            }
        }
        top
    };
    // Without x, split where the triangle's positions change from its
    // column (one value per row) to its row (contiguous).
    let at = active.partition_point(|&i| (i as usize) < x);
    let (before, after) = (&active[..at], &active[at..]);
    let after = after.strip_prefix(&[x as u32]).unwrap_or(after);
    if active.len() < parallel {
        return Near::known(union(part(before), part(after)));
    }
    // Each thread takes half of each kind.
    let (b1, b2) = before.split_at(before.len() / 2);
    let (a1, a2) = after.split_at(after.len() / 2);
    let (l, r) = rayon::join(|| union(part(b1), part(a1)), || union(part(b2), part(a2)));
    Near::known(union(l, r))
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

/// A cluster's two nearest neighbours (first indices at the smallest
/// distances). `second` is `None` when unknown: when the nearest merges
/// away, a known second one often gives the new nearest without a scan.
#[derive(Clone, Copy)]
struct Near<T> {
    best: Neighbour<T>,
    second: Option<Neighbour<T>>,
}

impl<T: Dist> Near<T> {
    /// The two nearest of the candidates in `top` (as a search leaves it).
    fn known(top: [Neighbour<T>; 2]) -> Self {
        Self { best: top[0], second: (top[1].j != u32::MAX).then_some(top[1]) }
    }
}

/// Keeps the two first of all candidates offered.
#[inline]
fn offer<T: Dist>(top: &mut [Neighbour<T>; 2], c: Neighbour<T>) {
    if c.before(top[0]) {
        top[1] = top[0];
        top[0] = c;
    } else if c.before(top[1]) {
        top[1] = c;
    }
}

/// The two first of the union of two searches.
fn union<T: Dist>(mut a: [Neighbour<T>; 2], b: [Neighbour<T>; 2]) -> [Neighbour<T>; 2] {
    offer(&mut a, b[0]);
    offer(&mut a, b[1]);
    a
}

/// The two nearest neighbours of every item, from one pass over the
/// triangle.
fn initial_neighbours<T: Dist>(n: usize, d: &[T], tri: &Blocks) -> Vec<Near<T>> {
    use rayon::prelude::*;
    // Rows of blocks split so that each part holds about the same number of
    // values; each part collects candidates for every item, merged after.
    let rows = n.div_ceil(4);
    let parts = rayon::current_num_threads().max(1) * 4;
    let total = tri.block_row(n);
    let mut bounds = vec![0usize];
    for r in 0..rows {
        if tri.block_row(4 * r) * parts >= total * bounds.len() {
            bounds.push(r);
        }
    }
    bounds.push(rows);
    bounds.dedup();
    let ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    ranges
        .into_par_iter()
        .map(|(r0, r1)| {
            let mut top = vec![[Neighbour::NONE; 2]; n];
            for i in 4 * r0..(4 * r1).min(n) {
                for j in i + 1..n {
                    let v = d[tri.upper(i, j)];
                    offer(&mut top[i], Neighbour { d: v, j: j as u32 });
                    offer(&mut top[j], Neighbour { d: v, j: i as u32 });
                }
            }
            top
        })
        .reduce_with(|mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x = union(*x, y);
            }
            a
        })
        .expect("at least one part")
        .into_iter()
        .map(Near::known)
        .collect()
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

/// Clusters an update pass loads at a time (a few KiB).
const CHUNK: usize = 256;

/// Where an update pass reads each active cluster's distance to `y` and
/// writes the new one, for a run of clusters; split in two for threads.
trait Column<T>: Send + Sized {
    /// The columns of the first `mid` clusters of `ids` and of the rest.
    fn split(self, ids: &[u32], mid: usize) -> (Self, Self);

    /// `d(i, y)`.
    fn load(&self, i: usize) -> T;

    /// Sets `d(i, y)`, `i` the `k`-th cluster of the run, to `v`.
    fn store(&mut self, k: usize, i: usize, v: T);
}

/// Column `y` of the triangle: `d` is the matrix from position `offset` on.
struct TriangleColumn<'a, T> {
    tri: &'a Blocks,
    y: usize,
    d: &'a mut [T],
    offset: usize,
}

impl<T: Dist> Column<T> for TriangleColumn<'_, T> {
    fn split(self, ids: &[u32], mid: usize) -> (Self, Self) {
        let Self { tri, y, d, offset } = self;
        // Positions grow with the cluster index, diagonal included.
        let i = ids[mid] as usize;
        let at = if i == y { tri.diagonal(y) } else { tri.pos(i, y) } - offset;
        let (l, r) = d.split_at_mut(at);
        (Self { tri, y, d: l, offset }, Self { tri, y, d: r, offset: offset + at })
    }

    #[inline]
    fn load(&self, i: usize) -> T {
        self.d[self.tri.pos(i, self.y) - self.offset]
    }

    #[inline]
    fn store(&mut self, _: usize, i: usize, v: T) {
        self.d[self.tri.pos(i, self.y) - self.offset] = v;
    }
}

/// Row `y` of the square and the new values (`new`, indexed by position
/// in the run).
struct SquareColumn<'a, T> {
    d: &'a [T],
    w: usize,
    y: usize,
    new: &'a mut [T],
}

impl<T: Dist> Column<T> for SquareColumn<'_, T> {
    fn split(self, _: &[u32], mid: usize) -> (Self, Self) {
        let Self { d, w, y, new } = self;
        let (l, r) = new.split_at_mut(mid);
        (Self { d, w, y, new: l }, Self { d, w, y, new: r })
    }

    #[inline]
    fn load(&self, i: usize) -> T {
        self.d[square_pos(self.w, self.y, i)]
    }

    #[inline]
    fn store(&mut self, k: usize, _: usize, v: T) {
        self.new[k] = v;
    }
}

/// Applies the Lance–Williams update `d(i, y) ← f(d(i, x), d(i, y))` for the
/// active clusters `ids` (with `dx` their distances to `x`) through
/// `column`, and to `nn`, the caches from cluster `nn_offset` on. Returns
/// the nearest neighbour of the merged cluster among `ids`, and the
/// clusters whose cache must be rescanned.
#[allow(clippy::too_many_arguments)]
fn update_pass<T: Dist>(
    m: &Merged<T>,
    size: &[u32],
    ids: &[u32],
    dx: &[T],
    mut column: impl Column<T>,
    (nn, nn_offset): (&mut [Near<T>], usize),
    stale: &[bool],
    parallel: usize,
) -> ([Neighbour<T>; 2], Vec<u32>) {
    if ids.len() >= parallel {
        let mid = ids.len() / 2;
        let split_nn = ids[mid] as usize - nn_offset;
        let (c_l, c_r) = column.split(ids, mid);
        let (nn_l, nn_r) = nn.split_at_mut(split_nn);
        let ((best_l, mut again), (best_r, again_r)) = rayon::join(
            || update_pass(m, size, &ids[..mid], &dx[..mid], c_l, (nn_l, nn_offset), stale, parallel),
            || {
                let nn_off = nn_offset + split_nn;
                update_pass(m, size, &ids[mid..], &dx[mid..], c_r, (nn_r, nn_off), stale, parallel)
            },
        );
        again.extend(again_r);
        return (union(best_l, best_r), again);
    }
    let mut best = [Neighbour::NONE; 2];
    let mut again = Vec::new();
    // Loads first, in a loop of nothing else, so that many cache misses
    // are in flight at once; the stores then find their lines in cache.
    let mut dy = [T::INFINITY; CHUNK];
    for (c, (ids, dx)) in ids.chunks(CHUNK).zip(dx.chunks(CHUNK)).enumerate() {
        for (v, &i) in dy.iter_mut().zip(ids) {
            if i as usize != m.y {
                *v = column.load(i as usize);
            }
        }
        for (k, ((&i, &d_ix), &d_iy)) in ids.iter().zip(dx).zip(&dy).enumerate() {
            let iu = i as usize;
            if iu == m.y {
                continue;
            }
            let v = update(m.method, d_ix, d_iy, m.h, m.nx, m.ny, size[iu]);
            column.store(c * CHUNK + k, iu, v);
            if v < best[1].d {
                offer(&mut best, Neighbour { d: v, j: i });
            }
            if !stale[iu] && !refresh(&mut nn[iu - nn_offset], v, m) {
                again.push(i);
            }
        }
    }
    (best, again)
}

/// Brings cluster `i`'s cache up to date after `x` merged into `y`, now at
/// distance `v` from `i`; `false` if it must be found again by a scan.
/// Every case keeps the cache exact: a neighbour is only promoted when
/// nothing unseen can come before it.
#[inline]
fn refresh<T: Dist>(near: &mut Near<T>, v: T, m: &Merged<T>) -> bool {
    let (x, y) = (m.x as u32, m.y as u32);
    let merged = Neighbour { d: v, j: y };
    let gone = |c: Neighbour<T>| c.j == x || c.j == y;
    let best = near.best;
    if best.j == y && v <= best.d {
        // Still the nearest, nearer or as near as before.
        near.best = merged;
        if near.second.is_some_and(|s| s.j == x) {
            near.second = None;
        }
        return true;
    }
    if gone(best) {
        // Everything else is at least as far as the known second.
        return match near.second {
            Some(s) if !gone(s) => {
                if merged.before(s) {
                    near.best = merged;
                } else {
                    near.best = s;
                    near.second = None;
                }
                true
            }
            _ => false,
        };
    }
    if merged.before(best) {
        near.second = Some(best);
        near.best = merged;
        return true;
    }
    near.second = match near.second {
        // y came closer than (or as close as) it was: still second.
        Some(s) if s.j == y => (v <= s.d).then_some(merged),
        Some(s) if s.j == x => None,
        Some(s) if merged.before(s) => Some(merged),
        other => other,
    };
    true
}

/// The chain's state between merges, clusters numbered as the current
/// store numbers them.
struct State<T> {
    size: Vec<u32>,
    active: Vec<u32>,
    nn: Vec<Near<T>>,
    /// Clusters whose nearest neighbour was merged away: found again only
    /// when the chain reaches them, which most never do before merging.
    stale: Vec<bool>,
    chain: Vec<u32>,
    /// The item slot each cluster stands for, which names it in the merges.
    slot: Vec<u32>,
    dx: Vec<T>,
}

impl<T: Dist> State<T> {
    /// Renumbers the active clusters `0, 1, …` in their order, as a
    /// compacted store numbers them; the order, and so every tie, is kept.
    fn compact(&mut self) {
        let mut id = vec![u32::MAX; self.size.len()];
        for (k, &i) in self.active.iter().enumerate() {
            id[i as usize] = k as u32;
        }
        let renumber = |c: Neighbour<T>| Neighbour { d: c.d, j: id.get(c.j as usize).copied().unwrap_or(u32::MAX) };
        let old = |v: &[u32]| self.active.iter().map(|&i| v[i as usize]).collect::<Vec<_>>();
        let (size, slot) = (old(&self.size), old(&self.slot));
        let mut nn = Vec::with_capacity(self.active.len());
        let mut stale = Vec::with_capacity(self.active.len());
        for &i in &self.active {
            let Near { best, second } = self.nn[i as usize];
            let best = renumber(best);
            nn.push(Near { best, second: second.map(renumber).filter(|c| c.j != u32::MAX) });
            stale.push(self.stale[i as usize] || best.j == u32::MAX);
        }
        self.chain.iter_mut().for_each(|c| *c = id[*c as usize]);
        (self.size, self.slot, self.nn, self.stale) = (size, slot, nn, stale);
        self.active = (0..self.active.len() as u32).collect();
    }
}

/// Makes merges with `store` until at most `until` clusters (and at least
/// one) are left: follow nearest neighbours (preferring the chain's
/// previous element on ties) until two clusters are each other's nearest,
/// merge them into the slot of the larger index, and continue from the
/// rest of the chain.
fn run<T: Dist>(
    store: &mut impl Store<T>,
    s: &mut State<T>,
    method: Method,
    until: usize,
    merges: &mut Vec<RawMerge>,
    progress: Option<&ProgressBar>,
) {
    while s.active.len() > until.max(1) {
        if s.chain.is_empty() {
            s.chain.push(s.active[0]);
        }
        let (x, y, h) = loop {
            let x = *s.chain.last().expect("chain is not empty") as usize;
            if s.stale[x] {
                s.nn[x] = store.scan(&s.active, x);
                s.stale[x] = false;
            }
            let near = s.nn[x].best;
            let prev = (s.chain.len() > 1).then(|| s.chain[s.chain.len() - 2] as usize);
            // scipy starts its scan from the previous element, which keeps
            // it unless something is strictly nearer: no cycles.
            let (y, h) = match prev {
                Some(p) if store.get(x, p) <= near.d => (p, store.get(x, p)),
                _ => (near.j as usize, near.d),
            };
            if Some(y) == prev {
                break (x, y, h);
            }
            s.chain.push(y as u32);
        };
        s.chain.truncate(s.chain.len() - 2);
        let (x, y) = (x.min(y), x.max(y));
        let (nx, ny) = (s.size[x], s.size[y]);
        merges.push((s.slot[x], s.slot[y], h.to_f64()));
        s.size[x] = 0;
        s.size[y] = nx + ny;
        s.active.remove(s.active.binary_search(&(x as u32)).expect("x is active"));
        if let Some(p) = progress {
            p.inc(1);
        }
        if s.active.len() == 1 {
            break;
        }
        let merged = Merged { method, x, y, h, nx, ny };
        let (best, again) = store.merge(&merged, &s.size, &s.active, &mut s.dx, &mut s.nn, &s.stale);
        s.nn[y] = Near::known(best);
        s.stale[y] = false;
        for i in again {
            s.stale[i as usize] = true;
        }
    }
}

/// The nearest-neighbour chain on the blocked triangle `d` of `n` items,
/// which it overwrites. Passes over at least `parallel` clusters are split
/// between threads.
pub(crate) fn nn_chain<T: Dist>(
    n: usize,
    tri: &Blocks,
    d: &mut [T],
    method: Method,
    parallel: usize,
    progress: Option<&ProgressBar>,
) -> Vec<RawMerge> {
    nn_chain_switching(n, tri, d, method, parallel, usize::MAX, progress)
}

/// [`nn_chain`], moving to a square once at most `square` clusters are
/// left (or as soon as the square fits in `d`, if that is later).
fn nn_chain_switching<T: Dist>(
    n: usize,
    tri: &Blocks,
    d: &mut [T],
    method: Method,
    parallel: usize,
    square: usize,
    progress: Option<&ProgressBar>,
) -> Vec<RawMerge> {
    let mut s = State {
        size: vec![1; n],
        active: (0..n as u32).collect(),
        nn: initial_neighbours(n, d, tri),
        stale: vec![false; n],
        chain: Vec::with_capacity(n),
        slot: (0..n as u32).collect(),
        dx: Vec::with_capacity(n),
    };
    let mut merges = Vec::with_capacity(n - 1);
    let square = square.min(square_side(d.len()));
    run(&mut Triangle { tri, d: &mut *d, parallel }, &mut s, method, square, &mut merges, progress);
    let mut side = None;
    while s.active.len() > 1 {
        let w = s.active.len();
        match side {
            None => triangle_to_square(tri, d, &s.active),
            Some(old) => shrink_square(old, d, &s.active),
        }
        s.compact();
        side = Some(w);
        let mut store = Square { w, d: &mut *d, row: Vec::with_capacity(w), parallel };
        run(&mut store, &mut s, method, w / 2, &mut merges, progress);
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_square_gives_the_tree_of_the_triangle() {
        // Seeded points on a coarse grid: many tied distances.
        let n = 150;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let points: Vec<[f64; 2]> = (0..n)
            .map(|_| {
                let mut next = || {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 59) as f64
                };
                [next(), next()]
            })
            .collect();
        let tri = Blocks::new(n);
        let mut d = vec![0.0f64; tri.len()];
        for i in 0..n {
            for j in i + 1..n {
                d[tri.upper(i, j)] = (0..2).map(|k| (points[i][k] - points[j][k]).powi(2)).sum::<f64>().sqrt();
            }
        }
        for method in [Method::Complete, Method::Average, Method::Weighted, Method::Ward] {
            let triangle = nn_chain_switching(n, &tri, &mut d.clone(), method, usize::MAX, 0, None);
            for (square, parallel) in [(usize::MAX, usize::MAX), (100, 16), (20, 4)] {
                let switched = nn_chain_switching(n, &tri, &mut d.clone(), method, parallel, square, None);
                assert_eq!(triangle, switched, "{method:?}, square from {square}");
            }
        }
    }
}
