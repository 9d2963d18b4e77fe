//! Distance metrics: their definitions, the per-item preparation that lets
//! most pairs be computed as dot products, and the direct (NaN-aware)
//! kernels used for the rest.

use super::ClusterError;

/// A distance between two items, defined as in scipy's `pdist`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// `sqrt(Σ (a−b)²)`.
    Euclidean,
    /// `Σ (a−b)²`.
    SqEuclidean,
    /// `Σ |a−b|`.
    Cityblock,
    /// `1 − a·b / (|a| |b|)`.
    Cosine,
    /// `1 − Pearson(a, b)`.
    Correlation,
    /// `1 − Pearson(rank(a), rank(b))`, ties given their average rank.
    Spearman,
}

impl Metric {
    /// All metrics.
    pub const ALL: [Metric; 6] = [
        Metric::Euclidean,
        Metric::SqEuclidean,
        Metric::Cityblock,
        Metric::Cosine,
        Metric::Correlation,
        Metric::Spearman,
    ];

    /// scipy's name for the metric (`spearman` is not a `pdist` metric in
    /// scipy; it is `correlation` on ranked vectors).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::SqEuclidean => "sqeuclidean",
            Metric::Cityblock => "cityblock",
            Metric::Cosine => "cosine",
            Metric::Correlation => "correlation",
            Metric::Spearman => "spearman",
        }
    }

    /// Whether the distance of complete items is derived from a dot product
    /// of prepared vectors (all metrics but cityblock).
    pub(crate) fn uses_dot(self) -> bool {
        self != Metric::Cityblock
    }
}

impl std::str::FromStr for Metric {
    type Err = ClusterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::by_name(&Metric::ALL, Metric::name, "metric", s)
    }
}

/// A panel of items prepared for one metric, as `f64`.
///
/// A complete item (no NaN) is stored so that its distances follow from dot
/// products: centred on a shared `center` for the euclidean types (centring
/// keeps `|a|² + |b|² − 2a·b` free of cancellation for typical data),
/// normalised for cosine, centred and normalised for correlation and
/// spearman. An item with a NaN keeps its raw values (ranks for spearman),
/// since its distances depend on which coordinates each pair shares.
pub(crate) struct Prepared {
    pub dim: usize,
    pub values: Vec<f64>,
    /// `|v|²` of each prepared vector (used by the euclidean types); NaN for
    /// items with a NaN, which marks them for the direct kernel.
    pub sqnorm: Vec<f64>,
    /// Whether each item is free of NaN.
    pub complete: Vec<bool>,
}

impl Prepared {
    /// Prepares items given as raw `f32` vectors, one after another.
    /// `first` is the index of the first item, for error messages.
    pub fn new(
        metric: Metric,
        raw: &[f32],
        dim: usize,
        center: &[f64],
        first: usize,
        item: &'static str,
    ) -> Result<Self, ClusterError> {
        let n = raw.len() / dim;
        let mut values = vec![0.0f64; n * dim];
        let mut sqnorm = vec![0.0f64; n];
        let mut complete = vec![true; n];
        for (k, (src, dst)) in raw.chunks_exact(dim).zip(values.chunks_exact_mut(dim)).enumerate() {
            let finite = src.iter().filter(|v| v.is_finite()).count();
            if finite == 0 {
                return Err(ClusterError::NoFiniteValue { item, index: first + k });
            }
            complete[k] = finite == dim;
            for (d, &s) in dst.iter_mut().zip(src) {
                // Infinities are treated as missing, like NaN.
                *d = if s.is_finite() { f64::from(s) } else { f64::NAN };
            }
            prepare_one(metric, dst, center, complete[k]);
            sqnorm[k] = if complete[k] { dot(dst, dst) } else { f64::NAN };
        }
        Ok(Self { dim, values, sqnorm, complete })
    }

    /// Prepared vector of item `k` of the panel.
    pub fn item(&self, k: usize) -> &[f64] {
        &self.values[k * self.dim..(k + 1) * self.dim]
    }

