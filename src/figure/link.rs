//! Linked heatmaps: the rows of two panels matched by label, the order of a
//! panel that follows its neighbour, and the connectors drawn between them:
//! one cubic Bézier curve per link while they are fewer than the pixel rows
//! they cross, else bands between blocks of pixel rows, one per pair of
//! blocks, as wide as the links they carry.

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use super::colormap::{Palette, Rgba};
use super::scene::{Fill, Rect};
use crate::input::Labels;

/// Most bands drawn in one gap: the pixel-row blocks grow until the pairs
/// of blocks that carry links are at most this many.
pub const BAND_BUDGET: usize = 256;
/// Width of an unmatched row's mark, pixels.
const MARK_W: f32 = 4.0;

/// The rows of a left and a right panel that share a label.
#[derive(Clone, Debug, PartialEq)]
pub struct RowLinks {
    /// (left matrix row, right matrix row), by right row then left row. A
    /// label found several times on either side links every pair.
    pub pairs: Vec<[u32; 2]>,
    /// Rows of each side whose label the other side lacks.
    pub left_unmatched: Vec<u32>,
    pub right_unmatched: Vec<u32>,
}

impl RowLinks {
    /// Matches the two panels' row labels exactly (case and spaces count).
    pub fn match_labels(left: &Labels, right: &Labels) -> RowLinks {
        // Label → its first left row; `next` chains the left rows sharing it,
        // in row order (built from the last row up).
        let mut first: HashMap<Box<str>, u32> = HashMap::with_capacity(left.len());
        let mut next = vec![u32::MAX; left.len()];
        for i in (0..left.len()).rev() {
            if let Some(head) = first.insert(left.get(i).into(), i as u32) {
                next[i] = head;
            }
        }
        let mut pairs = Vec::new();
        let mut right_unmatched = Vec::new();
        let mut left_matched = vec![false; left.len()];
        for (j, label) in right.iter().enumerate() {
            let Some(&head) = first.get(label.as_ref()) else {
                right_unmatched.push(j as u32);
                continue;
            };
            let mut i = head;
            while i != u32::MAX {
                pairs.push([i, j as u32]);
                left_matched[i as usize] = true;
                i = next[i as usize];
            }
        }
        let left_unmatched = (0..left.len() as u32).filter(|&i| !left_matched[i as usize]).collect();
        RowLinks { pairs, left_unmatched, right_unmatched }
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// The display order of a right panel that follows its left neighbour:
/// rows in the order of their first match on the left, unmatched rows after,
/// in file order.
pub fn follow_order(links: &RowLinks, left_order: &[usize], right_rows: usize) -> Vec<usize> {
    let position = positions(left_order);
    let mut key = vec![u32::MAX; right_rows];
    for &[i, j] in &links.pairs {
        key[j as usize] = key[j as usize].min(position[i as usize]);
    }
    let mut order: Vec<usize> = (0..right_rows).collect();
    order.sort_by_key(|&j| (key[j], j));
    order
}

/// Matrix row → display position, for an order (display position → row).
pub fn positions(order: &[usize]) -> Vec<u32> {
    let mut position = vec![0; order.len()];
    for (p, &i) in order.iter().enumerate() {
        position[i] = p as u32;
    }
    position
}

/// A gap's links by display position, sorted two ways so that the links
/// with an end in view are two slices: one by the left end, one by the
/// right. Built once per pair of row orders.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkEnds {
    /// (left position, right position), by left position then right.
    by_left: Vec<[u32; 2]>,
    /// The same pairs by right position then left.
    by_right: Vec<[u32; 2]>,
    /// Display positions of the rows without a match, ascending.
    left_unmatched: Vec<u32>,
    right_unmatched: Vec<u32>,
}

impl LinkEnds {
    /// `links` placed by each panel's matrix row → display position.
    pub fn new(links: &RowLinks, left_position: &[u32], right_position: &[u32]) -> LinkEnds {
        let mut by_left: Vec<[u32; 2]> =
            links.pairs.par_iter().map(|&[i, j]| [left_position[i as usize], right_position[j as usize]]).collect();
        let mut by_right = by_left.clone();
        by_left.par_sort_unstable();
        by_right.par_sort_unstable_by_key(|&[l, r]| (r, l));
        let placed = |rows: &[u32], position: &[u32]| {
            let mut out: Vec<u32> = rows.iter().map(|&i| position[i as usize]).collect();
            out.sort_unstable();
            out
        };
        LinkEnds {
            by_left,
            by_right,
            left_unmatched: placed(&links.left_unmatched, left_position),
            right_unmatched: placed(&links.right_unmatched, right_position),
        }
    }

