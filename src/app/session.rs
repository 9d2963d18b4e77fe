//! The viewer's session: what a window shows and how actions change it,
//! without a window or a GPU — a camera per panel, the panel in focus,
//! follow mode, search, the cut, the selected subtree, the cursor. The
//! window feeds it actions from the mouse, the keys and scripts; the
//! benchmark feeds it its camera path; tests drive it directly.

use std::path::{Path, PathBuf};

use super::prepare::Prepared;
use super::scene::scene;
use super::spec::FigureSpec;
use crate::figure::layout::{items_in_view, tree_view};
use crate::figure::scene::{Align, DataWindow, Fill, Rect, Scene, Text, TextKind};
use crate::figure::slices::{AxisPiece, pieces, position};
use crate::figure::{Agg, Rgba, text};
use crate::input::Axis;
use crate::pyramid::Level;
use crate::render::Renderer;
use crate::view::script::{HELP, wheel_action};
use crate::view::{Action, Camera};

/// What the heatmaps' places depend on: window size and row bar count.
type HeatmapKey = ([u32; 2], usize);

/// A viewer of a prepared figure in a window of `size` pixels.
pub struct Session {
    pub prepared: Prepared,
    pub figure: FigureSpec,
    /// The window size in pixels.
    size: [u32; 2],
    /// The main panel's camera, and each linked panel's.
    camera: Option<Camera>,
    link_cameras: Vec<Camera>,
    /// The panel the cursor is over (or was last): wheel, drag and keys move it.
    pub focus: usize,
    /// Whether moving one panel scrolls the others to the linked rows.
    pub follow: bool,
    /// What a pixel over many cells shows.
    pub agg: Agg,
    /// Cursor position in window pixels.
    pub cursor: Option<[f64; 2]>,
    /// The search being typed, if any.
    pub search: Option<String>,
    /// Rows, then columns, matching the last search, by display position.
    pub matches: Vec<(Axis, usize)>,
    pub current_match: usize,
    /// The row or column found last.
    pub highlight: Option<(Axis, usize)>,
    /// Said when a search finds nothing.
    pub search_note: Option<String>,
    /// The tree node last clicked: (whose tree, node).
    pub selected: Option<(Axis, usize)>,
    /// The row tree's cut (0: none).
    pub cut: usize,
    /// Whether the key help and the heads-up display are shown.
    pub help: bool,
    pub hud: bool,
    /// Where a drag is (the cursor at its last move) while the button is held.
    drag_from: Option<[f64; 2]>,
    pub fonts: cosmic_text::FontSystem,
    /// The heatmaps' rectangles for (window size, row bar count).
    heatmap_cache: Option<(HeatmapKey, Vec<Rect>)>,
    /// The last search made (its matches are `matches`).
    pub last_search: Option<String>,
    /// Where `e` writes its tables (default: beside the matrix).
    pub export_dir: Option<PathBuf>,
    /// What the last `e` wrote, shown until the next action.
    pub export_note: Option<String>,
}

/// What a view shows, saved and reopened with `view --state FILE`: the
/// main panel's window, the row cut, the selected subtree and the search.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewState {
    /// The matrix's shape (rows, columns): a state fits only its own matrix.
    pub shape: [usize; 2],
    /// Display positions in view, fractional: rows, then columns.
    pub rows: [f64; 2],
    pub cols: [f64; 2],
    /// The row tree's cut (0: none).
    pub cut: usize,
    /// The selected subtree: `rows` or `cols`, and its node.
    pub selected: Option<(String, usize)>,
    pub search: Option<String>,
    /// Which of the search's matches is shown.
    pub current_match: usize,
    pub agg: Agg,
}

impl Session {
    /// A viewer of `prepared` at `size`, fitted, nothing selected; the cut
    /// is the one `prepared` was made with.
    pub fn new(prepared: Prepared, figure: FigureSpec, size: [u32; 2]) -> Session {
        let cut = prepared.row_groups.as_ref().map_or(0, |g| g.iter().copied().max().unwrap_or(0));
        let agg = figure.agg;
        Session {
            prepared,
            figure,
            size,
            camera: None,
            link_cameras: Vec::new(),
            focus: 0,
            follow: false,
            agg,
            cursor: None,
            search: None,
            matches: Vec::new(),
            current_match: 0,
            highlight: None,
            search_note: None,
            selected: None,
            cut,
            help: false,
            hud: false,
            drag_from: None,
            fonts: text::font_system(),
            heatmap_cache: None,
            last_search: None,
            export_dir: None,
            export_note: None,
        }
    }

    /// The window was resized.
    pub fn resize(&mut self, size: [u32; 2]) {
        self.size = size;
    }

    /// The window size in pixels.
    pub fn size(&self) -> [u32; 2] {
        self.size
    }

    /// The main panel's camera, once the heatmaps are laid out.
    pub fn camera(&self) -> Option<&Camera> {
        self.camera.as_ref()
    }

    /// Pans the panel in focus by `by` pixels (a drag); others follow.
    pub fn drag(&mut self, by: [f64; 2]) {
        let focus = self.focus;
        if let Some(camera) = self.camera_mut(focus) {
            camera.pan(by);
        }
        self.follow_from(focus);
    }

