//! Distances inside a leaf group (at most [`super::LEAF_MAX`] items) from
//! one `f32` matrix product.
//!
//! A million rows make about 4,000 leaf groups, and their distances are
//! most of the approximate mode's arithmetic: in `f32` at SGEMM speed they
//! cost half what the exact mode's `f64` products cost, and the tree above
//! them is approximate anyway. The items are shifted first so that the
//! products do not cancel: the euclidean types centred on the group's own
//! mean, cosine normalised, correlation centred and normalised per item. A
//! pair whose dot-product form could still lose digits (two near-identical
//! items) is computed coordinate by coordinate instead. Cosine and
//! correlation distances hold to about 1e-7 in absolute terms (a cosine's
//! resolution in `f32`), the others to about 1e-4 of themselves.
//!
//! Items with a missing value, cityblock and spearman take the exact
//! mode's code ([`super::super::condensed::pdist_items`]).

use ndarray::{ArrayView2, ArrayViewMut2, linalg::general_mat_mul};

use super::super::condensed::CondensedMatrix;
use super::super::metric::Metric;

/// Below this share of `|a|² + |b|²` a squared distance from dot products
/// may carry `f32` rounding of more than about 1e-4 of itself.
const CANCELLATION: f32 = 1e-2;

/// The condensed distances of the `values.len() / dim` items of `values`
/// (row-major), or `None` where the `f32` form does not apply (a missing
/// value, cityblock, spearman).
pub(super) fn distances(values: &[f32], dim: usize, metric: Metric) -> Option<CondensedMatrix> {
    let dot_form = matches!(metric, Metric::Euclidean | Metric::SqEuclidean | Metric::Cosine | Metric::Correlation);
    if !dot_form || dim == 0 || !values.iter().fold(true, |all, v| all & v.is_finite()) {
        return None;
    }
    let m = values.len() / dim;
    let mut x = values.to_vec();
    match metric {
        Metric::Euclidean | Metric::SqEuclidean => {
            let mut mean = vec![0.0f64; dim];
            for row in x.chunks_exact(dim) {
                mean.iter_mut().zip(row).for_each(|(s, &v)| *s += f64::from(v));
            }
            let mean: Vec<f32> = mean.iter().map(|s| (s / m as f64) as f32).collect();
            for row in x.chunks_exact_mut(dim) {
                row.iter_mut().zip(&mean).for_each(|(v, c)| *v -= c);
            }
        }
        _ => {
            for row in x.chunks_exact_mut(dim) {
                if metric == Metric::Correlation {
                    let mean = (row.iter().map(|&v| f64::from(v)).sum::<f64>() / dim as f64) as f32;
                    row.iter_mut().for_each(|v| *v -= mean);
                }
                let norm = row.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
                // A zero vector stays zero: distance 1 to everything, as
                // the exact mode documents.
                let scale = if norm > 0.0 { (1.0 / norm) as f32 } else { 0.0 };
                row.iter_mut().for_each(|v| *v *= scale);
            }
        }
    }
    let view = ArrayView2::from_shape((m, dim), &x[..]).expect("group shape");
    let mut gram = vec![0.0f32; m * m];
    let mut g = ArrayViewMut2::from_shape((m, m), &mut gram[..]).expect("product shape");
    general_mat_mul(1.0, &view, &view.t(), 0.0, &mut g);
    let sq: Vec<f32> = (0..m).map(|i| gram[i * m + i]).collect();
    let mut condensed = Vec::with_capacity(m * m.saturating_sub(1) / 2);
    for i in 0..m {
        for j in i + 1..m {
            let g = gram[i * m + j];
            let d = match metric {
                Metric::Euclidean | Metric::SqEuclidean => {
                    let mut d2 = sq[i] + sq[j] - 2.0 * g;
                    if d2 < CANCELLATION * (sq[i] + sq[j]) {
                        let (a, b) = (&x[i * dim..(i + 1) * dim], &x[j * dim..(j + 1) * dim]);
                        d2 = a.iter().zip(b).map(|(&p, &q)| f64::from(p - q).powi(2)).sum::<f64>() as f32;
                    }
                    if metric == Metric::Euclidean { d2.max(0.0).sqrt() } else { d2.max(0.0) }
                }
                _ => (1.0 - g).clamp(0.0, 2.0),
            };
            condensed.push(d);
        }
    }
    Some(CondensedMatrix::from_vec(m, condensed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force in `f64`, straight from the definitions.
    fn reference(values: &[f32], dim: usize, metric: Metric) -> Vec<f64> {
        let rows: Vec<Vec<f64>> = values.chunks_exact(dim).map(|r| r.iter().map(|&v| f64::from(v)).collect()).collect();
        let mut out = Vec::new();
        for i in 0..rows.len() {
            for j in i + 1..rows.len() {
                let (a, b) = (&rows[i], &rows[j]);
                let d2: f64 = a.iter().zip(b).map(|(p, q)| (p - q).powi(2)).sum();
                let cos = |a: &[f64], b: &[f64]| {
                    let dot: f64 = a.iter().zip(b).map(|(p, q)| p * q).sum();
                    let na = a.iter().map(|p| p * p).sum::<f64>().sqrt();
                    let nb = b.iter().map(|p| p * p).sum::<f64>().sqrt();
                    1.0 - dot / (na * nb)
                };
                let centred = |v: &[f64]| {
                    let m = v.iter().sum::<f64>() / v.len() as f64;
                    v.iter().map(|x| x - m).collect::<Vec<_>>()
                };
                out.push(match metric {
                    Metric::Euclidean => d2.sqrt(),
                    Metric::SqEuclidean => d2,
                    Metric::Cosine => cos(a, b),
                    Metric::Correlation => cos(&centred(a), &centred(b)),
                    _ => unreachable!(),
                });
            }
        }
        out
    }

    #[test]
    fn f32_products_give_the_brute_force_distances() {
        // Offset far from zero, with two near-duplicate items: the cases
        // where dot products lose digits without the shift and the check.
        let dim = 300;
        let mut values: Vec<f32> = (0..40 * dim)
            .map(|k| 1000.0 + ((k * 7919 % 1009) as f32 / 1009.0 - 0.5) * (1 + k / dim % 3) as f32)
            .collect();
        let (first, second) = values.split_at_mut(dim);
        second[..dim].copy_from_slice(first);
        second[7] += 1e-3;
        for metric in [Metric::Euclidean, Metric::SqEuclidean, Metric::Cosine, Metric::Correlation] {
            let got = distances(&values, dim, metric).expect("complete items").to_vec();
            let want = reference(&values, dim, metric);
            for (k, (&g, &w)) in got.iter().zip(&want).enumerate() {
                // 1 − cos below about 1e-7 is under f32's resolution of a
                // cosine: those two metrics hold to 1e-6 in absolute terms.
                let absolute = if matches!(metric, Metric::Cosine | Metric::Correlation) { 1e-6 } else { 1e-9 };
                let tolerance = 1e-4 * w.abs() + absolute;
                assert!((f64::from(g) - w).abs() <= tolerance, "{metric:?} pair {k}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn missing_values_and_other_metrics_take_the_exact_code() {
        assert!(distances(&[1.0, f32::NAN, 2.0, 3.0], 2, Metric::Euclidean).is_none());
        assert!(distances(&[1.0, 2.0, 2.0, 3.0], 2, Metric::Cityblock).is_none());
        assert!(distances(&[1.0, 2.0, 2.0, 3.0], 2, Metric::Spearman).is_none());
    }
}