    /// Links in the gap.
    pub fn len(&self) -> usize {
        self.by_left.len()
    }

    /// Whether the gap has no link.
    pub fn is_empty(&self) -> bool {
        self.by_left.is_empty()
    }

    /// Rows without a match: (left, right).
    pub fn unmatched(&self) -> [usize; 2] {
        [self.left_unmatched.len(), self.right_unmatched.len()]
    }

    /// The display positions on the other side linked to positions `shown`
    /// of one side (`from_left`: the left side), first to last; None when
    /// none of them has a link.
    pub fn linked_span(&self, from_left: bool, shown: Range<u32>) -> Option<Range<u32>> {
        let (pairs, side) = if from_left { (&self.by_left, 0) } else { (&self.by_right, 1) };
        let slice = &pairs[pairs.partition_point(|p| p[side] < shown.start)..];
        let slice = &slice[..slice.partition_point(|p| p[side] < shown.end)];
        let other = slice.iter().map(|p| p[1 - side]);
        Some(other.clone().min()?..other.max()? + 1)
    }
}

/// Where one panel's rows are on screen.
#[derive(Clone, Debug)]
pub struct RowAxis {
    /// Rows the panel has.
    pub rows: usize,
    /// The heatmap's top edge, pixels, and pixels per row.
    pub top: f32,
    pub px_per_row: f64,
    /// Display position (fractional) at the heatmap's top edge.
    pub start: f64,
}

impl RowAxis {
    /// A panel of `rows` rows in `rect` showing rows `window` (display positions).
    pub fn new(rows: usize, rect: Rect, window: &Range<f64>) -> RowAxis {
        RowAxis { rows, top: rect.y, px_per_row: rect.h as f64 / (window.end - window.start), start: window.start }
    }

    /// The centre of the row at display position `p`, pixels.
    pub fn centre(&self, p: u32) -> f64 {
        self.top as f64 + (p as f64 + 0.5 - self.start) * self.px_per_row
    }