    /// What each panel shows: the main one's window, then the linked ones'.
    pub fn windows(&self) -> Vec<DataWindow> {
        let whole = |p: &Prepared| DataWindow::all(p.matrix.rows(), p.matrix.cols());
        let main = self.camera.as_ref().map_or_else(|| whole(&self.prepared), |c| c.window().clone());
        let linked = self
            .prepared
            .linked
            .iter()
            .enumerate()
            .map(|(k, l)| self.link_cameras.get(k).map_or_else(|| whole(&l.panel), |c| c.window().clone()));
        std::iter::once(main).chain(linked).collect()
    }

    /// The scene for the current view.
    pub fn base_scene(&mut self) -> Scene {
        let size = self.size;
        let windows = self.windows();
        scene(&mut self.fonts, &self.prepared, &self.figure, &windows, size, true)
    }

    /// Keeps each camera's panel size equal to its heatmap's rectangle.
    fn sync_cameras(&mut self, rects: &[Rect]) {
        let size = |r: &Rect| [r.w as f64, r.h as f64];
        let (rows, cols) = (self.prepared.matrix.rows(), self.prepared.matrix.cols());
        match &mut self.camera {
            Some(camera) => camera.resize(size(&rects[0])),
            None => self.camera = Some(Camera::new(rows, cols, size(&rects[0]))),
        }
        for (k, (linked, rect)) in self.prepared.linked.iter().zip(&rects[1..]).enumerate() {
            match self.link_cameras.get_mut(k) {
                Some(camera) => camera.resize(size(rect)),
                None => self.link_cameras.push(Camera::new(
                    linked.panel.matrix.rows(),
                    linked.panel.matrix.cols(),
                    size(rect),
                )),
            }
        }
    }

    /// The heatmaps' rectangles (the main one first). With the label areas
    /// reserved they depend only on the window size and the row bars, so a
    /// wheel event or key press does not lay the whole figure out again.
    pub fn heatmap_rects(&mut self) -> Vec<Rect> {
        let key = (self.size, self.prepared.row_bars.len());
        if let Some((cached, rects)) = &self.heatmap_cache
            && *cached == key
            && self.camera.is_some()
        {
            return rects.clone();
        }
        let rects = self.base_scene().heatmap_rects();
        self.sync_cameras(&rects);
        self.heatmap_cache = Some((key, rects.clone()));
        rects
    }

    /// Panel `i`'s camera (0: the main one).
    pub fn camera_mut(&mut self, i: usize) -> Option<&mut Camera> {
        if i == 0 { self.camera.as_mut() } else { self.link_cameras.get_mut(i - 1) }
    }

    /// The panel whose heatmap is nearest to `x` across the window.
    pub fn panel_at(&mut self, x: f64) -> usize {
        let rects = self.heatmap_rects();
        let distance = |r: &Rect| (r.x as f64 - x).max(x - r.right() as f64).max(0.0);
        (0..rects.len()).min_by(|&a, &b| distance(&rects[a]).total_cmp(&distance(&rects[b]))).unwrap_or(0)
    }

    /// In follow mode, scrolls every other panel, outwards from panel `k`,
    /// to the rows linked to those its neighbour shows.
    pub fn follow_from(&mut self, k: usize) {
        if !self.follow {
            return;
        }
        for j in k + 1..=self.link_cameras.len() {
            self.align_panel(j - 1, j);
        }
        for j in (0..k).rev() {
            self.align_panel(j + 1, j);
        }
    }

    /// Scrolls panel `to` to the rows linked to the rows panel `from` (a
    /// neighbour) shows.
    fn align_panel(&mut self, from: usize, to: usize) {
        let shown = self.windows()[from].rows.clone();
        let links = &self.prepared.linked[from.min(to)].links;
        let (lo, hi) = (shown.start.floor() as u32, shown.end.ceil() as u32);
        if let Some(span) = links.linked_span(from < to, lo..hi)
            && let Some(camera) = self.camera_mut(to)
        {
            camera.show_rows(span.start as f64..span.end as f64);
        }
    }

