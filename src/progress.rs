//! Progress bars and Ctrl-C for long passes.
//!
//! Library code asks for a bar here and checks [`interrupted`] between blocks;
//! the command-line edge decides whether bars are shown at all.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(true);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Turns every later progress bar on or off (`--quiet`).
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// Makes Ctrl-C set a flag that long passes poll, so they can stop between
/// blocks and remove their temporary files instead of dying mid-write. A
/// second Ctrl-C quits at once (exit code 130), for a stage that does not
/// poll; what it leaves is at most a temporary file, never a cache file.
pub fn install_interrupt_handler() {
    // A second handler cannot be installed; the first one is all we need.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
        eprintln!("\nstopping… (Ctrl-C again to quit at once)");
    });
}

/// Whether the user has pressed Ctrl-C.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// A bar over `total` bytes, shown on stderr when it is a terminal.
pub fn bytes_bar(total: u64, message: &str) -> ProgressBar {
    bar(total, message, "{msg:>12} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
}

/// A bar over `total` items (rows, pairs…), shown on stderr when it is a terminal.
pub fn items_bar(total: u64, message: &str) -> ProgressBar {
    bar(total, message, "{msg:>12} [{bar:40}] {human_pos}/{human_len} {per_sec} eta {eta}")
}

fn bar(total: u64, message: &str, template: &str) -> ProgressBar {
    if !ENABLED.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(template)
        .expect("progress templates are constant and valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
