//! The tree a linkage produces, its scipy linkage-matrix form, its leaf
//! order, flat cuts and Newick text.

use super::ClusterError;

/// One merge of a [`Dendrogram`], as a row of scipy's linkage matrix: the
/// clusters `a` and `b` (leaves are `0..n`, the cluster made by merge `i` is
/// `n + i`), the merge height and the number of leaves of the union.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Merge {
    /// First merged cluster (drawn on the left).
    pub a: usize,
    /// Second merged cluster (drawn on the right).
    pub b: usize,
    /// The linkage distance at which they merge.
    pub height: f64,
    /// Leaves under the new cluster.
    pub size: usize,
}

/// A hierarchical clustering of `n` items: `n − 1` merges in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Dendrogram {
    n: usize,
    merges: Vec<Merge>,
}

impl Dendrogram {
    pub(crate) fn from_merges(n: usize, merges: Vec<Merge>) -> Self {
        debug_assert_eq!(merges.len(), n.saturating_sub(1));
        Self { n, merges }
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.n
    }

    /// The merges in order.
    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    /// scipy's linkage matrix: rows `[a, b, height, size]` as `f64`.
    pub fn to_linkage_matrix(&self) -> Vec<[f64; 4]> {
        self.merges.iter().map(|m| [m.a as f64, m.b as f64, m.height, m.size as f64]).collect()
    }

    /// Reads a scipy linkage matrix, checking what
    /// `scipy.cluster.hierarchy.is_valid_linkage` checks: integral cluster
    /// ids that exist when used and are used once, non-negative finite
    /// heights and consistent sizes.
    pub fn from_linkage_matrix(z: &[[f64; 4]]) -> Result<Self, ClusterError> {
        let n = z.len() + 1;
        let mut size = vec![1usize; n];
        let mut used = vec![false; 2 * n - 1];
        let mut merges = Vec::with_capacity(z.len());
        for (i, row) in z.iter().enumerate() {
            let bad = |what: &str| ClusterError::InvalidLinkage(format!("row {i}: {what}"));
            let id = |v: f64| -> Result<usize, ClusterError> {
                if v.fract() != 0.0 || v < 0.0 || v >= (n + i) as f64 {
                    let shown = crate::quote::quote(&v.to_string());
                    return Err(bad(&format!("cluster id {shown} is not one of 0 to {}", n + i - 1)));
                }
                Ok(v as usize)
            };
            let (a, b) = (id(row[0])?, id(row[1])?);
            if a == b || used[a] || used[b] {
                return Err(bad("a cluster is merged twice"));
            }
            if !row[2].is_finite() || row[2] < 0.0 {
                return Err(bad("height is negative or not finite"));
            }
            if row[3] != (size[a] + size[b]) as f64 {
                return Err(bad("size is not the sum of the merged sizes"));
            }
            used[a] = true;
            used[b] = true;
            size.push(size[a] + size[b]);
            merges.push(Merge { a, b, height: row[2], size: size[n + i] });
        }
        Ok(Self { n, merges })
    }

    /// The tree over `members` alone (leaf ids of this tree, ascending),
    /// leaf `k` of the result being `members[k]`: every merge of two
    /// clusters holding members, in the same order and at the same height,
    /// a cluster holding none left out and one holding members on one side
    /// only standing for that side. For the leaves of one subtree (a
    /// cluster of a cut) it is that subtree as it stands.
    ///
    /// # Panics
    /// If `members` is not ascending or names a leaf the tree lacks.
    pub fn restricted(&self, members: &[usize]) -> Dendrogram {
        self.restricted_each(std::slice::from_ref(&members.to_vec())).pop().expect("one set, one tree")
    }

