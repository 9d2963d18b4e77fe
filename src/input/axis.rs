//! [`Axis`]: rows or columns, the one way every stage names them.

use super::Matrix;

/// The rows, or the columns, of a matrix: what is clustered, standardised,
/// annotated or ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    /// The rows; each row is a vector of `cols` values.
    Rows,
    /// The columns; each column is a vector of `rows` values.
    Cols,
}

impl Axis {
    /// The number of items along this axis.
    pub fn len(self, matrix: &Matrix) -> usize {
        match self {
            Axis::Rows => matrix.rows(),
            Axis::Cols => matrix.cols(),
        }
    }

    /// The length of each item's vector.
    pub fn dim(self, matrix: &Matrix) -> usize {
        match self {
            Axis::Rows => matrix.cols(),
            Axis::Cols => matrix.rows(),
        }
    }

    /// The lower-case name used in messages ("row", "column").
    pub fn item_name(self) -> &'static str {
        match self {
            Axis::Rows => "row",
            Axis::Cols => "column",
        }
    }
}
