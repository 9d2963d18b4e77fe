//! The clustered-heatmap layout (seaborn clustermap's): column dendrogram
//! on top, row dendrogram on the left, annotation bars between each tree
//! and the heatmap, the colour bar in the top-left corner, row labels on the
//! right, column labels below (rotated), legends on the far right.

use cosmic_text::FontSystem;

use super::annotation::{AnnotationBar, BarValues};
use super::colormap::{Colormap, Norm, Palette, Rgba};
use super::dendrogram::{NO_GROUP, TreeGeometry, TreeView};
use std::ops::Range;

use super::scene::{Align, DataWindow, Fill, Gradient, Line, Panel, Rect, Scene, SliceBox, Text, TextKind};
use super::slices::{AxisPiece, Slices, pieces, pixel};
use super::text::{self, LINE_HEIGHT};
use crate::input::Labels;

/// Which labels to show along an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelMode {
    /// As many as fit without overlapping (every k-th), or none.
    Auto,
    /// Every label, the font shrunk to the row (or column) size.
    All,
    None,
    /// Every k-th label (seaborn's integer `yticklabels`), the font shrunk
    /// to k rows (or columns).
    Every(usize),
}

/// Options of the whole figure (seaborn clustermap's vocabulary).
#[derive(Clone, Debug, PartialEq)]
pub struct FigureOptions {
    pub width: u32,
    pub height: u32,
    pub title: Option<String>,
    pub cbar_label: Option<String>,
    /// Names of the column and row axes (matplotlib's xlabel and ylabel):
    /// below the column labels, and beside the row labels read upwards.
    pub xlabel: Option<String>,
    pub ylabel: Option<String>,
    /// Share of the figure's width (height) the row (column) tree takes.
    pub dendrogram_ratio: f32,
    /// Share of the figure's width (height) each annotation bar takes.
    pub colors_ratio: f32,
    /// Width of the trees' branches in pixels.
    pub tree_linewidth: f32,
    /// Size of label text in pixels.
    pub font_size: f32,
    /// Reserve the largest label areas whatever labels are shown, so the
    /// heatmap keeps its place while an interactive view zooms.
    pub fixed_label_area: bool,
    /// Where this figure is one panel of several (linked heatmaps).
    pub panel: PanelRole,
    /// Pixels between the slices of a split axis.
    pub split_gap: f32,
}

/// How a figure sits among linked panels.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelRole {
    /// Draw the legends of the annotation bars (on the panel's right).
    pub legends: bool,
    /// Draw the colour bar (in the top-left corner).
    pub color_bar: bool,
    /// The row tree on the right of the row labels, its root outwards.
    pub row_tree_right: bool,
    /// The heatmap's top edge at least, and its bottom edge at most, these
    /// (pixels), so panels side by side line up.
    pub align: Option<[f32; 2]>,
    /// Only place the heatmap (the scene holds nothing else): for sizing panels.
    pub measure_only: bool,
    /// The widest row labels may be (pixels), instead of a share of the
    /// panel's own width: a narrow panel beside others still shows them.
    pub row_label_room: Option<f32>,
}

impl PanelRole {
    /// A figure of its own.
    pub const ALONE: PanelRole = PanelRole {
        legends: true,
        color_bar: true,
        row_tree_right: false,
        align: None,
        measure_only: false,
        row_label_room: None,
    };
}

/// One axis of the heatmap: labels, display order, tree and bars.
pub struct AxisSpec<'a> {
    pub labels: &'a Labels,
    /// Display position → matrix row (or column).
    pub order: &'a [usize],
    pub tree: Option<&'a TreeGeometry>,
    /// Colours of a cut's clusters (tree groups `1..=k`).
    pub cut_palette: Option<Palette>,
    pub bars: &'a [AnnotationBar],
    pub label_mode: LabelMode,
    /// Marked items (display positions, ascending): their labels replace
    /// the others, spread beside the heatmap and joined to their rows.
    pub marks: &'a [usize],
    /// The slices of a split axis, each drawn apart with its own tree
    /// (`tree` is then `None`).
    pub slices: Option<&'a Slices>,
}

/// The heatmap's colours.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapStyle {
    pub colormap: Colormap,
    pub norm: Norm,
    pub nan_color: Rgba,
}

/// The smallest label font, in pixels, that can be read.
const MIN_LEGIBLE: f32 = 5.0;

/// Length of the line that joins a marked row to its label, in font sizes.
const MARK_RUN: f32 = 2.5;

/// Length of the tick that joins a label shown among fewer than every
/// item to the row or column it names (matplotlib's 3.5 pt, at 100 dpi).
pub const LABEL_TICK: f32 = 5.0;

/// Gap between parts, in pixels.
pub(crate) const PAD: f32 = 8.0;
/// Most categories a legend lists before "+N more".
const LEGEND_ENTRIES: usize = 64;
/// Most columns the legends take.
const LEGEND_COLUMNS: usize = 3;