    /// Number of items in the panel.
    pub fn len(&self) -> usize {
        self.complete.len()
    }
}

fn prepare_one(metric: Metric, v: &mut [f64], center: &[f64], complete: bool) {
    match metric {
        Metric::Euclidean | Metric::SqEuclidean => {
            for (x, c) in v.iter_mut().zip(center) {
                *x -= c;
            }
        }
        Metric::Cityblock => {}
        Metric::Cosine => {
            if complete {
                normalise(v);
            }
        }
        Metric::Correlation => {
            if complete {
                centre_and_normalise(v);
            }
        }
        Metric::Spearman => {
            rank_in_place(v);
            if complete {
                centre_and_normalise(v);
            }
        }
    }
}

/// Scales `v` to unit length; a zero vector becomes all zeros, so that its
/// dot product with anything is 0 and its distance 1 (the documented value).
pub(crate) fn normalise(v: &mut [f64]) {
    let norm = dot(v, v).sqrt();
    let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
    v.iter_mut().for_each(|x| *x *= scale);
}

pub(crate) fn centre_and_normalise(v: &mut [f64]) {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.iter_mut().for_each(|x| *x -= mean);
    normalise(v);
}

/// Replaces the finite values of `v` by their ranks (1-based, ties given the
/// average of the ranks they span, as `scipy.stats.rankdata`); NaN stays NaN.
pub(crate) fn rank_in_place(v: &mut [f64]) {
    let mut order: Vec<usize> = (0..v.len()).filter(|&i| !v[i].is_nan()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut start = 0;
    while start < order.len() {
        let value = v[order[start]];
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == value {
            end += 1;
        }
        // Ranks start..end (0-based) become the mean of start+1..=end.
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            v[i] = rank;
        }
        start = end;
    }
}

/// `Σ f(a_k, b_k)` with four independent accumulators, so that it
/// vectorises (floating-point sums are not reordered otherwise).
#[inline]
fn lanes(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(&x, &y)| f(x, y)).sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            acc[l] += f(x[l], y[l]);
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// Dot product.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    lanes(a, b, |x, y| x * y)
}

/// `Σ (a−b)²` of two complete vectors.
pub(crate) fn squared_difference(a: &[f64], b: &[f64]) -> f64 {
    lanes(a, b, |x, y| (x - y) * (x - y))
}

/// Distance of two prepared items computed coordinate by coordinate over
/// the coordinates finite in both, or `None` when they share none.
///
/// For two complete items this is the exact form of what the dot-product
/// path computes; it is used where that path could cancel, for cityblock,
/// and for every pair involving a NaN.
pub(crate) fn direct(metric: Metric, a: &[f64], b: &[f64]) -> Option<f64> {
    let dim = a.len() as f64;
    let common = a.iter().zip(b).filter(|(x, y)| !x.is_nan() && !y.is_nan());
    let count = common.clone().count();
    if count == 0 {
        return None;
    }
    let scale = dim / count as f64;
    let d = match metric {
        Metric::Euclidean | Metric::SqEuclidean => {
            let s = if count == a.len() {
                squared_difference(a, b)
            } else {
                common.map(|(x, y)| (x - y) * (x - y)).sum::<f64>()
            };
            let s = s * scale;
            if metric == Metric::Euclidean { s.sqrt() } else { s }
        }
        Metric::Cityblock => common.map(|(x, y)| (x - y).abs()).sum::<f64>() * scale,
        Metric::Cosine => {
            let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
            for (x, y) in common {
                ab += x * y;
                aa += x * x;
                bb += y * y;
            }
            1.0 - ratio(ab, aa * bb)
        }
        Metric::Correlation | Metric::Spearman => {
            let (sa, sb) = common.clone().fold((0.0, 0.0), |(sa, sb), (x, y)| (sa + x, sb + y));
            let (ma, mb) = (sa / count as f64, sb / count as f64);
            let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
            for (x, y) in common {
                let (x, y) = (x - ma, y - mb);
                ab += x * y;
                aa += x * x;
                bb += y * y;
            }
            1.0 - ratio(ab, aa * bb)
        }
    };
    Some(d)
}

