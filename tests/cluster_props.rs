//! Property tests: the fast linkages agree with a naive reference that
//! recomputes cluster distances from their definitions; leaf orders are
//! permutations; heights never decrease for the monotone methods; the
//! optimal leaf order is optimal; results do not depend on thread count.

use std::collections::BTreeMap;

use heatscope::cluster::{Axis, CondensedMatrix, Dendrogram, Method, Metric, linkage, pdist};
use heatscope::input::Matrix;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// `rows × cols` standard normal values from `seed`: continuous, so ties
/// between distances have probability zero.
fn normal_matrix(rows: usize, cols: usize, seed: u64) -> Matrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0f32, 1.0).unwrap();
    Matrix::from_vec(rows, cols, (0..rows * cols).map(|_| normal.sample(&mut rng)).collect())
}

/// Small integers: many tied distances and duplicate rows.
fn tied_matrix(rows: usize, cols: usize, seed: u64) -> Matrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0f32, 1.0).unwrap();
    let data = (0..rows * cols).map(|_| normal.sample(&mut rng).round().clamp(-1.0, 1.0)).collect();
    Matrix::from_vec(rows, cols, data)
}

/// A cluster of the naive reference: its leaves and, for the geometric
/// methods, its centre (the centroid, or for median the WPGMC midpoint).
struct Cluster {
    leaves: Vec<usize>,
    centre: Vec<f64>,
}

/// Naive agglomeration: at each step compute every pair's cluster distance
/// from its definition (members' distances for single, complete and
/// average; centres for centroid, median and Ward; the recursive average
/// for weighted) and merge the closest. O(n³) or worse; for tests only.
/// Returns each merged leaf set with its height.
fn naive(m: &Matrix, dist: &CondensedMatrix, method: Method) -> BTreeMap<Vec<usize>, f64> {
    let n = m.rows();
    let d = |i: usize, j: usize| f64::from(dist.get(i, j));
    let mut clusters: Vec<Cluster> =
        (0..n).map(|i| Cluster { leaves: vec![i], centre: m.row(i).iter().map(|&v| f64::from(v)).collect() }).collect();
    // WPGMA distances kept between current clusters, as it is defined.
    let mut weighted: BTreeMap<(Vec<usize>, Vec<usize>), f64> = BTreeMap::new();
    let key = |a: &Cluster, b: &Cluster| {
        let (x, y) = (a.leaves.clone(), b.leaves.clone());
        if x < y { (x, y) } else { (y, x) }
    };
    for i in 0..n {
        for j in i + 1..n {
            weighted.insert(key(&clusters[i], &clusters[j]), d(i, j));
        }
    }
    let between = |a: &Cluster, b: &Cluster, weighted: &BTreeMap<_, f64>| -> f64 {
        let pairs = || a.leaves.iter().flat_map(|&i| b.leaves.iter().map(move |&j| d(i, j)));
        let centres = || a.centre.iter().zip(&b.centre).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
        let (na, nb) = (a.leaves.len() as f64, b.leaves.len() as f64);
        match method {
            Method::Single => pairs().fold(f64::INFINITY, f64::min),
            Method::Complete => pairs().fold(0.0, f64::max),
            Method::Average => pairs().sum::<f64>() / (na * nb),
            Method::Weighted => weighted[&key(a, b)],
            Method::Centroid | Method::Median => centres().sqrt(),
            Method::Ward => (2.0 * na * nb / (na + nb) * centres()).sqrt(),
        }
    };
    let mut out = BTreeMap::new();
    while clusters.len() > 1 {
        let mut best = (0, 1, f64::INFINITY);
        for i in 0..clusters.len() {
            for j in i + 1..clusters.len() {
                let v = between(&clusters[i], &clusters[j], &weighted);
                if v < best.2 {
                    best = (i, j, v);
                }
            }
        }
        let (i, j, h) = best;
        let b = clusters.remove(j);
        let a = clusters.remove(i);
        let (na, nb) = (a.leaves.len() as f64, b.leaves.len() as f64);
        let centre = a
            .centre
            .iter()
            .zip(&b.centre)
            .map(|(x, y)| match method {
                Method::Median => (x + y) / 2.0,
                _ => (na * x + nb * y) / (na + nb),
            })
            .collect();
        let mut leaves = [a.leaves.clone(), b.leaves.clone()].concat();
        leaves.sort_unstable();
        let merged = Cluster { leaves, centre };
        for c in &clusters {
            let v = (weighted[&key(&a, c)] + weighted[&key(&b, c)]) / 2.0;
            weighted.insert(key(&merged, c), v);
        }
        out.insert(merged.leaves.clone(), h);
        clusters.push(merged);
    }
    out
}