/// Lays out the whole figure.
pub fn clustermap(
    fonts: &mut FontSystem,
    options: &FigureOptions,
    rows: &AxisSpec,
    cols: &AxisSpec,
    style: &HeatmapStyle,
    window: &DataWindow,
) -> Scene {
    let (w, h) = (options.width as f32, options.height as f32);
    let size = options.font_size;
    let mut scene = Scene::bare(options.width, options.height);
    scene.panels.clear();

    let title_h = options.title.as_ref().map_or(0.0, |_| size * 1.4 * LINE_HEIGHT + PAD);
    let has_tree =
        |axis: &AxisSpec| axis.tree.is_some() || axis.slices.is_some_and(|s| s.trees.iter().any(Option::is_some));
    let row_tree_w = if has_tree(rows) { options.dendrogram_ratio * w } else { 0.0 };
    let col_tree_h = if has_tree(cols) { options.dendrogram_ratio * h } else { 0.0 };
    // Slice titles: a line left of the row slices (read upwards), one above the column slices.
    let title_line = size * LINE_HEIGHT + PAD / 2.0;
    // Row slices' titles read upwards, or written level (ComplexHeatmap's
    // `row_title_rot = 0`) where some would not fit upwards along their
    // slice and level ones fit in a sixth of the width.
    let level_titles = rows.slices.and_then(|s| level_titles_width(fonts, s, size, h * 0.6, w / 6.0));
    let row_titles_w = match (rows.slices, level_titles) {
        (None, _) => 0.0,
        (Some(_), Some(width)) => width + PAD,
        (Some(_), None) => title_line,
    };
    let col_titles_h = if cols.slices.is_some() { title_line } else { 0.0 };
    let row_bar_w = (options.colors_ratio * w).max(4.0);
    let col_bar_h = (options.colors_ratio * h).max(4.0);
    let row_bars_w = rows.bars.len() as f32 * row_bar_w;
    let col_bars_h = cols.bars.len() as f32 * col_bar_h;
    let role = &options.panel;
    // A row tree on the right takes its room there; the left keeps the corner.
    let (left_tree_w, right_tree_w) = if role.row_tree_right { (0.0, row_tree_w) } else { (row_tree_w, 0.0) };
    // The corner holds the colour bar: at least its own size, at most a
    // third of the figure.
    let left = PAD + (row_titles_w + left_tree_w + row_bars_w).max((size * 6.0).min(w / 3.0));
    let top = title_h + PAD + (col_titles_h + col_tree_h + col_bars_h).max((size * 9.0).min(h / 3.0));
    let top = role.align.map_or(top, |a| top.max(a[0]));
    let w = w - right_tree_w;
    // Legends and labels give way before the heatmap does: together they
    // take at most 60% of the width the trees and the corner leave (labels
    // first, the legends wrap), and half of the height.
    let room = ((w - left - PAD) * 0.6, (h - top - PAD) / 2.0);
    let wanted = if role.legends { legends_width(fonts, rows, cols, size) } else { 0.0 };
    // Legends start as high as nothing else stands in their column: under
    // the title, and under a colour bar label (which may run right along
    // its line), where no column bar's name may reach across from beside
    // the column bars; else level with the heatmap.
    let legend_top = if cols.bars.is_empty() && role.align.is_none() {
        let label = if role.color_bar && options.cbar_label.is_some() { size * LINE_HEIGHT + PAD } else { 0.0 };
        (title_h + PAD + label).min(top)
    } else {
        top
    };
    // Legends taller than the figure go on in more columns, as many as
    // half the room holds.
    let legend_height = h - legend_top - PAD;
    let most = if wanted > 0.0 { (room.0 / 2.0 / wanted).floor() as usize } else { 1 };
    let legend_cols = if wanted > 0.0 {
        legend_columns(fonts, rows, cols, size, wanted, legend_height, most.min(LEGEND_COLUMNS))
    } else {
        1
    };
    let legend_w = legend_room(wanted * legend_cols as f32, room.0 / 2.0, size);
    let max_row_label_w = role.row_label_room.unwrap_or((0.3 * w).min(room.0 - legend_w));
    let max_col_label_h = (0.25 * h).min(room.1);

    // Label areas depend on which labels fit, which depends on the heatmap
    // size: estimate with no label areas, then settle (three rounds: each
    // area changes the other's labels).
    let label_extent = |axis: &AxisSpec, shown: &Shown, fonts: &mut FontSystem, cap: f32| -> f32 {
        let widest = shown.positions.iter().map(|&p| text::width(fonts, &axis.labels.get(axis.order[p]), shown.size));
        let widest = widest.fold(0.0, f32::max);
        let joint = if axis.marks.is_empty() { LABEL_TICK } else { MARK_RUN * shown.size.max(MIN_LEGIBLE) };
        if widest > 0.0 { widest.min(cap).ceil() + PAD + joint } else { 0.0 }
    };
    // Column labels written level take one line below the heatmap.
    let level_extent = |shown: &Shown| shown.size * LINE_HEIGHT + PAD + LABEL_TICK;
    // The axes' names take a line each, outside the labels.
    let name_line = size * LINE_HEIGHT + PAD / 2.0;
    let xlabel_h = if options.xlabel.is_some() { name_line } else { 0.0 };
    // A tree beside the name (a linked panel's, on the right) keeps a gap from it.
    let ylabel_w = match options.ylabel {
        Some(_) if role.row_tree_right => name_line + PAD,
        Some(_) => name_line,
        None => 0.0,
    };
    let (mut row_label_w, mut col_label_h) = (0.0, 0.0);
    for _ in 0..3 {
        (row_label_w, col_label_h) = if options.fixed_label_area {
            let reserve =
                |axis: &AxisSpec, cap: f32| if axis.label_mode == LabelMode::None { 0.0 } else { cap * 0.6 + PAD };
            (reserve(rows, max_row_label_w), reserve(cols, max_col_label_h))
        } else {
            let extent = (w - left - PAD - legend_w - ylabel_w - row_label_w, h - top - PAD - xlabel_h - col_label_h);
            let row_shown = shown_labels(rows, &window.rows, extent.1, size);
            let col_shown = shown_labels(cols, &window.cols, extent.0, size);
            let bar_names = bar_names_extent(fonts, rows.bars, size);
            let px_per_col = extent.0 as f64 / (window.cols.end - window.cols.start);
            let col_extent = if labels_fit_level(fonts, cols, &col_shown, px_per_col) {
                level_extent(&col_shown)
            } else {
                label_extent(cols, &col_shown, fonts, max_col_label_h)
            };
            (label_extent(rows, &row_shown, fonts, max_row_label_w), col_extent.max(bar_names.min(max_col_label_h)))
        };
    }

    let bottom = h - PAD - xlabel_h - col_label_h;
    let bottom = role.align.map_or(bottom, |a| bottom.min(a[1]));
    let heatmap = Rect::new(left, top, w - left - PAD - legend_w - ylabel_w - row_label_w, bottom - top);
    scene.heatmap = heatmap;
    scene.panels.push(Panel { name: "heatmap".into(), rect: heatmap });
    if role.measure_only {
        return scene;
    }

    // The slices in view (one piece an axis that is not split).
    let row_pieces = pieces(rows.slices, &window.rows, heatmap.y, heatmap.h, options.split_gap);
    let col_pieces = pieces(cols.slices, &window.cols, heatmap.x, heatmap.w, options.split_gap);
    if rows.slices.is_some() || cols.slices.is_some() {
        for r in &row_pieces {
            for c in &col_pieces {
                let window = DataWindow { rows: r.visible.clone(), cols: c.visible.clone() };
                scene.pieces.push((Rect::new(c.start, r.start, c.extent, r.extent), window));
            }
        }
    }

    // Trees.
    if row_tree_w > 0.0 {
        let rect = if role.row_tree_right {
            Rect::new(heatmap.right() + row_label_w + ylabel_w, heatmap.y, row_tree_w - PAD, heatmap.h)
        } else {
            Rect::new(PAD + row_titles_w, heatmap.y, row_tree_w - PAD, heatmap.h)
        };
        let side = if role.row_tree_right { TreeSide::Right } else { TreeSide::Left };
        for (tree, piece, visible, max) in trees_along(rows, &row_pieces) {
            let part = Rect::new(rect.x, piece.start, rect.w, piece.extent);
            draw_tree(&mut scene, tree, rows, part, &visible, side, options.tree_linewidth, max);
        }
        scene.panels.push(Panel { name: "row_dendrogram".into(), rect });
    }
    if col_tree_h > 0.0 {
        let rect = Rect::new(heatmap.x, top - col_bars_h - col_tree_h, heatmap.w, col_tree_h - PAD);
        for (tree, piece, visible, max) in trees_along(cols, &col_pieces) {
            let part = Rect::new(piece.start, rect.y, piece.extent, rect.h);
            draw_tree(&mut scene, tree, cols, part, &visible, TreeSide::Top, options.tree_linewidth, max);
        }
        scene.panels.push(Panel { name: "col_dendrogram".into(), rect });
    }
    // Slice titles: read upwards left of the row slices, level above the column slices.
    if let Some(slices) = rows.slices {
        match level_titles {
            Some(width) => {
                let x = PAD + width;
                slice_titles(&mut scene, fonts, slices, &row_pieces, x, size, TitleWay::Level(width));
            }
            None => {
                let x = PAD + row_titles_w / 2.0;
                slice_titles(&mut scene, fonts, slices, &row_pieces, x, size, TitleWay::Upwards);
            }
        }
    }
    if let Some(slices) = cols.slices {
        let y = top - col_bars_h - col_tree_h - col_titles_h / 2.0;
        slice_titles(&mut scene, fonts, slices, &col_pieces, y, size, TitleWay::Across);
    }
    for (slices, pieces, rows) in [(rows.slices, &row_pieces, true), (cols.slices, &col_pieces, false)] {
        let Some(slices) = slices else { continue };
        for piece in pieces.iter().filter(|piece| slices.holds(piece)) {
            let bounds = &slices.bounds[piece.slice];
            let rect = if rows {
                Rect::new(heatmap.x, piece.start, heatmap.w, piece.extent)
            } else {
                Rect::new(piece.start, heatmap.y, piece.extent, heatmap.h)
            };
            scene.slices.push(SliceBox {
                axis: if rows { "rows" } else { "cols" },
                name: slices.names[piece.slice].clone(),
                first: bounds.start,
                last: bounds.end - 1,
                rect,
            });
        }
    }
    // Annotation bars, the nearest to the heatmap last in the list.
    // The row bars' names, below them and read upwards: smaller than the
    // labels where the bars are narrow, so that neighbours do not touch;
    // none (each noted) where that is too small to read.
    let name_size = (size * 0.9).min((row_bar_w - 1.0) / LINE_HEIGHT);
    let bar_names = col_label_h > 0.0 && name_size >= MIN_LEGIBLE;
    for (i, bar) in rows.bars.iter().enumerate() {
        let x = heatmap.x - row_bars_w + i as f32 * row_bar_w;
        let rect = Rect::new(x, heatmap.y, row_bar_w - 1.0, heatmap.h);
        for piece in &row_pieces {
            draw_bar(&mut scene, bar, Rect::new(x, piece.start, rect.w, piece.extent), &piece.visible, true);
        }
        scene.panels.push(Panel { name: format!("row_colors:{}", bar.name), rect });
        // Its name below it, read upwards like the column labels (as seaborn does).
        if !bar_names {
            scene.shortened.push(format!("{}: {} (no room for it)", TextKind::BarName.name(), bar.name));
        } else {
            let name = fit_noting(fonts, &mut scene, TextKind::BarName, &bar.name, name_size, col_label_h - PAD + 0.5);
            let at = [x + row_bar_w / 2.0, heatmap.bottom() + PAD / 2.0];
            scene.texts.push(Text {
                text: name,
                at,
                size: name_size,
                align: Align::End,
                rotated: true,
                color: Rgba::BLACK,
                kind: TextKind::BarName,
            });
        }
    }
    for (i, bar) in cols.bars.iter().enumerate() {
        let y = heatmap.y - col_bars_h + i as f32 * col_bar_h;
        let rect = Rect::new(heatmap.x, y, heatmap.w, col_bar_h - 1.0);
        for piece in &col_pieces {
            draw_bar(&mut scene, bar, Rect::new(piece.start, y, piece.extent, rect.h), &piece.visible, false);
        }
        scene.panels.push(Panel { name: format!("col_colors:{}", bar.name), rect });
    }
    // Labels, at one scale across the slices' gaps.
    let cells_extent =
        |pieces: &[AxisPiece], visible: &Range<f64>| (pieces[0].px_per_item() * (visible.end - visible.start)) as f32;
    let mut row_shown = shown_labels(rows, &window.rows, cells_extent(&row_pieces, &window.rows), size);
    let mut col_shown = shown_labels(cols, &window.cols, cells_extent(&col_pieces, &window.cols), size);
    // Every label asked for, on more items than lines fit: too small to read.
    for (axis, shown, kind) in [(rows, &row_shown, TextKind::RowLabel), (cols, &col_shown, TextKind::ColLabel)] {
        let which = match axis.label_mode {
            LabelMode::All => "all",
            LabelMode::Every(step) => &format!("every {step}th of the"),
            LabelMode::Auto | LabelMode::None => continue,
        };
        if !shown.positions.is_empty() && shown.size < MIN_LEGIBLE {
            scene.shortened.push(format!(
                "{}: {which} {} labels at {:.1} px, too small to read (use auto labels, or a larger figure)",
                kind.name(),
                shown.positions.len(),
                shown.size
            ));
        }
    }
    // A tick joins each label to its row or column where labels are shown
    // for only some of the items in view.
    let in_view = |window: &Range<f64>, n: usize| items_in_view(window, n).len();
    let row_ticks = row_shown.positions.len() < in_view(&window.rows, rows.order.len());
    // Display position → pixel centre, through the slices.
    let row_y = |p: usize| pixel(&row_pieces, p as f64 + 0.5).unwrap_or(f64::NAN);
    let col_x = |p: usize| pixel(&col_pieces, p as f64 + 0.5).unwrap_or(f64::NAN);
    let row_centre = |p: usize| row_y(p) as f32;
    // The column bars' names, level on their right (as seaborn writes
    // them), as high as a bar. Where the first row label reaches up beside
    // them, it gives way: that happens only where labels are shown for
    // every few rows (a label shown for each row is no taller than its row).
    let col_name_size = (size * 0.9).min((col_bar_h - 1.0) / LINE_HEIGHT);
    let names_bottom = heatmap.y - 1.0 - (col_bar_h - 1.0 - col_name_size * LINE_HEIGHT) / 2.0;
    let clash = |shown: &Shown| {
        let top = shown.positions.first().map(|&p| row_centre(p) - shown.size * LINE_HEIGHT / 2.0);
        !cols.bars.is_empty() && rows.marks.is_empty() && top.is_some_and(|top| names_bottom > top)
    };
    if clash(&row_shown) && row_shown.positions.len() < in_view(&window.rows, rows.order.len()) {
        row_shown.positions.remove(0);
    }
    let names_x = heatmap.right() + PAD / 2.0;
    let col_names_room = w - names_x - PAD / 2.0;
    for (i, bar) in cols.bars.iter().enumerate() {
        if col_name_size < MIN_LEGIBLE || col_names_room < 2.0 * col_name_size {
            scene.shortened.push(format!("{}: {} (no room for it)", TextKind::BarName.name(), bar.name));
            continue;
        }
        let name = fit_noting(fonts, &mut scene, TextKind::BarName, &bar.name, col_name_size, col_names_room);
        let y = heatmap.y - col_bars_h + i as f32 * col_bar_h + (col_bar_h - 1.0) / 2.0;
        scene.texts.push(Text {
            text: name,
            at: [names_x, y],
            size: col_name_size,
            align: Align::Start,
            rotated: false,
            color: Rgba::BLACK,
            kind: TextKind::BarName,
        });
    }
    if !rows.marks.is_empty() {
        let (start, extent) = (heatmap.y, heatmap.h);
        let side = MarkSide { rows: true, start, extent, edge: heatmap.right(), room: row_label_w };
        draw_marks(&mut scene, fonts, rows, &row_shown.positions, row_centre, side, size);
    }
    for &p in row_shown.positions.iter().filter(|_| rows.marks.is_empty()) {
        let label = rows.labels.get(rows.order[p]);
        let room = row_label_w - PAD - LABEL_TICK + 0.5;
        let label = fit_noting(fonts, &mut scene, TextKind::RowLabel, &label, row_shown.size, room);
        let y = row_y(p);
        if row_ticks {
            let (from, to) = ([heatmap.right(), y as f32], [heatmap.right() + LABEL_TICK, y as f32]);
            scene.lines.push(Line { from, to, width: 1.0, color: Rgba::BLACK });
        }
        let at = [heatmap.right() + LABEL_TICK + PAD / 2.0, y as f32];
        scene.texts.push(Text {
            text: label,
            at,
            size: row_shown.size,
            align: Align::Start,
            rotated: false,
            color: Rgba::BLACK,
            kind: TextKind::RowLabel,
        });
    }
    let px_per_col = col_pieces[0].px_per_item();
    // Written level where every one fits beside its neighbours (as seaborn
    // does), otherwise read upwards; always upwards in an interactive view
    // (reserved areas), so labels do not turn as it zooms, nor are they
    // measured every frame.
    let level = !options.fixed_label_area && labels_fit_level(fonts, cols, &col_shown, px_per_col);
    // A column label that would run into the row bars' names (beside it,
    // read upwards) is left out, and said so: a level label by its left
    // end, an upward one by its line's half height.
    let names_end = if !rows.bars.is_empty() && bar_names {
        let half_line = if level { 0.0 } else { col_shown.size * LINE_HEIGHT / 2.0 };
        (heatmap.x - row_bar_w / 2.0 + name_size * LINE_HEIGHT / 2.0 + half_line) as f64
    } else {
        f64::NEG_INFINITY
    };
    let half_width = |fonts: &mut FontSystem, p: usize| {
        if level { text::width(fonts, &cols.labels.get(cols.order[p]), col_shown.size) as f64 / 2.0 } else { 0.0 }
    };
    let before = col_shown.positions.len();
    col_shown.positions.retain(|&p| col_x(p) - half_width(fonts, p) >= names_end);
    // Where only some labels are shown anyway, one fewer goes unsaid.
    if col_shown.positions.len() < before && before == in_view(&window.cols, cols.order.len()) {
        scene.shortened.push(format!(
            "{}: {} left out where it would run into the row bars' names (widen the figure)",
            TextKind::ColLabel.name(),
            before - col_shown.positions.len()
        ));
    }
    // Nor one that would run into the lowest row label, where that reaches
    // below the heatmap.
    let lowest = row_shown.positions.last().map(|&p| row_y(p) + (row_shown.size * LINE_HEIGHT / 2.0) as f64);
    if lowest.is_some_and(|y| y > (heatmap.bottom() + PAD / 2.0) as f64) && row_label_w > 0.0 {
        let limit = (heatmap.right() + PAD / 2.0) as f64;
        let reach = |fonts: &mut FontSystem, p: usize| {
            if level { half_width(fonts, p) } else { (col_shown.size * LINE_HEIGHT / 2.0) as f64 }
        };
        col_shown.positions.retain(|&p| col_x(p) + reach(fonts, p) <= limit);
    }
    if !cols.marks.is_empty() {
        // Marked columns below the heatmap, clear of the row bars' names.
        let col_centre = |p: usize| col_x(p) as f32;
        let start = if bar_names && !rows.bars.is_empty() {
            names_end as f32 - col_shown.size * LINE_HEIGHT / 2.0
        } else {
            heatmap.x
        };
        let (start, extent) = (start.max(heatmap.x), heatmap.right() - start.max(heatmap.x));
        let side = MarkSide { rows: false, start, extent, edge: heatmap.bottom(), room: col_label_h };
        draw_marks(&mut scene, fonts, cols, &col_shown.positions, col_centre, side, size);
        col_shown.positions.clear();
    }
    let col_ticks = col_shown.positions.len() < in_view(&window.cols, cols.order.len());
    for &p in &col_shown.positions {
        let label = cols.labels.get(cols.order[p]);
        // Level labels were measured to fit beside each other already.
        let room = if level { w } else { col_label_h - PAD - LABEL_TICK + 0.5 };
        let label = fit_noting(fonts, &mut scene, TextKind::ColLabel, &label, col_shown.size, room);
        let x = col_x(p);
        if col_ticks {
            let (from, to) = ([x as f32, heatmap.bottom()], [x as f32, heatmap.bottom() + LABEL_TICK]);
            scene.lines.push(Line { from, to, width: 1.0, color: Rgba::BLACK });
        }
        let (at, align) = if level {
            let y = heatmap.bottom() + LABEL_TICK + PAD / 2.0 + col_shown.size * LINE_HEIGHT / 2.0;
            ([x as f32, y], Align::Middle)
        } else {
            ([x as f32, heatmap.bottom() + LABEL_TICK + PAD / 2.0], Align::End)
        };
        scene.texts.push(Text {
            text: label,
            at,
            size: col_shown.size,
            align,
            rotated: !level,
            color: Rgba::BLACK,
            kind: TextKind::ColLabel,
        });
    }
    // The axes' names, centred on the heatmap.
    let names = [(&options.xlabel, false, heatmap.w), (&options.ylabel, true, heatmap.h)];
    for (name, rotated, room) in names {
        let Some(name) = name else { continue };
        let text = fit_noting(fonts, &mut scene, TextKind::AxisName, name, size, room);
        let at = if rotated {
            [heatmap.right() + row_label_w + name_line / 2.0, heatmap.y + heatmap.h / 2.0]
        } else {
            [heatmap.x + heatmap.w / 2.0, heatmap.bottom() + col_label_h + xlabel_h / 2.0]
        };
        let kind = TextKind::AxisName;
        scene.texts.push(Text { text, at, size, align: Align::Middle, rotated, color: Rgba::BLACK, kind });
    }
    scene.shown_rows = row_shown.positions;
    scene.shown_cols = col_shown.positions;
    scene.row_pieces = row_pieces;
    scene.col_pieces = col_pieces;
    if row_label_w > 0.0 {
        let rect = Rect::new(heatmap.right(), heatmap.y, row_label_w, heatmap.h);
        scene.panels.push(Panel { name: "row_labels".into(), rect });
    }
    if col_label_h > 0.0 {
        let rect = Rect::new(heatmap.x, heatmap.bottom(), heatmap.w, col_label_h);
        scene.panels.push(Panel { name: "col_labels".into(), rect });
    }
    // Title, colour bar, legends.
    if let Some(title) = &options.title {
        // Over the heatmap, moved in as far as it must to stay in the figure.
        let title = fit_noting(fonts, &mut scene, TextKind::Title, title, size * 1.4, w - 2.0 * PAD);
        let half = text::width(fonts, &title, size * 1.4) / 2.0;
        let x = (heatmap.x + heatmap.w / 2.0).min(w - PAD - half).max(PAD + half);
        scene.texts.push(Text {
            text: title,
            at: [x, PAD + size * 1.4 * LINE_HEIGHT / 2.0],
            size: size * 1.4,
            align: Align::Middle,
            rotated: false,
            color: Rgba::BLACK,
            kind: TextKind::Title,
        });
    }
    if role.color_bar {
        let corner = Rect::new(PAD, title_h + PAD, left - 2.0 * PAD, top - title_h - 2.0 * PAD);
        // Its label may run on right of the corner where the column tree,
        // bars and slice titles start below its line.
        let above_cols = top - col_bars_h - col_tree_h - col_titles_h;
        let label_room = if corner.y + size * LINE_HEIGHT <= above_cols { w - PAD - corner.x } else { corner.w };
        let label = options.cbar_label.as_deref().map(|text| (text, label_room));
        color_bar(&mut scene, fonts, corner, &style.colormap, &style.norm, label, size);
    }
    if role.legends {
        let area = Rect::new(w - legend_w, legend_top, legend_w, if legend_w > 0.0 { legend_height } else { 0.0 });
        let _ = legends(&mut scene, fonts, area, rows, cols, size, legend_cols);
    }
    scene
}