    /// [`Dendrogram::restricted`] to each of several disjoint sets of
    /// leaves, in one pass over the merges (a merge joining two sets
    /// belongs to neither).
    ///
    /// # Panics
    /// If a set is not ascending, names a leaf the tree lacks, or the sets
    /// share a leaf.
    pub fn restricted_each(&self, sets: &[Vec<usize>]) -> Vec<Dendrogram> {
        // Per cluster of this tree: the set it belongs to, and the cluster
        // of that set's tree standing for it.
        let mut local: Vec<Option<(usize, usize)>> = vec![None; self.n + self.merges.len()];
        for (s, members) in sets.iter().enumerate() {
            assert!(members.windows(2).all(|w| w[0] < w[1]), "members ascending");
            for (k, &leaf) in members.iter().enumerate() {
                assert!(leaf < self.n && local[leaf].is_none(), "disjoint sets of leaves");
                local[leaf] = Some((s, k));
            }
        }
        let mut merges: Vec<Vec<Merge>> = sets.iter().map(|m| Vec::with_capacity(m.len().saturating_sub(1))).collect();
        let mut sizes: Vec<Vec<usize>> = sets.iter().map(|m| vec![1; m.len()]).collect();
        for (i, merge) in self.merges.iter().enumerate() {
            local[self.n + i] = match (local[merge.a], local[merge.b]) {
                (Some((s, a)), Some((t, b))) if s == t => {
                    let size = sizes[s][a] + sizes[s][b];
                    sizes[s].push(size);
                    merges[s].push(Merge { a, b, height: merge.height, size });
                    Some((s, sets[s].len() + merges[s].len() - 1))
                }
                (Some(_), Some(_)) => None,
                (one, None) | (None, one) => one,
            };
        }
        sets.iter().zip(merges).map(|(members, merges)| Dendrogram::from_merges(members.len(), merges)).collect()
    }

    /// The children of cluster `c` (`None` for a leaf).
    pub fn children(&self, c: usize) -> Option<(usize, usize)> {
        (c >= self.n).then(|| {
            let m = &self.merges[c - self.n];
            (m.a, m.b)
        })
    }

    /// The root cluster's id.
    pub fn root(&self) -> usize {
        2 * self.n - 2
    }

    /// Leaves from left to right, each merge drawing `a` left of `b`:
    /// scipy's `dendrogram(Z)['leaves']`.
    pub fn leaves(&self) -> Vec<usize> {
        if self.n < 2 {
            return (0..self.n).collect();
        }
        let mut order = Vec::with_capacity(self.n);
        let mut stack = vec![self.root()];
        while let Some(c) = stack.pop() {
            match self.children(c) {
                Some((a, b)) => {
                    stack.push(b);
                    stack.push(a);
                }
                None => order.push(c),
            }
        }
        order
    }

    /// Flat clusters as scipy's `fcluster(Z, k, criterion='maxclust')`:
    /// the lowest cut (by the largest merge height within each cluster)
    /// giving at most `k` clusters, labelled `1..` exactly as scipy labels
    /// them. Returns one label per leaf. With tied heights a cut may give
    /// fewer than `k` clusters, as in scipy.
    pub fn fcluster_maxclust(&self, k: usize) -> Vec<usize> {
        let n = self.n;
        if n < 2 {
            return vec![1; n];
        }
        let max_height = self.subtree_max_heights();
        // The lowest cut giving at most k clusters: below every height (all
        // singletons) if k ≥ n, else the first subtree height that does.
        // The count only falls as the cut rises, so bisect the sorted heights.
        let mut cuts = max_height.clone();
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let cutoff = if k >= n {
            f64::NEG_INFINITY
        } else {
            cuts[cuts.partition_point(|&t| self.count_clusters(&max_height, t, k) > k)]
        };
        self.label_clusters(&max_height, cutoff)
    }

    /// Flat clusters as scipy's `fcluster(Z, t, criterion='distance')`: each
    /// cluster's subtree has no merge above `t`. Labelled `1..` from left to
    /// right, as scipy labels them; one label per leaf.
    pub fn fcluster_distance(&self, t: f64) -> Vec<usize> {
        if self.n < 2 {
            return vec![1; self.n];
        }
        self.label_clusters(&self.subtree_max_heights(), t)
    }

    /// The largest merge height in each merge's subtree (scipy's `MD`).
    fn subtree_max_heights(&self) -> Vec<f64> {
        let n = self.n;
        let mut max_height = vec![0.0f64; self.merges.len()];
        for (i, m) in self.merges.iter().enumerate() {
            let below = |c: usize| if c >= n { max_height[c - n] } else { f64::MIN };
            max_height[i] = m.height.max(below(m.a)).max(below(m.b));
        }
        max_height
    }

