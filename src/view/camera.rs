//! The camera: which part of the matrix the heatmap panel shows, and how
//! zooming and panning change it. Pure, so its rules are unit-tested.

use crate::figure::scene::DataWindow;

/// The fewest rows (columns) a view may show: zooming stops at a few cells.
pub const MIN_CELLS: f64 = 3.0;

/// The visible part of a `rows × cols` matrix on a heatmap panel of
/// `size` pixels (width, height).
#[derive(Clone, Debug, PartialEq)]
pub struct Camera {
    rows: f64,
    cols: f64,
    size: [f64; 2],
    window: DataWindow,
}

impl Camera {
    /// The whole matrix on a panel of `size` pixels.
    pub fn new(rows: usize, cols: usize, size: [f64; 2]) -> Camera {
        Camera { rows: rows as f64, cols: cols as f64, size, window: DataWindow::all(rows, cols) }
    }

    /// What is visible.
    pub fn window(&self) -> &DataWindow {
        &self.window
    }

    /// Panel size in pixels (width, height).
    pub fn size(&self) -> [f64; 2] {
        self.size
    }

    /// Shows the whole matrix again.
    pub fn fit(&mut self) {
        self.window = DataWindow::all(self.rows as usize, self.cols as usize);
    }

    /// The panel was resized: the same part of the matrix stays in view.
    pub fn resize(&mut self, size: [f64; 2]) {
        self.size = size;
    }

    /// Matrix (row, column) under panel pixel `at` (x, y from the panel's
    /// top-left corner), fractional.
    pub fn data_at(&self, at: [f64; 2]) -> [f64; 2] {
        let w = &self.window;
        [
            w.rows.start + at[1] / self.size[1] * (w.rows.end - w.rows.start),
            w.cols.start + at[0] / self.size[0] * (w.cols.end - w.cols.start),
        ]
    }

    /// Zooms by `factor` (x: columns, y: rows; above 1 zooms in) about
    /// panel pixel `at`: the matrix point under it stays under it, unless
    /// a limit (the whole matrix, or [`MIN_CELLS`]) or an edge intervenes.
    pub fn zoom(&mut self, at: [f64; 2], factor: [f64; 2]) {
        let rows = zoom_axis(&self.window.rows, self.rows, at[1] / self.size[1], factor[1]);
        let cols = zoom_axis(&self.window.cols, self.cols, at[0] / self.size[0], factor[0]);
        self.window = DataWindow { rows, cols };
    }

    /// Moves the view by `by` pixels (dragging right shows columns further
    /// left, as a map does).
    pub fn pan(&mut self, by: [f64; 2]) {
        let w = &self.window;
        let rows = shift(&w.rows, self.rows, -by[1] / self.size[1] * (w.rows.end - w.rows.start));
        let cols = shift(&w.cols, self.cols, -by[0] / self.size[0] * (w.cols.end - w.cols.start));
        self.window = DataWindow { rows, cols };
    }

    /// Shows rows `rows` (display positions), keeping the columns, widened
    /// to the minimum and clamped to the matrix.
    pub fn show_rows(&mut self, rows: std::ops::Range<f64>) {
        self.window.rows = show(&rows, self.rows);
    }

    /// Shows columns `cols`, keeping the rows.
    pub fn show_cols(&mut self, cols: std::ops::Range<f64>) {
        self.window.cols = show(&cols, self.cols);
    }
}

/// `wanted` of `n` items, widened to the minimum and clamped.
fn show(wanted: &std::ops::Range<f64>, n: f64) -> std::ops::Range<f64> {
    let span = (wanted.end - wanted.start).clamp(MIN_CELLS.min(n), n);
    let centre = (wanted.start + wanted.end) / 2.0;
    shift(&(centre - span / 2.0..centre + span / 2.0), n, 0.0)
}

/// One axis of a zoom: `range` of `n` items, anchored at `fraction` of the panel.
fn zoom_axis(range: &std::ops::Range<f64>, n: f64, fraction: f64, factor: f64) -> std::ops::Range<f64> {
    let span = range.end - range.start;
    let new_span = (span / factor).clamp(MIN_CELLS.min(n), n);
    let anchor = range.start + fraction * span;
    let start = anchor - fraction * new_span;
    shift(&(start..start + new_span), n, 0.0)
}

/// `range` moved by `by` items, kept inside `0..n`.
fn shift(range: &std::ops::Range<f64>, n: f64, by: f64) -> std::ops::Range<f64> {
    let span = range.end - range.start;
    let start = (range.start + by).clamp(0.0, (n - span).max(0.0));
    start..start + span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera() -> Camera {
        Camera::new(1_000_000, 1000, [800.0, 500.0])
    }

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let mut c = camera();
        let at = [200.0, 125.0];
        let before = c.data_at(at);
        c.zoom(at, [4.0, 4.0]);
        let after = c.data_at(at);
        assert!((before[0] - after[0]).abs() < 1e-6 && (before[1] - after[1]).abs() < 1e-9, "{before:?} {after:?}");
        assert_eq!(c.window().rows.end - c.window().rows.start, 250_000.0);
        assert_eq!(c.window().cols.end - c.window().cols.start, 250.0);
    }

    #[test]
    fn per_axis_zoom_leaves_the_other_axis() {
        let mut c = camera();
        c.zoom([400.0, 250.0], [1.0, 10.0]);
        assert_eq!(c.window().cols, 0.0..1000.0);
        assert_eq!(c.window().rows, 450_000.0..550_000.0);
    }

    #[test]
    fn zoom_stops_at_the_whole_matrix_and_at_a_few_cells() {
        let mut c = camera();
        c.zoom([10.0, 10.0], [0.1, 0.1]);
        assert_eq!(c.window(), &DataWindow::all(1_000_000, 1000));
        for _ in 0..100 {
            c.zoom([400.0, 250.0], [2.0, 2.0]);
        }
        assert_eq!(c.window().rows.end - c.window().rows.start, MIN_CELLS);
        assert_eq!(c.window().cols.end - c.window().cols.start, MIN_CELLS);
        // A matrix smaller than the limit shows whole.
        let mut tiny = Camera::new(2, 1, [100.0, 100.0]);
        tiny.zoom([50.0, 50.0], [8.0, 8.0]);
        assert_eq!(tiny.window(), &DataWindow::all(2, 1));
    }

    #[test]
    fn pan_moves_by_pixels_and_stops_at_the_edges() {
        let mut c = camera();
        c.zoom([0.0, 0.0], [10.0, 10.0]);
        assert_eq!(c.window().rows, 0.0..100_000.0);
        // Dragging up by 50 px (a tenth of the panel) shows rows further down.
        c.pan([0.0, -50.0]);
        assert_eq!(c.window().rows, 10_000.0..110_000.0);
        c.pan([0.0, 1e9]);
        assert_eq!(c.window().rows, 0.0..100_000.0);
        c.pan([-1e9, -1e9]);
        assert_eq!(c.window().rows, 900_000.0..1_000_000.0);
        assert_eq!(c.window().cols, 900.0..1000.0);
    }

    #[test]
    fn zooming_at_an_edge_stays_inside() {
        let mut c = camera();
        c.zoom([800.0, 500.0], [2.0, 2.0]);
        assert_eq!(c.window().rows, 500_000.0..1_000_000.0);
        assert_eq!(c.window().cols, 500.0..1000.0);
        c.show_rows(999_999.0..1_000_001.0);
        assert_eq!(c.window().rows, 1_000_000.0 - MIN_CELLS..1_000_000.0);
        c.show_cols(10.0..30.0);
        assert_eq!(c.window().cols, 10.0..30.0);
    }
}