/// Where a tree sits beside the heatmap.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TreeSide {
    Left,
    Right,
    Top,
}

/// Labels to draw along an axis and their font size.
struct Shown {
    positions: Vec<usize>,
    size: f32,
}

/// Every k-th label, k the smallest step at which lines do not overlap
/// (seaborn's "auto"); all of them with `All`, at a font that fits. Only
/// items inside `visible` (display positions, fractional) are listed; the
/// steps are multiples of k, so labels stay put while the view pans.
fn shown_labels(axis: &AxisSpec, visible: &Range<f64>, extent: f32, size: f32) -> Shown {
    let n = axis.order.len();
    let span = (visible.end - visible.start).max(f64::MIN_POSITIVE);
    let px_per_item = (extent as f64 / span) as f32;
    let range = items_in_view(visible, n);
    if !axis.marks.is_empty() {
        // Marked items only, as many as are in view, spread apart when
        // drawn, at the size they are drawn at (see `draw_marks`).
        let positions: Vec<usize> = axis.marks.iter().copied().filter(|p| range.contains(p)).collect();
        let size = mark_size(size, extent, positions.len());
        return Shown { positions, size };
    }
    match axis.label_mode {
        LabelMode::None => Shown { positions: Vec::new(), size },
        LabelMode::All => Shown { positions: range.collect(), size: size.min(px_per_item / LINE_HEIGHT).max(1.0) },
        LabelMode::Every(step) => {
            let step = step.max(1);
            let start = range.start.div_ceil(step) * step;
            let room = px_per_item * step as f32 / LINE_HEIGHT;
            Shown { positions: (start..range.end).step_by(step).collect(), size: size.min(room).max(1.0) }
        }
        LabelMode::Auto => {
            let step = (size * LINE_HEIGHT / px_per_item).ceil().max(1.0) as usize;
            let start = range.start.div_ceil(step) * step;
            let positions: Vec<usize> = (start..range.end).step_by(step).collect();
            // One label among very many says nothing: show none rather than a lone one.
            let positions = if positions.len() >= 2 || step == 1 { positions } else { Vec::new() };
            Shown { positions, size }
        }
    }
}