    /// The display positions whose row centres lie within `y0..=y1`.
    fn centred_within(&self, y0: f64, y1: f64) -> Range<u32> {
        // A panel squeezed to nothing shows no rows.
        if !(self.px_per_row > 0.0 && y1 >= y0) {
            return 0..0;
        }
        let first = |inside: &dyn Fn(f64) -> bool| {
            let (mut lo, mut hi) = (0u32, self.rows as u32);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if inside(self.centre(mid)) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let start = first(&|y| y < y0);
        start..first(&|y| y <= y1).max(start)
    }

    /// The display position at pixel `y` (fractional).
    fn at(&self, y: f64) -> f64 {
        self.start + (y - self.top as f64) / self.px_per_row
    }
}

/// How connectors are coloured.
#[derive(Clone, Debug)]
pub enum ConnectorColor {
    Fixed(Rgba),
    /// By the left panel's cut: cluster (1-based) of each left display position.
    Clusters {
        groups: Vec<u32>,
        palette: Palette,
    },
}

impl ConnectorColor {
    fn at(&self, left_position: u32) -> Rgba {
        match self {
            ConnectorColor::Fixed(color) => *color,
            ConnectorColor::Clusters { groups, palette } => {
                let g = groups.get(left_position as usize).copied().unwrap_or(1);
                palette.color(g.saturating_sub(1) as usize)
            }
        }
    }
}

/// A connector as drawn: a cubic Bézier from `from` to `to` whose control
/// points sit halfway across at the end points' heights, so it leaves and
/// arrives horizontally. A band carries `count` links.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Connector {
    pub from: [f32; 2],
    pub to: [f32; 2],
    /// Stroke width in pixels; below one pixel the stroke is drawn one
    /// pixel wide and its opacity scaled by the width.
    pub width: f32,
    #[serde(skip)]
    pub color: Rgba,
    /// Drawn only inside this rectangle (the gap between the panels).
    #[serde(skip)]
    pub clip: Rect,
    pub count: u32,
    /// Which gap it is in: 0 between the first and second panels, and so on.
    pub gap: usize,
    /// Whether it stands for the links between two blocks of pixel rows.
    pub band: bool,
    /// Display positions joined on each side.
    pub left: Range<u32>,
    pub right: Range<u32>,
}

impl Connector {
    /// The point at `t` in 0…1.
    pub fn point(&self, t: f32) -> [f32; 2] {
        let ([x0, y0], [x1, y1]) = (self.from, self.to);
        let s = t * t * (3.0 - 2.0 * t);
        [x0 + (x1 - x0) * (1.5 * t - 1.5 * t * t + t * t * t), y0 + (y1 - y0) * s]
    }

    /// Distance in pixels from `p` to the curve (to 32 straight pieces of it).
    pub fn distance(&self, p: [f32; 2]) -> f32 {
        const PIECES: usize = 32;
        let mut best = f32::INFINITY;
        let mut a = self.point(0.0);
        for k in 1..=PIECES {
            let b = self.point(k as f32 / PIECES as f32);
            best = best.min(segment_distance(p, a, b));
            a = b;
        }
        best
    }
}

fn segment_distance(p: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length2 = dx * dx + dy * dy;
    let t = if length2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2).clamp(0.0, 1.0) } else { 0.0 };
    let (x, y) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    (x * x + y * y).sqrt()
}

/// What a gap between two panels draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GapDrawing {
    pub connectors: Vec<Connector>,
    /// Whether the connectors are bands (links aggregated by pixel-row blocks).
    pub bands: bool,
    /// Marks of unmatched rows in view, merged into runs.
    pub marks: Vec<Fill>,
    /// Links with a part in view.
    pub shown_links: usize,
}

/// The connectors for `links` between a left and a right panel, in the gap
/// `clip` (x from its left edge to its right edge; y the rows' extent).
pub fn connect(
    links: &LinkEnds,
    left: &RowAxis,
    right: &RowAxis,
    clip: Rect,
    color: &ConnectorColor,
    alpha: f32,
) -> GapDrawing {
    let (top, bottom) = (clip.y as f64, clip.bottom() as f64);
    // A link is drawn when either of its rows is in view: the links by
    // their left end in view, then those by their right end whose left end is not.
    let left_shown = left.centred_within(top, bottom);
    let right_shown = right.centred_within(top, bottom);
    let slice = |pairs: &'_ [[u32; 2]], side: usize, shown: &Range<u32>| -> std::ops::Range<usize> {
        pairs.partition_point(|p| p[side] < shown.start)..pairs.partition_point(|p| p[side] < shown.end)
    };
    let by_left = &links.by_left[slice(&links.by_left, 0, &left_shown)];
    let by_right = &links.by_right[slice(&links.by_right, 1, &right_shown)];
    let in_view = Shown { links: links.len(), by_left, by_right, left_shown: &left_shown };
    let with_alpha = |c: Rgba, a: f32| Rgba([c.0[0], c.0[1], c.0[2], (c.0[3] as f32 * a).round() as u8]);
    // One pass counts the links in view into bands; few enough, and they
    // are drawn one by one instead.
    let bands = bands(&in_view, left, right, clip, &|pl| with_alpha(color.at(pl), alpha));
    let shown_links = bands.iter().map(|b| b.count as usize).sum();
    let mut drawing = GapDrawing { shown_links, ..Default::default() };
    if shown_links as f64 <= clip.h.max(1.0) as f64 {
        let links = in_view.by_left.iter().chain(in_view.by_right.iter().filter(|p| !left_shown.contains(&p[0])));
        drawing.connectors = links
            .map(|&[pl, pr]| Connector {
                from: [clip.x, left.centre(pl) as f32],
                to: [clip.right(), right.centre(pr) as f32],
                width: 1.25,
                color: with_alpha(color.at(pl), alpha),
                clip,
                count: 1,
                gap: 0,
                band: false,
                left: pl..pl + 1,
                right: pr..pr + 1,
            })
            .collect();
    } else {
        drawing.bands = true;
        drawing.connectors = bands;
    }
    drawing.marks = marks(&links.left_unmatched, left, clip, clip.x);
    drawing.marks.extend(marks(&links.right_unmatched, right, clip, clip.right() - MARK_W));
    drawing
}

