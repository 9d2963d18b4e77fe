//! What a figure shows, decided without a GPU: colour maps and norms,
//! dendrogram meshes pruned to the pixels, annotation bars, the
//! clustered-heatmap layout, and the scene the renderer draws (or the SVG
//! writer writes).

pub mod annotation;
pub mod colormap;
pub mod dendrogram;
pub mod layout;
pub mod link;
pub mod linked;
pub mod scene;
pub mod svg;
pub mod text;

pub use colormap::{Colormap, Norm, Palette, Rgba, ScaleRequest};
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
