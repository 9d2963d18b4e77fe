//! What a figure is made of, in figure pixels: the heatmap panel, filled
//! rectangles, lines, texts and colour gradients. The GPU renderer draws a
//! scene into a texture; the SVG writer writes the same scene as vectors.

use std::ops::Range;

use super::colormap::Rgba;
pub use super::link::Connector;
use super::slices::AxisPiece;

/// A rectangle in figure pixels (origin top-left, y down).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect { x, y, w: w.max(0.0), h: h.max(0.0) }
    }

    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    pub fn is_empty(&self) -> bool {
        self.w <= 0.0 || self.h <= 0.0
    }
}

/// The part of the matrix a heatmap panel shows: matrix rows and columns
/// (fractional) at the panel's top-left and bottom-right corners.
#[derive(Clone, Debug, PartialEq)]
pub struct DataWindow {
    pub rows: Range<f64>,
    pub cols: Range<f64>,
}

impl DataWindow {
    /// The whole matrix.
    pub fn whole(geometry: &crate::pyramid::Geometry) -> DataWindow {
        let (rows, cols) = geometry.shape();
        DataWindow { rows: 0.0..rows as f64, cols: 0.0..cols as f64 }
    }
}

impl DataWindow {
    /// The whole of a `rows × cols` matrix.
    pub fn all(rows: usize, cols: usize) -> DataWindow {
        DataWindow { rows: 0.0..rows as f64, cols: 0.0..cols as f64 }
    }
}

/// A filled rectangle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    pub rect: Rect,
    pub color: Rgba,
}

/// A straight line of a given width (pixels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    pub from: [f32; 2],
    pub to: [f32; 2],
    pub width: f32,
    pub color: Rgba,
}

/// Where a text sits relative to its anchor, along its reading direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Start,
    Middle,
    End,
}

/// One line of text. Unrotated, `at` is the anchor on the line's vertical
/// centre; rotated, the text reads upwards (90° anticlockwise) and `at` is
/// the anchor on its horizontal centre.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub text: String,
    pub at: [f32; 2],
    pub size: f32,
    pub align: Align,
    pub rotated: bool,
    pub color: Rgba,
    /// What the text is, for `--layout-out`.
    pub kind: TextKind,
}

/// What a text of a figure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    Title,
    RowLabel,
    ColLabel,
    /// An annotation bar's name, below the bar.
    BarName,
    ColorbarLabel,
    ColorbarTick,
    LegendTitle,
    LegendEntry,
    /// The name of the column or row axis (`--xlabel`, `--ylabel`).
    AxisName,
    /// A message in place of a figure (the waiting screen).
    Message,
    /// The window's hover box, help and search.
    Overlay,
    /// A slice's title (`--row-split`, `--col-split`).
    SliceTitle,
}

impl TextKind {
    /// The kind as `--layout-out` and warnings name it.
    pub fn name(self) -> &'static str {
        match self {
            TextKind::Title => "title",
            TextKind::RowLabel => "row_label",
            TextKind::ColLabel => "col_label",
            TextKind::BarName => "bar_name",
            TextKind::ColorbarLabel => "colorbar_label",
            TextKind::ColorbarTick => "colorbar_tick",
            TextKind::LegendTitle => "legend_title",
            TextKind::LegendEntry => "legend_entry",
            TextKind::AxisName => "axis_name",
            TextKind::Message => "message",
            TextKind::Overlay => "overlay",
            TextKind::SliceTitle => "slice_title",
        }
    }
}

/// A colour bar: the lookup table drawn across a rectangle, low values at
/// the bottom (vertical) or on the left (horizontal).
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient {
    pub rect: Rect,
    pub lut: Vec<Rgba>,
    pub vertical: bool,
}

/// A named part of the figure, for `--layout-out`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Panel {
    pub name: String,
    pub rect: Rect,
}

/// Everything a figure draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub background: Rgba,
    /// Where the heatmap cells go.
    pub heatmap: Rect,
    pub fills: Vec<Fill>,
    pub lines: Vec<Line>,
    pub gradients: Vec<Gradient>,
    pub texts: Vec<Text>,
    pub panels: Vec<Panel>,
    /// Display positions of the row and column labels drawn.
    pub shown_rows: Vec<usize>,
    pub shown_cols: Vec<usize>,
    /// The marked rows drawn (`--mark-rows`), top to bottom, then the
    /// marked columns (`--mark-cols`), left to right.
    pub marks: Vec<Mark>,
    /// Heatmaps of linked panels, left to right after the main one.
    pub linked: Vec<LinkedHeatmap>,
    /// Curves and bands between linked panels (over the fills, under the lines).
    pub connectors: Vec<Connector>,
    /// Drawn over everything else (the viewer's tooltips, help, HUD).
    pub overlay_fills: Vec<Fill>,
    pub overlay_texts: Vec<Text>,
    /// A split heatmap (`--row-split`, `--col-split`): each piece's
    /// rectangle and the part of the matrix it shows, drawn instead of
    /// `heatmap` (which then spans them all, gaps included).
    pub pieces: Vec<(Rect, DataWindow)>,
    /// The slices in view along the rows and the columns (one piece each
    /// when an axis is not split; none in scenes that are not a clustermap).
    pub row_pieces: Vec<AxisPiece>,
    pub col_pieces: Vec<AxisPiece>,
    /// The slices drawn, for `--layout-out`.
    pub slices: Vec<SliceBox>,
    /// Texts shortened (with "…"), left out (legend entries past the room,
    /// "+N more") or drawn too small to read, for lack of room: `kind: text
    /// as given` or what happened, to warn about.
    pub shortened: Vec<String>,
}