/// Whether the column labels `shown` can be written level, each centred
/// on its column without touching its neighbours (matplotlib's tick
/// labels, which seaborn turns upright only when they overlap). Marked
/// columns' labels are always read upwards.
fn labels_fit_level(fonts: &mut FontSystem, axis: &AxisSpec, shown: &Shown, px_per_item: f64) -> bool {
    if !axis.marks.is_empty() || shown.positions.is_empty() {
        return false;
    }
    let gap = (shown.size * 0.5) as f64;
    let mut width = |p: usize| text::width(fonts, &axis.labels.get(axis.order[p]), shown.size) as f64;
    let mut previous = width(shown.positions[0]);
    for pair in shown.positions.windows(2) {
        let next = width(pair[1]);
        if (previous + next) / 2.0 + gap > (pair[1] - pair[0]) as f64 * px_per_item {
            return false;
        }
        previous = next;
    }
    true
}

/// The font of `n` marked items' labels spread over `extent` pixels: the
/// labels' own `size`, smaller to fit them all, but never below a size
/// that can be read.
fn mark_size(size: f32, extent: f32, n: usize) -> f32 {
    size.min(extent / n.max(1) as f32 / LINE_HEIGHT).max(size.min(MIN_LEGIBLE))
}

/// The items of `n` whose centre is in `visible` (display positions,
/// fractional; an item on its end counts).
pub fn items_in_view(visible: &Range<f64>, n: usize) -> Range<usize> {
    let first = (visible.start - 0.5).ceil().max(0.0) as usize;
    let last = ((visible.end - 0.5).floor().max(-1.0) + 1.0).min(n as f64) as usize;
    first..last.max(first)
}

