//! Getting a matrix into heatscope: a read-only, row-major `f32` block,
//! memory-mapped where possible, with row and column labels.

mod matrix;

pub use matrix::Matrix;
