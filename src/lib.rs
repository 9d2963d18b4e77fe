//! heatscope: clustered heatmaps of matrices far larger than memory.
//!
//! The modules follow the data flow: [`input`] maps a matrix from disk,
//! later stages cluster, order, pyramid and draw it.
#![deny(unsafe_code)]

pub mod app;
pub mod cluster;
pub mod figure;
pub mod generate;
pub mod hash;
pub mod input;
mod mmap;
pub mod output;
pub mod progress;
pub mod pyramid;
pub mod quote;
pub mod render;
mod temp;
pub mod view;
pub mod window;

// Buffers of a few megabytes come and go in every streaming pass; the
// system allocator hands them back to the kernel and faults fresh pages in
// each time, which on virtual machines costs as much as the work itself.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
