//! What the targets share: a scratch folder of this process's own.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A folder for this process's files, made once.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        heatscope::progress::set_enabled(false);
        let dir = std::env::temp_dir().join(format!("heatscope-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}