    /// Performs one action: zooms and pans move the panel in focus.
    /// What only a window can do (lose its device, save a screenshot)
    /// comes back.
    pub fn act(&mut self, action: Action) -> Option<Action> {
        self.export_note = None;
        let rects = self.heatmap_rects();
        let heatmap = rects[0];
        let focus = self.focus.min(rects.len() - 1);
        let panel = [rects[focus].w as f64, rects[focus].h as f64];
        let camera = self.camera_mut(focus).expect("made by heatmap_rects");
        match action {
            Action::Zoom { at, factor } => camera.zoom([at[0] * panel[0], at[1] * panel[1]], factor),
            Action::Pan { by } => {
                // Home/End pan by an infinite distance: to the edge.
                let by = by.map(|b| b.clamp(-1e12, 1e12));
                camera.pan([by[0] * panel[0], by[1] * panel[1]]);
            }
            Action::Fit => camera.fit(),
            _ => {}
        }
        let panel = [heatmap.w as f64, heatmap.h as f64];
        match action {
            Action::Zoom { .. } | Action::Pan { .. } | Action::Fit => self.follow_from(focus),
            Action::ToggleFollow => {
                self.follow = !self.follow;
                self.follow_from(focus);
            }
            Action::Focus(k) => self.focus = k.min(rects.len() - 1),
            Action::ToggleAgg => {
                self.agg = if self.agg == Agg::Mean { Agg::Extremes } else { Agg::Mean };
            }
            Action::Cut(k) => self.set_cut(k),
            Action::CutMore => self.set_cut(self.cut + 1),
            Action::CutFewer => self.set_cut(self.cut.saturating_sub(1)),
            Action::Search(query) => self.search_for(&query),
            Action::NextMatch => self.go_to_match(1),
            Action::PreviousMatch => self.go_to_match(-1),
            Action::Hover { at } => {
                self.cursor = Some([heatmap.x as f64 + at[0] * panel[0], heatmap.y as f64 + at[1] * panel[1]]);
            }
            Action::Click { at } => {
                let size = self.size;
                self.cursor = Some([at[0] * size[0] as f64, at[1] * size[1] as f64]);
                self.selected = self.tree_node_under_cursor();
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::ToggleHud => self.hud = !self.hud,
            Action::Export => {
                self.export_note = Some(match self.export() {
                    Ok(paths) => {
                        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                        eprintln!("wrote {}", names.join(", "));
                        format!("wrote {}", names.join(", "))
                    }
                    Err(e) => {
                        eprintln!("warning: {e}");
                        e.to_string()
                    }
                });
            }
            Action::LoseDevice | Action::Screenshot(_) => return Some(action),
        }
        None
    }

    fn set_cut(&mut self, k: usize) {
        if self.prepared.row_tree.is_none() {
            return;
        }
        self.cut = k.min(self.prepared.matrix.rows());
        self.prepared.set_row_cut(self.cut);
        // `--row-clusters-out` follows the cut in the window.
        let p = &self.prepared;
        if let (Some(path), Some(groups)) = (&self.figure.row_clusters_out, &p.row_groups) {
            match crate::app::write_clusters(path, p.matrix.row_labels(), &p.row_order, groups) {
                Ok(()) => eprintln!("{}: the rows' {} clusters", path.display(), self.cut),
                Err(e) => eprintln!("warning: {e}"),
            }
        }
    }

    /// Rows whose label contains `query` (ignoring case), in display order,
    /// then columns; goes to the first.
    fn search_for(&mut self, query: &str) {
        self.last_search = Some(query.to_owned());
        let needle = query.to_lowercase();
        let p = &self.prepared;
        let found = |labels: &crate::input::Labels, order: &[usize], axis: Axis| {
            (0..order.len())
                .filter(|&i| labels.get(order[i]).to_lowercase().contains(&needle))
                .map(|i| (axis, i))
                .collect::<Vec<_>>()
        };
        self.matches = found(p.matrix.row_labels(), &p.row_order, Axis::Rows);
        self.matches.extend(found(p.matrix.col_labels(), &p.col_order, Axis::Cols));
        self.search_note = self.matches.is_empty().then(|| format!("no row or column label contains '{query}'"));
        self.current_match = 0;
        self.go_to_match(0);
    }

    fn go_to_match(&mut self, step: isize) {
        if self.matches.is_empty() {
            self.highlight = None;
            return;
        }
        let n = self.matches.len() as isize;
        self.current_match = (self.current_match as isize + step).rem_euclid(n) as usize;
        let (axis, p) = self.matches[self.current_match];
        self.highlight = Some((axis, p));
        if let Some(camera) = &mut self.camera {
            // Zoom to about 40 rows (or columns) around the match.
            let around = p as f64 - 19.5..p as f64 + 20.5;
            match axis {
                Axis::Rows => camera.show_rows(around),
                Axis::Cols => camera.show_cols(around),
            }
        }
        self.follow_from(0);
    }

    /// The main panel's tree node under the cursor, if the cursor is on a
    /// tree: (whether it is the column tree, node).
    pub fn tree_node_under_cursor(&mut self) -> Option<(Axis, usize)> {
        let cursor = self.cursor?;
        let scene = self.base_scene();
        let window = self.camera.as_ref()?.window().clone();
        let on = |name: &str| {
            let rect = scene.panels.iter().find(|p| p.name == name)?.rect;
            let inside = cursor[0] >= rect.x as f64 && cursor[0] < rect.right() as f64;
            (inside && cursor[1] >= rect.y as f64 && cursor[1] < rect.bottom() as f64).then_some(rect)
        };
        // Leaves lie along the heatmap's edge: the row tree's on its right, the column tree's at its bottom.
        if let (Some(rect), Some(geometry)) = (on("row_dendrogram"), &self.prepared.row_geometry) {
            let view = tree_view(geometry, rect, &window.rows, true);
            return Some((
                Axis::Rows,
                geometry.hit(&view, cursor[1] - rect.y as f64, rect.right() as f64 - cursor[0])?,
            ));
        }
        let (rect, geometry) = (on("col_dendrogram")?, self.prepared.col_geometry.as_ref()?);
        let view = tree_view(geometry, rect, &window.cols, false);
        Some((Axis::Cols, geometry.hit(&view, cursor[0] - rect.x as f64, rect.bottom() as f64 - cursor[1])?))
    }

    /// Zooms the main panel to a tree node's leaves.
    pub fn zoom_to_node(&mut self, (axis, node): (Axis, usize)) {
        let cols = axis == Axis::Cols;
        let geometry = if cols { &self.prepared.col_geometry } else { &self.prepared.row_geometry };
        let span = geometry.as_ref().map(|g| g.leaf_span(node));
        if let (Some(span), Some(camera)) = (span, &mut self.camera) {
            let leaves = span.start as f64..span.end as f64;
            if cols { camera.show_cols(leaves) } else { camera.show_rows(leaves) }
        }
        self.follow_from(0);
    }

    /// The scene with the overlays: hover, search highlight, selection,
    /// the follow mode.
    pub fn scene(&mut self) -> Scene {
        let mut scene = self.base_scene();
        let rects = scene.heatmap_rects();
        self.sync_cameras(&rects);
        let heatmap = scene.heatmap;
        let camera = self.camera.clone().expect("synced");
        let window = camera.window().clone();
        let orange = Rgba([255, 140, 0, 255]);
        let windows = self.windows();
        let split = !scene.pieces.is_empty();
        match self.highlight {
            Some((Axis::Rows, p)) => {
                let pieces = if split { scene.row_pieces.clone() } else { Vec::new() };
                mark_rows(&mut scene, heatmap, &window.rows, p..p + 1, &pieces);
            }
            Some((Axis::Cols, p)) => {
                let px = heatmap.w as f64 / (window.cols.end - window.cols.start);
                let x = match scene.col_pieces.iter().find(|x| split && x.shows(p as f64 + 0.5)) {
                    Some(piece) => piece.pixel(p as f64),
                    None => heatmap.x as f64 + (p as f64 - window.cols.start) * px,
                };
                let px = if split { scene.col_pieces[0].px_per_item() } else { px };
                if x + px >= heatmap.x as f64 && x <= heatmap.right() as f64 {
                    let line = |x: f64| Rect::new(x as f32, heatmap.y - 6.0, 2.0, heatmap.h + 12.0);
                    scene.fills.push(Fill { rect: line(x - 2.0), color: orange });
                    scene.fills.push(Fill { rect: line(x + px.max(2.0)), color: orange });
                }
            }
            None => {}
        }
        let mut lines: Vec<String> = Vec::new();
        if let Some(link) = self.cursor.and_then(|c| hovered_connector(&scene, [c[0] as f32, c[1] as f32])) {
            // Both ends' rows outlined, the connector drawn again on top.
            let (l, r) = (link.gap, link.gap + 1);
            let (left, right) =
                (link.left.start as usize..link.left.end as usize, link.right.start as usize..link.right.end as usize);
            mark_rows(&mut scene, rects[l], &windows[l].rows, left, &[]);
            mark_rows(&mut scene, rects[r], &windows[r].rows, right, &[]);
            let panels: Vec<&Prepared> = self.prepared.panels().collect();
            let label =
                |k: usize, p: u32| panels[k].matrix.row_labels().get(panels[k].row_order[p as usize]).into_owned();
            let ends = |k: usize, rows: &std::ops::Range<u32>| match rows.len() {
                0 => "rows off screen".to_owned(),
                1 => label(k, rows.start),
                n => format!("{} … {} ({n} rows)", label(k, rows.start), label(k, rows.end - 1)),
            };
            if link.band {
                lines.push(format!("{} links", link.count));
            }
            lines.push(format!("panel {}: {}", l + 1, ends(l, &link.left)));
            lines.push(format!("panel {}: {}", r + 1, ends(r, &link.right)));
            scene.connectors.push(crate::figure::scene::Connector {
                color: orange,
                width: link.width.max(2.5),
                ..link
            });
        }
        if let Some((axis, node)) = self.selected {
            let cols = axis == Axis::Cols;
            let geometry = if cols { &self.prepared.col_geometry } else { &self.prepared.row_geometry };
            if let Some(geometry) = geometry {
                // A band across the tree and the heatmap over the subtree's leaves.
                let span = geometry.leaf_span(node);
                let (shown, from, extent) = if cols {
                    (&window.cols, heatmap.x as f64, heatmap.w as f64)
                } else {
                    (&window.rows, heatmap.y as f64, heatmap.h as f64)
                };
                let px = extent / (shown.end - shown.start);
                let a = (from + (span.start as f64 - shown.start) * px).max(from);
                let b = (from + (span.end as f64 - shown.start) * px).min(from + extent);
                if b > a {
                    let (a, b) = (a as f32, b as f32);
                    let band = if cols {
                        Rect::new(a, 0.0, b - a, heatmap.bottom())
                    } else {
                        Rect::new(0.0, a, heatmap.right(), b - a)
                    };
                    scene.overlay_fills.push(Fill { rect: band, color: Rgba([255, 140, 0, 60]) });
                }
                let items = if cols { "columns" } else { "rows" };
                lines.push(format!("selected subtree: {} {items} (double-click it to zoom)", span.len()));
            }
        }
        if let Some(cursor) = self.cursor {
            for (k, rect) in rects.iter().enumerate() {
                let at = [cursor[0] - rect.x as f64, cursor[1] - rect.y as f64];
                if at[0] >= 0.0 && at[1] >= 0.0 && at[0] < rect.w as f64 && at[1] < rect.h as f64 {
                    let camera = if k == 0 { camera.clone() } else { self.link_cameras[k - 1].clone() };
                    // A split heatmap: the cell through its slices (none in a gap).
                    let cell = if k == 0 && split { scene.cell_at(cursor) } else { Some(camera.data_at(at)) };
                    if let Some(cell) = cell {
                        lines.extend(self.describe(k, &camera, cell));
                    }
                }
            }
        }
        if let Some(query) = &self.search {
            lines.push(format!("search: {query}▏ (Enter: go, Esc: cancel)"));
        } else if !self.matches.is_empty() {
            lines.push(format!("match {} of {} (n / N)", self.current_match + 1, self.matches.len()));
        } else if let Some(note) = &self.search_note {
            lines.push(note.clone());
        }
        if let Some(note) = &self.export_note {
            lines.push(note.clone());
        }
        if self.follow {
            lines.push("follow mode: panels scroll to the linked rows (l: off)".to_owned());
        }
        if !lines.is_empty() {
            let at =
                self.cursor.map_or([heatmap.x + 10.0, heatmap.y + 10.0], |c| [c[0] as f32 + 16.0, c[1] as f32 + 16.0]);
            overlay(&mut self.fonts, &mut scene, &lines, at);
        }
        scene
    }

    /// Writes what the view answers, as TSV tables numbered so that none
    /// replaces an earlier one (`STEM.viewN.*.tsv`, beside the matrix or in
    /// `export_dir`): the rows and columns in view (`axis`, `label`, in
    /// display order), the selected subtree's labels, and the row cut's
    /// clusters. Returns the paths written.
    pub fn export(&mut self) -> anyhow::Result<Vec<PathBuf>> {
        let p = &self.prepared;
        let source = &p.matrix.source().path;
        let dir = match &self.export_dir {
            Some(dir) => dir.clone(),
            None => source.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| ".".into(), Path::to_owned),
        };
        let stem = source.file_stem().map_or_else(|| "matrix".into(), |s| s.to_string_lossy().into_owned());
        let stem = stem.strip_suffix(".tsv").or_else(|| stem.strip_suffix(".csv")).unwrap_or(&stem).to_owned();
        let kinds = ["in_view", "selected", "clusters"];
        let named = |n: usize, kind: &str| dir.join(format!("{stem}.view{n}.{kind}.tsv"));
        let n = (1..).find(|&n| kinds.iter().all(|k| !named(n, k).exists())).expect("a free number");
        let window = self.windows().swap_remove(0);
        let mut written = Vec::new();
        let path = named(n, "in_view");
        crate::output::write_atomically(&path, |w| {
            writeln!(w, "axis\tlabel")?;
            for q in items_in_view(&window.rows, p.row_order.len()) {
                writeln!(w, "row\t{}", crate::output::one_field(&p.matrix.row_labels().get(p.row_order[q])))?;
            }
            for q in items_in_view(&window.cols, p.col_order.len()) {
                writeln!(w, "column\t{}", crate::output::one_field(&p.matrix.col_labels().get(p.col_order[q])))?;
            }
            Ok(())
        })
        .map_err(|e| anyhow::anyhow!("cannot write {} ({e}); give another folder with --export-dir", path.display()))?;
        written.push(path);
        if let Some((axis, node)) = self.selected {
            let (geometry, labels, order) = match axis {
                Axis::Rows => (&p.row_geometry, p.matrix.row_labels(), &p.row_order),
                Axis::Cols => (&p.col_geometry, p.matrix.col_labels(), &p.col_order),
            };
            if let Some(geometry) = geometry {
                let path = named(n, "selected");
                crate::output::write_atomically(&path, |w| {
                    writeln!(w, "label")?;
                    geometry
                        .leaf_span(node)
                        .try_for_each(|q| writeln!(w, "{}", crate::output::one_field(&labels.get(order[q]))))
                })
                .map_err(|e| anyhow::anyhow!("cannot write {} ({e})", path.display()))?;
                written.push(path);
            }
        }
        if let Some(groups) = &p.row_groups {
            let path = named(n, "clusters");
            super::cluster::write_clusters(&path, p.matrix.row_labels(), &p.row_order, groups)?;
            written.push(path);
        }
        Ok(written)
    }