/// Where marked items' labels go: beside the heatmap's `edge` (its right
/// edge for rows, its bottom for columns), spread over `start .. start +
/// extent` along it, in `room` pixels across.
struct MarkSide {
    rows: bool,
    start: f32,
    extent: f32,
    edge: f32,
    room: f32,
}

/// The marked items `shown` (display positions, ascending) beside the
/// heatmap: each label level with its item where it can be, moved apart
/// just enough that none overlaps the next (ComplexHeatmap's `anno_mark`),
/// and joined to its item (its centre at `centre(p)`) by a line that bends
/// between them. Labels shrink when the side cannot hold them all; below a
/// legible size that is noted.
fn draw_marks(
    scene: &mut Scene,
    fonts: &mut FontSystem,
    axis: &AxisSpec,
    shown: &[usize],
    centre: impl Fn(usize) -> f32,
    side: MarkSide,
    size: f32,
) {
    let n = shown.len();
    if n == 0 {
        return;
    }
    let kind = if side.rows { TextKind::RowLabel } else { TextKind::ColLabel };
    let what = if side.rows { "rows" } else { "columns" };
    // Smaller to fit them all, but never below a size that can be read:
    // then as many as fit, spread evenly over those marked.
    let size = mark_size(size, side.extent, n);
    let fit = (side.extent / (size * LINE_HEIGHT)).floor();
    if fit.is_nan() || fit < 1.0 {
        // No room at all (a figure a few pixels high): none drawn, said once.
        scene.shortened.push(format!("{}: {n} marked {what} (no room for their labels)", kind.name()));
        return;
    }
    let thinned: Vec<usize>;
    let shown = if (fit as usize) < n {
        let fit = fit as usize;
        scene.shortened.push(format!(
            "{}: {} of {n} marked {what} not labelled (no room for them; a larger figure or a zoom shows them)",
            kind.name(),
            n - fit
        ));
        thinned = (0..fit).map(|i| shown[i * n / fit]).collect();
        &thinned[..]
    } else {
        shown
    };
    let n = shown.len();
    let line = size * LINE_HEIGHT;
    let targets: Vec<f32> = shown.iter().map(|&p| centre(p)).collect();
    let (first, last) = (side.start + line / 2.0, side.start + side.extent - line / 2.0);
    // Forward from the start, each at least a line past the last; then
    // back from the end, each at least a line before the next.
    let mut at: Vec<f32> = Vec::with_capacity(n);
    for &t in &targets {
        let lowest = at.last().map_or(first, |&y| y + line);
        at.push(t.clamp(first, last.max(first)).max(lowest));
    }
    let mut highest = last.max(first);
    for y in at.iter_mut().rev() {
        *y = y.min(highest);
        highest = *y - line;
    }
    let run = MARK_RUN * size.max(MIN_LEGIBLE);
    let grey = Rgba([64, 64, 64, 255]);
    // Along the item axis `u`, away from the heatmap `v`, to figure pixels.
    let place = |u: f32, v: f32| if side.rows { [side.edge + v, u] } else { [u, side.edge + v] };
    for ((&p, &target), &u) in shown.iter().zip(&targets).zip(&at) {
        let points = [place(target, 0.0), place(target, run * 0.25), place(u, run * 0.75), place(u, run)];
        for pair in points.windows(2) {
            scene.lines.push(Line { from: pair[0], to: pair[1], width: 1.0, color: grey });
        }
        let label = axis.labels.get(axis.order[p]);
        let text = fit_noting(fonts, scene, kind, &label, size, side.room - PAD - run + 0.5);
        let (align, rotated) = if side.rows { (Align::Start, false) } else { (Align::End, true) };
        let at = place(u, run + PAD / 2.0);
        let (anchor, label) = (points[0], scene.texts.len());
        scene.texts.push(Text { text, at, size, align, rotated, color: Rgba::BLACK, kind });
        scene.marks.push(super::scene::Mark {
            rows: side.rows,
            position: p,
            at: target,
            label_at: u,
            anchor,
            text: label,
        });
    }
}

/// The trees' line colour: seaborn's, a dark grey (0.2, 0.2, 0.2).
pub const TREE_COLOR: Rgba = Rgba([51, 51, 51, 255]);

/// A tree in `rect`, growing away from the heatmap on its `side`. `visible`
/// is the part of the leaves (display positions) the heatmap shows;
/// segments are clipped to the panel. Branches are `linewidth` pixels
/// wide; the marks standing for dense subtrees fill one pixel column each.
#[allow(clippy::too_many_arguments)]
fn draw_tree(
    scene: &mut Scene,
    tree: &TreeGeometry,
    axis: &AxisSpec,
    rect: Rect,
    visible: &Range<f64>,
    side: TreeSide,
    linewidth: f32,
    max_height: f64,
) {
    let rows = side != TreeSide::Top;
    let (leaf_extent, height_extent) = if rows { (rect.h, rect.w) } else { (rect.w, rect.h) };
    let view = scaled_tree_view(rect, visible, rows, max_height);
    for s in tree.mesh(&view) {
        // Clip along the leaves to the panel.
        let (u0, u1) = (s.u0.min(s.u1).max(0.0), s.u0.max(s.u1).min(leaf_extent));
        if u1 < u0 || (s.u0 == s.u1 && !(0.0..leaf_extent).contains(&s.u0)) {
            continue;
        }
        let (u0, u1) = if s.u0 <= s.u1 { (u0, u1) } else { (u1, u0) };
        let color = match (&axis.cut_palette, s.group) {
            (Some(palette), g) if g != NO_GROUP => palette.color(g as usize - 1),
            _ => TREE_COLOR,
        };
        // Tree space → figure pixels: v = 0 at the edge facing the heatmap.
        let place = |u: f32, v: f32| match side {
            TreeSide::Left => [rect.right() - v, rect.y + u],
            TreeSide::Right => [rect.x + v, rect.y + u],
            TreeSide::Top => [rect.x + u, rect.bottom() - v],
        };
        let width = if s.mark { 1.0 } else { linewidth };
        // A line is drawn with square caps: half its width beyond its ends
        // too. Its ends move in by that much, so that it stays inside the panel.
        let half = width / 2.0;
        let inside = |x: f32, extent: f32| x.clamp(half.min(extent / 2.0), (extent - half).max(extent / 2.0));
        let (u0, u1) = (inside(u0, leaf_extent), inside(u1, leaf_extent));
        let (v0, v1) = (inside(s.v0, height_extent), inside(s.v1, height_extent));
        scene.lines.push(Line { from: place(u0, v0), to: place(u1, v1), width, color });
    }
}

