//! The nearest-neighbour chain for the reducible linkages (complete,
//! average, weighted, Ward), making exactly the decisions of scipy's
//! `nn_chain` while scanning far less memory.
//!
//! scipy scans all active clusters to find each chain element's nearest
//! neighbour. Here every cluster keeps its nearest neighbour (the first
//! index at the smallest distance, which is what a scan would return), and
//! a merge updates those caches in the same pass that applies the
//! Lance–Williams update. Only clusters whose neighbour was one of the two
//! merged ones are scanned again. Both passes read one column of the
//! condensed triangle (one value per row), so they are split between
//! threads for large problems; each thread writes a disjoint, contiguous
//! part of the matrix.

use indicatif::ProgressBar;

use super::Method;
use super::condensed::Blocks;
use super::linkage::{Dist, RawMerge, update};

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
fn initial_neighbours<T: Dist>(n: usize, d: &[T], layout: &Layout) -> Vec<Near<T>> {
    use rayon::prelude::*;
    // Rows of blocks split so that each part holds about the same number of
    // values; each part collects candidates for every item, merged after.
    let rows = n.div_ceil(4);
    let parts = rayon::current_num_threads().max(1) * 4;
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
            let mut top = vec![[Neighbour::NONE; 2]; n];
            for i in 4 * r0..(4 * r1).min(n) {
                for j in i + 1..n {
                    let v = d[layout.tri.upper(i, j)];
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

/// The two nearest active clusters to `x`.
fn scan<T: Dist>(d: &[T], layout: &Layout, active: &[u32], x: usize) -> Near<T> {
    let part = |ids: &[u32]| {
        let mut top = [Neighbour::NONE; 2];
        for &i in ids {
            let v = d[layout.pos(i as usize, x)];
            // Indices grow, so only a strictly smaller distance enters.
            if v < top[1].d {
                offer(&mut top, Neighbour { d: v, j: i });
            }
        }
        top
    };
    // Without x, split where the positions change from its column (one
    // value per row) to its row (contiguous).
    let at = active.partition_point(|&i| (i as usize) < x);
    let (before, after) = (&active[..at], &active[at..]);
    let after = after.strip_prefix(&[x as u32]).unwrap_or(after);
    if active.len() < layout.parallel {
        return Near::known(union(part(before), part(after)));
    }
    // The column part costs most (a cache line per value): halve it.
    let (b1, b2) = before.split_at(before.len() / 2);
    let (l, r) = rayon::join(|| part(b1), || union(part(b2), part(after)));
    Near::known(union(l, r))
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
/// active clusters `ids` (with `dx` their distances to `x`), writing into
/// `d`, the part of the matrix from `offset` on, and `nn`, the caches from
/// cluster `nn_offset` on. Returns the nearest neighbour of the merged
/// cluster among `ids`, and the clusters whose cache must be rescanned.
#[allow(clippy::too_many_arguments)]
fn update_pass<T: Dist>(
    m: &Merged<T>,
    layout: &Layout,
    size: &[u32],
    ids: &[u32],
    dx: &[T],
    (d, offset): (&mut [T], usize),
    (nn, nn_offset): (&mut [Near<T>], usize),
    stale: &[bool],
) -> ([Neighbour<T>; 2], Vec<u32>) {
    if ids.len() >= layout.parallel {
        let mid = ids.len() / 2;
        let split_d = layout.write_pos(ids[mid] as usize, m.y) - offset;
        let split_nn = ids[mid] as usize - nn_offset;
        let (d_l, d_r) = d.split_at_mut(split_d);
        let (nn_l, nn_r) = nn.split_at_mut(split_nn);
        let ((best_l, mut again), (best_r, again_r)) = rayon::join(
            || update_pass(m, layout, size, &ids[..mid], &dx[..mid], (d_l, offset), (nn_l, nn_offset), stale),
            || {
                let d_offset = offset + split_d;
                let nn_off = nn_offset + split_nn;
                update_pass(m, layout, size, &ids[mid..], &dx[mid..], (d_r, d_offset), (nn_r, nn_off), stale)
            },
        );
        again.extend(again_r);
        return (union(best_l, best_r), again);
    }
    let mut best = [Neighbour::NONE; 2];
    let mut again = Vec::new();
    for (&i, &d_ix) in ids.iter().zip(dx) {
        let iu = i as usize;
        if iu == m.y {
            continue;
        }
        let p = layout.pos(iu, m.y) - offset;
        let v = update(m.method, d_ix, d[p], m.h, m.nx, m.ny, size[iu]);
        d[p] = v;
        if v < best[1].d {
            offer(&mut best, Neighbour { d: v, j: i });
        }
        if !stale[iu] && !refresh(&mut nn[iu - nn_offset], v, m) {
            again.push(i);
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

/// The nearest-neighbour chain: follow nearest neighbours (preferring the
/// chain's previous element on ties) until two clusters are each other's
/// nearest, merge them into the slot of the larger index, and continue from
/// the rest of the chain.
pub(crate) fn nn_chain<T: Dist>(
    n: usize,
    tri: &Blocks,
    d: &mut [T],
    method: Method,
    parallel: usize,
    progress: Option<&ProgressBar>,
) -> Vec<RawMerge> {
    use rayon::prelude::*;
    let layout = Layout { tri, parallel };
    let mut size = vec![1u32; n];
    let mut active: Vec<u32> = (0..n as u32).collect();
    let mut nn = initial_neighbours(n, d, &layout);
    // Clusters whose nearest neighbour was merged away: found again only
    // when the chain reaches them, which most never do before merging.
    let mut stale = vec![false; n];
    let mut chain: Vec<u32> = Vec::with_capacity(n);
    let mut merges = Vec::with_capacity(n - 1);
    let mut dx: Vec<T> = Vec::with_capacity(n);
    for _ in 0..n - 1 {
        if chain.is_empty() {
            chain.push(active[0]);
        }
        let (x, y, h) = loop {
            let x = *chain.last().expect("chain is not empty") as usize;
            if stale[x] {
                nn[x] = scan(d, &layout, &active, x);
                stale[x] = false;
            }
            let near = nn[x].best;
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
        let gather = |&i: &u32| {
            let i = i as usize;
            if i == y { T::INFINITY } else { d[layout.pos(i, x)] }
        };
        if active.len() >= layout.parallel {
            active.par_iter().map(gather).collect_into_vec(&mut dx);
        } else {
            dx.clear();
            dx.extend(active.iter().map(gather));
        }
        let merged = Merged { method, x, y, h, nx, ny };
        let (best, again) = update_pass(&merged, &layout, &size, &active, &dx, (d, 0), (&mut nn, 0), &stale);
        nn[y] = Near::known(best);
        stale[y] = false;
        for i in again {
            stale[i as usize] = true;
        }
    }
    merges
}