    /// What the view shows now, to save.
    pub fn view_state(&self) -> ViewState {
        let window = self.windows().swap_remove(0);
        let p = &self.prepared;
        ViewState {
            shape: [p.matrix.rows(), p.matrix.cols()],
            rows: [window.rows.start, window.rows.end],
            cols: [window.cols.start, window.cols.end],
            cut: self.cut,
            selected: self.selected.map(|(axis, node)| (axis_name(axis).to_owned(), node)),
            search: self.last_search.clone(),
            current_match: self.current_match,
            agg: self.agg,
        }
    }

    /// Shows what `state` saved; refused (nothing changed) when it is of
    /// another matrix or names a subtree the tree does not have.
    pub fn restore(&mut self, state: &ViewState) -> Result<(), String> {
        let p = &self.prepared;
        let shape = [p.matrix.rows(), p.matrix.cols()];
        if state.shape != shape {
            return Err(format!(
                "saved for a {} × {} matrix, this one is {} × {}",
                state.shape[0], state.shape[1], shape[0], shape[1]
            ));
        }
        let selected = match &state.selected {
            None => None,
            Some((axis, node)) => {
                let (axis, geometry) = match axis.as_str() {
                    "rows" => (Axis::Rows, &p.row_geometry),
                    "cols" => (Axis::Cols, &p.col_geometry),
                    other => return Err(format!("selected: '{other}' is neither rows nor cols")),
                };
                let nodes = geometry.as_ref().map_or(0, |g| 2 * g.n_leaves().max(1) - 1);
                if *node >= nodes {
                    return Err(format!("selected: no subtree {node} in the {} tree", axis_name(axis)));
                }
                Some((axis, *node))
            }
        };
        let ranges = [state.rows, state.cols];
        if ranges.iter().flatten().any(|v| !v.is_finite()) || ranges.iter().any(|r| r[1] <= r[0]) {
            return Err("rows and cols must each be two finite numbers, the first the smaller".into());
        }
        self.agg = state.agg;
        if state.cut > 0 {
            self.set_cut(state.cut);
        }
        if let Some(query) = &state.search {
            self.search_for(query);
            if !self.matches.is_empty() {
                self.current_match = state.current_match.min(self.matches.len() - 1);
                self.go_to_match(0);
            }
        }
        self.selected = selected;
        self.heatmap_rects();
        if let Some(camera) = &mut self.camera {
            camera.show_rows(state.rows[0]..state.rows[1]);
            camera.show_cols(state.cols[0]..state.cols[1]);
        }
        self.follow_from(0);
        Ok(())
    }