    /// How many clusters cutting at `threshold` gives, counting no further
    /// than `limit + 1`.
    fn count_clusters(&self, max_height: &[f64], threshold: f64, limit: usize) -> usize {
        let n = self.n;
        let mut count = 0;
        let mut stack = vec![self.root()];
        while let Some(&c) = stack.last() {
            let (a, b) = self.children(c).expect("only clusters are stacked");
            if max_height[c - n] <= threshold {
                count += 1;
                stack.pop();
            } else {
                stack.pop();
                for child in [b, a] {
                    if child >= n {
                        stack.push(child);
                    } else {
                        count += 1;
                    }
                }
            }
            if count > limit {
                break;
            }
        }
        count
    }

    /// scipy's `cluster_monocrit`: walks the tree from the root, left
    /// subtree then right subtree, then the node's own leaves, numbering a
    /// cluster when its top is first reached.
    fn label_clusters(&self, max_height: &[f64], cutoff: f64) -> Vec<usize> {
        let n = self.n;
        let mut labels = vec![0usize; n];
        let mut visited = vec![false; 2 * n - 1];
        let mut leader: Option<usize> = None;
        let mut count = 0;
        let mut stack = vec![self.root()];
        while let Some(&c) = stack.last() {
            let (a, b) = self.children(c).expect("only clusters are stacked");
            if leader.is_none() && max_height[c - n] <= cutoff {
                leader = Some(c);
                count += 1;
            }
            if a >= n && !visited[a] {
                visited[a] = true;
                stack.push(a);
                continue;
            }
            if b >= n && !visited[b] {
                visited[b] = true;
                stack.push(b);
                continue;
            }
            for leaf in [a, b] {
                if leaf < n {
                    if leader.is_none() {
                        count += 1;
                    }
                    labels[leaf] = count;
                }
            }
            if leader == Some(c) {
                leader = None;
            }
            stack.pop();
        }
        labels
    }

    /// The tree in Newick format, leaves named by `labels` (quoted where
    /// they hold Newick's special characters), branch lengths the height
    /// differences between a node and its parent (negative where centroid
    /// or median heights decrease).
    pub fn to_newick<S: AsRef<str>>(&self, labels: &[S]) -> Result<String, ClusterError> {
        if labels.len() != self.n {
            return Err(ClusterError::LabelCount { labels: labels.len(), leaves: self.n });
        }
        let height = |c: usize| {
            if c >= self.n { self.merges[c - self.n].height } else { 0.0 }
        };
        let mut out = String::new();
        if self.n == 1 {
            out.push_str(&quote(labels[0].as_ref()));
        }
        if self.n >= 2 {
            // Explicit stack (trees can be as deep as they are wide):
            // `Open` writes a node, `Close` finishes a cluster.
            enum Step {
                Open { c: usize, parent: f64, first: bool },
                Close { c: usize, parent: Option<f64> },
            }
            let mut stack = vec![Step::Close { c: self.root(), parent: None }];
            let (a, b) = self.children(self.root()).expect("root is a cluster");
            let h = height(self.root());
            stack.push(Step::Open { c: b, parent: h, first: false });
            stack.push(Step::Open { c: a, parent: h, first: true });
            out.push('(');
            while let Some(step) = stack.pop() {
                match step {
                    Step::Open { c, parent, first } => {
                        if !first {
                            out.push(',');
                        }
                        match self.children(c) {
                            Some((a, b)) => {
                                out.push('(');
                                stack.push(Step::Close { c, parent: Some(parent) });
                                stack.push(Step::Open { c: b, parent: height(c), first: false });
                                stack.push(Step::Open { c: a, parent: height(c), first: true });
                            }
                            None => {
                                out.push_str(&quote(labels[c].as_ref()));
                                out.push_str(&format!(":{}", parent));
                            }
                        }
                    }
                    Step::Close { c, parent } => {
                        out.push(')');
                        if let Some(p) = parent {
                            out.push_str(&format!(":{}", p - height(c)));
                        }
                    }
                }
            }
        }
        out.push(';');
        Ok(out)
    }
}

