//! The Lance–Williams update: the distance from a cluster to the union of
//! two others, from the three distances before the merge, for each of
//! scipy's methods; and the float types distances are kept in while linking.
//! Used by the generic algorithm (`linkage.rs`) and the nearest-neighbour
//! chain (`nn_chain.rs`).

use super::Method;

/// A merge as an algorithm finds it: two cluster slots, `x < y`, whose
/// labels are fixed afterwards by [`sort_and_label`].
pub(crate) type RawMerge = (u32, u32, f64);

/// The float type cluster distances are kept in while linking.
pub(crate) trait Dist: Copy + PartialOrd + Send + Sync {
    const INFINITY: Self;
    const NEG_INFINITY: Self;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl Dist for f32 {
    const INFINITY: Self = f32::INFINITY;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Dist for f64 {
    const INFINITY: Self = f64::INFINITY;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// The Lance–Williams update: the distance from cluster `i` to the union of
/// `x` and `y`, in `f64` as scipy computes it.
#[inline]
pub(crate) fn update<T: Dist>(method: Method, d_xi: T, d_yi: T, d_xy: T, nx: u32, ny: u32, ni: u32) -> T {
    let (d_xi, d_yi, d_xy) = (d_xi.to_f64(), d_yi.to_f64(), d_xy.to_f64());
    let (nx, ny, ni) = (f64::from(nx), f64::from(ny), f64::from(ni));
    let d = match method {
        Method::Single => d_xi.min(d_yi),
        Method::Complete => d_xi.max(d_yi),
        Method::Average => (nx * d_xi + ny * d_yi) / (nx + ny),
        Method::Weighted => 0.5 * (d_xi + d_yi),
        Method::Ward => {
            let t = 1.0 / (nx + ny + ni);
            root((ni + nx) * t * d_xi * d_xi + (ni + ny) * t * d_yi * d_yi - ni * t * d_xy * d_xy)
        }
        Method::Centroid => root((nx * d_xi * d_xi + ny * d_yi * d_yi - nx * ny * d_xy * d_xy / (nx + ny)) / (nx + ny)),
        Method::Median => root(0.5 * (d_xi * d_xi + d_yi * d_yi) - 0.25 * d_xy * d_xy),
    };
    T::from_f64(d)
}

/// The square root of a Lance–Williams radicand. Rounding can make it
/// slightly negative, where scipy would produce a NaN height; 0 is the
/// value it approximates. Distances that overflowed make it `∞ − ∞`: the
/// merged cluster is as far as they were.
fn root(r: f64) -> f64 {
    if r.is_nan() { f64::INFINITY } else { r.max(0.0).sqrt() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ward_update_of_three_points_on_a_line() {
        // Points 0, 1, 3: merging 0 and 1 (d = 1), the Ward distance to 3 is
        // sqrt(2·n_i·n_xy / (n_i + n_xy))·|3 − 0.5| = sqrt(4/3)·2.5.
        let v = update(Method::Ward, 3.0f64, 2.0, 1.0, 1, 1, 1);
        assert!((v - (4.0f64 / 3.0).sqrt() * 2.5).abs() < 1e-12);
    }
}