    /// Row, column, value and cluster under pixel `at` of panel `k`'s heatmap.
    fn describe(&self, k: usize, camera: &Camera, [row, col]: [f64; 2]) -> Vec<String> {
        let window = camera.window();
        let rows_per_px = (window.rows.end - window.rows.start) / camera.size()[1];
        let cols_per_px = (window.cols.end - window.cols.start) / camera.size()[0];
        let p = self.prepared.panels().nth(k).expect("a panel per camera");
        let (r, c) = ((row as usize).min(p.row_order.len() - 1), (col as usize).min(p.col_order.len() - 1));
        let (i, j) = (p.row_order[r], p.col_order[c]);
        let mut lines =
            vec![format!("row: {}", p.matrix.row_labels().get(i)), format!("column: {}", p.matrix.col_labels().get(j))];
        let value = p.matrix.row(i)[j];
        let cells = (rows_per_px.max(1.0) * cols_per_px.max(1.0)).round();
        if cells >= 2.0 {
            let kind = if self.agg == Agg::Mean { "mean" } else { "extreme" };
            lines.push(format!("a pixel covers ~{cells} cells (colour: their {kind}); this cell: {value}"));
        } else {
            lines.push(format!("value: {value}"));
        }
        if let Some(groups) = &p.row_groups {
            lines.push(format!("row cluster: {}", groups[i]));
        }
        for (slices, at, what) in [(&p.row_slices, r, "row"), (&p.col_slices, c, "column")] {
            if let Some(k) = slices.as_ref().and_then(|s| s.slice_of(at).map(|k| &s.names[k])) {
                lines.push(format!("{what} slice: {k}"));
            }
        }
        // Every annotation of the row and the column (the row cut's own bar
        // is the line above).
        let bars = p.row_bars.iter().map(|b| (b, r)).chain(p.col_bars.iter().map(|b| (b, c)));
        for (bar, at) in bars.filter(|(b, _)| !(b.name == "row clusters" && p.row_groups.is_some())) {
            lines.push(format!("{}: {}", bar.name, bar.value_text(at)));
        }
        lines
    }
}