/// A marked row's (column's) label, moved from its row's height (its
/// column's place) to where it does not overlap its neighbours.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// A row, or a column.
    pub rows: bool,
    /// Display position of the row or column.
    pub position: usize,
    /// Where the item's centre and its label's centre are along the axis
    /// (pixels: heights for rows, x for columns).
    pub at: f32,
    pub label_at: f32,
    /// Where its line leaves the heatmap: on the item's centre line, at the
    /// heatmap's edge (figure pixels).
    pub anchor: [f32; 2],
    /// Its label: an index into the scene's texts.
    pub text: usize,
}

/// A slice of a split axis as drawn.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SliceBox {
    /// "rows" or "cols".
    pub axis: &'static str,
    pub name: String,
    /// Its first and last display positions (inclusive).
    pub first: usize,
    pub last: usize,
    /// Its part of the heatmap in view.
    pub rect: Rect,
}

/// A linked panel's heatmap and the labels it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkedHeatmap {
    pub rect: Rect,
    pub shown_rows: Vec<usize>,
    pub shown_cols: Vec<usize>,
}

impl Scene {
    /// Every heatmap's rectangle: the main one, then the linked ones.
    pub fn heatmap_rects(&self) -> Vec<Rect> {
        std::iter::once(self.heatmap).chain(self.linked.iter().map(|l| l.rect)).collect()
    }

    /// The rectangles cells are drawn in: the main heatmap's (each piece
    /// of a split one, the part of the matrix it shows beside it), then
    /// the linked ones'.
    pub fn drawn_heatmaps(&self) -> Vec<(Rect, Option<&DataWindow>)> {
        let main: Vec<(Rect, Option<&DataWindow>)> = if self.pieces.is_empty() {
            vec![(self.heatmap, None)]
        } else {
            self.pieces.iter().map(|(r, w)| (*r, Some(w))).collect()
        };
        main.into_iter().chain(self.linked.iter().map(|l| (l.rect, None))).collect()
    }

    /// The display position (fractional row, column) under `at` in the
    /// main heatmap, through its pieces; `None` outside it or in a gap.
    pub fn cell_at(&self, at: [f64; 2]) -> Option<[f64; 2]> {
        use super::slices::position;
        Some([position(&self.row_pieces, at[1])?, position(&self.col_pieces, at[0])?])
    }

    /// Moves everything `dx` pixels to the right.
    pub fn shift(&mut self, dx: f32) {
        let mv = |r: &mut Rect| r.x += dx;
        mv(&mut self.heatmap);
        self.fills.iter_mut().for_each(|f| mv(&mut f.rect));
        self.overlay_fills.iter_mut().for_each(|f| mv(&mut f.rect));
        self.gradients.iter_mut().for_each(|g| mv(&mut g.rect));
        self.panels.iter_mut().for_each(|p| mv(&mut p.rect));
        self.linked.iter_mut().for_each(|l| mv(&mut l.rect));
        self.pieces.iter_mut().for_each(|(r, _)| mv(r));
        self.marks.iter_mut().for_each(|m| {
            m.anchor[0] += dx;
            if !m.rows {
                (m.at, m.label_at) = (m.at + dx, m.label_at + dx);
            }
        });
        self.slices.iter_mut().for_each(|s| mv(&mut s.rect));
        self.col_pieces.iter_mut().for_each(|p| p.start += dx);
        for line in &mut self.lines {
            line.from[0] += dx;
            line.to[0] += dx;
        }
        for text in self.texts.iter_mut().chain(&mut self.overlay_texts) {
            text.at[0] += dx;
        }
        for c in &mut self.connectors {
            c.from[0] += dx;
            c.to[0] += dx;
            mv(&mut c.clip);
        }
    }
}

impl Scene {
    /// A scene holding only the heatmap, filling the whole image.
    pub fn bare(width: u32, height: u32) -> Scene {
        Scene {
            width,
            height,
            background: Rgba::WHITE,
            heatmap: Rect::new(0.0, 0.0, width as f32, height as f32),
            fills: Vec::new(),
            lines: Vec::new(),
            gradients: Vec::new(),
            texts: Vec::new(),
            panels: vec![Panel { name: "heatmap".into(), rect: Rect::new(0.0, 0.0, width as f32, height as f32) }],
            shown_rows: Vec::new(),
            marks: Vec::new(),
            shown_cols: Vec::new(),
            linked: Vec::new(),
            connectors: Vec::new(),
            overlay_fills: Vec::new(),
            overlay_texts: Vec::new(),
            pieces: Vec::new(),
            row_pieces: Vec::new(),
            col_pieces: Vec::new(),
            slices: Vec::new(),
            shortened: Vec::new(),
        }
    }
}
