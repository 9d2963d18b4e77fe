//! What a figure shows, decided without a GPU: colour maps and norms,
//! dendrogram meshes pruned to the pixels, annotation bars, the
//! clustered-heatmap layout, and the scene the renderer draws (or the SVG
//! writer writes).
//!
//! # Files
//! - `colormap.rs`: [`Colormap`] (matplotlib's and seaborn's maps by name,
//!   each its 256-entry table as matplotlib builds it; `_r` reverses; a map
//!   re-centred as seaborn re-centres it), [`Palette`] for categories,
//!   [`Norm`] (vmin, vmax, centre; the extreme of an aggregated cell is the
//!   one farther from the centre), [`ScaleRequest`] (seaborn's vmin, vmax,
//!   center and robust turned into a map and a norm).
//! - `listed.rs`: the maps stored as tables (listed colours, or anchor
//!   colours), written by tests/gen_colormap_tables.py.
//! - `dendrogram.rs`: `TreeGeometry` (per node: stem position, leaf span,
//!   height, cut cluster) and `mesh(view)`: tree-space segments pruned to the
//!   pixels.
//! - `annotation.rs`: annotation tables keyed by label, turned into
//!   categorical or numeric bars in display order, one colour per pixel (the
//!   commonest category, or the mean).
//! - `layout.rs`: [`clustermap`]: the seaborn layout, which labels fit (every
//!   k-th), colour bar ticks, legends. [`PanelRole`] places a panel among
//!   linked ones (no legends, row tree on the right, aligned edges).
//! - `link.rs`: linked panels: `RowLinks` (rows matched by label, every
//!   duplicate pair, the unmatched of each side), the follow order,
//!   `LinkEnds` (the links by display position, sorted by either end), and
//!   `connect`: the connectors of one gap (curves, or bands between
//!   pixel-row blocks) and unmatched-row marks.
//! - `linked.rs`: `linked_clustermap`: panels side by side, connectors in the
//!   gaps, legends and link counts on the far right. Heatmap widths follow
//!   column counts once each panel's trees, bars and labels have room; top
//!   and bottom edges line up.
//! - `scene.rs`: [`Scene`]: what is drawn, in figure pixels (the main
//!   heatmap, linked heatmaps, connectors).
//! - `slices.rs`: an axis split into slices (`Slices`: names, display
//!   ranges, each slice's tree) and `pieces`: the slices in view laid along
//!   a panel's edge, a fixed gap apart, the display-position ↔ pixel map
//!   everything along a split axis goes through.
//! - `text.rs`: the bundled font (DejaVu Sans, `data/fonts/`), text widths
//!   and fitting.
//! - `svg.rs`: a scene as SVG, the heatmap cells as an embedded PNG.
//!
//! # Connectors at scale
//! A gap draws one curve per link with a row in view while the links are no
//! more than the gap's pixel rows. Beyond that, links are counted on a grid
//! of pixel-row blocks: each side's blocks, plus one above and one below the
//! gap for ends out of view. The blocks double in size until at most 256
//! pairs carry links. Each pair is one band from block centre to block
//! centre, as wide as its share of the busiest block (below a pixel: a pixel
//! wide, fainter).
//!
//! Each gap keeps its links by display position sorted twice (`LinkEnds`: by
//! the left end and by the right end, built once per pair of orders). So the
//! links in view are two slices found by binary search: those whose left end
//! is in view, and those whose right end is while their left end is not.
//! The counting is a parallel pass over each slice, in runs that share a
//! block on the sorted side; it also tells whether few enough are in view to
//! draw them one by one. A million links cost at most 256 curves to draw and
//! about 2 ms of CPU to count. Tests: a million scrambled links give ≤ 256
//! bands that carry every link; zoomed to 100 rows they are 100 curves on
//! their rows' centres.
//!
//! # Dendrogram pruning
//! Subtrees (and leaves) narrower than two pixels are drawn as *marks*: each
//! pixel column they cover is filled, in the tree's line colour, from the
//! leaves up to the highest ink the full tree would put there (every stem
//! whose node sits in the column, up to its parent's height, and every
//! crossbar crossing it), so a million-leaf tree draws as what the eye would
//! see if every branch were drawn: the dense body with its true, jagged top,
//! and the branching above. A subtree inside one column reaches the highest
//! merge under it, known per node, so the descent visits only the nodes that
//! straddle a column boundary. Segments are snapped to pixel centres and
//! merged where they overlap on the same pixel line. Marks number at most
//! one per pixel column; wide nodes draw one crossbar and two stems each.
//! Tests: each column's top equals a brute-force drawing of every branch
//! (random, caterpillar and inverted trees, 20 leaves a pixel to 3 pixels a
//! leaf, zoomed in); the count on 200,000-leaf random and caterpillar trees
//! stays within 4 × the leaf-axis pixels (+300).
//!
//! # Figures for a view
//! In a view (the window, the benchmark), the layout reserves the label
//! areas (`fixed_label_area`), so the heatmap keeps its place while labels
//! come and go. The trees are meshed for the visible leaves only (subtrees
//! outside the window skipped, segments clipped). Bars take one colour per
//! pixel over the visible items. Labels are every k-th visible item at
//! multiples of k, so they stay put while panning.

pub mod annotation;
pub mod colormap;
pub mod dendrogram;
pub mod layout;
pub mod link;
pub mod linked;
mod listed;
pub mod scene;
pub mod slices;
pub mod svg;
pub mod text;

pub use colormap::{Colormap, Norm, Palette, Rgba, ScaleError, ScaleRequest};
pub use layout::{AxisSpec, FigureOptions, HeatmapStyle, LabelMode, PanelRole, clustermap};
pub use scene::{Rect, Scene};

/// Which value a heatmap pixel shows when it covers several matrix cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Agg {
    /// The mean of the finite cells.
    Mean,
    /// The value farthest from the colour scale's centre, so a lone outlier
    /// stays visible.
    Extremes,
}