/// How a tree drawn in `rect` (showing leaves `visible`) maps to pixels:
/// `u` from the panel's top (rows) or left (columns) edge, `v` from the
/// edge facing the heatmap.
pub fn tree_view(tree: &TreeGeometry, rect: Rect, visible: &Range<f64>, rows: bool) -> TreeView {
    scaled_tree_view(rect, visible, rows, tree.max_height())
}

/// [`tree_view`] with the height `max` reaching across the panel (the
/// highest of several trees drawn side by side).
fn scaled_tree_view(rect: Rect, visible: &Range<f64>, rows: bool, max: f64) -> TreeView {
    let (leaf_extent, height_extent) = if rows { (rect.h, rect.w) } else { (rect.w, rect.h) };
    let px_per_leaf = leaf_extent as f64 / (visible.end - visible.start);
    TreeView {
        leaf_origin: -visible.start * px_per_leaf,
        px_per_leaf,
        visible: 0.0..leaf_extent as f64,
        px_per_height: if max > 0.0 { (height_extent - 1.0) as f64 / max } else { 0.0 },
    }
}

/// The trees to draw along an axis: each with the piece it is drawn in,
/// the part of its leaves in view and the height at the panel's far edge.
fn trees_along<'a>(
    axis: &AxisSpec<'a>,
    pieces: &'a [AxisPiece],
) -> Vec<(&'a TreeGeometry, &'a AxisPiece, Range<f64>, f64)> {
    match (axis.slices, axis.tree) {
        (Some(slices), _) => {
            let max = slices.max_height();
            pieces
                .iter()
                .filter(|piece| slices.holds(piece))
                .filter_map(|piece| {
                    let tree = slices.trees[piece.slice].as_ref()?;
                    let first = slices.bounds[piece.slice].start as f64;
                    Some((tree, piece, piece.visible.start - first..piece.visible.end - first, max))
                })
                .collect()
        }
        (None, Some(tree)) => pieces.iter().map(|p| (tree, p, p.visible.clone(), tree.max_height())).collect(),
        (None, None) => Vec::new(),
    }
}

/// How slice titles are written.
#[derive(Clone, Copy, PartialEq)]
enum TitleWay {
    /// Row slices' titles read upwards, centred on `across`.
    Upwards,
    /// Row slices' titles level, ending at `across`, in this many pixels.
    Level(f32),
    /// Column slices' titles, level, centred on their slice at height `across`.
    Across,
}

/// The width level row slice titles need, when some would not fit read
/// upwards along their slice (slices `extent` pixels tall in all, roughly)
/// and all fit level in `most` pixels; else `None`.
fn level_titles_width(fonts: &mut FontSystem, slices: &Slices, size: f32, extent: f32, most: f32) -> Option<f32> {
    let n = slices.bounds.last().map_or(0, |b| b.end).max(1) as f32;
    let widths: Vec<(f32, f32)> = slices
        .names
        .iter()
        .zip(&slices.bounds)
        .map(|(name, b)| (text::width(fonts, name, size), b.len() as f32 / n * extent))
        .collect();
    let cut_upwards = widths.iter().any(|&(width, tall)| tall >= size * LINE_HEIGHT && width > tall - 2.0);
    let widest = widths.iter().map(|w| w.0).fold(0.0, f32::max).ceil();
    (cut_upwards && widest <= most).then_some(widest)
}

/// Each slice's title on its piece, at `across` as `way` says; titles
/// longer than their room are shortened, and slices too thin for a line
/// of text go without (noted once).
fn slice_titles(
    scene: &mut Scene,
    fonts: &mut FontSystem,
    slices: &Slices,
    pieces: &[AxisPiece],
    across: f32,
    size: f32,
    way: TitleWay,
) {
    let mut untitled = 0;
    for piece in pieces.iter().filter(|piece| slices.holds(piece)) {
        let name = &slices.names[piece.slice];
        // A title along its slice needs its length there (a short one fits
        // a thin slice; a long one is shortened to a line's length at
        // least); a level row title, a line of height.
        let needs = match way {
            TitleWay::Upwards | TitleWay::Across => text::width(fonts, name, size).min(size * LINE_HEIGHT) + 2.0,
            TitleWay::Level(_) => size * LINE_HEIGHT,
        };
        if piece.extent < needs {
            untitled += 1;
            continue;
        }
        let room = match way {
            TitleWay::Level(width) => width + 0.5,
            TitleWay::Upwards | TitleWay::Across => piece.extent - 2.0,
        };
        let text = fit_noting(fonts, scene, TextKind::SliceTitle, name, size, room);
        let along = piece.start + piece.extent / 2.0;
        let (at, align, rotated) = match way {
            TitleWay::Upwards => ([across, along], Align::Middle, true),
            TitleWay::Level(_) => ([across, along], Align::End, false),
            TitleWay::Across => ([along, across], Align::Middle, false),
        };
        scene.texts.push(Text { text, at, size, align, rotated, color: Rgba::BLACK, kind: TextKind::SliceTitle });
    }
    let rows = way != TitleWay::Across;
    if untitled > 0 {
        let what = if rows { "row" } else { "column" };
        scene.shortened.push(format!(
            "{}: {untitled} {what} slices too thin for their titles (a larger figure or a zoom shows them)",
            TextKind::SliceTitle.name()
        ));
    }
}

/// An annotation bar: one rectangle per run of equal pixel colours.
fn draw_bar(scene: &mut Scene, bar: &AnnotationBar, rect: Rect, visible: &Range<f64>, rows: bool) {
    let extent = if rows { rect.h } else { rect.w };
    let pixels = extent.round().max(1.0) as usize;
    let scale = extent / pixels as f32;
    let colors = bar.pixel_colors(pixels, visible);
    let mut start = 0;
    for p in 1..=pixels {
        if p < pixels && colors[p] == colors[start] {
            continue;
        }
        if let Some(color) = colors[start] {
            let (from, to) = (start as f32 * scale, p as f32 * scale);
            let r = if rows {
                Rect::new(rect.x, rect.y + from, rect.w, to - from)
            } else {
                Rect::new(rect.x + from, rect.y, to - from, rect.h)
            };
            scene.fills.push(Fill { rect: r, color });
        }
        start = p;
    }
}

/// Tick values for a colour bar: "nice" round numbers within the range
/// (1, 2 or 5 × a power of ten apart), at most about `max` of them.
pub fn nice_ticks(lo: f32, hi: f32, max: usize) -> Vec<f32> {
    if hi <= lo || !lo.is_finite() || !hi.is_finite() {
        return vec![lo];
    }
    // The coarsest 1-2-5 step giving at most `max` ticks; finer while fewer than two fit.
    let raw = (hi - lo) as f64 / max.max(2) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let mut steps: Vec<f64> = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).collect();
    steps.retain(|s| *s >= raw / 10.0);
    let ticks = |step: f64| {
        let first = (lo as f64 / step).ceil() as i64;
        let last = (hi as f64 / step).floor() as i64;
        (first..=last).map(|i| (i as f64 * step) as f32).collect::<Vec<f32>>()
    };
    let coarsest = steps.iter().position(|s| *s >= raw).unwrap_or(steps.len() - 1);
    (0..=coarsest).rev().map(|i| ticks(steps[i])).find(|t| t.len() >= 2).unwrap_or_else(|| vec![lo, hi])
}

