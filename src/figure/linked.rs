//! Linked heatmaps side by side: the main clustermap on the left, each
//! linked panel to its right (own columns, colour scale, column tree, row
//! tree on its far side), and connectors in the gaps between them. The
//! heatmaps' top and bottom edges line up; the legends stand at the far
//! right.

use cosmic_text::FontSystem;

use super::colormap::Rgba;
use super::layout::{
    AxisSpec, FigureOptions, HeatmapStyle, PAD, PanelRole, clustermap, fit_noting, legends, legends_width,
};
use super::link::{Connector, ConnectorColor, LinkEnds, RowAxis, connect};
use super::scene::{Align, DataWindow, LinkedHeatmap, Rect, Scene, Text, TextKind};
use super::text;

/// One panel of a linked figure.
pub struct LinkedPanel<'a> {
    pub rows: AxisSpec<'a>,
    pub cols: AxisSpec<'a>,
    pub style: &'a HeatmapStyle,
    pub window: DataWindow,
    /// Draw its own colour bar (not when it shares the main panel's scale).
    pub color_bar: bool,
    /// Its column and row axes' names, where it has its own (an empty
    /// one: none); else the figure's.
    pub names: [Option<String>; 2],
}

/// The links between a panel and the next one.
pub struct LinkedGap<'a> {
    pub links: &'a LinkEnds,
    pub color: &'a ConnectorColor,
    pub alpha: f32,
}

