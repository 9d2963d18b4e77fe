//! The level-of-detail pyramid of the reordered matrix: every zoom level,
//! cut into tiles, stored in one memory-mapped file.
//!
//! # Files
//! - `layout.rs`: [`Geometry`]: levels, tiles and their cell rectangles (pure).
//! - `select.rs`: [`select()`]: the level and tiles for a view, and coarser
//!   fall-back tiles (pure).
//! - `build.rs`: [`build_or_open`]: the streamed, parallel build, the
//!   statistics for colour scales, and the pyramid cache ([`open_cached`]
//!   only looks there).
//! - `cells.rs`: the four aggregates of a block of cells in four arrays,
//!   merged along rows or columns in loops that vectorise; `build.rs` runs
//!   the pass and the writer around them.
//! - `store.rs`: the file format (documented there), the checks on open, and
//!   reading a tile as a value.
//! - `loader.rs`: [`TileLoader`]: tile requests served by worker threads,
//!   with an LRU byte budget on the tiles it keeps. `retain` withdraws
//!   requests a moved view no longer wants (workers skip them).
//!
//! # The scheme: a rip-map with factor 4
//! Level `(r, c)` shrinks rows by 4^r and columns by 4^c, independently, so
//! a 1,000,000 × 100 matrix is shrunk along its rows only and a
//! 100 × 200,000 one along its columns only. Each axis gets levels until it
//! fits one 256-cell tile. A cell of a coarse level stores the mean, minimum
//! and maximum of the finite matrix cells under it, so the renderer can show
//! the mean or the value farthest from the colour scale's centre (a single
//! outlier among a million rows stays visible). Every level is cut into
//! 256 × 256 tiles, stored tile row by tile row; edge tiles are cut to the
//! matrix, not padded.
//!
//! # Which level
//! Per axis, the level whose cells per pixel are nearest 1 on a log scale,
//! that is between 1/2 and 2 cells per pixel. A view therefore needs at most
//! 2 × 2 screens of cells (about 1.5 on average), a pixel reads at most
//! 3 × 3 texels to cover all the cells under it, and every matrix cell
//! reaches the pixels its aggregate covers. (Choosing the level with at least
//! one cell per pixel would need factor-2 levels for the same tile count,
//! and twice the storage below.)
//!
//! # Storage
//! The three finest levels, (0, 0), (0, 1) and (1, 0), are not stored.
//! Their tiles are made from the matrix's own map through the two orders
//! when asked for: the values as they are, and the cells of the other two
//! merged exactly as the build merges them (the same bits, tested). A
//! full-resolution tile reads 256 rows across 256 columns; a tile of (0, 1)
//! or (1, 0) reads 256 × 1,024 values, which with a clustered column order
//! touches every byte of its rows (about 30 µs and 0.7–0.8 ms for
//! 1,000,000 × 1,000; BENCHMARKS.md, "Cold start at full scale").
//! The other cells are stored as three `f16` (1.5× their count in bytes):
//! (Σ_{r≥1} 4^-r)(Σ 4^-c) − 1/4 + (Σ_{c≥2} 4^-c) of the matrix. That is
//! 1/12 for a tall matrix with columns that fit one tile, 1/6 for
//! 1,000,000 × 1,000, and 5/18 at most. In all the pyramid is 0.125× the
//! `f32` matrix (tall, ≤ 256 columns), 0.25× for 1,000,000 × 1,000
//! (1.03 GB, measured), and 0.42× at most.
//!
//! # f16 precision
//! Each aggregate tile stores a centre and a scale (`f32`) and its values as
//! `(v − centre) / scale` in `f16`. The error is at most 1/8192 of that
//! tile's own value range: below one step of a 256-colour scale whenever the
//! colour scale spans at least 1/32 of the tile's range.
//!
//! # Build
//! One pass in display order, 1,024 rows at a time. Rows are read with
//! `pread`, which leaves no mapped pages behind a pass in arbitrary order;
//! the next chunk is read while the last is merged. Each chunk is shrunk
//! along the columns (levels (0, j ≥ 2) written), then handed down a cascade
//! of row levels that each merge groups of 4 rows and write a tile row
//! whenever 256 of theirs are complete. Statistics come from the same pass:
//! min, max, mean, NaN count, and the 2nd/98th percentiles from a
//! ~2²⁰-value Bernoulli sample whose generator is seeded per row. Memory:
//! tens of KB per matrix column, whatever the number of rows.
//!
//! # Cache
//! The file is named by a hash of the matrix fingerprint (the mapped file's
//! path, size and change stamp), both orders and the format version. It is
//! written to a temporary file, synced and renamed. Any failed check on open
//! (magic, version, key, header checksum, exact length) rebuilds it.

mod build;
mod cells;
pub mod layout;
mod loader;
pub mod select;
mod store;

pub use build::{PyramidError, PyramidOrigin, build_or_open, open_cached};
pub use layout::{FACTOR, Geometry, Level, TILE, TileId};
pub use loader::{LoaderStats, TileLoader};
pub use select::{Selection, View, select};
pub use store::{Aggregate, FORMAT_VERSION, Pyramid, Tile, TileData, ValueStats};
