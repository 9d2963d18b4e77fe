//! Dendrograms as line meshes, pruned to the pixels they cover.
//!
//! A tree is drawn in *tree space*: `u` runs along the leaves (pixels), `v`
//! along the heights (pixels, height 0 at the leaves). The caller turns tree
//! space into figure pixels for a row dendrogram (leaves down the left side)
//! or a column dendrogram (leaves along the top).
//!
//! Pruning keeps a million-leaf tree in bounded primitives while it looks
//! as the full tree would at that size: subtrees narrower than two pixels
//! become one mark per pixel column, from the leaves up to the highest ink
//! the full tree puts in that column, and segments are snapped to pixel
//! centres and merged where they overlap on the same pixel line.

use std::ops::Range;

use crate::cluster::Dendrogram;

/// No cluster: the branch is above the cut and drawn in the default colour.
pub const NO_GROUP: u32 = u32::MAX;

/// A tree's layout along the leaf axis, independent of the zoom: where each
/// node sits (in leaves, leaf `i` of the display order spanning `[i, i+1)`),
/// which leaves it spans and its height.
pub struct TreeGeometry {
    n: usize,
    /// Children of merge `i` (node `n + i`).
    children: Vec<(u32, u32)>,
    /// Per node: position of its stem (leaf centres; a merge sits midway
    /// between its children, as scipy draws it).
    position: Vec<f64>,
    /// Per node: first and one-past-last leaf rank it spans.
    span: Vec<(u32, u32)>,
    /// Per node: height (0 for leaves).
    height: Vec<f64>,
    /// Per node: cluster of a cut, or [`NO_GROUP`].
    group: Vec<u32>,
    max_height: f64,
    /// Per node: the highest merge in its subtree (its own height unless a
    /// merge under it sits higher, as centroid and median linkage allow).
    reach: Vec<f64>,
}

/// How a tree maps into pixels for one drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeView {
    /// `u` of the start of leaf 0, and pixels per leaf.
    pub leaf_origin: f64,
    pub px_per_leaf: f64,
    /// The part of the `u` axis that is visible (nodes wholly outside it are
    /// skipped).
    pub visible: Range<f64>,
    /// Pixels per unit of height (`v = height × px_per_height`).
    pub px_per_height: f64,
}

/// One axis-aligned segment in tree space, snapped to pixel centres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub u0: f32,
    pub v0: f32,
    pub u1: f32,
    pub v1: f32,
    /// Cluster of a cut, or [`NO_GROUP`].
    pub group: u32,
    /// Part of a collapsed subtree (drawn lighter, so the branching above
    /// stands out from the dense body of the tree).
    pub mark: bool,
}

impl TreeGeometry {
    /// The layout of `tree`; `groups` gives each leaf's cluster (e.g. from
    /// `fcluster_maxclust`, 1-based as scipy labels them), or `None` for a
    /// plain tree. A merge belongs to a cluster when both its children do.
    pub fn new(tree: &Dendrogram, groups: Option<&[usize]>) -> TreeGeometry {
        let n = tree.n_leaves();
        let nodes = 2 * n - 1;
        let mut position = vec![0.0; nodes];
        let mut span = vec![(0u32, 0u32); nodes];
        let mut height = vec![0.0; nodes];
        let mut group = vec![NO_GROUP; nodes];
        for (rank, leaf) in tree.leaves().into_iter().enumerate() {
            position[leaf] = rank as f64 + 0.5;
            span[leaf] = (rank as u32, rank as u32 + 1);
            if let Some(groups) = groups {
                group[leaf] = groups[leaf] as u32;
            }
        }
        let mut children = Vec::with_capacity(n.saturating_sub(1));
        let mut max_height: f64 = 0.0;
        let mut reach = vec![0.0; nodes];
        for (i, merge) in tree.merges().iter().enumerate() {
            let (a, b) = (merge.a, merge.b);
            let node = n + i;
            position[node] = (position[a] + position[b]) / 2.0;
            span[node] = (span[a].0.min(span[b].0), span[a].1.max(span[b].1));
            height[node] = merge.height;
            group[node] = if group[a] == group[b] { group[a] } else { NO_GROUP };
            max_height = max_height.max(merge.height);
            reach[node] = merge.height.max(reach[a]).max(reach[b]);
            children.push((a as u32, b as u32));
        }
        TreeGeometry { n, children, position, span, height, group, max_height, reach }
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.n
    }

