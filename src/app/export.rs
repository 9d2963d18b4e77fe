//! A prepared figure as files: the image (PNG, or SVG with the heatmaps
//! as embedded PNGs) and its layout as JSON (`--layout-out`).

use std::path::Path;

use serde_json::{Value, json};

use super::Prepared;
use crate::figure::scene::Scene;
use crate::figure::slices::AxisPiece;
use crate::figure::{svg, text};
use crate::render::{HeatmapSource, RenderError, Renderer, Target};

/// The image formats a figure is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// The format a file name asks for by its extension, if one is known.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "png" => Some(Format::Png),
            "svg" => Some(Format::Svg),
            _ => None,
        }
    }
}

/// `scene` drawn by `renderer` as the bytes of a `format` file: a PNG of
/// the whole figure, or an SVG whose heatmaps are PNGs drawn at their size,
/// or at one pixel a cell when they hold fewer cells than pixels.
pub fn export(
    renderer: &mut Renderer,
    scene: &Scene,
    heatmaps: &[HeatmapSource],
    format: Format,
) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Png => Ok(renderer.draw(scene, heatmaps, Target::Image)?.into_image().to_png()),
        Format::Svg => {
            let mut images = Vec::new();
            for ((cells, _), source) in scene.drawn_heatmaps().into_iter().zip(heatmaps) {
                // One image pixel a matrix cell where the cells in view are
                // whole and no more than the panel's pixels (the viewer
                // scales them up sharply); else the panel's pixels.
                let window = &source.window;
                let whole = |r: &std::ops::Range<f64>| r.start.fract() == 0.0 && r.end.fract() == 0.0;
                let (n_cols, n_rows) = (window.cols.end - window.cols.start, window.rows.end - window.rows.start);
                let (w, h) = if whole(&window.rows)
                    && whole(&window.cols)
                    && n_cols <= cells.w as f64
                    && n_rows <= cells.h as f64
                {
                    (n_cols.max(1.0) as u32, n_rows.max(1.0) as u32)
                } else {
                    (cells.w.round().max(1.0) as u32, cells.h.round().max(1.0) as u32)
                };
                let drawing = renderer.draw(&Scene::bare(w, h), std::slice::from_ref(source), Target::Image)?;
                images.push(drawing.into_image().to_png());
            }
            Ok(svg::to_svg(scene, &images).into_bytes())
        }
    }
}

