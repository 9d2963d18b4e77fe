//! Distances, linkage matrices, leaf orders, flat clusters and optimal leaf
//! orders equal scipy's on the fixtures of `tests/gen_scipy_fixtures.py`.

mod common;

use heatscope::cluster::{
    ApproxOptions, Axis, ClusterOptions, CondensedMatrix, Dendrogram, MemoryBudget, Method, Metric, cluster, linkage,
    pdist,
};
use heatscope::input::Matrix;
use serde_json::Value;

const FIXTURES: [&str; 6] = ["q_x", "random_normal", "ties", "duplicates", "blobs", "missing"];

fn load(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/scipy/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().expect("array").iter().map(|x| x.as_u64().expect("integer") as usize).collect()
}

fn matrix(doc: &Value) -> Matrix {
    let (rows, cols) = (doc["rows"].as_u64().unwrap() as usize, doc["cols"].as_u64().unwrap() as usize);
    let data = floats(&doc["data"]).into_iter().map(|v| v as f32).collect();
    Matrix::from_vec(rows, cols, data)
}

fn transposed(m: &Matrix) -> Matrix {
    let mut data = Vec::with_capacity(m.rows() * m.cols());
    for c in 0..m.cols() {
        data.extend((0..m.rows()).map(|r| m.row(r)[c]));
    }
    Matrix::from_vec(m.cols(), m.rows(), data)
}

/// Within 1e-5 relative; values near zero (duplicates, perfectly correlated
/// items) within 1e-6 absolute, the precision of `f32` storage of `1 − r`.
fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 1e-5 * theirs.abs().max(ours.abs()) + 1e-6
}

/// Whether scipy's heights leave the cut into `k` clusters ambiguous.
fn tied_cut(z: &[Vec<f64>], k: usize) -> bool {
    let n = z.len() + 1;
    let (kept, cut) = (z[n - 1 - k][2], z[n - k][2]);
    (kept - cut).abs() <= 1e-5 * kept.abs().max(cut.abs()) + 1e-6
}

/// Flat-cluster labels renumbered by first appearance: equal partitions
/// give equal vectors whatever the numbering.
fn partition(labels: &[usize]) -> Vec<usize> {
    let mut seen = std::collections::HashMap::new();
    labels
        .iter()
        .map(|l| {
            let next = seen.len();
            *seen.entry(*l).or_insert(next)
        })
        .collect()
}

/// Compares a tree with scipy's case; returns what differs. `exact`: the
/// same distances went in, so merge ids, leaf order and flat-cluster labels
/// must be identical; otherwise heights must agree within tolerance and flat
/// clusters wherever scipy's cut is not tied.
fn compare(tree: &Dendrogram, dist: &CondensedMatrix, case: &Value, exact: bool) -> Vec<String> {
    let mut errors = Vec::new();
    let z: Vec<Vec<f64>> = case["Z"].as_array().unwrap().iter().map(floats).collect();
    let ours = tree.to_linkage_matrix();
    for (i, (a, b)) in ours.iter().zip(&z).enumerate() {
        if !close(a[2], b[2]) {
            errors.push(format!("row {i}: height {} vs scipy {}", a[2], b[2]));
        }
        if exact && (a[0] != b[0] || a[1] != b[1] || a[3] != b[3]) {
            errors.push(format!("row {i}: {a:?} vs scipy {b:?}"));
        }
    }
    if exact && tree.leaves() != usizes(&case["leaves"]) {
        errors.push(format!("leaves {:?} vs scipy {:?}", tree.leaves(), usizes(&case["leaves"])));
    }
    let n = tree.n_leaves();
    for (k, labels) in (2..=10).zip(case["fcluster"].as_array().unwrap()) {
        let (ours, theirs) = (tree.fcluster_maxclust(k), usizes(labels));
        let same = if exact { ours == theirs } else { partition(&ours) == partition(&theirs) };
        if k < n && (exact || !tied_cut(&z, k)) && !same {
            errors.push(format!("fcluster k={k}: {ours:?} vs scipy {theirs:?}"));
        }
    }
    let olo = tree.optimal_leaf_ordering(dist);
    let length = dist.path_length(&olo.leaves());
    let scipy_length = case["olo_length"].as_f64().unwrap();
    // scipy's optimal_leaf_ordering can return a longer order than the
    // optimum it computes (scipy issue #11227); ours is never longer, and
    // `cluster_props` checks that it is optimal by exhaustive search.
    if !(length <= scipy_length || close(length, scipy_length)) {
        errors.push(format!("optimal order length {length} vs scipy {scipy_length}"));
    }
    errors
}