/// A Newick label, single-quoted (quotes doubled) where it holds a
/// character with a meaning in Newick.
fn quote(label: &str) -> String {
    // An unquoted underscore reads as a space in Newick: quote it too.
    if label.is_empty() || label.chars().any(|c| "()[]':;,_ \t\n\r".contains(c)) {
        format!("'{}'", label.replace('\'', "''"))
    } else {
        label.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_that_newick_would_misread_are_quoted() {
        assert_eq!(quote("CD14"), "CD14");
        assert_eq!(quote("gene_1"), "'gene_1'");
        assert_eq!(quote("O'Neil"), "'O''Neil'");
        assert_eq!(quote(""), "''");
    }

    /// scipy's `linkage([[0], [1], [5], [6], [20]], 'single')`.
    fn five() -> Dendrogram {
        Dendrogram::from_linkage_matrix(&[
            [0.0, 1.0, 1.0, 2.0],
            [2.0, 3.0, 1.0, 2.0],
            [5.0, 6.0, 4.0, 4.0],
            [4.0, 7.0, 14.0, 5.0],
        ])
        .unwrap()
    }

    #[test]
    fn leaves_follow_scipy_dendrogram() {
        assert_eq!(five().leaves(), vec![4, 0, 1, 2, 3]);
    }

    #[test]
    fn maxclust_labels_follow_scipy() {
        let t = five();
        // scipy: fcluster(Z, k, 'maxclust') for k = 2, 3, 4, 5.
        assert_eq!(t.fcluster_maxclust(2), vec![1, 1, 1, 1, 2]);
        assert_eq!(t.fcluster_maxclust(3), vec![1, 1, 2, 2, 3]);
        // Ties at height 1 cannot be split: 4 clusters ask for the cut at 1.
        assert_eq!(t.fcluster_maxclust(4), vec![1, 1, 2, 2, 3]);
        assert_eq!(t.fcluster_maxclust(5), vec![1, 2, 3, 4, 5]);
        assert_eq!(t.fcluster_maxclust(1), vec![1; 5]);
    }

    #[test]
    fn a_subtree_restricted_to_its_leaves_is_that_subtree() {
        // Leaves 2 and 3 (cluster 6 of `five`): one merge at height 1.
        let two = five().restricted(&[2, 3]);
        assert_eq!(two.to_linkage_matrix(), vec![[0.0, 1.0, 1.0, 2.0]]);
        // Leaves 0..4 (cluster 7): scipy's linkage of [[0], [1], [5], [6]].
        let four = five().restricted(&[0, 1, 2, 3]);
        assert_eq!(four.to_linkage_matrix(), vec![[0.0, 1.0, 1.0, 2.0], [2.0, 3.0, 1.0, 2.0], [4.0, 5.0, 4.0, 4.0]]);
        // Members from both sides: the merges joining them, the others gone.
        let across = five().restricted(&[1, 4]);
        assert_eq!(across.to_linkage_matrix(), vec![[1.0, 0.0, 14.0, 2.0]]);
        assert_eq!(across.leaves(), vec![1, 0]);
        assert_eq!(five().restricted(&[3]).n_leaves(), 1);
        // The three clusters of the 3-cut at once: each its own subtree.
        let each = five().restricted_each(&[vec![0, 1], vec![2, 3], vec![4]]);
        let matrices: Vec<_> = each.iter().map(Dendrogram::to_linkage_matrix).collect();
        assert_eq!(matrices, vec![vec![[0.0, 1.0, 1.0, 2.0]], vec![[0.0, 1.0, 1.0, 2.0]], vec![]]);
    }

    #[test]
    fn newick_has_branch_lengths_and_quotes() {
        let labels = ["a", "b", "c d", "e", "f'g"];
        assert_eq!(five().to_newick(&labels).unwrap(), "('f''g':14,((a:1,b:1):3,('c d':1,e:1):3):10);");
        assert!(matches!(five().to_newick(&["x"]), Err(ClusterError::LabelCount { labels: 1, leaves: 5 })));
    }

    #[test]
    fn invalid_linkage_is_refused() {
        let err = Dendrogram::from_linkage_matrix(&[[0.0, 0.0, 1.0, 2.0]]).unwrap_err();
        assert!(err.to_string().contains("row 0"));
        assert!(Dendrogram::from_linkage_matrix(&[[0.0, 1.0, 1.0, 3.0]]).is_err());
        // Two leaves: row 0 may name 0 and 1 only; a 301-digit id is cut short.
        let future = Dendrogram::from_linkage_matrix(&[[0.0, 2.0, 1.0, 2.0]]).unwrap_err().to_string();
        assert!(future.contains("row 0: cluster id 2 is not one of 0 to 1"), "{future}");
        let huge = Dendrogram::from_linkage_matrix(&[[0.0, 1e300, 1.0, 2.0]]).unwrap_err().to_string();
        assert!(huge.contains(&format!("cluster id 1{}… is not one of 0 to 1", "0".repeat(199))), "{huge}");
    }
}