/// How a view state names an axis.
fn axis_name(axis: Axis) -> &'static str {
    match axis {
        Axis::Rows => "rows",
        Axis::Cols => "cols",
    }
}

/// Orange lines above and below display rows `rows` of the heatmap at `rect`
/// showing `window`, where in view; through `pieces` where it is split.
fn mark_rows(
    scene: &mut Scene,
    rect: Rect,
    window: &std::ops::Range<f64>,
    rows: std::ops::Range<usize>,
    pieces: &[AxisPiece],
) {
    let px = rect.h as f64 / (window.end - window.start);
    let linear = |p: usize| rect.y as f64 + (p as f64 - window.start) * px;
    // The first row's piece places both lines (a run of rows within one slice).
    let (y0, y1) = match pieces.iter().find(|x| x.shows(rows.start as f64 + 0.5)) {
        Some(piece) => (piece.pixel(rows.start as f64), piece.pixel(rows.end as f64)),
        None if !pieces.is_empty() => return,
        None => (linear(rows.start), linear(rows.end)),
    };
    if y1 >= rect.y as f64 && y0 <= rect.bottom() as f64 {
        let line = |y: f64| Rect::new(rect.x - 6.0, y as f32, rect.w + 12.0, 2.0);
        let orange = Rgba([255, 140, 0, 255]);
        scene.fills.push(Fill { rect: line(y0 - 2.0), color: orange });
        scene.fills.push(Fill { rect: line(y0 + (y1 - y0).max(2.0)), color: orange });
    }
}

