//! Bad and awkward input: a clear error or the documented value, never a
//! panic or a NaN height.

use heatscope::cluster::{
    ApproxOptions, Axis, ClusterError, ClusterOptions, MemoryBudget, Method, Metric, When, cluster, pdist,
};
use heatscope::input::Matrix;

const NAN: f32 = f32::NAN;

fn options(method: Method, metric: Metric) -> ClusterOptions {
    ClusterOptions {
        method,
        metric,
        optimal_ordering: true,
        budget: MemoryBudget::default(),
        approx: ApproxOptions::default(),
    }
}

#[test]
fn fewer_than_two_items_is_an_error() {
    let one_row = Matrix::from_vec(1, 3, vec![1.0, 2.0, 3.0]);
    let err = cluster(&one_row, Axis::Rows, &options(Method::Average, Metric::Euclidean), None).unwrap_err();
    assert!(matches!(err, ClusterError::TooFewItems { n: 1, item: "row" }));
    assert_eq!(err.to_string(), "cannot cluster 1 row(s): at least 2 are needed");
    let empty = Matrix::from_vec(0, 4, vec![]);
    assert!(matches!(pdist(&empty, Axis::Rows, Metric::Cosine, None), Err(ClusterError::TooFewItems { n: 0, .. })));
    // Columns of a one-column matrix.
    let one_col = Matrix::from_vec(3, 1, vec![1.0, 2.0, 3.0]);
    assert!(matches!(
        pdist(&one_col, Axis::Cols, Metric::Euclidean, None),
        Err(ClusterError::TooFewItems { n: 1, item: "column" })
    ));
}

#[test]
fn an_all_nan_row_is_named_in_the_error() {
    let m = Matrix::from_vec(3, 2, vec![1.0, 2.0, NAN, NAN, 3.0, 4.0]);
    let err = pdist(&m, Axis::Rows, Metric::Correlation, None).unwrap_err();
    assert!(matches!(err, ClusterError::NoFiniteValue { item: "row", index: 1 }));
    assert_eq!(err.to_string(), "row 1 has no finite value (all NaN): remove it before clustering");
    // Infinities count as missing too.
    let m = Matrix::from_vec(2, 2, vec![f32::INFINITY, f32::NEG_INFINITY, 1.0, 2.0]);
    assert!(matches!(
        pdist(&m, Axis::Rows, Metric::Euclidean, None),
        Err(ClusterError::NoFiniteValue { index: 0, .. })
    ));
}

#[test]
fn constant_rows_are_at_correlation_distance_one() {
    // Rows 0 and 2 are constant: their correlation is undefined, taken as 0.
    let m = Matrix::from_vec(4, 3, vec![5.0, 5.0, 5.0, 1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 3.0, 2.0, 1.0]);
    for metric in [Metric::Correlation, Metric::Spearman] {
        let d = pdist(&m, Axis::Rows, metric, None).unwrap();
        assert_eq!(d.get(0, 1), 1.0);
        assert_eq!(d.get(0, 2), 1.0);
        assert_eq!(d.get(1, 3), 2.0);
        for method in Method::ALL {
            let tree = cluster(&m, Axis::Rows, &options(method, metric), None).unwrap();
            assert!(tree.merges().iter().all(|m| m.height.is_finite()));
        }
    }
    // A zero vector has no cosine either.
    let z = Matrix::from_vec(2, 2, vec![0.0, 0.0, 1.0, 1.0]);
    assert_eq!(pdist(&z, Axis::Rows, Metric::Cosine, None).unwrap().get(0, 1), 1.0);
}

#[test]
fn missing_values_follow_the_documented_convention() {
    let m = Matrix::from_vec(
        3,
        4,
        vec![
            1.0, NAN, 3.0, NAN, //
            0.0, 2.0, 1.0, NAN, //
            NAN, 5.0, NAN, 9.0,
        ],
    );
    let d = pdist(&m, Axis::Rows, Metric::SqEuclidean, None).unwrap();
    // Rows 0 and 1 share coordinates 0 and 2: (1 + 4) · 4/2.
    assert_eq!(d.get(0, 1), 10.0);
    // Rows 1 and 2 share coordinate 1: 9 · 4/1.
    assert_eq!(d.get(1, 2), 36.0);
    // Rows 0 and 2 share nothing: the largest finite distance.
    assert_eq!(d.get(0, 2), 36.0);
    let tree = cluster(&m, Axis::Rows, &options(Method::Ward, Metric::Euclidean), None).unwrap();
    assert!(tree.merges().iter().all(|m| m.height.is_finite()));
}

#[test]
fn over_budget_fails_before_allocating_when_approximation_is_off() {
    // 200,000 rows would need about 75 GiB: 74.5 GiB of distances, with
    // the diagonal blocks and 768 bytes of bookkeeping an item 74.7.
    let m = Matrix::from_vec(200_000, 1, vec![0.5; 200_000]);
    let mut o = options(Method::Average, Metric::Euclidean);
    o.budget = MemoryBudget(1 << 30);
    o.optimal_ordering = false;
    o.approx.when = When::Never;
    let err = cluster(&m, Axis::Rows, &o, None).unwrap_err();
    assert!(matches!(err, ClusterError::OverBudget { n: 200_000, .. }));
    let text = err.to_string();
    assert!(text.starts_with("exact clustering of 200000 items needs 74.7 GiB"), "{text}");
    assert!(text.contains("raise --memory-budget"), "{text}");
}

#[test]
fn a_progress_bar_runs_to_its_end() {
    let data = (0..60).map(|v| (v * 7 % 11) as f32).collect();
    let m = Matrix::from_vec(20, 3, data);
    let bar = heatscope::progress::Bar::hidden();
    cluster(&m, Axis::Rows, &options(Method::Ward, Metric::Euclidean), Some(&bar)).unwrap();
    // The last stage is the linkage: one step per merge.
    assert_eq!((bar.position(), bar.length()), (19, Some(19)));
}

#[test]
fn names_parse_as_scipy_spells_them() {
    assert_eq!("ward".parse::<Method>().unwrap(), Method::Ward);
    assert_eq!("cityblock".parse::<Metric>().unwrap(), Metric::Cityblock);
    let err = "manhattan".parse::<Metric>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown metric \"manhattan\"; use one of euclidean, sqeuclidean, cityblock, cosine, correlation, spearman"
    );
}
