//! An axis split into slices (ComplexHeatmap's `row_split`): runs of the
//! display order drawn apart, a fixed number of pixels between them
//! whatever the zoom, each with its own tree and title.
//!
//! The map from display positions to pixels is linear within a slice and
//! jumps by the gap between slices: [`pieces`] lays the slices in view
//! along a panel's edge, and everything placed along that axis (cells,
//! trees, bars, labels, marks, the pointer) goes through the pieces.

use std::ops::Range;

use super::dendrogram::TreeGeometry;

/// The slices of one axis.
pub struct Slices {
    /// Each slice's title (the category, or the cut's cluster number).
    pub names: Vec<String>,
    /// Each slice's display positions, in display order, one after the
    /// other and covering the axis.
    pub bounds: Vec<Range<usize>>,
    /// Each slice's own tree, its leaves in the slice's display order
    /// (`None`: a single item, or the axis is not clustered).
    pub trees: Vec<Option<TreeGeometry>>,
}

impl Slices {
    /// The highest merge of any slice's tree: the trees share one height scale.
    pub fn max_height(&self) -> f64 {
        self.trees.iter().flatten().map(TreeGeometry::max_height).fold(0.0, f64::max)
    }

    /// Whether `piece` shows part of its slice (not so when the view lies
    /// wholly off the matrix).
    pub fn holds(&self, piece: &AxisPiece) -> bool {
        self.bounds
            .get(piece.slice)
            .is_some_and(|b| piece.visible.start < b.end as f64 && piece.visible.end > b.start as f64)
    }

    /// The slice holding display position `p`.
    pub fn slice_of(&self, p: usize) -> Option<usize> {
        let k = self.bounds.partition_point(|b| b.end <= p);
        (k < self.bounds.len() && self.bounds[k].contains(&p)).then_some(k)
    }
}

/// The part of one slice in view, placed along a panel's edge.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AxisPiece {
    /// Which slice (an index into [`Slices`]; 0 for an axis not split).
    pub slice: usize,
    /// The display positions it shows (fractional).
    pub visible: Range<f64>,
    /// Where it starts along the edge and how long it is, in pixels.
    pub start: f32,
    pub extent: f32,
}

impl AxisPiece {
    /// The pixel (along the edge) of display position `p`.
    pub fn pixel(&self, p: f64) -> f64 {
        self.start as f64 + (p - self.visible.start) * self.px_per_item()
    }

    /// Pixels per item.
    pub fn px_per_item(&self) -> f64 {
        self.extent as f64 / (self.visible.end - self.visible.start).max(f64::MIN_POSITIVE)
    }

    /// Whether the piece shows display position `p` (fractional).
    pub fn shows(&self, p: f64) -> bool {
        self.visible.start <= p && p <= self.visible.end
    }
}

/// The slices in view of `visible` (display positions) laid along `start
/// .. start + extent` pixels, `gap` pixels apart (less where the gaps
/// would take more than a quarter of the extent), all at one scale. An
/// axis without slices is one piece.
pub fn pieces(slices: Option<&Slices>, visible: &Range<f64>, start: f32, extent: f32, gap: f32) -> Vec<AxisPiece> {
    let whole = || vec![AxisPiece { slice: 0, visible: visible.clone(), start, extent }];
    let Some(slices) = slices else { return whole() };
    let shown: Vec<(usize, Range<f64>)> = slices
        .bounds
        .iter()
        .enumerate()
        .map(|(k, b)| (k, (b.start as f64).max(visible.start)..(b.end as f64).min(visible.end)))
        .filter(|(_, r)| r.end > r.start)
        .collect();
    if shown.is_empty() {
        return whole();
    }
    let gaps = (shown.len() - 1) as f32;
    let gap = if gaps > 0.0 { gap.min(extent / 4.0 / gaps).max(0.0) } else { 0.0 };
    let scale = (extent - gap * gaps) as f64 / (visible.end - visible.start).max(f64::MIN_POSITIVE);
    let mut at = start as f64 + (shown[0].1.start - visible.start) * scale;
    shown
        .into_iter()
        .map(|(slice, range)| {
            let length = (range.end - range.start) * scale;
            let piece = AxisPiece { slice, visible: range, start: at as f32, extent: length as f32 };
            at += length + gap as f64;
            piece
        })
        .collect()
}

/// The pixel of display position `p` among `pieces`, if one shows it.
pub fn pixel(pieces: &[AxisPiece], p: f64) -> Option<f64> {
    pieces.iter().find(|piece| piece.shows(p)).map(|piece| piece.pixel(p))
}

/// The display position (fractional) at pixel `x` among `pieces`, if one
/// is there (not in a gap).
pub fn position(pieces: &[AxisPiece], x: f64) -> Option<f64> {
    pieces
        .iter()
        .find(|p| p.start as f64 <= x && x < (p.start + p.extent) as f64)
        .map(|piece| piece.visible.start + (x - piece.start as f64) / piece.px_per_item())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Slices {
        Slices { names: vec!["a".into(), "b".into(), "c".into()], bounds: vec![0..10, 10..30, 30..40], trees: vec![] }
    }

    #[test]
    fn slices_in_view_share_one_scale_and_keep_their_gaps() {
        // 40 items on 412 px with two gaps of 6 px: 10 px an item.
        let p = pieces(Some(&three()), &(0.0..40.0), 100.0, 412.0, 6.0);
        let placed: Vec<(usize, f32, f32)> = p.iter().map(|p| (p.slice, p.start, p.extent)).collect();
        assert_eq!(placed, vec![(0, 100.0, 100.0), (1, 206.0, 200.0), (2, 412.0, 100.0)]);
        assert_eq!(pixel(&p, 10.5), Some(211.0));
        assert_eq!(position(&p, 211.0), Some(10.5));
        // In a gap: no item.
        assert_eq!(position(&p, 203.0), None);
        // Zoomed to items 5..15: half of slice a, half of b, one gap.
        let p = pieces(Some(&three()), &(5.0..15.0), 0.0, 106.0, 6.0);
        let placed: Vec<(usize, f32, f32)> = p.iter().map(|p| (p.slice, p.start, p.extent)).collect();
        assert_eq!(placed, vec![(0, 0.0, 50.0), (1, 56.0, 50.0)]);
        // Inside one slice: no gap at all.
        let p = pieces(Some(&three()), &(12.0..22.0), 0.0, 100.0, 6.0);
        assert_eq!((p.len(), p[0].slice, p[0].extent), (1, 1, 100.0));
    }

    #[test]
    fn gaps_take_at_most_a_quarter_of_the_edge() {
        let many = Slices {
            names: (0..100).map(|k| k.to_string()).collect(),
            bounds: (0..100).map(|k| k..k + 1).collect(),
            trees: vec![],
        };
        let p = pieces(Some(&many), &(0.0..100.0), 0.0, 396.0, 10.0);
        // 99 gaps of 1 px, 297 px of cells.
        assert_eq!(p[1].start - p[0].start - p[0].extent, 1.0);
        assert!((p.iter().map(|p| p.extent).sum::<f32>() - 297.0).abs() < 1e-3);
        assert_eq!(many.slice_of(57), Some(57));
        assert_eq!(three().slice_of(30), Some(2));
        assert_eq!(three().slice_of(40), None);
    }
}