/// A number for a tick label: as few decimals as the tick step needs.
pub fn tick_text(value: f32, ticks: &[f32]) -> String {
    let step = ticks.windows(2).map(|w| (w[1] - w[0]).abs()).fold(f32::INFINITY, f32::min);
    let decimals = if step.is_finite() && step > 0.0 { (-step.log10().floor()).max(0.0) as usize } else { 2 };
    let text = format!("{value:.decimals$}");
    match text.strip_prefix('-') {
        Some(digits) if digits.chars().all(|c| c == '0' || c == '.') => digits.to_owned(),
        // A minus sign, as matplotlib writes one: a hyphen reads as the tick running on.
        Some(digits) => format!("\u{2212}{digits}"),
        None => text,
    }
}

/// The colour bar in the top-left corner: label above, bar, ticks right.
fn color_bar(
    scene: &mut Scene,
    fonts: &mut FontSystem,
    corner: Rect,
    colormap: &Colormap,
    norm: &Norm,
    label: Option<(&str, f32)>,
    size: f32,
) {
    let tick_size = size * 0.9;
    let label_h = label.map_or(0.0, |_| size * LINE_HEIGHT + PAD / 2.0);
    // As wide as seaborn's (cbar_pos: 5% of the figure's width), leaving
    // the corner room for the ticks' labels.
    let bar_w = (0.05 * scene.width as f32).min(0.4 * corner.w).max(10.0);
    let bar =
        Rect::new(corner.x, corner.y + label_h + tick_size / 2.0, bar_w, (corner.h - label_h - tick_size).min(240.0));
    if bar.is_empty() {
        return;
    }
    // The label above the bar, in `room` pixels.
    if let Some((label, room)) = label {
        let text = fit_noting(fonts, scene, TextKind::ColorbarLabel, label, size, room);
        let at = [corner.x, corner.y + size * LINE_HEIGHT / 2.0];
        let kind = TextKind::ColorbarLabel;
        scene.texts.push(Text { text, at, size, align: Align::Start, rotated: false, color: Rgba::BLACK, kind });
    }
    scene.gradients.push(Gradient { rect: bar, lut: colormap.lut().to_vec(), vertical: true });
    scene.panels.push(Panel { name: "colorbar".into(), rect: bar });
    let ticks = nice_ticks(norm.vmin, norm.vmax, (bar.h / (tick_size * 2.5)).max(2.0) as usize);
    // On a short bar, a tick whose label would touch the last one's is left out.
    let mut last_y = f32::INFINITY;
    for &t in &ticks {
        let y = bar.bottom() - norm.normalise(t).clamp(0.0, 1.0) * bar.h;
        if last_y - y < tick_size * LINE_HEIGHT {
            continue;
        }
        last_y = y;
        scene.lines.push(Line { from: [bar.right(), y], to: [bar.right() + 4.0, y], width: 1.0, color: Rgba::BLACK });
        let at = [bar.right() + 6.0, y];
        let text = tick_text(t, &ticks);
        let kind = TextKind::ColorbarTick;
        scene.texts.push(Text {
            text,
            at,
            size: tick_size,
            align: Align::Start,
            rotated: false,
            color: Rgba::BLACK,
            kind,
        });
    }
}

/// Length of the longest annotation bar name, as written below the bars.
fn bar_names_extent(fonts: &mut FontSystem, bars: &[AnnotationBar], size: f32) -> f32 {
    let widest = bars.iter().map(|b| text::width(fonts, &b.name, size * 0.9)).fold(0.0, f32::max);
    if widest > 0.0 { widest.ceil() + PAD } else { 0.0 }
}

/// The width the legends get: what they want, within `room`; none when
/// `room` is less than they want and too narrow for a legend (4 font sizes),
/// and then each is noted as left out.
pub(crate) fn legend_room(wanted: f32, room: f32, size: f32) -> f32 {
    if room < wanted && room < 4.0 * size { 0.0 } else { wanted.min(room) }
}

/// Width of the legends column that shows every legend's title and
/// entries on one line each.
pub(crate) fn legends_width(fonts: &mut FontSystem, rows: &AxisSpec, cols: &AxisSpec, size: f32) -> f32 {
    let mut widest: f32 = 0.0;
    for bar in rows.bars.iter().chain(cols.bars).filter(|b| b.has_legend()) {
        widest = widest.max(text::width(fonts, &bar.name, size));
        match &bar.values {
            BarValues::Categorical { categories, .. } => {
                for c in categories.iter().take(LEGEND_ENTRIES) {
                    widest = widest.max(size * 1.5 + text::width(fonts, c, size * 0.9));
                }
            }
            BarValues::Numeric { norm, .. } => {
                let [lo, hi] = scale_ends(norm);
                let apart = text::width(fonts, &lo, size * 0.9) + text::width(fonts, &hi, size * 0.9) + size;
                widest = widest.max(apart);
            }
        }
    }
    if widest > 0.0 { widest.ceil() + 2.0 * PAD } else { 0.0 }
}

/// The ends of a numeric bar's scale as its legend writes them.
fn scale_ends(norm: &Norm) -> [String; 2] {
    let ticks = nice_ticks(norm.vmin, norm.vmax, 4);
    [norm.vmin, norm.vmax].map(|t| tick_text(t, &ticks))
}

/// `text` cut with "…" to fit `max_width` pixels; a cut is noted in
/// `scene.shortened`.
pub(crate) fn fit_noting(
    fonts: &mut FontSystem,
    scene: &mut Scene,
    kind: TextKind,
    text: &str,
    size: f32,
    max_width: f32,
) -> String {
    let fitted = text::fit(fonts, text, size, max_width);
    if fitted != text {
        scene.shortened.push(format!("{}: {text}", kind.name()));
    }
    fitted
}

/// One legend line of height `line` at `y` (its top), its text `size` pixels high.
fn legend_text(scene: &mut Scene, text: String, [x, y]: [f32; 2], line: f32, size: f32, align: Align) {
    let at = [x, y + line / 2.0];
    let kind = TextKind::LegendEntry;
    scene.texts.push(Text { text, at, size, align, rotated: false, color: Rgba::BLACK, kind });
}