/// Where everything in `scene` lies (`--layout-out`): the panels; every
/// row and column label of each heatmap in display order, with its pixel
/// extent and whether it is drawn; the colour scale and clustering of
/// each; the connectors between linked heatmaps and what they join; the
/// marked rows, each with its row's height and its label's; every
/// text drawn, as drawn, with its kind and box; the texts shortened to fit.
pub fn layout(scene: &Scene, prepared: &Prepared) -> Value {
    // Each item's pixel extent: through the slices of a split main
    // heatmap, else across the whole rectangle.
    let split = !scene.pieces.is_empty();
    let axis = |labels: &crate::input::Labels,
                order: &[usize],
                start: f32,
                extent: f32,
                shown: &[usize],
                pieces: Option<&[AxisPiece]>| {
        let step = extent / order.len() as f32;
        order
            .iter()
            .enumerate()
            .map(|(p, &i)| {
                let label = labels.get(i);
                let drawn = shown.binary_search(&p).is_ok();
                // The piece holding the item: the first not ending before its centre.
                let piece = pieces.and_then(|pieces| {
                    let k = pieces.partition_point(|x| x.visible.end < p as f64 + 0.5);
                    pieces.get(k).filter(|x| x.shows(p as f64 + 0.5))
                });
                let (from, to) = match piece {
                    Some(piece) => (piece.pixel(p as f64) as f32, piece.pixel(p as f64 + 1.0) as f32),
                    None => (start + p as f32 * step, start + (p + 1) as f32 * step),
                };
                json!({"label": label, "index": i, "from": from, "to": to, "drawn": drawn})
            })
            .collect::<Vec<_>>()
    };
    let shown = std::iter::once((&scene.shown_rows, &scene.shown_cols))
        .chain(scene.linked.iter().map(|l| (&l.shown_rows, &l.shown_cols)));
    let heatmaps: Vec<_> = prepared
        .panels()
        .zip(scene.heatmap_rects())
        .zip(shown)
        .enumerate()
        .map(|(k, ((panel, rect), (shown_rows, shown_cols)))| {
            let style = &panel.style;
            let (row_pieces, col_pieces) =
                if k == 0 && split { (Some(&scene.row_pieces[..]), Some(&scene.col_pieces[..])) } else { (None, None) };
            let (rows, cols) = (panel.matrix.row_labels(), panel.matrix.col_labels());
            json!({
                "file": panel.matrix.source().path.display().to_string(),
                "rect": rect,
                "rows": axis(rows, &panel.row_order, rect.y, rect.h, shown_rows, row_pieces),
                "cols": axis(cols, &panel.col_order, rect.x, rect.w, shown_cols, col_pieces),
                "norm": {"vmin": style.norm.vmin, "vmax": style.norm.vmax, "center": style.norm.center},
                "clustering": {"rows": panel.clustering[0], "cols": panel.clustering[1]},
                "colormap": style.colormap.name(),
            })
        })
        .collect();
    let panels: Vec<&Prepared> = prepared.panels().collect();
    // A connector's rows by label: one each for a curve, the first and last for a band.
    let labels = |panel: &Prepared, rows: &std::ops::Range<u32>| -> Vec<String> {
        let label = |p: u32| panel.matrix.row_labels().get(panel.row_order[p as usize]).into_owned();
        match rows.len() {
            0 => Vec::new(),
            1 => vec![label(rows.start)],
            _ => vec![label(rows.start), label(rows.end - 1)],
        }
    };
    let connectors: Vec<_> = scene
        .connectors
        .iter()
        .map(|c| {
            let (left, right) = (panels[c.gap], panels[c.gap + 1]);
            json!({
                "kind": if c.band { "band" } else { "curve" },
                "from_panel": c.gap,
                "to_panel": c.gap + 1,
                "from_labels": labels(left, &c.left),
                "to_labels": labels(right, &c.right),
                "from_rows": [c.left.start, c.left.end],
                "to_rows": [c.right.start, c.right.end],
                "from": c.from,
                "to": c.to,
                "count": c.count,
                "width": c.width,
            })
        })
        .collect();
    let gaps: Vec<_> = prepared
        .linked
        .iter()
        .enumerate()
        .map(|(k, linked)| {
            let drawn = scene.connectors.iter().filter(|c| c.gap == k);
            json!({
                "from_panel": k,
                "to_panel": k + 1,
                "links": linked.links.len(),
                "links_drawn": drawn.clone().map(|c| c.count as usize).sum::<usize>(),
                "bands": drawn.clone().any(|c| c.band),
                "unmatched_left": linked.links.unmatched()[0],
                "unmatched_right": linked.links.unmatched()[1],
            })
        })
        .collect();
    let mut fonts = text::font_system();
    let marks: Vec<_> = scene
        .marks
        .iter()
        .map(|m| {
            let label = match m.rows {
                true => prepared.matrix.row_labels().get(prepared.row_order[m.position]),
                false => prepared.matrix.col_labels().get(prepared.col_order[m.position]),
            };
            let axis = if m.rows { "rows" } else { "cols" };
            let b = text::text_box(&mut fonts, &scene.texts[m.text]);
            json!({
                "label": label, "axis": axis, "index": m.position, "position": m.position,
                "box": [b.x, b.y, b.w, b.h], "anchor": m.anchor, "at": m.at, "label_at": m.label_at,
            })
        })
        .collect();
    let texts: Vec<_> = scene
        .texts
        .iter()
        .map(|t| {
            let b = text::text_box(&mut fonts, t);
            json!({"text": t.text, "kind": t.kind, "box": [b.x, b.y, b.w, b.h]})
        })
        .collect();
    json!({
        "width": scene.width,
        "height": scene.height,
        "panels": scene.panels,
        "heatmaps": heatmaps,
        "gaps": gaps,
        "connectors": connectors,
        "texts": texts,
        "marks": marks,
        "slices": scene.slices,
        "shortened": scene.shortened,
    })
}