/// Each merged leaf set of `tree` with its height.
fn merged_sets(tree: &Dendrogram) -> BTreeMap<Vec<usize>, f64> {
    let n = tree.n_leaves();
    let mut sets: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut out = BTreeMap::new();
    for m in tree.merges() {
        let mut s = [sets[m.a].clone(), sets[m.b].clone()].concat();
        s.sort_unstable();
        out.insert(s.clone(), m.height);
        sets.push(s);
    }
    out
}

fn is_permutation(order: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    order.len() == n && order.iter().all(|&i| i < n && !std::mem::replace(&mut seen[i], true))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fast_linkage_equals_naive_reference(rows in 2usize..22, cols in 1usize..5, seed: u64) {
        let m = normal_matrix(rows, cols, seed);
        let dist = pdist(&m, Axis::Rows, Metric::Euclidean, None).unwrap();
        for method in Method::ALL {
            let fast = merged_sets(&linkage(dist.clone(), method, None));
            let reference = naive(&m, &dist, method);
            prop_assert_eq!(fast.len(), reference.len(), "{}", method.name());
            for (set, h) in &reference {
                let ours = fast.get(set);
                prop_assert!(
                    ours.is_some_and(|o| (o - h).abs() <= 1e-5 * h.abs() + 1e-6),
                    "{}: cluster {:?} at {} vs reference {}", method.name(), set, ours.copied().unwrap_or(f64::NAN), h
                );
            }
        }
    }

    #[test]
    fn leaf_orders_are_permutations_and_heights_monotone(
        rows in 2usize..40, cols in 1usize..4, seed: u64, tied: bool,
    ) {
        let m = if tied { tied_matrix(rows, cols, seed) } else { normal_matrix(rows, cols, seed) };
        for metric in Metric::ALL {
            let dist = pdist(&m, Axis::Rows, metric, None).unwrap();
            for method in Method::ALL {
                let tree = linkage(dist.clone(), method, None);
                prop_assert!(is_permutation(&tree.leaves(), rows));
                let olo = tree.optimal_leaf_ordering(&dist);
                prop_assert!(is_permutation(&olo.leaves(), rows));
                prop_assert!(tree.merges().iter().all(|m| m.height.is_finite() && m.height >= 0.0));
                if method.is_monotone() {
                    prop_assert!(tree.merges().windows(2).all(|w| w[0].height <= w[1].height));
                }
                let k = (seed % 6) as usize + 1;
                let labels = tree.fcluster_maxclust(k);
                let clusters = labels.iter().max().copied().unwrap_or(0);
                prop_assert!(clusters <= k.max(1) && labels.iter().all(|&l| l >= 1));
            }
        }
    }

    #[test]
    fn optimal_leaf_order_is_optimal(rows in 3usize..9, seed: u64) {
        let m = normal_matrix(rows, 2, seed);
        let dist = pdist(&m, Axis::Rows, Metric::Euclidean, None).unwrap();
        let tree = linkage(dist.clone(), Method::Average, None);
        let ours = dist.path_length(&tree.optimal_leaf_ordering(&dist).leaves());
        // Every order the tree allows: each merge drawn either way round.
        let z = tree.to_linkage_matrix();
        let best = (0u32..1 << z.len())
            .map(|flips| {
                let flipped: Vec<[f64; 4]> = z
                    .iter()
                    .enumerate()
                    .map(|(i, r)| if flips >> i & 1 == 1 { [r[1], r[0], r[2], r[3]] } else { *r })
                    .collect();
                dist.path_length(&Dendrogram::from_linkage_matrix(&flipped).unwrap().leaves())
            })
            .fold(f64::INFINITY, f64::min);
        prop_assert!((ours - best).abs() <= 1e-9 * best, "{} vs optimum {}", ours, best);
    }
}

#[test]
fn same_tree_whatever_the_thread_count() {
    let m = tied_matrix(300, 6, 7);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            Metric::ALL
                .iter()
                .flat_map(|&metric| {
                    let dist = pdist(&m, Axis::Rows, metric, None).unwrap();
                    Method::ALL.map(|method| linkage(dist.clone(), method, None).to_linkage_matrix())
                })
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(run(1), run(3));
}
