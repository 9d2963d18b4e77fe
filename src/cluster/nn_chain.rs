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
        if i == y {
            self.tri.diagonal(y)
        } else {
            self.pos(i, y)
        }
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
    const NONE: Self = Self {
        d: T::INFINITY,
        j: u32::MAX,
    };

    #[inline]
    fn before(self, other: Self) -> bool {
        self.d < other.d || (self.d == other.d && self.j < other.j)
    }

    #[inline]
    fn min(self, other: Self) -> Self {
        if other.before(self) { other } else { self }
    }
}

/// The nearest neighbour of every item, from one pass over the triangle.
fn initial_neighbours<T: Dist>(n: usize, d: &[T], layout: &Layout) -> Vec<Neighbour<T>> {
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
            let mut best = vec![Neighbour::NONE; n];
            for i in 4 * r0..(4 * r1).min(n) {
                for j in i + 1..n {
                    let v = d[layout.tri.upper(i, j)];
                    let (to_j, to_i) = (
                        Neighbour { d: v, j: j as u32 },
                        Neighbour { d: v, j: i as u32 },
                    );
                    best[i] = best[i].min(to_j);
                    best[j] = best[j].min(to_i);
                }
            }
            best
        })
        .reduce_with(|mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x = x.min(y);
            }
            a
        })
        .expect("at least one part")
}

/// The nearest active cluster to `x` (first index at the smallest distance).
fn scan<T: Dist>(d: &[T], layout: &Layout, active: &[u32], x: usize) -> Neighbour<T> {
    let part = |ids: &[u32]| {
        let mut best = Neighbour::NONE;
        for &i in ids {
            let v = d[layout.pos(i as usize, x)];
            if v < best.d {
                best = Neighbour { d: v, j: i };
            }
        }
        best
    };
    // Without x, split where the positions change from its column (one
    // value per row) to its row (contiguous).
    let at = active.partition_point(|&i| (i as usize) < x);
    let (before, after) = (&active[..at], &active[at..]);
    let after = after.strip_prefix(&[x as u32]).unwrap_or(after);
    if active.len() < layout.parallel {
        return part(before).min(part(after));
    }
    // The column part costs most (a cache line per value): halve it.
    let (b1, b2) = before.split_at(before.len() / 2);
    let (l, r) = rayon::join(|| part(b1), || part(b2).min(part(after)));
    l.min(r)
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
    (nn, nn_offset): (&mut [Neighbour<T>], usize),
) -> (Neighbour<T>, Vec<u32>) {
    if ids.len() >= layout.parallel {
        let mid = ids.len() / 2;
        let split_d = layout.write_pos(ids[mid] as usize, m.y) - offset;
        let split_nn = ids[mid] as usize - nn_offset;
        let (d_l, d_r) = d.split_at_mut(split_d);
        let (nn_l, nn_r) = nn.split_at_mut(split_nn);
        let ((best_l, mut again), (best_r, again_r)) = rayon::join(
            || {
                update_pass(
                    m,
                    layout,
                    size,
                    &ids[..mid],
                    &dx[..mid],
                    (d_l, offset),
                    (nn_l, nn_offset),
                )
            },
            || {
                let d_offset = offset + split_d;
                let nn_off = nn_offset + split_nn;
                update_pass(
                    m,
                    layout,
                    size,
                    &ids[mid..],
                    &dx[mid..],
                    (d_r, d_offset),
                    (nn_r, nn_off),
                )
            },
        );
        again.extend(again_r);
        return (best_l.min(best_r), again);
    }
    let mut best = Neighbour::NONE;
    let mut again = Vec::new();
    for (&i, &d_ix) in ids.iter().zip(dx) {
        let iu = i as usize;
        if iu == m.y {
            continue;
        }
        let p = layout.pos(iu, m.y) - offset;
        let v = update(m.method, d_ix, d[p], m.h, m.nx, m.ny, size[iu]);
        d[p] = v;
        if v < best.d {
            best = Neighbour { d: v, j: i };
        }
        let cache = &mut nn[iu - nn_offset];
        let merged = Neighbour {
            d: v,
            j: m.y as u32,
        };
        if cache.j as usize == m.y {
            // Still the nearest unless the distance grew.
            if v <= cache.d {
                cache.d = v;
            } else {
                again.push(i);
            }
        } else if cache.j as usize == m.x {
            again.push(i);
        } else if merged.before(*cache) {
            *cache = merged;
        }
    }
    (best, again)
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
            let prev = (chain.len() > 1).then(|| chain[chain.len() - 2] as usize);
            // scipy starts its scan from the previous element, which keeps
            // it unless something is strictly nearer: no cycles.
            let (y, h) = match prev {
                Some(p) if d[layout.pos(x, p)] <= nn[x].d => (p, d[layout.pos(x, p)]),
                _ => (nn[x].j as usize, nn[x].d),
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
            if i == y {
                T::INFINITY
            } else {
                d[layout.pos(i, x)]
            }
        };
        if active.len() >= layout.parallel {
            active.par_iter().map(gather).collect_into_vec(&mut dx);
        } else {
            dx.clear();
            dx.extend(active.iter().map(gather));
        }
        let merged = Merged {
            method,
            x,
            y,
            h,
            nx,
            ny,
        };
        let (best, again) =
            update_pass(&merged, &layout, &size, &active, &dx, (d, 0), (&mut nn, 0));
        nn[y] = best;
        stale[y] = false;
        for i in again {
            stale[i as usize] = true;
        }
    }
    merges
}