/// The connector nearest to `at` within a few pixels, if `at` is in a gap.
fn hovered_connector(scene: &Scene, at: [f32; 2]) -> Option<crate::figure::scene::Connector> {
    let inside = |r: &Rect| at[0] >= r.x && at[0] < r.right() && at[1] >= r.y && at[1] < r.bottom();
    let near = scene.connectors.iter().filter(|c| inside(&c.clip)).map(|c| (c.distance(at) - c.width / 2.0, c));
    let (distance, connector) = near.min_by(|a, b| a.0.total_cmp(&b.0))?;
    (distance <= 4.0).then(|| connector.clone())
}

/// A key as the search being typed reads it.
#[derive(Clone, Copy, Debug)]
pub enum SearchKey<'a> {
    Enter,
    Escape,
    Backspace,
    Text(&'a str),
}

/// What the heads-up display says of the renderer.
#[derive(Clone, Debug)]
pub struct HudStats {
    /// How long the last frame took to draw.
    pub frame_time: std::time::Duration,
    /// Tile bytes uploaded so far, and held on the GPU now.
    pub uploaded: u64,
    pub gpu_tiles: u64,
    /// Whether tiles of the view are still loading.
    pub loading: bool,
    /// The level the main heatmap was drawn at, and the tiles on the GPU.
    pub level: Option<Level>,
    pub resident: usize,
}

impl HudStats {
    /// `renderer`'s figures after a frame that took `frame_time`.
    pub fn of(renderer: &Renderer, frame_time: std::time::Duration) -> HudStats {
        let (uploaded, gpu_tiles) = renderer.tile_traffic();
        let (levels, resident) = renderer.tile_state();
        let level = levels.first().copied().flatten();
        HudStats { frame_time, uploaded, gpu_tiles, loading: renderer.incomplete(), level, resident }
    }
}

/// What the mouse and the keyboard do: the window turns its events into
/// these calls.
impl Session {
    /// The pointer moved to `at` (window pixels). A held button drags the
    /// panel in focus; otherwise the panel under the pointer takes the
    /// focus, unless `keep_focus` (a script names the panel it moves).
    pub fn pointer_moved(&mut self, at: [f64; 2], keep_focus: bool) {
        if let Some(from) = self.drag_from {
            self.drag([at[0] - from[0], at[1] - from[1]]);
            self.drag_from = Some(at);
        } else if !keep_focus {
            self.focus = self.panel_at(at[0]);
        }
        self.cursor = Some(at);
    }

    /// The pointer left the window.
    pub fn pointer_left(&mut self) {
        self.cursor = None;
    }

    /// The button pressed at the pointer (`double`: soon after the last
    /// press). On a tree a click selects the subtree under it and a double
    /// click zooms to it; elsewhere a double click fits the view. A drag
    /// starts either way.
    pub fn press(&mut self, double: bool) {
        match (self.tree_node_under_cursor(), double) {
            (Some(node), false) => self.selected = Some(node),
            (Some(node), true) => self.zoom_to_node(node),
            (None, true) => camera_only(self.act(Action::Fit)),
            (None, false) => {}
        }
        self.drag_from = self.cursor;
    }

    /// The button released: the drag ends.
    pub fn release(&mut self) {
        self.drag_from = None;
    }

    /// The wheel turned `notches` (towards the user is negative) over the
    /// panel under the pointer, with Shift or Control held; whether the view
    /// changed (not when the pointer is outside the window).
    pub fn wheel(&mut self, notches: f64, shift: bool, control: bool) -> bool {
        let Some(c) = self.cursor else { return false };
        self.focus = self.panel_at(c[0]);
        let heatmap = self.heatmap_rects()[self.focus];
        let mut at = [(c[0] - heatmap.x as f64) / heatmap.w as f64, (c[1] - heatmap.y as f64) / heatmap.h as f64];
        // Across a split heatmap's gaps: where the cell under the pointer
        // lies in the window, so that it stays under the pointer (to within
        // the gaps that come into view or leave it).
        let p = &self.prepared;
        if let (0, true, Some(camera)) = (self.focus, p.row_slices.is_some() || p.col_slices.is_some(), &self.camera) {
            let (window, gap) = (camera.window(), self.figure.split_gap);
            let rows = pieces(p.row_slices.as_ref(), &window.rows, heatmap.y, heatmap.h, gap);
            let cols = pieces(p.col_slices.as_ref(), &window.cols, heatmap.x, heatmap.w, gap);
            let fraction = |pieces: &[AxisPiece], x: f64, shown: &std::ops::Range<f64>| {
                position(pieces, x).map(|p| (p - shown.start) / (shown.end - shown.start))
            };
            at = [
                fraction(&cols, c[0], &window.cols).unwrap_or(at[0]),
                fraction(&rows, c[1], &window.rows).unwrap_or(at[1]),
            ];
        }
        camera_only(self.act(wheel_action(notches, at.map(|a| a.clamp(0.0, 1.0)), shift, control)));
        true
    }

