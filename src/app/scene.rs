//! [`scene`]: a prepared figure laid out at a size, each panel showing
//! its window of the matrix.

use super::prepare::Prepared;
use super::spec::FigureSpec;
use crate::figure::annotation::AnnotationBar;
use crate::figure::linked::{LinkedGap, LinkedPanel, linked_clustermap};
use crate::figure::scene::Scene;
use crate::figure::{AxisSpec, FigureOptions, PanelRole, clustermap};
use crate::render::DataWindow;

/// The scene for `prepared` as `figure` asks, at `size` pixels, each
/// panel's heatmap showing its window in `windows` (the main panel's first;
/// a panel without one shows its whole matrix); `fixed` reserves the label
/// areas (interactive views).
pub fn scene(
    fonts: &mut cosmic_text::FontSystem,
    prepared: &Prepared,
    figure: &FigureSpec,
    windows: &[DataWindow],
    size: [u32; 2],
    fixed: bool,
) -> Scene {
    if figure.bare {
        return Scene::bare(size[0], size[1]);
    }
    let options = FigureOptions {
        width: size[0],
        height: size[1],
        title: figure.title.clone(),
        cbar_label: figure.cbar_label.clone(),
        xlabel: figure.xlabel.clone(),
        ylabel: figure.ylabel.clone(),
        dendrogram_ratio: figure.dendrogram_ratio,
        colors_ratio: figure.colors_ratio,
        tree_linewidth: figure.tree_linewidth,
        font_size: figure.font_size,
        fixed_label_area: fixed,
        panel: PanelRole::ALONE,
        split_gap: figure.split_gap,
    };
    let window = |i: usize, panel: &Prepared| {
        windows.get(i).cloned().unwrap_or_else(|| DataWindow::all(panel.matrix.rows(), panel.matrix.cols()))
    };
    if prepared.linked.is_empty() {
        let (rows, cols) = axes(prepared);
        return clustermap(fonts, &options, &rows, &cols, &prepared.style, &window(0, prepared));
    }
    let panels: Vec<LinkedPanel> = prepared
        .panels()
        .enumerate()
        .map(|(i, panel)| {
            let (rows, cols) = axes(panel);
            let shared = i > 0 && figure.link_shared_scale;
            let names = match i.checked_sub(1).and_then(|k| figure.link_axis_names.get(k)) {
                Some(names) => names.clone(),
                None => [None, None],
            };
            LinkedPanel { rows, cols, style: &panel.style, window: window(i, panel), color_bar: !shared, names }
        })
        .collect();
    let gaps: Vec<LinkedGap> = prepared
        .linked
        .iter()
        .zip(&prepared.connector_colors)
        .map(|(linked, color)| LinkedGap { links: &linked.links, color, alpha: figure.connector_alpha })
        .collect();
    linked_clustermap(fonts, &options, &panels, &gaps)
}

/// A panel's two axes as the layout takes them.
fn axes(prepared: &Prepared) -> (AxisSpec<'_>, AxisSpec<'_>) {
    // A cut's cluster bar is the last of its axis; the tree's branches take its colours.
    let palette = |groups: &Option<Vec<usize>>, bars: &[AnnotationBar]| {
        groups.as_ref().and_then(|_| bars.last()).and_then(AnnotationBar::palette).cloned()
    };
    let rows = AxisSpec {
        labels: prepared.matrix.row_labels(),
        order: &prepared.row_order,
        tree: prepared.row_geometry.as_ref(),
        cut_palette: palette(&prepared.row_groups, &prepared.row_bars),
        bars: &prepared.row_bars,
        label_mode: prepared.label_modes.0,
        marks: &prepared.row_marks,
        slices: prepared.row_slices.as_ref(),
    };
    let cols = AxisSpec {
        labels: prepared.matrix.col_labels(),
        order: &prepared.col_order,
        tree: prepared.col_geometry.as_ref(),
        cut_palette: palette(&prepared.col_groups, &prepared.col_bars),
        bars: &prepared.col_bars,
        label_mode: prepared.label_modes.1,
        marks: &prepared.col_marks,
        slices: prepared.col_slices.as_ref(),
    };
    (rows, cols)
}