/// Legends for the annotation bars, stacked in `area` in `columns` equal
/// columns (a legend that reaches a column's foot goes on at the top of
/// the next): entries too wide for a column wrap onto more lines; what
/// still does not fit is cut with "…" or counted as "+N more", and noted
/// in `scene.shortened`. Returns where the next legend would start in the
/// last column used.
pub(crate) fn legends(
    scene: &mut Scene,
    fonts: &mut FontSystem,
    area: Rect,
    rows: &AxisSpec,
    cols: &AxisSpec,
    size: f32,
    columns: usize,
) -> f32 {
    let columns = columns.max(1);
    let column_w = area.w / columns as f32;
    let mut column = 0;
    let mut y = area.y;
    let line = size * LINE_HEIGHT;
    let x = |column: usize| area.x + column as f32 * column_w + PAD;
    let entry_size = size * 0.9;
    let entry_w = column_w - 2.0 * PAD - size * 1.5;
    for bar in rows.bars.iter().chain(cols.bars).filter(|b| b.has_legend()) {
        // The title and one entry, or the title, the gradient and its ends.
        let needed = match bar.values {
            BarValues::Categorical { .. } => 2.0 * line,
            BarValues::Numeric { .. } => 2.0 * line + size,
        };
        if y + needed > area.bottom() && column + 1 < columns && y > area.y {
            (column, y) = (column + 1, area.y);
        }
        if y + needed > area.bottom() {
            scene.shortened.push(format!("{}: {} (no room for its legend)", TextKind::LegendTitle.name(), bar.name));
            continue;
        }
        let (first_column, start) = (column, y);
        let title = fit_noting(fonts, scene, TextKind::LegendTitle, &bar.name, size, column_w - 2.0 * PAD);
        let at = [x(column), y + line / 2.0];
        let kind = TextKind::LegendTitle;
        scene.texts.push(Text { text: title, at, size, align: Align::Start, rotated: false, color: Rgba::BLACK, kind });
        y += line;
        match &bar.values {
            BarValues::Categorical { categories, palette, .. } => {
                for (i, c) in categories.iter().enumerate() {
                    let (lines, cut) = text::wrap(fonts, c, entry_size, entry_w);
                    let entry_h = lines.len() as f32 * line;
                    // On in the next column where this one is full.
                    if y + entry_h > area.bottom() && column + 1 < columns && i < LEGEND_ENTRIES {
                        (column, y) = (column + 1, area.y);
                    }
                    // Room for this entry and, unless it is the last, a "+N more" line.
                    let more = if i + 1 < categories.len() && column + 1 == columns { line } else { 0.0 };
                    if y + entry_h + more > area.bottom() || i == LEGEND_ENTRIES {
                        let left = categories.len() - i;
                        legend_text(scene, format!("+{left} more"), [x(column), y], line, entry_size, Align::Start);
                        scene.shortened.push(format!("{}: {left} more of {}", TextKind::LegendEntry.name(), bar.name));
                        y += line;
                        break;
                    }
                    if cut {
                        scene.shortened.push(format!("{}: {c}", TextKind::LegendEntry.name()));
                    }
                    let swatch = Rect::new(x(column), y + line * 0.15, size, line * 0.7);
                    scene.fills.push(Fill { rect: swatch, color: palette.color(i) });
                    for text in lines {
                        legend_text(scene, text, [x(column) + size * 1.5, y], line, entry_size, Align::Start);
                        y += line;
                    }
                }
            }
            BarValues::Numeric { colormap, norm, .. } => {
                let bar_rect = Rect::new(x(column), y, column_w - 2.0 * PAD, size * 0.8);
                scene.gradients.push(Gradient { rect: bar_rect, lut: colormap.lut().to_vec(), vertical: false });
                y += size;
                // The ends of the scale under the gradient's, or as one
                // line ("lo to hi") where the two would meet.
                let [lo, hi] = scale_ends(norm);
                let apart = text::width(fonts, &lo, entry_size) + text::width(fonts, &hi, entry_size) + size;
                if apart <= bar_rect.w {
                    legend_text(scene, lo, [bar_rect.x, y], line, entry_size, Align::Start);
                    legend_text(scene, hi, [bar_rect.right(), y], line, entry_size, Align::End);
                } else {
                    let both = format!("{lo} to {hi}");
                    let text = fit_noting(fonts, scene, TextKind::LegendEntry, &both, entry_size, bar_rect.w);
                    legend_text(scene, text, [bar_rect.x, y], line, entry_size, Align::Start);
                }
                y += line;
            }
        }
        // Its panel: from its title to its last entry, over the columns it took.
        let left = area.x + first_column as f32 * column_w;
        let rect = if column == first_column {
            Rect::new(left, start, column_w, y - start)
        } else {
            Rect::new(left, area.y, (column - first_column + 1) as f32 * column_w, area.h)
        };
        scene.panels.push(Panel { name: format!("legend:{}", bar.name), rect });
        y += PAD;
    }
    y
}

/// How many legend columns of `column_w` pixels the legends need to show
/// everything in `height` pixels, at most `most`.
fn legend_columns(
    fonts: &mut FontSystem,
    rows: &AxisSpec,
    cols: &AxisSpec,
    size: f32,
    column_w: f32,
    height: f32,
    most: usize,
) -> usize {
    (1..=most.max(1))
        .find(|&k| {
            let mut scratch = Scene::bare(1, 1);
            let area = Rect::new(0.0, 0.0, k as f32 * column_w, height);
            legends(&mut scratch, fonts, area, rows, cols, size, k);
            scratch.shortened.is_empty()
        })
        .unwrap_or(most.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_inside_the_range() {
        assert_eq!(nice_ticks(-2.0, 2.0, 4), vec![-2.0, -1.0, 0.0, 1.0, 2.0]);
        assert_eq!(nice_ticks(0.03, 0.97, 5), vec![0.2, 0.4, 0.6, 0.8]);
        assert_eq!(nice_ticks(0.0, 100.0, 3), vec![0.0, 50.0, 100.0]);
        // A short bar asking for 2 ticks on ±3.1 still gets two or more.
        assert_eq!(nice_ticks(-3.1, 3.1, 2), vec![-2.0, 0.0, 2.0]);
        assert_eq!(tick_text(0.2, &[0.2, 0.4]), "0.2");
        assert_eq!(tick_text(-0.0, &[-1.0, 0.0]), "0");
        assert_eq!(tick_text(50.0, &[0.0, 50.0]), "50");
        assert_eq!(tick_text(-1.5, &[-1.5, -1.0]), "\u{2212}1.5");
    }

    #[test]
    fn labels_shown_step_so_lines_do_not_overlap_or_as_asked() {
        let labels = Labels::generated("row_", 1000);
        let order: Vec<usize> = (0..1000).collect();
        let showing = |label_mode| AxisSpec {
            labels: &labels,
            order: &order,
            tree: None,
            cut_palette: None,
            bars: &[],
            label_mode,
            marks: &[],
            slices: None,
        };
        let axis = showing(LabelMode::Auto);
        // 1,000 rows on 500 px, 12 px font at 15 px a line: every 30th row.
        let all = 0.0..1000.0;
        let shown = shown_labels(&axis, &all, 500.0, 12.0);
        assert_eq!(shown.positions.len(), 34);
        assert_eq!(shown.positions[1], 30);
        // Rows 20 px tall: all of them.
        assert_eq!(shown_labels(&axis, &all, 20_000.0, 12.0).positions.len(), 1000);
        // Zoomed to rows 95.2–145.2 on 500 px (10 px a row): every 2nd, from 96.
        let zoomed = shown_labels(&axis, &(95.2..145.2), 500.0, 12.0);
        assert_eq!(zoomed.positions.first(), Some(&96));
        assert_eq!(zoomed.positions.last(), Some(&144));
        assert_eq!(zoomed.positions.len(), 25);
        assert!(shown_labels(&showing(LabelMode::None), &all, 500.0, 12.0).positions.is_empty());
        // A step of 20 (seaborn's yticklabels=20), 1,000 rows on 500 px:
        // rows 0, 20, …, 980, each with 10 px, a 10 / 1.25 = 8 px font.
        let axis = showing(LabelMode::Every(20));
        let shown = shown_labels(&axis, &(0.0..1000.0), 500.0, 12.0);
        assert_eq!(shown.positions, (0..1000).step_by(20).collect::<Vec<_>>());
        assert_eq!(shown.size, 10.0 / LINE_HEIGHT);
        // On 5,000 px the asked-for 12 px fits; zoomed, multiples of 20 stay put.
        assert_eq!(shown_labels(&axis, &(0.0..1000.0), 5000.0, 12.0).size, 12.0);
        let zoomed = shown_labels(&axis, &(95.2..145.2), 500.0, 12.0);
        assert_eq!(zoomed.positions, vec![100, 120, 140]);
    }
}