/// Lays out `panels` (the main one first) with `gaps[i]` between panel `i`
/// and panel `i + 1`.
pub fn linked_clustermap(
    fonts: &mut FontSystem,
    options: &FigureOptions,
    panels: &[LinkedPanel],
    gaps: &[LinkedGap],
) -> Scene {
    assert_eq!(gaps.len() + 1, panels.len(), "one gap between each pair of panels");
    let (w, h) = (options.width as f32, options.height as f32);
    let size = options.font_size;
    let main = &panels[0];
    // The legend column: the bars' legends, then what each gap joins.
    let link_lines: Vec<[String; 2]> = gaps
        .iter()
        .enumerate()
        .map(|(i, gap)| {
            let unmatched = gap.links.unmatched();
            [
                format!("{} → {}: {} links", i + 1, i + 2, thousands(gap.links.len())),
                format!("unmatched: {} + {}", thousands(unmatched[0]), thousands(unmatched[1])),
            ]
        })
        .collect();
    let link_w = link_lines.iter().flatten().map(|l| text::width(fonts, l, size * 0.9)).fold(0.0, f32::max) + 2.0 * PAD;
    let wanted = legends_width(fonts, &main.rows, &main.cols, size).max(link_w);
    let legend_w = super::layout::legend_room(wanted, w / 5.0, size);
    let gap_w = (0.06 * w).clamp(24.0, 160.0);
    let room = w - legend_w - gap_w * gaps.len() as f32;
    // Heatmaps wider for more columns, within half to twice the average
    // share, once each panel's trees, bars and labels have their room.
    let mean_cols = panels.iter().map(|p| p.cols.order.len()).sum::<usize>() as f32 / panels.len() as f32;
    let weights: Vec<f32> = panels.iter().map(|p| (p.cols.order.len() as f32 / mean_cols).clamp(0.5, 2.0)).collect();
    let total: f32 = weights.iter().sum();
    let mut widths: Vec<f32> = weights.iter().map(|w| (room * w / total).floor()).collect();

    let own = |name: &Option<String>, figure: &Option<String>| match name {
        Some(name) if name.is_empty() => None,
        Some(name) => Some(name.clone()),
        None => figure.clone(),
    };
    // `align` None: only measure the heatmap.
    let lay_out = |fonts: &mut FontSystem, i: usize, align: Option<[f32; 2]>, widths: &[f32]| {
        let panel = &panels[i];
        let options = FigureOptions {
            width: widths[i] as u32,
            title: if i == 0 { options.title.clone() } else { None },
            cbar_label: if i == 0 { options.cbar_label.clone() } else { None },
            xlabel: own(&panel.names[0], &options.xlabel),
            // Between the panels, the row labels and the connectors leave
            // no room for a name: only the last panel's is drawn.
            ylabel: if i + 1 == panels.len() { own(&panel.names[1], &options.ylabel) } else { None },
            panel: PanelRole {
                legends: false,
                color_bar: panel.color_bar,
                row_tree_right: i > 0,
                align,
                measure_only: align.is_none(),
                // Row labels up to an eighth of the whole figure's width.
                row_label_room: Some(0.125 * w),
            },
            ..options.clone()
        };
        clustermap(fonts, &options, &panel.rows, &panel.cols, panel.style, &panel.window)
    };
    // What each panel needs besides its heatmap (it grows with the panel),
    // settled in at most three rounds; the last round's heatmaps are where
    // they land at these widths, before they are lined up.
    let measure = |fonts: &mut FontSystem, widths: &[f32]| -> Vec<Rect> {
        (0..panels.len()).map(|i| lay_out(fonts, i, None, widths).heatmap).collect()
    };
    let mut first = measure(fonts, &widths);
    for _ in 0..3 {
        let overheads: Vec<f32> = widths.iter().zip(&first).map(|(w, r)| w - r.w).collect();
        let cells = room - overheads.iter().sum::<f32>();
        if cells < 16.0 * panels.len() as f32 {
            break;
        }
        let settled: Vec<f32> = overheads.iter().zip(&weights).map(|(o, w)| (o + cells * w / total).floor()).collect();
        if settled == widths {
            break;
        }
        widths = settled;
        first = measure(fonts, &widths);
    }
    let align = [first.iter().map(|r| r.y).fold(0.0, f32::max), first.iter().map(|r| r.bottom()).fold(h, f32::min)];
    let mut scene = Scene::bare(options.width, options.height);
    scene.panels.clear();
    let mut x = 0.0;
    // Each panel's outer edges facing the gaps: (left, right).
    let mut edges = Vec::new();
    for (i, width) in widths.iter().enumerate() {
        let mut part = lay_out(fonts, i, Some(align), &widths);
        part.shift(x);
        let heatmap = part.heatmap;
        let rects = |prefixes: &[&str]| -> Vec<Rect> {
            let named = |name: &str| prefixes.iter().any(|p| name.starts_with(p));
            part.panels.iter().filter(|p| named(&p.name)).map(|p| p.rect).collect()
        };
        let left = rects(&["row_colors:"]).iter().map(|r| r.x).fold(heatmap.x, f32::min);
        let right = rects(&["row_labels", "row_dendrogram"]).iter().map(|r| r.right()).fold(heatmap.right(), f32::max);
        edges.push((left - 1.0, right + 1.0));
        if i == 0 {
            scene.heatmap = heatmap;
            scene.shown_rows = part.shown_rows;
            scene.shown_cols = part.shown_cols;
        } else {
            scene.linked.push(LinkedHeatmap {
                rect: heatmap,
                shown_rows: part.shown_rows,
                shown_cols: part.shown_cols,
            });
            for p in &mut part.panels {
                p.name = format!("link{i}:{}", p.name);
            }
        }
        scene.fills.append(&mut part.fills);
        scene.lines.append(&mut part.lines);
        scene.gradients.append(&mut part.gradients);
        scene.texts.append(&mut part.texts);
        scene.panels.append(&mut part.panels);
        x += width + gap_w;
    }
    for (i, gap) in gaps.iter().enumerate() {
        let clip = Rect::new(edges[i].1, align[0], edges[i + 1].0 - edges[i].1, align[1] - align[0]);
        let (l, r) = (&panels[i], &panels[i + 1]);
        let rects = scene.heatmap_rects();
        let left = RowAxis::new(l.rows.order.len(), rects[i], &l.window.rows);
        let right = RowAxis::new(r.rows.order.len(), rects[i + 1], &r.window.rows);
        let drawing = connect(gap.links, &left, &right, clip, gap.color, gap.alpha);
        scene.connectors.extend(drawing.connectors.into_iter().map(|c| Connector { gap: i, ..c }));
        scene.fills.extend(drawing.marks);
        scene.panels.push(super::scene::Panel { name: format!("connectors{}", i + 1), rect: clip });
    }
    // With no room for the legends, each is noted as left out.
    let area = Rect::new(w - legend_w, align[0], legend_w, if legend_w > 0.0 { h - align[0] - PAD } else { 0.0 });
    let mut y = legends(&mut scene, fonts, area, &main.rows, &main.cols, size, 1);
    // Unmatched rows are the grey marks at the gaps' edges.
    let line_h = size * text::LINE_HEIGHT;
    if y + 2.0 * line_h > area.bottom() {
        scene.shortened.push(format!("{}: connectors (no room for its legend)", TextKind::LegendTitle.name()));
    } else {
        let start = y;
        let heading = Text {
            text: fit_noting(fonts, &mut scene, TextKind::LegendTitle, "connectors", size, area.w - 2.0 * PAD),
            at: [area.x + PAD, y + line_h / 2.0],
            size,
            align: Align::Start,
            rotated: false,
            color: Rgba::BLACK,
            kind: TextKind::LegendTitle,
        };
        scene.texts.push(heading);
        y += line_h;
        for line in link_lines.iter().flatten() {
            if y + line_h > area.bottom() {
                scene.shortened.push(format!("{}: {line} (no room for it)", TextKind::LegendEntry.name()));
                continue;
            }
            let text = fit_noting(fonts, &mut scene, TextKind::LegendEntry, line, size * 0.9, area.w - 2.0 * PAD);
            scene.texts.push(Text {
                text,
                at: [area.x + PAD, y + line_h / 2.0],
                size: size * 0.9,
                align: Align::Start,
                rotated: false,
                color: Rgba::BLACK,
                kind: TextKind::LegendEntry,
            });
            y += line_h;
        }
        scene.panels.push(super::scene::Panel {
            name: "legend:connectors".into(),
            rect: Rect::new(area.x, start, area.w, y - start),
        });
    }
    scene
}

/// `n` with commas between thousands: 1,000,000.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_in_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
