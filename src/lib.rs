//! heatscope: clustered heatmaps of matrices far larger than memory.
//!
//! The modules follow the data flow: [`input`] maps a matrix from disk,
//! later stages cluster, order, pyramid and draw it.
#![deny(unsafe_code)]

pub mod cluster;
pub mod generate;
pub mod hash;
pub mod input;
mod mmap;
pub mod output;
pub mod progress;
pub mod pyramid;
