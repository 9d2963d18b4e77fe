//! The application layer: a figure described by a [`FigureSpec`] is
//! prepared ([`prepare`]: opened, standardised, clustered, its pyramid
//! built, bars and colours chosen) and laid out at a size ([`scene`]).
//! The command line, the window and the benchmark are shells around it,
//! and so can any other program be.

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

pub use cluster::{
    ClusteringNote, cannot_write, check_in_place, cluster_axis, labels, read_linkage, read_order, write_clusters,
};
pub use export::{Format, export, layout};
pub use prepare::{Linked, Prepared, check_folder, prepare, prepare_panel};
pub use scene::scene;
pub use session::{HudStats, SearchKey, Session, overlay};
pub use spec::{FigureSpec, InputSpec, LinkOrder};

/// A request that cannot work, worded for the user in the command line's
/// terms (the command line exits with code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