/// `ab / sqrt(norms)`, or 0 (the documented value) when `norms` is 0;
/// kept within [−1, 1], where rounding can otherwise push a perfect
/// correlation a hair past 1 and its distance below 0.
pub(crate) fn ratio(ab: f64, norms: f64) -> f64 {
    if norms > 0.0 { (ab / norms.sqrt()).clamp(-1.0, 1.0) } else { 0.0 }
}

/// Distances of a complete item (squared norm `sa`) to a run of items
/// (squared norms `sb`, NaN for items with a NaN) from their prepared dot
/// products `g`, into `out`. Leaves NaN where [`direct`] must be used: items
/// with a NaN, and euclidean-type pairs where the dot form would lose more
/// than `f32` precision. A distance beyond the `f32` range is left
/// infinite, for the caller to refuse. Written as plain loops over slices so that they
/// vectorise.
pub(crate) fn from_dots(metric: Metric, sa: f64, sb: &[f64], g: &[f64], out: &mut [f32]) {
    let lanes = sb.iter().zip(g).zip(out.iter_mut());
    match metric {
        Metric::Euclidean | Metric::SqEuclidean => {
            let root = metric == Metric::Euclidean;
            for ((&sb, &g), o) in lanes {
                let d2 = sa + sb - 2.0 * g;
                // The f64 dot product errs by ~1e-15·(|a|² + |b|²); below this
                // bound that error would show in the f32 result (and a NaN
                // norm fails the test too).
                let ok = d2 >= 1e-5 * (sa + sb);
                let d = if root { d2.sqrt() } else { d2 };
                *o = if ok { d as f32 } else { f32::NAN };
            }
        }
        Metric::Cosine | Metric::Correlation | Metric::Spearman => {
            for ((&sb, &g), o) in lanes {
                let d = (1.0 - g).clamp(0.0, 2.0) as f32;
                *o = if sb.is_nan() { f32::NAN } else { d };
            }
        }
        Metric::Cityblock => out.fill(f32::NAN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_correlation_is_distance_zero_never_below() {
        // Two common coordinates: any two distinct pairs correlate ±1 exactly
        // in theory, and a hair beyond in floating point.
        assert!(ratio(0.1 + 0.2, 0.3 * 0.3) <= 1.0);
        assert_eq!(ratio(3.0, 4.0), 1.0);
        assert_eq!(ratio(-3.0, 4.0), -1.0);
    }

    #[test]
    fn ranks_average_ties_like_rankdata() {
        let mut v = [10.0, 20.0, 10.0, f64::NAN, 5.0];
        rank_in_place(&mut v);
        assert_eq!(&v[..3], &[2.5, 4.0, 2.5]);
        assert!(v[3].is_nan());
        assert_eq!(v[4], 1.0);
    }

    #[test]
    fn missing_coordinates_rescale_euclidean_sums() {
        // Common coordinates 0 and 2: (1−0)² + (3−1)² = 5, scaled by 4/2.
        let a = [1.0, f64::NAN, 3.0, 7.0];
        let b = [0.0, 2.0, 1.0, f64::NAN];
        assert_eq!(direct(Metric::SqEuclidean, &a, &b), Some(10.0));
        assert_eq!(direct(Metric::Cityblock, &a, &b), Some(6.0));
        let nan = [f64::NAN, 1.0, f64::NAN, f64::NAN];
        assert_eq!(direct(Metric::Euclidean, &a, &nan), None);
    }

    #[test]
    fn constant_vectors_are_at_correlation_distance_one() {
        let a = [2.0, 2.0, 2.0];
        let b = [1.0, 2.0, 3.0];
        assert_eq!(direct(Metric::Correlation, &a, &b), Some(1.0));
        assert_eq!(direct(Metric::Correlation, &a, &a), Some(1.0));
        assert_eq!(direct(Metric::Cosine, &[0.0; 3], &b), Some(1.0));
    }
}
