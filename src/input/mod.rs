//! Getting a matrix into heatscope: a read-only, row-major `f32` block,
//! memory-mapped where possible, with row and column labels.
//!
//! `.npy` files of little-endian `f32` in C order are mapped in place. Text
//! (TSV/CSV, optionally gzip), every other `.npy` dtype or order, AnnData
//! `.h5ad` files and 10x Matrix Market folders are converted once, in a
//! streaming pass, into the binary cache ([`cache`]), which is then mapped.
//! Annotation columns (`obs:bulk_labels`) are read by name with
//! [`annotation_column`].
//!
//! # Files
//! - `matrix.rs`: [`Matrix`] (rows, cols, `row(i)`, `data()`, labels,
//!   [`Source`]) and `Matrix::open`, which tells formats apart by content
//!   (npy magic, HDF5 magic, gzip magic, else text; a folder holding
//!   `matrix.mtx(.gz)` is 10x). In [`OpenOptions`], `layer`, `transpose`,
//!   `cols_subset` and `gene_ids` apply to `.h5ad` and 10x only and are
//!   hashed into the cache's identity, so each variant has its own cache.
//! - `cache.rs`: the binary cache format (documented there), its writer
//!   (temporary file → sync → rename) and its checks on open.
//! - `text.rs`: TSV/CSV and Cluster 3.0 CDT (a line layout: label field,
//!   skipped annotation fields, values). 16 MiB blocks are split at line
//!   ends into ~512 KiB pieces, parsed in parallel by rayon while the next
//!   block is read. Values go straight to the cache writer, so memory is
//!   bounded by the block size plus the labels.
//! - `npy.rs`: the header (read with `npyz`), the in-place check, and
//!   conversion band by band (C order read sequentially; Fortran order read
//!   from the map in short column runs).
//! - `h5ad.rs`: AnnData through the pure-Rust `hdf5-reader` (pinned):
//!   current and pre-0.7 layouts, dense / CSR / CSC `X` and `layers/NAME`,
//!   obs/var names and columns (categorical, numeric, boolean, nullable).
//!   Shapes, `indptr` and indices are checked before use. Dense `X` is read
//!   in row bands (column runs when transposed), sparse `X` in pieces of
//!   2²⁰ entries.
//! - `mtx.rs`: 10x folders: the Matrix Market header, entries streamed line
//!   by line into a spill, `features.tsv`/`genes.tsv` and `barcodes.tsv`
//!   (plain or gzip) as labels, counts checked against the size line.
//! - `sparse.rs`: densifying sparse entries in bounded memory. Entries
//!   grouped by output row are scattered into 8 MiB bands. Entries in any
//!   other order go through `Spill`, which appends each to its band's bucket
//!   in one temporary file (32 MiB of buffers in all), then densifies band
//!   by band.
//! - `annotation.rs`: [`annotation_column`] gives categorical codes and
//!   categories, or numeric values, aligned with the matrix's rows or columns
//!   (after a transpose or a column subset, [`ColsSubset`]); from the `.h5ad`
//!   file, or from `X.obs.tsv` / `X.var.tsv` beside a text matrix.
//! - `labels.rs`: [`Labels`]: generated (`row_0…`), packed in memory, or read
//!   in place from the mapped cache; duplicate detection.
//! - `stats.rs`: [`scan`], one parallel pass for min / max / mean / NaN count
//!   that also rejects infinities; [`Summary`], running totals the pyramid
//!   build shares.
//! - `standardize.rs`: standardised copies (z-score, standard scale), written
//!   into the cache and mapped like any matrix. `axis.rs`: [`Axis`].
//! - `subset.rs`: [`subset`]: some rows (columns) as a matrix of their own
//!   (a slice of a split figure): gathered in memory up to 256 MB, else
//!   written once into the cache and mapped.
//! - `error.rs`: [`InputError`]: each failure as one line naming file, place
//!   and fix, with its exit code.
//!
//! # Memory
//! The matrix is never copied whole into RAM. Text conversion holds one
//! block of text and its parsed values at a time; labels are kept in memory
//! (about 20 bytes a row). Streaming passes release the mapped pages they
//! have read, so a pass over a file larger than RAM does not grow the
//! resident set.
//!
//! # Cache identity
//! A cache file is named after the hash of the canonical source path. It
//! stores the source's size and a change stamp (modification and
//! status-change times, inode, device), so a rewrite that restores the
//! modification time, as `cp -p` does, is still noticed. A changed source
//! replaces its cache (same name, atomic rename). Any failed check means
//! "rebuild", never "use". A cache is written whole (temporary file, fsync,
//! rename) or not at all, and its data and labels are checked against
//! their checksum once per open ([`cache`]); a matrix handed from one
//! stage to the next is not opened again. An `.h5ad`'s cache is looked
//! up before the file's names are read, so a reused one costs no pass
//! over a million names. Pipes are read as text into a cache that is
//! deleted once mapped.
//!
//! # Sparse input
//! `.h5ad` CSR/CSC and 10x are densified into the same cache, never whole
//! in RAM. When the compressed axis is the output's rows (CSR as it is, CSC
//! transposed), each band of rows is read as one range of `data` and
//! `indices`. Otherwise (CSC as it is, CSR transposed, Matrix Market's
//! column-major entries) a two-pass bucketed spill turns column order into
//! row order, with a temporary file as large as the entries (12 bytes
//! each). Values at a repeated coordinate add up, as scipy's `toarray` does.
//!
//! # HDF5
//! `hdf5-reader` is pure Rust (no system library, about 23,000 lines),
//! read-only and bounds-checked. A truncated file is caught by comparing the
//! superblock's end-of-file address with the file's length. A dataspace
//! is trusted only as far as the file could back it: before anything sized
//! from it is read, a dataset stored whole must fit in the file and a
//! chunked one in 1100 times the file (beyond deflate's ~1032:1), and
//! `hdf5-reader`'s per-read limit is set to that bound as a backstop; a
//! 13 KB file claiming 2⁴⁰ entries is refused at once. Of the other
//! pure-Rust readers tried on the same files, `rustyhdf5` 1.93.0 could not
//! read anndata's variable-length string names, and `hdf5-pure` 0.47.0 read
//! them but is a 105,000-line reader and writer. (A clean release build of
//! the whole project takes about 3 minutes on 2 cores.)
//!
//! # Missing and non-finite values
//! NaN is the one missing-value marker. Infinities are refused: while
//! parsing text and converting `.npy`, and by the first full pass ([`scan`])
//! for `float32` files mapped in place, since opening one must stay a
//! constant-time map.

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
mod subset;
mod text;

pub use annotation::{
    Annotation, AnnotationValues, Annotations, ColsSubset, ObsVar, annotation_column, annotation_columns,
};
pub use axis::Axis;
pub use error::InputError;
pub use labels::Labels;
pub use matrix::{CacheUse, Matrix, MatrixValues, OpenOptions, SharedValues, Source};
pub use standardize::{Standardize, standardize};
pub use stats::{Stats, Summary, scan};
pub use subset::subset;
pub use text::{CdtIds, cdt_ids};
