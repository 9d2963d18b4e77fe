//! What the interactive viewer and the benchmark decide without a window
//! or GPU: the camera over the matrix, the mapping from input to actions,
//! and the scripted camera paths that `--script` and `heatscope bench`
//! replay.

pub mod camera;
pub mod script;

pub use camera::Camera;
pub use script::{Action, Script, ScriptError, bench_path};
