//! How far an approximate tree agrees with the exact one it stands in for,
//! measured on a seeded random sample of the items: the exact tree of the
//! sample against the approximate tree restricted to the same items.
//!
//! Both trees are read through their leaf orders. Between neighbouring
//! leaves `k` and `k + 1` of a tree's order lies one merge, the one that
//! joins the subtree ending at `k` to the one starting at `k + 1`; its
//! height is the *gap* `g[k]`. Two leaves at order positions `i < j` meet
//! at the highest gap between them, `max g[i..j]` (their cophenetic
//! distance), and the tree restricted to some leaves has, between two
//! neighbouring kept leaves, the highest gap between them. So the
//! restricted tree takes one pass over the order, and its cut into `k`
//! clusters splits the sample at its `k − 1` highest gaps.
//!
//! Reported: the Pearson correlation of the two trees' cophenetic distances
//! over every pair of the sample, and the adjusted Rand index of their cuts
//! at `k = 2…10`.

use rand::SeedableRng;

use super::{Axis, ClusterError, ClusterOptions, Dendrogram, approx::When, cluster};
use crate::input::Matrix;

/// Items in the sample: an exact tree of them takes a second or two.
pub const SAMPLE: usize = 2000;

/// The cuts compared.
pub const CUTS: std::ops::RangeInclusive<usize> = 2..=10;

/// The agreement of an approximate tree with the exact tree of a sample.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Agreement {
    /// Items in the sample.
    pub sample: usize,
    /// Pearson correlation of the two trees' cophenetic distances.
    pub cophenetic_r: f64,
    /// Adjusted Rand index of the two trees' cuts into `k` clusters, for
    /// `k` in [`CUTS`].
    pub ari: Vec<(usize, f64)>,
}

impl Agreement {
    /// The mean adjusted Rand index over the cuts.
    pub fn mean_ari(&self) -> f64 {
        self.ari.iter().map(|&(_, a)| a).sum::<f64>() / self.ari.len().max(1) as f64
    }
}