    /// A key pressed while a search is being typed: Enter searches, Escape
    /// gives up, Backspace and text edit. False when no search is being
    /// typed (the key is for the viewer).
    pub fn search_key(&mut self, key: SearchKey) -> bool {
        let Some(query) = &mut self.search else { return false };
        match key {
            SearchKey::Enter => {
                let query = std::mem::take(query);
                self.search = None;
                camera_only(self.act(Action::Search(query)));
            }
            SearchKey::Escape => self.search = None,
            SearchKey::Backspace => {
                query.pop();
            }
            SearchKey::Text(text) => query.push_str(text),
        }
        true
    }

    /// The scene a window shows: [`Session::scene`] with the heads-up
    /// display (when on and `hud` is given), a `banner` line near the
    /// bottom, and the key help (when on).
    pub fn window_scene(&mut self, hud: Option<&HudStats>, banner: Option<String>) -> Scene {
        let mut scene = self.scene();
        let heatmap = scene.heatmap;
        if let Some(stats) = hud.filter(|_| self.hud) {
            let lines = self.hud_lines(stats);
            let bottom = scene.height as f32 - 20.0 - 18.0 * lines.len() as f32;
            overlay(&mut self.fonts, &mut scene, &lines, [8.0, bottom]);
        }
        if let Some(line) = banner {
            // Below the column labels, clear of the colour bar and the cells.
            let bottom = scene.height as f32 - 30.0;
            overlay(&mut self.fonts, &mut scene, &[line], [8.0, bottom]);
        }
        if self.help {
            let help: Vec<String> = HELP.lines().map(str::to_owned).collect();
            overlay(&mut self.fonts, &mut scene, &help, [heatmap.x + 20.0, heatmap.y + 20.0]);
        }
        scene
    }

    /// The heads-up display: frame time, the window on the matrix, the
    /// level drawn, tile traffic and the aggregate.
    fn hud_lines(&self, stats: &HudStats) -> Vec<String> {
        let window = self.windows()[0].clone();
        let per = |level: u32| (crate::pyramid::FACTOR as u64).pow(level);
        let level = stats.level.map_or("-".to_owned(), |l| {
            format!("rows {}, columns {} (a cell holds {} × {} matrix cells)", l.row, l.col, per(l.row), per(l.col))
        });
        vec![
            format!("frame {:.1} ms", stats.frame_time.as_secs_f64() * 1e3),
            format!(
                "rows {:.1}–{:.1}, columns {:.1}–{:.1}",
                window.rows.start, window.rows.end, window.cols.start, window.cols.end
            ),
            format!("level: {level}; {} tiles on the GPU", stats.resident),
            format!(
                "tiles uploaded {:.1} MB, GPU tile memory {:.1} MB{}",
                stats.uploaded as f64 / 1e6,
                stats.gpu_tiles as f64 / 1e6,
                if stats.loading { ", more loading" } else { "" }
            ),
            format!("aggregate: {}", if self.agg == Agg::Mean { "mean" } else { "extremes" }),
        ]
    }
}

/// Fits, zooms, pans and searches move the view and never ask the window
/// for anything.
fn camera_only(asked: Option<Action>) {
    debug_assert!(asked.is_none(), "{asked:?} is for the window");
}

/// Lines of text on a white panel at `at`.
pub fn overlay(fonts: &mut cosmic_text::FontSystem, scene: &mut Scene, lines: &[String], at: [f32; 2]) {
    let size = 13.0;
    let line = size * text::LINE_HEIGHT;
    let width = lines.iter().map(|l| text::width(fonts, l, size)).fold(0.0, f32::max) + 12.0;
    let height = line * lines.len() as f32 + 8.0;
    let x = at[0].min(scene.width as f32 - width).max(0.0);
    let y = at[1].min(scene.height as f32 - height).max(0.0);
    let border = Rect::new(x - 1.0, y - 1.0, width + 2.0, height + 2.0);
    scene.overlay_fills.push(Fill { rect: border, color: Rgba([90, 90, 90, 255]) });
    scene.overlay_fills.push(Fill { rect: Rect::new(x, y, width, height), color: Rgba([255, 255, 255, 245]) });
    for (i, l) in lines.iter().enumerate() {
        let at = [x + 6.0, y + 4.0 + line * (i as f32 + 0.5)];
        scene.overlay_texts.push(Text {
            text: l.clone(),
            at,
            size,
            align: Align::Start,
            rotated: false,
            color: Rgba::BLACK,
            kind: TextKind::Overlay,
        });
    }
}
