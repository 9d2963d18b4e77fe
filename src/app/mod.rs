//! The application layer: a figure described by a [`FigureSpec`] is
//! prepared ([`prepare`]: opened, standardised, both axes clustered, its
//! pyramid built, bars and colours chosen) and laid out at a size
//! ([`scene`]). The command line, the window, the benchmark and tests are
//! shells around it, and so can any other program be: one drawing path for
//! window and export.
//!
//! # Files
//! - `spec.rs`: `FigureSpec` (every choice a figure is made from, serde) and
//!   `InputSpec` (the file and how to open it). `check` refuses combinations
//!   that cannot work, in the flags' words ([`UsageError`], exit code 2).
//! - `prepare.rs`: `prepare(spec) -> Prepared`: the main panel, then each
//!   linked panel matched to the one on its left by row label. Trees and
//!   orders given in files, and bar tables, are read and checked before any
//!   long work; then cuts, bars, the colour scale (`figure::ScaleRequest`).
//! - `scene.rs`: the clustermap or linked layout of a prepared figure.
//! - `session.rs`: [`Session`], the viewer's state machine: one camera per
//!   panel, the panel in focus, follow mode, search, the cut, the selected
//!   subtree, hover, help and HUD. Actions (`view::Action`), pointer, wheel
//!   and typed keys change it; what only a window can do (screenshots,
//!   losing the device) comes back.
//! - `cluster.rs`: one axis clustered with its summary line, linkage and
//!   order files read, cut clusters written, the check for infinities.
//! - `split.rs`: an axis split into slices (`--row-split`): by the tree's
//!   cut, or by an annotation's categories, each slice clustered alone and
//!   the slices ordered by a tree over their mean profiles or as given.
//! - `cluster_job.rs`: the `cluster` command as a [`cluster_job::ClusterJob`].
//! - `export.rs`: a drawn figure as PNG or SVG bytes; the layout as JSON.
//! - `info.rs`: what a matrix file holds (`heatscope info`).
//! - `preview.rs`: for more than 4,096 rows, the file-order preview of every
//!   k-th row the window shows while the figure is prepared, filling in
//!   256 → 1,024 → 4,096 rows; the thread that prepares both.
//! - `bench.rs`: the benchmark's camera path over a `Session` (each zoom and
//!   pan applied to every panel), drawn offscreen and waited for each frame;
//!   frame-time percentiles, tile traffic, per-frame primitive counts.

pub mod bench;
mod cluster;
pub mod cluster_job;
mod export;
pub mod info;
mod prepare;
pub mod preview;
mod scene;
mod session;
mod spec;
pub mod split;

pub use cluster::{
    ClusteringNote, cannot_write, check_in_place, cluster_axis, labels, read_linkage, read_order, write_clusters,
};
pub use export::{Format, export, layout};
pub use prepare::{Linked, Prepared, check_folder, prepare, prepare_opened, prepare_panel};
pub use scene::scene;
pub use session::{HudStats, SearchKey, Session, ViewState, overlay};
pub use spec::{FigureSpec, InputSpec, LinkOrder};

/// A request that cannot work, worded for the user in the command line's
/// terms (the command line exits with code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
