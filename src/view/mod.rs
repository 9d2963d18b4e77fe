//! What the interactive viewer and the benchmark decide without a window
//! or GPU: the camera over the matrix, the mapping from input to actions,
//! and the scripted camera paths that `--script` and `heatscope bench`
//! replay.
//!
//! # Files
//! - `camera.rs`: [`Camera`]: the data window on the heatmap panel. Zoom
//!   about a point (per axis), pan and fit, clamped to the matrix and to
//!   `camera::MIN_CELLS` (3) cells.
//! - `script.rs`: [`Action`]s, the keys and the wheel mapped to them,
//!   `--script` files ([`Script`]), and the benchmark's camera path
//!   ([`bench_path`], 224 frames).
//!
//! The viewer's state machine that these actions drive lives in
//! `app::session`; the winit window around it is in `src/window/`.

pub mod camera;
pub mod script;

pub use camera::Camera;
pub use script::{Action, Script, ScriptError, bench_path};