/// Measures `tree` (of `axis` of `matrix`, made with `options`) against the
/// exact tree of a sample of its items drawn with `seed`. `None` where the
/// sample's values would take more than 256 MB (very long items).
pub fn agreement(
    matrix: &Matrix,
    axis: Axis,
    options: &ClusterOptions,
    tree: &Dendrogram,
    seed: u64,
) -> Result<Option<Agreement>, ClusterError> {
    let (n, dim) = (axis.len(matrix), axis.dim(matrix));
    let m = n.min(SAMPLE);
    if m < 3 || m * dim > 64 << 20 {
        return Ok(None);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut items = rand::seq::index::sample(&mut rng, n, m).into_vec();
    items.sort_unstable();
    // The sample's items as the rows of a small matrix. Rows are read from
    // the file, not through the map, which would bring in the pages around
    // each (1.3 GB of a 4 GB matrix for 2,000 rows).
    let mut values = Vec::with_capacity(m * dim);
    match axis {
        Axis::Rows => {
            values.resize(m * dim, 0.0);
            for (row, &i) in values.chunks_exact_mut(dim).zip(&items) {
                matrix.read_row(i, row).map_err(|e| ClusterError::Read(e.to_string()))?;
            }
        }
        Axis::Cols => {
            for &j in &items {
                values.extend((0..matrix.rows()).map(|r| matrix.row(r)[j]));
            }
        }
    }
    let sample = Matrix::from_vec(m, dim, values);
    let mut exact_options = *options;
    exact_options.approx.when = When::Never;
    let exact = cluster(&sample, Axis::Rows, &exact_options, None)?;
    // The approximate tree's gaps between the sampled items, in its order.
    let position = inverse(&tree.leaves());
    let mut by_position: Vec<(usize, usize)> = items.iter().enumerate().map(|(s, &i)| (position[i], s)).collect();
    by_position.sort_unstable();
    let all_gaps = gaps(tree);
    let approx_order: Vec<usize> = by_position.iter().map(|&(_, s)| s).collect();
    let highest = |w: &[(usize, usize)]| all_gaps[w[0].0..w[1].0].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let approx_gaps: Vec<f64> = by_position.windows(2).map(highest).collect();
    let exact_order = exact.leaves();
    let exact_gaps = gaps(&exact);
    Ok(Some(Agreement {
        sample: m,
        cophenetic_r: cophenetic_correlation(&approx_order, &approx_gaps, &exact_order, &exact_gaps),
        ari: CUTS
            .map(|k| {
                let a = cut(&approx_order, &approx_gaps, k);
                let b = cut(&exact_order, &exact_gaps, k);
                (k, adjusted_rand_index(&a, &b))
            })
            .collect(),
    }))
}

/// Position of each item in `order`.
fn inverse(order: &[usize]) -> Vec<usize> {
    let mut position = vec![0; order.len()];
    for (p, &i) in order.iter().enumerate() {
        position[i] = p;
    }
    position
}

/// The height of the merge between each pair of neighbouring leaves of
/// `tree`'s order (`n − 1` of them).
pub fn gaps(tree: &Dendrogram) -> Vec<f64> {
    let n = tree.n_leaves();
    let position = inverse(&tree.leaves());
    // The span of order positions each cluster covers.
    let mut span: Vec<(usize, usize)> = (0..n).map(|i| (position[i], position[i])).collect();
    let mut gaps = vec![0.0; n.saturating_sub(1)];
    for merge in tree.merges() {
        let (a, b) = (span[merge.a], span[merge.b]);
        let (left, right) = if a.0 < b.0 { (a, b) } else { (b, a) };
        gaps[left.1] = merge.height;
        span.push((left.0, right.1));
    }
    gaps
}

/// Pearson's correlation between two trees' cophenetic distances over
/// every pair of items `0..m`; each tree is given as its order of the
/// items and the gaps between neighbours in that order.
fn cophenetic_correlation(order_a: &[usize], gaps_a: &[f64], order_b: &[usize], gaps_b: &[f64]) -> f64 {
    let m = order_a.len();
    // Tree a's distances in a full table; tree b's walked pair by pair.
    let mut table = vec![0.0f64; m * m];
    for i in 0..m {
        let mut highest = f64::NEG_INFINITY;
        for j in i + 1..m {
            highest = highest.max(gaps_a[j - 1]);
            let (s, t) = (order_a[i], order_a[j]);
            table[s * m + t] = highest;
            table[t * m + s] = highest;
        }
    }
    let (mut sum_a, mut sum_b, mut sum_aa, mut sum_bb, mut sum_ab, mut pairs) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..m {
        let mut highest = f64::NEG_INFINITY;
        for j in i + 1..m {
            highest = highest.max(gaps_b[j - 1]);
            let (a, b) = (table[order_b[i] * m + order_b[j]], highest);
            (sum_a, sum_b, sum_aa, sum_bb, sum_ab, pairs) =
                (sum_a + a, sum_b + b, sum_aa + a * a, sum_bb + b * b, sum_ab + a * b, pairs + 1.0);
        }
    }
    let covariance = sum_ab / pairs - (sum_a / pairs) * (sum_b / pairs);
    let spread = (sum_aa / pairs - (sum_a / pairs).powi(2)).max(0.0).sqrt()
        * (sum_bb / pairs - (sum_b / pairs).powi(2)).max(0.0).sqrt();
    if spread > 0.0 { covariance / spread } else { 0.0 }
}

/// A tree's cut into `k` clusters (fewer where heights tie), given as its
/// order of the items `0..m` and its gaps: split at the `k − 1` highest
/// gaps. Returns each item's cluster.
fn cut(order: &[usize], gaps: &[f64], k: usize) -> Vec<usize> {
    let mut highest: Vec<usize> = (0..gaps.len()).collect();
    highest.sort_by(|&a, &b| gaps[b].total_cmp(&gaps[a]).then(a.cmp(&b)));
    let threshold = highest.get(k.saturating_sub(2)).map_or(f64::INFINITY, |&g| gaps[g]);
    // Split at every gap at least the threshold, as a cut at a height does
    // (so tied heights split together).
    let mut clusters = vec![0; order.len()];
    let mut cluster = 0;
    for (p, &item) in order.iter().enumerate() {
        if p > 0 && k > 1 && gaps[p - 1] >= threshold {
            cluster += 1;
        }
        clusters[item] = cluster;
    }
    clusters
}

/// The adjusted Rand index of two partitions of the same items (Hubert and
/// Arabie 1985): 1 for the same partition, about 0 for unrelated ones.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len();
    let (ka, kb) = (a.iter().max().map_or(0, |&x| x + 1), b.iter().max().map_or(0, |&x| x + 1));
    let mut table = vec![0u64; ka * kb];
    for (&x, &y) in a.iter().zip(b) {
        table[x * kb + y] += 1;
    }
    let pairs = |c: u64| (c * c.saturating_sub(1) / 2) as f64;
    let rows: f64 = (0..ka).map(|x| pairs(table[x * kb..(x + 1) * kb].iter().sum())).sum();
    let cols: f64 = (0..kb).map(|y| pairs((0..ka).map(|x| table[x * kb + y]).sum())).sum();
    let both: f64 = table.iter().map(|&c| pairs(c)).sum();
    let expected = rows * cols / pairs(n as u64);
    let most = (rows + cols) / 2.0;
    if most == expected { 1.0 } else { (both - expected) / (most - expected) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{ApproxOptions, Method, Metric};

    #[test]
    fn the_adjusted_rand_index_is_scikit_learns() {
        // scikit-learn's documented examples of adjusted_rand_score.
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 1]), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0);
        assert!((adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]) - 0.571_428_571_428_571_4).abs() < 1e-12);
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.571_428_571_428_571_4).abs() < 1e-12);
        assert!((adjusted_rand_index(&[0, 0, 0, 0], &[0, 1, 2, 3])).abs() < 1e-12);
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) + 0.5).abs() < 1e-12);
    }

    /// A seeded random tree over `n` points in 3-d, exactly clustered.
    fn random_tree(n: usize, seed: u64) -> (Dendrogram, Vec<Vec<f64>>) {
        use rand::RngExt;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let points: Vec<Vec<f64>> = (0..n).map(|_| (0..3).map(|_| rng.random::<f64>()).collect()).collect();
        let flat: Vec<f32> = points.iter().flatten().map(|&v| v as f32).collect();
        let matrix = Matrix::from_vec(n, 3, flat);
        let options = ClusterOptions {
            method: Method::Average,
            metric: Metric::Euclidean,
            optimal_ordering: false,
            budget: crate::cluster::MemoryBudget::default(),
            approx: ApproxOptions::default(),
        };
        (cluster(&matrix, Axis::Rows, &options, None).unwrap(), points)
    }

    /// Cophenetic distances the slow way: the height of the first cluster
    /// holding both, from the merges.
    fn brute_cophenetic(tree: &Dendrogram) -> Vec<Vec<f64>> {
        let n = tree.n_leaves();
        let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        let mut d = vec![vec![0.0; n]; n];
        for merge in tree.merges() {
            let (a, b) = (members[merge.a].clone(), members[merge.b].clone());
            for &i in &a {
                for &j in &b {
                    (d[i][j], d[j][i]) = (merge.height, merge.height);
                }
            }
            members.push([a, b].concat());
        }
        d
    }

    #[test]
    fn gaps_give_every_pairs_cophenetic_distance_and_a_tree_its_own_cuts() {
        for (n, seed) in [(2, 1), (7, 2), (60, 3)] {
            let (tree, _) = random_tree(n, seed);
            let brute = brute_cophenetic(&tree);
            let (order, gaps) = (tree.leaves(), gaps(&tree));
            for i in 0..n {
                for j in i + 1..n {
                    let highest = gaps[i..j].iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    assert_eq!(highest, brute[order[i]][order[j]], "n = {n}, positions {i}, {j}");
                }
            }
            // A cut by gaps is scipy's maxclust partition (the tree's own).
            for k in 1..=n.min(6) {
                let by_gaps = cut(&order, &gaps, k);
                let maxclust = tree.fcluster_maxclust(k);
                assert_eq!(adjusted_rand_index(&by_gaps, &maxclust.iter().map(|&c| c - 1).collect::<Vec<_>>()), 1.0);
            }
        }
    }

    #[test]
    fn a_tree_agrees_with_itself_and_less_with_another() {
        let (tree, _) = random_tree(50, 4);
        let (order, gaps) = (tree.leaves(), gaps(&tree));
        assert!((cophenetic_correlation(&order, &gaps, &order, &gaps) - 1.0).abs() < 1e-12);
        // The same items with the order reversed and the gaps shuffled: a different tree.
        let reversed: Vec<usize> = order.iter().rev().copied().collect();
        let shuffled: Vec<f64> = gaps.iter().enumerate().map(|(i, _)| gaps[(i * 17) % gaps.len()]).collect();
        assert!(cophenetic_correlation(&order, &gaps, &reversed, &shuffled) < 0.9);
    }
}
