//! Optimal leaf ordering (Bar-Joseph, Gifford and Jaakkola, 2001): of the
//! `2^(n−1)` orders a tree allows by swapping children, the one with the
//! least summed distance between neighbouring leaves, as scipy's
//! `optimal_leaf_ordering`.

use rayon::prelude::*;

use super::condensed::CondensedMatrix;
use super::dendrogram::{Dendrogram, Merge};

impl CondensedMatrix {
    /// The summed distance between neighbouring items of `order`, the
    /// quantity optimal leaf ordering minimises.
    pub fn path_length(&self, order: &[usize]) -> f64 {
        order.windows(2).map(|w| f64::from(self.get(w[0], w[1]))).sum()
    }
}

/// A cluster's leaves as a range of positions in the default leaf order,
/// and where its two children's ranges meet (`None` for a leaf).
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    mid: Option<usize>,
    end: usize,
}

impl Span {
    /// The positions a path through this cluster can reach from position
    /// `p` at its other end: the other child's range (or `p` for a leaf).
    fn opposite(&self, p: usize) -> std::ops::Range<usize> {
        match self.mid {
            None => p..p + 1,
            Some(m) if p < m => m..self.end,
            Some(m) => self.start..m,
        }
    }
}

impl Dendrogram {
    /// The same tree with children swapped so that its [`leaves`] order
    /// minimises the summed `dist` between neighbouring leaves, as scipy's
    /// `optimal_leaf_ordering(Z, y)` (the same optimum; among equally good
    /// orders the one found first is kept).
    ///
    /// Takes `O(n²)` memory (`n × n` tables of distances and of best path
    /// lengths) and at most `O(n³)` time, parallel within each merge. Once
    /// [`crate::progress::interrupted`], it stops at the next merge and
    /// returns the tree unordered, for its caller to report the interruption.
    ///
    /// [`leaves`]: Dendrogram::leaves
    ///
    /// # Panics
    /// If `dist` is not over the same number of items.
    pub fn optimal_leaf_ordering(&self, dist: &CondensedMatrix) -> Dendrogram {
        let n = self.n_leaves();
        assert_eq!(dist.n(), n, "distances over the tree's leaves");
        if n < 3 {
            return self.clone();
        }
        // Work in positions of the default order: every cluster is then a
        // contiguous range, and so are the rows of the tables below.
        let leaves = self.leaves();
        let spans = self.spans(&leaves);
        // The distances by position, dense, so that the inner loops run
        // along contiguous rows.
        let mut near = vec![0.0f32; n * n];
        near.par_chunks_mut(n).enumerate().for_each(|(p, row)| {
            for (q, v) in row.iter_mut().enumerate() {
                if q != p {
                    *v = dist.get(leaves[p], leaves[q]);
                }
            }
        });
        let d = |p: usize, q: usize| f64::from(near[p * n + q]);
        // best[u·n + w]: the shortest path through the smallest cluster
        // holding positions u and w, starting at u and ending at w.
        let mut best = vec![0.0f64; n * n];
        for m in self.merges() {
            if crate::progress::interrupted() {
                return self.clone();
            }
            let (sa, sb) = (spans[m.a], spans[m.b]);
            let (start, mid, end) = (sa.start, sb.start, sb.end);
            let (rows_a, rows_b) = best[start * n..end * n].split_at_mut((mid - start) * n);
            let rows_b = &*rows_b;
            rows_a.par_chunks_mut(n).enumerate().for_each(|(k, row)| {
                let u = start + k;
                // Shortest path from u through a, then a step to q in b.
                let mut into_b = vec![f64::INFINITY; end - mid];
                for p in sa.opposite(u) {
                    let (to_p, near_p) = (row[p], &near[p * n + mid..p * n + end]);
                    for (t, &dq) in into_b.iter_mut().zip(near_p) {
                        *t = t.min(to_p + f64::from(dq));
                    }
                }
                // Then through b from q to w on b's other side.
                let out = &mut row[mid..end];
                match sb.mid {
                    None => out.copy_from_slice(&into_b),
                    Some(bm) => {
                        out.fill(f64::INFINITY);
                        for q in mid..end {
                            let (lo, hi) = if q < bm { (bm, end) } else { (mid, bm) };
                            let through = &rows_b[(q - mid) * n + lo..(q - mid) * n + hi];
                            let to_q = into_b[q - mid];
                            for (o, &t) in out[lo - mid..hi - mid].iter_mut().zip(through) {
                                *o = o.min(to_q + t);
                            }
                        }
                    }
                }
            });
            // The table is symmetric: copy a's rows into b's.
            let (rows_a, rows_b) = best[start * n..end * n].split_at_mut((mid - start) * n);
            rows_b.par_chunks_mut(n).enumerate().for_each(|(k, row)| {
                for u in start..mid {
                    row[u] = rows_a[(u - start) * n + mid + k];
                }
            });
        }
        self.swapped(&spans, &best, &d)
    }

    /// Each cluster's span in the default leaf order `leaves`.
    fn spans(&self, leaves: &[usize]) -> Vec<Span> {
        let n = self.n_leaves();
        let mut spans = vec![Span { start: 0, mid: None, end: 0 }; 2 * n - 1];
        for (p, &leaf) in leaves.iter().enumerate() {
            spans[leaf] = Span { start: p, mid: None, end: p + 1 };
        }
        for (i, m) in self.merges().iter().enumerate() {
            spans[n + i] = Span { start: spans[m.a].start, mid: Some(spans[m.b].start), end: spans[m.b].end };
        }
        spans
    }

    /// Walks down from the root choosing, for each cluster and the pair of
    /// end positions its parent requires, the inner ends that realise the
    /// best path, and swaps children where the path enters through `b`.
    fn swapped(&self, spans: &[Span], best: &[f64], d: &dyn Fn(usize, usize) -> f64) -> Dendrogram {
        let n = self.n_leaves();
        let root = self.root();
        let s = spans[root];
        let mid = s.mid.expect("root is a cluster");
        let mut ends = (s.start, mid);
        for u in s.start..mid {
            for w in mid..s.end {
                if best[u * n + w] < best[ends.0 * n + ends.1] {
                    ends = (u, w);
                }
            }
        }
        let mut merges: Vec<Merge> = self.merges().to_vec();
        let mut stack = vec![(root, ends.0, ends.1)];
        while let Some((c, left, right)) = stack.pop() {
            let Some((a, b)) = self.children(c) else {
                continue;
            };
            let (sa, sb) = (spans[a], spans[b]);
            // u: the end inside a, w: the end inside b.
            let flipped = left >= sb.start;
            let (u, w) = if flipped { (right, left) } else { (left, right) };
            let mut inner = (usize::MAX, usize::MAX, f64::INFINITY);
            for p in sa.opposite(u) {
                for q in sb.opposite(w) {
                    let len = best[u * n + p] + d(p, q) + best[q * n + w];
                    if len < inner.2 {
                        inner = (p, q, len);
                    }
                }
            }
            let (p, q, _) = inner;
            if flipped {
                // Laid out w … q, p … u: b first, then a.
                stack.push((b, w, q));
                stack.push((a, p, u));
                let m = &mut merges[c - n];
                std::mem::swap(&mut m.a, &mut m.b);
            } else {
                stack.push((a, u, p));
                stack.push((b, q, w));
            }
        }
        Dendrogram::from_merges(n, merges)
    }
}