/// The links with an end in view: those whose left end is (`by_left`), and
/// those whose right end is, where their left end is not.
struct Shown<'a> {
    /// All the links of the gap, in view or not.
    links: usize,
    by_left: &'a [[u32; 2]],
    by_right: &'a [[u32; 2]],
    left_shown: &'a Range<u32>,
}

/// The links in view counted per pair of pixel-row blocks (blocks doubled
/// until at most [`BAND_BUDGET`] pairs carry links; ends beyond the gap
/// fall into one block above it or one below it).
fn bands(shown: &Shown, left: &RowAxis, right: &RowAxis, clip: Rect, color: &dyn Fn(u32) -> Rgba) -> Vec<Connector> {
    let rows = clip.h.ceil().max(1.0) as usize;
    // Blocks per side, with the one above and the one below: at first
    // about 4·√budget of them (the pairs that carry links are at most the
    // square of that, and often near the diagonal, about as many).
    let first_side = 4 * (BAND_BUDGET as f64).sqrt() as usize;
    let mut block = rows.div_ceil(first_side).max(1);
    let mut side = rows.div_ceil(block) + 2;
    // The block of a row centred at pixel y is ⌊(y − clip.y) / block⌋ + 1,
    // 0 above the gap and `side − 1` below it: an affine map of the
    // display position, per side.
    let blocks = |axis: &RowAxis| {
        let scale = axis.px_per_row / block as f64;
        let offset = (axis.top as f64 - clip.y as f64 + (0.5 - axis.start) * axis.px_per_row) / block as f64 + 1.0;
        move |p: u32| ((p as f64 * scale + offset).max(0.0) as usize).min(side - 1)
    };
    let ends = [blocks(left), blocks(right)];
    // Counts `pairs`, sorted by their end on side `sorted` (0 left, 1
    // right), in runs that share that end's block, except those whose left
    // end is in `skip_left`.
    let count = |pairs: &[[u32; 2]], sorted: usize, skip_left: Option<&Range<u32>>| -> Vec<u32> {
        let (run_block, other_block) = (&ends[sorted], &ends[1 - sorted]);
        let stride = if sorted == 0 { [side, 1] } else { [1, side] };
        pairs
            .par_chunks(1 << 16)
            .fold(
                || vec![0u32; side * side],
                |mut grid, chunk| {
                    let mut rest = chunk;
                    while let Some(first) = rest.first() {
                        let k = run_block(first[sorted]);
                        let run = rest.partition_point(|p| run_block(p[sorted]) <= k);
                        let base = k * stride[0];
                        for pair in &rest[..run] {
                            if skip_left.is_none_or(|skip| !skip.contains(&pair[0])) {
                                grid[base + other_block(pair[1 - sorted]) * stride[1]] += 1;
                            }
                        }
                        rest = &rest[run..];
                    }
                    grid
                },
            )
            .reduce(
                || vec![0u32; side * side],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            )
    };
    let mut grid = count(shown.by_left, 0, None);
    if shown.by_left.len() < shown.links {
        let from_right = count(shown.by_right, 1, Some(shown.left_shown));
        grid.iter_mut().zip(&from_right).for_each(|(a, b)| *a += b);
    }
    // The two outer blocks stay single; inner blocks merge in pairs.
    while grid.iter().filter(|&&c| c > 0).count() > BAND_BUDGET && side > 3 {
        let inner = side - 2;
        let merged_side = inner.div_ceil(2) + 2;
        let merge = |k: usize| {
            if k == 0 {
                0
            } else if k == side - 1 {
                merged_side - 1
            } else {
                (k - 1) / 2 + 1
            }
        };
        let mut merged = vec![0u32; merged_side * merged_side];
        for a in 0..side {
            for b in 0..side {
                merged[merge(a) * merged_side + merge(b)] += grid[a * side + b];
            }
        }
        grid = merged;
        side = merged_side;
        block *= 2;
    }
    // Widths: the busiest block on either side gets bands summing to its height.
    let mut through = vec![0u64; 2 * side];
    for a in 0..side {
        for b in 0..side {
            let c = grid[a * side + b] as u64;
            through[a] += c;
            through[side + b] += c;
        }
    }
    let busiest = through.iter().copied().max().unwrap_or(1).max(1) as f32;
    let centre = |k: usize| clip.y as f64 + (k as f64 - 0.5) * block as f64;
    let span = |axis: &RowAxis, k: usize, n: usize| -> Range<u32> {
        let y0 = clip.y as f64 + (k as f64 - 1.0) * block as f64;
        let (from, to) = if k == 0 {
            (0.0, axis.at(clip.y as f64))
        } else if k == side - 1 {
            (axis.at(clip.bottom() as f64), n as f64)
        } else {
            (axis.at(y0), axis.at(y0 + block as f64))
        };
        let from = (from - 0.5).ceil().clamp(0.0, n as f64) as u32;
        let to = ((to - 0.5).ceil().clamp(0.0, n as f64) as u32).max(from);
        from..to
    };
    let mut out = Vec::new();
    for a in 0..side {
        for b in 0..side {
            let count = grid[a * side + b];
            if count == 0 {
                continue;
            }
            let leftmost = span(left, a, left.rows);
            let rightmost = span(right, b, right.rows);
            out.push(Connector {
                from: [clip.x, centre(a) as f32],
                to: [clip.right(), centre(b) as f32],
                width: block as f32 * count as f32 / busiest,
                color: color(leftmost.start + (leftmost.end - leftmost.start) / 2),
                clip,
                count,
                gap: 0,
                band: true,
                left: leftmost,
                right: rightmost,
            });
        }
    }
    out
}

