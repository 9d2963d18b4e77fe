//! The level-of-detail pyramid of the reordered matrix: every zoom level,
//! cut into tiles, stored in one memory-mapped file.

mod build;
mod cells;
pub mod layout;
mod loader;
pub mod select;
mod store;

pub use build::{PyramidError, PyramidOrigin, build_or_open};
pub use layout::{FACTOR, Geometry, Level, TILE, TileId};
pub use loader::{LoaderStats, TileLoader};
pub use select::{Selection, View, select};
pub use store::{Aggregate, FORMAT_VERSION, Pyramid, Tile, TileData, ValueStats};
