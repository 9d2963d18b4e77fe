//! Getting a matrix into heatscope: a read-only, row-major `f32` block,
//! memory-mapped where possible, with row and column labels.
//!
//! `.npy` files of little-endian `f32` in C order are mapped in place. Text
//! (TSV/CSV, optionally gzip) and every other `.npy` dtype or order are
//! converted once, in a streaming pass, into the binary cache ([`cache`]),
//! which is then mapped.

pub mod cache;
mod error;
mod labels;
mod matrix;
mod npy;
mod standardize;
mod stats;
mod text;

pub use error::InputError;
pub use labels::Labels;
pub use matrix::{CacheUse, Matrix, OpenOptions, Source};
pub use standardize::{Along, Standardize, standardize};
pub use stats::{Stats, Summary, scan};
pub use text::{CdtIds, cdt_ids};