/// scipy's distances, stored as heatscope stores them.
fn scipy_condensed(n: usize, pdist: &Value) -> CondensedMatrix {
    CondensedMatrix::from_vec(n, floats(pdist).iter().map(|&v| v as f32).collect())
}

/// Whether our distances order the pairs as scipy's do, ties included.
/// Where they do not (correlations of tied ranks that are equal in exact
/// arithmetic but not in floating point), which pair comes first is
/// rounding noise, and the trees may differ without either being wrong.
fn same_order(ours: &[f32], theirs: &[f64]) -> bool {
    let mut order: Vec<usize> = (0..theirs.len()).collect();
    order.sort_by(|&i, &j| theirs[i].total_cmp(&theirs[j]));
    order.windows(2).all(|w| {
        let (i, j) = (w[0], w[1]);
        ours[i] <= ours[j] && ((theirs[i] == theirs[j]) == (ours[i] == ours[j]))
    })
}

fn assert_no_failures(failures: &[String]) {
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn linkage_on_the_same_distances_equals_scipy_exactly() {
    let mut failures = Vec::new();
    for name in FIXTURES {
        let doc = load(name);
        let n = doc["rows"].as_u64().unwrap() as usize;
        for metric in Metric::ALL {
            let expected = &doc["metrics"][metric.name()];
            let dist = scipy_condensed(n, &expected["pdist"]);
            for method in Method::ALL {
                let tree = linkage(dist.clone(), method, None);
                for e in compare(&tree, &dist, &expected["methods"][method.name()], true) {
                    failures.push(format!("{name} {} {}: {e}", metric.name(), method.name()));
                }
            }
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn distances_and_trees_from_the_matrix_match_scipy() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for name in FIXTURES {
        let doc = load(name);
        let m = matrix(&doc);
        for metric in Metric::ALL {
            let expected = &doc["metrics"][metric.name()];
            let dist = pdist(&m, Axis::Rows, metric, None).unwrap();
            let theirs = floats(&expected["pdist"]);
            for (k, (&ours, &theirs)) in dist.to_vec().iter().zip(&theirs).enumerate() {
                if !close(f64::from(ours), theirs) {
                    let metric = metric.name();
                    failures.push(format!("{name} {metric}: distance {k}: {ours} vs scipy {theirs}"));
                }
            }
            if !same_order(&dist.to_vec(), &theirs) {
                continue;
            }
            compared += 1;
            let bitwise = dist == scipy_condensed(m.rows(), &expected["pdist"]);
            for method in Method::ALL {
                // Centroid and median distances are not bounded by those they
                // come from, so rounding differences of one ulp can reorder
                // what they derive; they are compared on scipy's own
                // distances by the exact test.
                if !method.is_monotone() && !bitwise {
                    continue;
                }
                let tree = linkage(dist.clone(), method, None);
                for e in compare(&tree, &dist, &expected["methods"][method.name()], false) {
                    failures.push(format!("{name} {} {}: {e}", metric.name(), method.name()));
                }
            }
        }
    }
    assert_no_failures(&failures);
    // Only rank correlations of heavily tied data are left out.
    assert!(compared >= 28, "only {compared} matrix × metric cases compared");
}

#[test]
fn real_distances_of_italian_cities_match_scipy() {
    let doc = load("ytdist");
    let n = doc["n"].as_u64().unwrap() as usize;
    let dist = scipy_condensed(n, &doc["pdist"]);
    for method in Method::ALL {
        let tree = linkage(dist.clone(), method, None);
        let errors = compare(&tree, &dist, &doc["methods"][method.name()], true);
        assert!(errors.is_empty(), "{}: {errors:?}", method.name());
    }
    // scipy's own test data: linkage_ytdist_single.
    let single = linkage(dist, Method::Single, None).to_linkage_matrix();
    assert_eq!(
        single,
        vec![
            [2.0, 5.0, 138.0, 2.0],
            [3.0, 4.0, 219.0, 2.0],
            [0.0, 7.0, 255.0, 3.0],
            [1.0, 8.0, 268.0, 4.0],
            [6.0, 9.0, 295.0, 6.0],
        ]
    );
}

#[test]
fn columns_cluster_like_the_rows_of_the_transpose() {
    for name in ["blobs", "missing"] {
        let doc = load(name);
        let t = transposed(&matrix(&doc));
        for metric in [Metric::Euclidean, Metric::Spearman] {
            let options = ClusterOptions {
                method: Method::Average,
                metric,
                optimal_ordering: false,
                budget: MemoryBudget::default(),
                approx: ApproxOptions::default(),
            };
            let tree = cluster(&t, Axis::Cols, &options, None).unwrap();
            let dist = pdist(&t, Axis::Cols, metric, None).unwrap();
            let case = &doc["metrics"][metric.name()]["methods"]["average"];
            let errors = compare(&tree, &dist, case, false);
            assert!(errors.is_empty(), "{name} {}: {errors:?}", metric.name());
        }
    }
}

#[test]
fn linkage_matrix_round_trips() {
    let doc = load("blobs");
    let dist = pdist(&matrix(&doc), Axis::Rows, Metric::Euclidean, None).unwrap();
    for method in Method::ALL {
        let tree = linkage(dist.clone(), method, None);
        let z = tree.to_linkage_matrix();
        assert_eq!(Dendrogram::from_linkage_matrix(&z).unwrap(), tree);
        let olo = tree.optimal_leaf_ordering(&dist);
        assert_eq!(Dendrogram::from_linkage_matrix(&olo.to_linkage_matrix()).unwrap(), olo);
    }
}

/// Runs the binary with its cache in `cache`.
fn run_heatscope(cache: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::heatscope(cache, args)
}

/// Runs the binary; its exit status must be success.
fn heatscope(cache: &std::path::Path, args: &[&str]) {
    let out = run_heatscope(cache, args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs the binary, which must refuse with exit code 2 and one line saying `says`.
fn refused(cache: &std::path::Path, args: &[&str], says: &str) {
    let out = run_heatscope(cache, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.lines().count() == 1 && stderr.contains(says), "{stderr}");
}

/// A `--clusters-out` file: each label's cluster, and the labels' order.
fn read_clusters(path: &std::path::Path) -> (Vec<String>, std::collections::HashMap<String, usize>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("label\tcluster"));
    let rows: Vec<(String, usize)> = lines
        .map(|l| {
            let (label, cluster) = l.split_once('\t').unwrap();
            (label.to_owned(), cluster.parse().unwrap())
        })
        .collect();
    (rows.iter().map(|(l, _)| l.clone()).collect(), rows.into_iter().collect())
}

#[test]
fn clusters_out_gives_scipys_flat_clusters_in_leaf_order() {
    // The blobs fixture as a TSV; scipy's fcluster(Z, k, "maxclust") for
    // euclidean average linkage, k = 2..6, and the same partitions from a
    // height halfway between the merges that a k-cluster cut separates.
    let dir = tempfile::tempdir().unwrap();
    let (tsv, doc) = blobs_tsv(dir.path());
    let expected = &doc["metrics"]["euclidean"]["methods"]["average"];
    let z: Vec<Vec<f64>> = expected["Z"].as_array().unwrap().iter().map(floats).collect();
    let leaves: Vec<String> = usizes(&expected["leaves"]).iter().map(|i| format!("r{i}")).collect();
    let out = dir.path().join("clusters.tsv");
    for k in 2..=6usize {
        let theirs = usizes(&expected["fcluster"][k - 2]);
        let n = z.len() + 1;
        let height = (z[n - 1 - k][2] + z[n - k][2]) / 2.0;
        for cut in [vec!["--cut".to_owned(), k.to_string()], vec!["--cut-height".to_owned(), height.to_string()]] {
            let mut args = vec![tsv.to_str().unwrap(), "--method", "average", "--clusters-out", out.to_str().unwrap()];
            args.extend(cut.iter().map(String::as_str));
            heatscope(dir.path(), &[&["cluster"], &args[..]].concat());
            let (order, ours) = read_clusters(&out);
            assert_eq!(order, leaves, "{cut:?}: not in scipy's leaf order");
            for (i, &label) in theirs.iter().enumerate() {
                assert_eq!(ours[&format!("r{i}")], label, "{cut:?}: row {i}");
            }
        }
    }
    // Without a cut, or with more clusters than rows: one line, exit 2.
    for (extra, says) in [
        (vec![], "--clusters-out writes the clusters of a cut: add --cut K or --cut-height H"),
        (vec!["--cut", "1000"], "--cut 1000: there are"),
    ] {
        let mut args = vec!["cluster", tsv.to_str().unwrap(), "--clusters-out", out.to_str().unwrap()];
        args.extend(extra);
        refused(dir.path(), &args, says);
    }
    // A cut with nowhere to go.
    let says = "a cut is written by --clusters-out FILE (and --cols-clusters-out): add it";
    refused(dir.path(), &["cluster", tsv.to_str().unwrap(), "--cut", "3"], says);
    if std::env::var("HEATSCOPE_SKIP_GPU").is_ok_and(|v| v == "1") {
        return;
    }
    // render writes the same clusters, in the order it draws the rows.
    let png = dir.path().join("blobs.png");
    let drawn = dir.path().join("drawn.tsv");
    let args = ["render", tsv.to_str().unwrap(), "-o", png.to_str().unwrap(), "--row-cut", "3"];
    heatscope(dir.path(), &[&args[..], &["--row-clusters-out", drawn.to_str().unwrap(), "-q"]].concat());
    let (order, ours) = read_clusters(&drawn);
    assert_eq!(order, leaves);
    let theirs = usizes(&expected["fcluster"][1]);
    assert!(theirs.iter().enumerate().all(|(i, &label)| ours[&format!("r{i}")] == label));
}

/// The blobs fixture as a TSV in `dir` (rows r0…, columns c0…).
fn blobs_tsv(dir: &std::path::Path) -> (std::path::PathBuf, Value) {
    let doc = load("blobs");
    let m = matrix(&doc);
    let tsv = dir.join("blobs.tsv");
    let mut text = String::from("item");
    (0..m.cols()).for_each(|c| text.push_str(&format!("\tc{c}")));
    for r in 0..m.rows() {
        text.push_str(&format!("\nr{r}"));
        m.row(r).iter().for_each(|v| text.push_str(&format!("\t{v}")));
    }
    std::fs::write(&tsv, text + "\n").unwrap();
    (tsv, doc)
}

#[test]
fn a_given_linkage_or_order_draws_the_rows_in_its_order() {
    use npyz::WriterBuilder;
    let dir = tempfile::tempdir().unwrap();
    let (tsv, doc) = blobs_tsv(dir.path());
    let expected = &doc["metrics"]["cosine"]["methods"]["complete"];
    // scipy's own tree, saved as numpy saves it.
    let z: Vec<f64> = expected["Z"].as_array().unwrap().iter().flat_map(floats).collect();
    let z_path = dir.path().join("z.npy");
    let mut out = std::fs::File::create(&z_path).unwrap();
    let shape = [z.len() as u64 / 4, 4];
    let mut npy = npyz::WriteOptions::new().default_dtype().shape(&shape).writer(&mut out).begin_nd().unwrap();
    npy.extend(z.iter().copied()).unwrap();
    npy.finish().unwrap();
    let leaves: Vec<String> = usizes(&expected["leaves"]).iter().map(|i| format!("r{i}")).collect();
    let reversed: Vec<String> = leaves.iter().rev().cloned().collect();
    let order_path = dir.path().join("order.txt");
    std::fs::write(&order_path, reversed.join("\n") + "\n").unwrap();
    let (png, layout) = (dir.path().join("b.png"), dir.path().join("b.json"));
    let args = |extra: &[&str]| {
        let mut args = vec!["render", tsv.to_str().unwrap(), "-o", png.to_str().unwrap(), "-q"];
        args.extend(["--layout-out", layout.to_str().unwrap()]);
        args.extend(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    // Bad input first (refused before anything is drawn): one line, exit 2.
    let bad_order = dir.path().join("bad.txt");
    std::fs::write(&bad_order, "r0\nr1\nr0\n").unwrap();
    let short = dir.path().join("short.npy");
    std::fs::write(&short, &std::fs::read(&z_path).unwrap()[..200]).unwrap();
    for (extra, says) in [
        (["--row-order-file", bad_order.to_str().unwrap()], "line 3: 'r0' comes a second time"),
        (["--row-linkage", short.to_str().unwrap()], "short.npy: "),
        (["--row-linkage", tsv.to_str().unwrap()], "not a NumPy .npy file"),
    ] {
        let args = args(&extra);
        refused(dir.path(), &args.iter().map(String::as_str).collect::<Vec<_>>(), says);
    }
    if std::env::var("HEATSCOPE_SKIP_GPU").is_ok_and(|v| v == "1") {
        return;
    }
    for (extra, want) in [
        (["--row-linkage", z_path.to_str().unwrap()], &leaves),
        (["--row-order-file", order_path.to_str().unwrap()], &reversed),
    ] {
        let args = args(&extra);
        heatscope(dir.path(), &args.iter().map(String::as_str).collect::<Vec<_>>());
        let json: Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
        let rows: Vec<&str> =
            json["heatmaps"][0]["rows"].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap()).collect();
        assert_eq!(rows, *want, "{extra:?}");
        assert_eq!(json["heatmaps"][0]["clustering"]["rows"], Value::Null, "{extra:?}");
    }
}