/// Marks at `x` for the rows in view among `positions` (display
/// positions, ascending), merged where their pixel rows touch.
fn marks(positions: &[u32], axis: &RowAxis, clip: Rect, x: f32) -> Vec<Fill> {
    let pixels = clip.h.ceil().max(0.0) as usize;
    let shown = axis.centred_within(clip.y as f64, clip.y as f64 + pixels as f64);
    let first = positions.partition_point(|&p| p < shown.start);
    let mut hit = vec![false; pixels];
    for &p in positions[first..].iter().take_while(|&&p| p < shown.end) {
        let y = axis.centre(p) - clip.y as f64;
        if (0.0..pixels as f64).contains(&y) {
            hit[y as usize] = true;
        }
    }
    let grey = Rgba([128, 128, 128, 255]);
    let mut out = Vec::new();
    let mut p = 0;
    while p < pixels {
        if !hit[p] {
            p += 1;
            continue;
        }
        let start = p;
        while p < pixels && hit[p] {
            p += 1;
        }
        let rect = Rect::new(x, clip.y + start as f32, MARK_W, (p - start) as f32);
        out.push(Fill { rect, color: grey });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Labels {
        Labels::from_strings(names.iter().copied())
    }

    #[test]
    fn labels_match_every_duplicate_and_list_the_unmatched() {
        let left = labels(&["a", "b", "a", "c"]);
        let right = labels(&["a", "d", "c"]);
        let links = RowLinks::match_labels(&left, &right);
        assert_eq!(links.pairs, vec![[0, 0], [2, 0], [3, 2]]);
        assert_eq!(links.left_unmatched, vec![1]);
        assert_eq!(links.right_unmatched, vec![1]);
        let none = RowLinks::match_labels(&left, &labels(&["x", "y"]));
        assert!(none.is_empty());
        assert_eq!(none.right_unmatched, vec![0, 1]);
    }

    #[test]
    fn a_following_panel_takes_the_left_order_and_puts_the_unmatched_last() {
        let left = labels(&["a", "b", "c"]);
        let right = labels(&["z", "c", "a", "b"]);
        let links = RowLinks::match_labels(&left, &right);
        // Left shows c, a, b.
        assert_eq!(follow_order(&links, &[2, 0, 1], 4), vec![1, 2, 3, 0]);
    }

    #[test]
    fn curves_end_on_row_centres_and_leave_horizontally() {
        let left = labels(&["a", "b", "c", "d"]);
        let right = labels(&["d", "a"]);
        let links = RowLinks::match_labels(&left, &right);
        let (lp, rp) = (positions(&[0, 1, 2, 3]), positions(&[1, 0]));
        let clip = Rect::new(100.0, 10.0, 50.0, 80.0);
        let l = RowAxis::new(4, Rect::new(0.0, 10.0, 90.0, 80.0), &(0.0..4.0));
        let r = RowAxis::new(2, Rect::new(160.0, 10.0, 90.0, 80.0), &(0.0..2.0));
        let ends = LinkEnds::new(&links, &lp, &rp);
        let drawing = connect(&ends, &l, &r, clip, &ConnectorColor::Fixed(Rgba::BLACK), 1.0);
        assert!(!drawing.bands);
        // Top to bottom on the left: "a" (y 20) goes to the right's first row
        // (y 30), "d" (y 80) to its second (y 70).
        let ends: Vec<_> = drawing.connectors.iter().map(|c| (c.from, c.to)).collect();
        assert_eq!(ends, vec![([100.0, 20.0], [150.0, 30.0]), ([100.0, 80.0], [150.0, 70.0])]);
        let c = &drawing.connectors[0];
        assert_eq!(c.point(0.0), c.from);
        assert_eq!(c.point(1.0), c.to);
        assert_eq!(c.point(0.5), [125.0, 25.0]);
        // Horizontal tangents: the first hundredth moves up far less than across.
        let p = c.point(0.01);
        assert!((p[1] - 20.0) < 0.01 && p[0] - 100.0 > 0.7);
        assert_eq!(c.distance([125.0, 25.0]), 0.0);
        // Rows b and c are unmatched on the left: one run of marks covering their pixel rows.
        assert_eq!(drawing.marks.len(), 2);
        assert_eq!(drawing.marks[0].rect, Rect::new(100.0, 40.0, MARK_W, 1.0));
    }

    #[test]
    fn a_million_links_draw_as_a_bounded_number_of_bands() {
        let n = 1_000_000usize;
        let left: Vec<u32> = (0..n as u32).collect();
        // The right panel shows the rows in a scrambled order.
        let right: Vec<u32> = (0..n as u32).map(|i| i.wrapping_mul(2_654_435_761) % n as u32).collect();
        let links = RowLinks {
            pairs: (0..n as u32).map(|i| [i, i]).collect(),
            left_unmatched: Vec::new(),
            right_unmatched: Vec::new(),
        };
        let clip = Rect::new(500.0, 50.0, 120.0, 800.0);
        let l = RowAxis::new(n, Rect::new(0.0, 50.0, 400.0, 800.0), &(0.0..n as f64));
        let r = RowAxis::new(n, Rect::new(700.0, 50.0, 400.0, 800.0), &(0.0..n as f64));
        let drawing = connect(&LinkEnds::new(&links, &left, &right), &l, &r, clip, &black(), 0.5);
        assert!(drawing.bands);
        assert_eq!(drawing.shown_links, n);
        assert!(drawing.connectors.len() <= BAND_BUDGET, "{} bands", drawing.connectors.len());
        assert_eq!(drawing.connectors.iter().map(|c| c.count as usize).sum::<usize>(), n);
        // Both panels in file order, zoomed in to the same 100 rows: 100 curves, each on its row.
        let l = RowAxis::new(n, Rect::new(0.0, 50.0, 400.0, 800.0), &(1000.0..1100.0));
        let r = RowAxis::new(n, Rect::new(700.0, 50.0, 400.0, 800.0), &(1000.0..1100.0));
        let drawing = connect(&LinkEnds::new(&links, &left, &left), &l, &r, clip, &black(), 0.5);
        assert!(!drawing.bands);
        assert_eq!(drawing.connectors.len(), 100);
        assert_eq!(drawing.connectors[0].from[1], 54.0);
        assert_eq!(drawing.connectors[0].to[1], 54.0);
        assert_eq!(drawing.connectors[0].left, 1000..1001);
    }

    fn black() -> ConnectorColor {
        ConnectorColor::Fixed(Rgba::BLACK)
    }

    /// Random links between two scrambled panels, seen through several
    /// windows: every link with an end in view is counted once, as a
    /// direct check of each link finds, and the bands carry them all.
    #[test]
    fn links_in_view_are_those_with_an_end_in_view() {
        let n = 5_000u32;
        let mut state = 7u64;
        let mut next = move |m: u32| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % m as u64) as u32
        };
        let pairs: Vec<[u32; 2]> = (0..3 * n).map(|_| [next(n), next(n)]).collect();
        let links = RowLinks { pairs, left_unmatched: vec![3, 9], right_unmatched: vec![1] };
        let left: Vec<u32> = (0..n).map(|i| (i * 7919) % n).collect();
        let right: Vec<u32> = (0..n).rev().collect();
        let ends = LinkEnds::new(&links, &left, &right);
        let clip = Rect::new(500.0, 40.0, 100.0, 600.0);
        // The fourth pair puts rows 0 and 600 on the gap's top and bottom edges exactly (both in view).
        let windows = [
            (0.0..5000.0, 0.0..5000.0),
            (100.0..400.0, 2000.0..2900.0),
            (10.5..30.25, 4980.0..5000.0),
            (0.5..600.5, 0.5..600.5),
        ];
        for (lw, rw) in windows {
            let l = RowAxis::new(n as usize, Rect::new(0.0, 40.0, 400.0, 600.0), &lw);
            let r = RowAxis::new(n as usize, Rect::new(700.0, 40.0, 400.0, 600.0), &rw);
            let seen = |axis: &RowAxis, p: u32| (40.0..=640.0).contains(&axis.centre(p));
            let expected =
                links.pairs.iter().filter(|&&[i, j]| seen(&l, left[i as usize]) || seen(&r, right[j as usize])).count();
            let drawing = connect(&ends, &l, &r, clip, &black(), 1.0);
            assert_eq!(drawing.shown_links, expected, "windows {lw:?} and {rw:?}");
            assert_eq!(drawing.connectors.iter().map(|c| c.count as usize).sum::<usize>(), expected);
        }
        // The rows linked to the left panel's first ten positions, on the right.
        let linked: Vec<u32> =
            links.pairs.iter().filter(|&&[i, _]| left[i as usize] < 10).map(|&[_, j]| right[j as usize]).collect();
        let span = ends.linked_span(true, 0..10).unwrap();
        assert_eq!(span, *linked.iter().min().unwrap()..linked.iter().max().unwrap() + 1);
        assert_eq!(ends.unmatched(), [2, 1]);
    }
}