    /// The largest merge height (the root's, unless heights invert).
    pub fn max_height(&self) -> f64 {
        self.max_height
    }

    /// Position of `node`'s stem, in leaves.
    pub fn position(&self, node: usize) -> f64 {
        self.position[node]
    }

    /// The leaves (display positions) under `node`.
    pub fn leaf_span(&self, node: usize) -> std::ops::Range<usize> {
        let (lo, hi) = self.span[node];
        lo as usize..hi as usize
    }

    /// The node a click at tree-space (`u`, `v`) picks: the smallest subtree
    /// holding the leaf under `u` whose top is at or above `v`; `None` off
    /// the leaves or above the root.
    pub fn hit(&self, view: &TreeView, u: f64, v: f64) -> Option<usize> {
        let rank = ((u - view.leaf_origin) / view.px_per_leaf).floor();
        if self.n < 2 || rank < 0.0 || rank >= self.n as f64 {
            return None;
        }
        let rank = rank as u32;
        let top = |node: usize| self.height[node] * view.px_per_height;
        let mut node = 2 * self.n - 2;
        if top(node) < v {
            return None;
        }
        while node >= self.n {
            let (a, b) = self.children[node - self.n];
            let child = if (self.span[a as usize].0..self.span[a as usize].1).contains(&rank) { a } else { b } as usize;
            if child < self.n || top(child) < v {
                break;
            }
            node = child;
        }
        Some(node)
    }

    /// The mesh for one drawing: segments merged per pixel line.
    ///
    /// Subtrees narrower than [`NARROW_PX`] are not drawn branch by branch:
    /// each pixel column they cover gets one mark from the leaves up to the
    /// highest ink the full tree would put in that column (every stem whose
    /// node sits in the column, up to its parent's height, and every
    /// crossbar crossing it). A subtree inside one column reaches exactly
    /// its own stem's top there, so the descent stops at such subtrees and
    /// at most visits the nodes that straddle a column boundary.
    pub fn mesh(&self, view: &TreeView) -> Vec<Segment> {
        let mut raw = Vec::new();
        if self.n < 2 {
            return raw;
        }
        let u = |node: usize| view.leaf_origin + self.position[node] * view.px_per_leaf;
        let v = |node: usize| self.height[node] * view.px_per_height;
        let extent = |node: usize| {
            let (lo, hi) = self.span[node];
            (view.leaf_origin + lo as f64 * view.px_per_leaf, view.leaf_origin + hi as f64 * view.px_per_leaf)
        };
        let narrow = |node: usize| {
            let (start, end) = extent(node);
            end - start < NARROW_PX
        };
        let hidden = |node: usize| {
            let (start, end) = extent(node);
            end <= view.visible.start || start >= view.visible.end
        };
        // Per visible pixel column: the top of its ink within narrow
        // subtrees, and the cluster of the node that reaches it.
        let first_column = view.visible.start.floor() as i64;
        let columns = (view.visible.end.ceil() as i64 - first_column).max(0) as usize;
        let mut marks: Vec<(f64, u32)> = vec![(f64::NEG_INFINITY, NO_GROUP); columns];
        // Raises the columns from `from` to `to` (pixels) to `top`.
        let raise = |marks: &mut [(f64, u32)], from: f64, to: f64, top: f64, group: u32| {
            let first = (from.floor() as i64 - first_column).max(0);
            let last = (to.floor() as i64 - first_column).min(columns as i64 - 1);
            for column in first..=last {
                let entry = &mut marks[column as usize];
                if top > entry.0 {
                    *entry = (top, group);
                }
            }
        };
        // Narrow subtrees to mark, each with the top of its own stem.
        let mut narrow_nodes: Vec<(usize, f64)> = Vec::new();
        let root = 2 * self.n - 2;
        let mut stack = Vec::new();
        if narrow(root) {
            narrow_nodes.push((root, v(root)));
        } else {
            stack.push(root);
        }
        while let Some(node) = stack.pop() {
            let (a, b) = self.children[node - self.n];
            let (a, b) = (a as usize, b as usize);
            let group = self.group[node];
            raw.push(Segment {
                u0: u(a) as f32,
                v0: v(node) as f32,
                u1: u(b) as f32,
                v1: v(node) as f32,
                group,
                mark: false,
            });
            for child in [a, b] {
                if hidden(child) {
                    continue;
                }
                if narrow(child) {
                    narrow_nodes.push((child, v(node)));
                    continue;
                }
                raw.push(Segment {
                    u0: u(child) as f32,
                    v0: v(child) as f32,
                    u1: u(child) as f32,
                    v1: v(node) as f32,
                    group,
                    mark: false,
                });
                if child >= self.n {
                    stack.push(child);
                }
            }
        }
        while let Some((node, top)) = narrow_nodes.pop() {
            if hidden(node) {
                continue;
            }
            let reach = self.reach[node] * view.px_per_height;
            let (start, end) = extent(node);
            let (first, last) = (start.floor(), (end - 1e-9).floor());
            if first == last || node < self.n {
                // A leaf, or inside one column: its stem and everything under it.
                raise(&mut marks, u(node), u(node), top.max(reach), self.group[node]);
                continue;
            }
            // The node's stem.
            raise(&mut marks, u(node), u(node), top, self.group[node]);
            // Once every column it covers is as high as the highest merge
            // under it, its subtree adds nothing.
            let from = (first as i64 - first_column).max(0);
            let to = (last as i64 - first_column).min(columns as i64 - 1);
            if (from..=to).all(|c| marks[c as usize].0 >= reach) {
                continue;
            }
            // It straddles a column boundary: its crossbar, then its children.
            let (a, b) = self.children[node - self.n];
            let (a, b) = (a as usize, b as usize);
            raise(&mut marks, u(a).min(u(b)), u(a).max(u(b)), v(node), self.group[node]);
            narrow_nodes.push((a, v(node)));
            narrow_nodes.push((b, v(node)));
        }
        for (column, (top, group)) in marks.into_iter().enumerate() {
            if top > f64::NEG_INFINITY {
                let u = (first_column + column as i64) as f32 + 0.5;
                raw.push(Segment { u0: u, v0: 0.0, u1: u, v1: top as f32, group, mark: true });
            }
        }
        merge_on_pixel_lines(raw)
    }
}

