//! What the targets share: a scratch folder of this process's own, and
//! the stored file a cache target damages.

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

/// The file with extension `ext` that storing left in `dir` (a cache
/// target's stored file), copied to `$HEATSCOPE_FUZZ_SEED_OUT` when that
/// is set: `fuzz/seed.sh` makes the target's seed so.
#[allow(dead_code)]
pub fn stored_file(dir: &Path, ext: &str) -> PathBuf {
    let file = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == ext))
        .unwrap_or_else(|| panic!("storing left a .{ext} file"));
    if let Ok(seed) = std::env::var("HEATSCOPE_FUZZ_SEED_OUT") {
        std::fs::copy(&file, seed).unwrap();
    }
    file
}
