//! heatscope: clustered heatmaps of matrices far larger than memory.
//!
//! The modules follow the data flow: [`input`] maps a matrix from disk,
//! later stages cluster, order, pyramid and draw it.
#![deny(unsafe_code)]

pub mod cluster;
pub mod input;