/// Subtrees (and leaves) narrower than this many pixels are drawn as marks.
const NARROW_PX: f64 = 2.0;

/// Snaps segments to pixel centres and merges those that overlap on the same
/// pixel line (same column for stems, same row for crossbars) and colour.
fn merge_on_pixel_lines(segments: Vec<Segment>) -> Vec<Segment> {
    let snap = |x: f32| x.floor() + 0.5;
    // (is crossbar, line, group, mark, from, to); crossbars lie along u.
    let mut lines: Vec<(bool, i64, u32, bool, f32, f32)> = segments
        .into_iter()
        .map(|s| {
            let crossbar = s.v0 == s.v1;
            let (line, from, to) = if crossbar {
                (snap(s.v0), snap(s.u0.min(s.u1)), snap(s.u0.max(s.u1)))
            } else {
                (snap(s.u0), snap(s.v0.min(s.v1)), snap(s.v0.max(s.v1)))
            };
            (crossbar, line.floor() as i64, s.group, s.mark, from, to)
        })
        .collect();
    lines.sort_by(|x, y| (x.0, x.1, x.2, x.3).cmp(&(y.0, y.1, y.2, y.3)).then(x.4.total_cmp(&y.4)));
    let mut merged: Vec<(bool, i64, u32, bool, f32, f32)> = Vec::new();
    for line in lines {
        match merged.last_mut() {
            Some(last)
                if (last.0, last.1, last.2, last.3) == (line.0, line.1, line.2, line.3) && line.4 <= last.5 + 1.0 =>
            {
                last.5 = last.5.max(line.5);
            }
            _ => merged.push(line),
        }
    }
    merged
        .into_iter()
        .map(|(crossbar, line, group, mark, from, to)| {
            let at = line as f32 + 0.5;
            if crossbar {
                Segment { u0: from, v0: at, u1: to, v1: at, group, mark }
            } else {
                Segment { u0: at, v0: from, u1: at, v1: to, group, mark }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Dendrogram;

    /// ((0, 1), 2), (3, 4) with heights 1, 2, 3, 4.
    fn small() -> Dendrogram {
        Dendrogram::from_linkage_matrix(&[
            [0.0, 1.0, 1.0, 2.0],
            [3.0, 4.0, 2.0, 2.0],
            [2.0, 5.0, 3.0, 3.0],
            [6.0, 7.0, 4.0, 5.0],
        ])
        .unwrap()
    }

    fn view(px_per_leaf: f64, px_per_height: f64, leaves: usize) -> TreeView {
        TreeView { leaf_origin: 0.0, px_per_leaf, visible: 0.0..leaves as f64 * px_per_leaf, px_per_height }
    }

    #[test]
    fn stems_sit_on_the_centres_of_the_leaves_they_join() {
        let tree = small();
        let geometry = TreeGeometry::new(&tree, None);
        // Leaves in display order: 3 4 | 2 0 1 (merge 7 = (2, 5) draws 2 left of 5).
        assert_eq!(tree.leaves(), vec![3, 4, 2, 0, 1]);
        let mesh = geometry.mesh(&view(10.0, 10.0, 5));
        // Merge 5 joins leaves 0 and 1 at ranks 3 and 4: stems at the leaf
        // centres u = 35 and 45 (snapped to 35.5 and 45.5), crossbar at its
        // height 1 → v = 10.
        let crossbar = Segment { u0: 35.5, v0: 10.5, u1: 45.5, v1: 10.5, group: NO_GROUP, mark: false };
        assert!(mesh.contains(&crossbar), "{mesh:?}");
        let stem = Segment { u0: 35.5, v0: 0.5, u1: 35.5, v1: 10.5, group: NO_GROUP, mark: false };
        assert!(mesh.contains(&stem), "{mesh:?}");
        // Merge 7 joins leaf 2 (u = 25) and merge 5 (midway, u = 40) at v = 30;
        // the root joins merge 6 (u = 10) and merge 7 (u = 32.5) at v = 40.
        assert!(
            mesh.contains(&Segment { u0: 25.5, v0: 30.5, u1: 40.5, v1: 30.5, group: NO_GROUP, mark: false }),
            "{mesh:?}"
        );
        assert!(
            mesh.contains(&Segment { u0: 10.5, v0: 40.5, u1: 32.5, v1: 40.5, group: NO_GROUP, mark: false }),
            "{mesh:?}"
        );
        assert_eq!(geometry.position(8), (geometry.position(6) + geometry.position(7)) / 2.0);
        // 4 crossbars, 8 stems.
        assert_eq!(mesh.len(), 12);
    }

    #[test]
    fn cut_groups_colour_whole_clusters() {
        let tree = small();
        let groups = tree.fcluster_maxclust(2);
        let geometry = TreeGeometry::new(&tree, Some(&groups));
        let mesh = geometry.mesh(&view(10.0, 10.0, 5));
        // Two clusters {3, 4} and {2, 0, 1}: the root's own segments are uncoloured.
        assert_ne!(groups[3], groups[0]);
        let root_bar = mesh.iter().find(|s| s.v0 == 40.5 && s.v1 == 40.5).unwrap();
        assert_eq!(root_bar.group, NO_GROUP);
        let low_bar = mesh.iter().find(|s| s.v0 == 10.5 && s.v1 == 10.5).unwrap();
        assert_eq!(low_bar.group, groups[0] as u32);
        let left_bar = mesh.iter().find(|s| s.v0 == 20.5 && s.v1 == 20.5).unwrap();
        assert_eq!(left_bar.group, groups[3] as u32);
    }

    fn caterpillar(n: usize) -> Dendrogram {
        let mut z = vec![[0.0, 1.0, 1.0, 2.0]];
        for i in 2..n {
            z.push([(n + i - 2) as f64, i as f64, i as f64, (i + 1) as f64]);
        }
        Dendrogram::from_linkage_matrix(&z).unwrap()
    }

    fn random_tree(n: usize, seed: u64) -> Dendrogram {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut active: Vec<(usize, usize)> = (0..n).map(|i| (i, 1)).collect();
        let mut z = Vec::new();
        while active.len() > 1 {
            let i = rng.random_range(0..active.len());
            let a = active.swap_remove(i);
            let j = rng.random_range(0..active.len());
            let b = active.swap_remove(j);
            let id = n + z.len();
            z.push([a.0 as f64, b.0 as f64, z.len() as f64 + 1.0, (a.1 + b.1) as f64]);
            active.push((id, a.1 + b.1));
        }
        Dendrogram::from_linkage_matrix(&z).unwrap()
    }

    /// `tree` with each merge's height drawn at random: many merges sit
    /// below one under them, as centroid and median linkage allow.
    fn with_inversions(tree: &Dendrogram, seed: u64) -> Dendrogram {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = tree.n_leaves();
        let mut size = vec![1.0; 2 * n - 1];
        let z: Vec<[f64; 4]> = tree
            .merges()
            .iter()
            .enumerate()
            .map(|(i, m)| {
                size[n + i] = size[m.a] + size[m.b];
                [m.a as f64, m.b as f64, rng.random_range(0.0..100.0), size[n + i]]
            })
            .collect();
        Dendrogram::from_linkage_matrix(&z).unwrap()
    }

    #[test]
    fn pruning_bounds_segments_by_the_leaf_axis_pixels() {
        for (name, tree) in [("caterpillar", caterpillar(200_000)), ("random", random_tree(200_000, 7))] {
            let geometry = TreeGeometry::new(&tree, None);
            for pixels in [100usize, 500, 2000] {
                let px_per_height = 300.0 / geometry.max_height();
                let mesh = geometry.mesh(&view(pixels as f64 / 200_000.0, px_per_height, 200_000));
                assert!(mesh.len() <= 4 * pixels + 300, "{name} at {pixels} px: {} segments", mesh.len());
                assert!(mesh.len() >= pixels / 4, "{name} at {pixels} px: {} segments", mesh.len());
            }
        }
    }

    /// The top pixel row of ink in each of `columns` pixel columns if every
    /// branch of `tree` were drawn one pixel wide: a brute-force drawing of
    /// all stems and crossbars, from the linkage alone.
    fn full_drawing_tops(tree: &Dendrogram, view: &TreeView, columns: usize) -> Vec<i64> {
        let n = tree.n_leaves();
        let mut position = vec![0.0f64; 2 * n - 1];
        let mut height = vec![0.0f64; 2 * n - 1];
        let mut parent = vec![usize::MAX; 2 * n - 1];
        for (rank, leaf) in tree.leaves().into_iter().enumerate() {
            position[leaf] = rank as f64 + 0.5;
        }
        let mut crossbars = Vec::new();
        for (i, merge) in tree.merges().iter().enumerate() {
            let node = n + i;
            position[node] = (position[merge.a] + position[merge.b]) / 2.0;
            height[node] = merge.height;
            parent[merge.a] = node;
            parent[merge.b] = node;
            crossbars.push((position[merge.a], position[merge.b], merge.height));
        }
        // Pixels as the mesh snaps them: f32 coordinates, floored.
        let column = |p: f64| ((view.leaf_origin + p * view.px_per_leaf) as f32).floor() as i64;
        let row = |h: f64| ((h * view.px_per_height) as f32).floor() as i64;
        let mut top = vec![-1i64; columns];
        let mut ink = |from: i64, to: i64, r: i64| {
            for c in from.max(0)..=to.min(columns as i64 - 1) {
                top[c as usize] = top[c as usize].max(r);
            }
        };
        for node in 0..2 * n - 1 {
            if parent[node] != usize::MAX {
                let c = column(position[node]);
                ink(c, c, row(height[parent[node]]));
            }
        }
        for (a, b, h) in crossbars {
            ink(column(a.min(b)), column(a.max(b)), row(h));
        }
        top
    }

    /// The top pixel row of each column in a mesh.
    fn mesh_tops(mesh: &[Segment], columns: usize) -> Vec<i64> {
        let mut top = vec![-1i64; columns];
        for s in mesh {
            let (from, to) = (s.u0.min(s.u1).floor() as i64, s.u0.max(s.u1).floor() as i64);
            for c in from.max(0)..=to.min(columns as i64 - 1) {
                top[c as usize] = top[c as usize].max(s.v0.max(s.v1).floor() as i64);
            }
        }
        top
    }

    #[test]
    fn each_column_reaches_as_high_as_the_full_tree_drawn_there() {
        for (name, leaves) in [("random", 3_000usize), ("caterpillar", 2_000), ("inverted", 3_000)] {
            let tree = match name {
                "random" => random_tree(leaves, 11),
                "caterpillar" => caterpillar(leaves),
                _ => with_inversions(&random_tree(leaves, 5), 5),
            };
            let geometry = TreeGeometry::new(&tree, None);
            let px_per_height = 200.0 / geometry.max_height();
            // Leaves from 20 a pixel to 3 pixels each; whole and zoomed in.
            for (pixels, visible) in
                [(150.0, None), (700.0, None), (2_500.0, None), (9_000.0, None), (400.0, Some(0.3..0.45))]
            {
                let px_per_leaf = pixels / leaves as f64;
                let (origin, range) = match visible.clone() {
                    None => (0.0, 0.0..pixels),
                    Some(part) => (-part.start * pixels, 0.0..(part.end - part.start) * pixels),
                };
                let view = TreeView { leaf_origin: origin, px_per_leaf, visible: range.clone(), px_per_height };
                // Whole pixel columns in view (the zoomed range ends a hair past one).
                let columns = range.end.floor() as usize;
                let mesh = geometry.mesh(&view);
                assert_eq!(
                    mesh_tops(&mesh, columns),
                    full_drawing_tops(&tree, &view, columns),
                    "{name}, {leaves} leaves on {pixels} px, visible {visible:?}"
                );
            }
        }
    }

    #[test]
    fn every_leaf_column_is_reached() {
        // 100,000 leaves on 200 px: every pixel column holds a stem or mark
        // reaching the leaves (v = 0.5), so no part of the tree vanishes.
        let tree = random_tree(100_000, 3);
        let geometry = TreeGeometry::new(&tree, None);
        let mesh = geometry.mesh(&view(200.0 / 100_000.0, 1.0, 100_000));
        for column in 0..200 {
            let u = column as f32 + 0.5;
            assert!(mesh.iter().any(|s| s.u0 == u && s.u1 == u && s.v0 == 0.5), "column {column}");
        }
    }

    #[test]
    fn a_click_picks_the_smallest_subtree_reaching_above_it() {
        let tree = small();
        let geometry = TreeGeometry::new(&tree, None);
        let view = view(10.0, 10.0, 5);
        // Leaf 0 is at rank 3 (u 30–40). Below merge 5's crossbar (v 10): merge 5.
        assert_eq!(geometry.hit(&view, 35.0, 5.0), Some(5));
        assert_eq!(geometry.leaf_span(5), 3..5);
        // Between v 10 and 30: merge 7 (leaves 2, 0, 1).
        assert_eq!(geometry.hit(&view, 35.0, 20.0), Some(7));
        assert_eq!(geometry.leaf_span(7), 2..5);
        // Above merge 7, below the root: the root.
        assert_eq!(geometry.hit(&view, 35.0, 35.0), Some(8));
        assert_eq!(geometry.hit(&view, 35.0, 45.0), None);
        assert_eq!(geometry.hit(&view, 55.0, 5.0), None);
    }

    #[test]
    fn hidden_subtrees_are_skipped() {
        let tree = small();
        let geometry = TreeGeometry::new(&tree, None);
        let mut zoomed = view(10.0, 10.0, 5);
        zoomed.visible = 0.0..20.0;
        let mesh = geometry.mesh(&zoomed);
        // Merge 5 (leaves 0 and 1, u 30–50) lies outside: its crossbar at
        // v = 10.5 is gone; merge 6's (leaves 3 and 4) at v = 20.5 stays.
        assert!(!mesh.iter().any(|s| s.v0 == 10.5 && s.v1 == 10.5));
        assert!(mesh.iter().any(|s| s.v0 == 20.5 && s.v1 == 20.5));
    }
}
