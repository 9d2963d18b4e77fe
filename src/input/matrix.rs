//! The [`Matrix`] every later stage reads.

/// A read-only, row-major `f32` matrix with labels.
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl Matrix {
    /// An in-memory matrix (for small data and tests).
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), rows * cols, "data length must be rows * cols");
        Self { rows, cols, data }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i` as a slice of `cols` values. NaN marks a missing value.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data()[i * self.cols..(i + 1) * self.cols]
    }

    /// All values, row-major. For a mapped matrix this is the mapping itself:
    /// touching it pages data in on demand; it is never copied.
    pub fn data(&self) -> &[f32] {
        &self.data
    }
}
