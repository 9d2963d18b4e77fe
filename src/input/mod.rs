//! Getting a matrix into heatscope: a read-only, row-major `f32` block,
//! memory-mapped where possible, with row and column labels.
//!
//! `.npy` files of little-endian `f32` in C order are mapped in place. Text
//! (TSV/CSV, optionally gzip), every other `.npy` dtype or order, AnnData
//! `.h5ad` files and 10x Matrix Market folders are converted once, in a
//! streaming pass, into the binary cache ([`cache`]), which is then mapped.
//! Annotation columns (`obs:bulk_labels`) are read by name with
//! [`annotation_column`].

mod annotation;
mod axis;
pub mod cache;
mod error;
mod h5ad;
mod labels;
mod matrix;
mod mtx;
mod npy;
mod sparse;
mod standardize;
mod stats;
mod text;

pub use annotation::{
    Annotation, AnnotationValues, Annotations, ColsSubset, ObsVar, annotation_column, annotation_columns,
};
pub use axis::Axis;
pub use error::InputError;
pub use labels::Labels;
pub use matrix::{CacheUse, Matrix, MatrixValues, OpenOptions, Source};
pub use standardize::{Standardize, standardize};
pub use stats::{Stats, Summary, scan};
pub use text::{CdtIds, cdt_ids};
