//! Progress of long passes, and stopping them.
//!
//! Library stages ask for a [`Bar`] here, advance it, and check
//! [`interrupted`] between blocks; they name nothing else. Whoever drives
//! them chooses how progress shows: on the terminal (indicatif, the only
//! implementation, kept inside this module; [`set_enabled`] turns it off),
//! or its own way by polling [`current`] (the window does), and stops them
//! with [`interrupt`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(true);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The bar made last, shown or not, for [`current`].
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

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

/// Asks the long passes to stop, as Ctrl-C does (a window closed while its
/// figure is still being prepared).
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Whether the user has pressed Ctrl-C.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// A long stage's progress: how much of how much is done, and what the
/// stage is called. Cheap to clone (clones share one bar).
#[derive(Clone, Debug)]
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar that shows nowhere (tests, callers that report nothing).
    pub fn hidden() -> Bar {
        Bar(ProgressBar::hidden())
    }

    /// `delta` more done.
    pub fn inc(&self, delta: u64) {
        self.0.inc(delta);
    }

    /// How much there is in all.
    pub fn set_length(&self, total: u64) {
        self.0.set_length(total);
    }

    /// How much is done.
    pub fn set_position(&self, done: u64) {
        self.0.set_position(done);
    }

    /// What the stage is called.
    pub fn set_message(&self, message: impl Into<String>) {
        self.0.set_message(message.into());
    }

    /// How much is done, and of how much (when known).
    pub fn position(&self) -> u64 {
        self.0.position()
    }

    pub fn length(&self) -> Option<u64> {
        self.0.length()
    }

    /// The stage is over: the bar goes away.
    pub fn finish_and_clear(&self) {
        self.0.finish_and_clear();
    }
}

/// A bar over `total` bytes, shown on stderr when it is a terminal.
pub fn bytes_bar(total: u64, message: &str) -> Bar {
    bar(total, message, "{msg:>12} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
}

/// A bar over `total` items (rows, pairs…), shown on stderr when it is a terminal.
pub fn items_bar(total: u64, message: &str) -> Bar {
    bar(total, message, "{msg:>12} [{bar:40}] {human_pos}/{human_len} {per_sec} eta {eta}")
}

/// What the bar made last says while it runs (its message, and the part
/// done from 0 to 1 when its length is known), whether or not it is shown:
/// for a window to show what the terminal does.
pub fn current() -> Option<(String, Option<f64>)> {
    let bar = CURRENT.lock().ok()?.clone()?;
    state(&bar)
}

/// A running bar's message and part done; None once it has finished.
fn state(bar: &ProgressBar) -> Option<(String, Option<f64>)> {
    if bar.is_finished() {
        return None;
    }
    let done = bar.length().filter(|&total| total > 0).map(|total| (bar.position() as f64 / total as f64).min(1.0));
    Some((bar.message(), done))
}

fn bar(total: u64, message: &str, template: &str) -> Bar {
    let bar = if ENABLED.load(Ordering::Relaxed) {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(template)
            .expect("progress templates are constant and valid")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        let bar = ProgressBar::hidden();
        bar.set_length(total);
        bar
    };
    bar.set_message(message.to_owned());
    if let Ok(mut current) = CURRENT.lock() {
        *current = Some(bar.clone());
    }
    Bar(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_tells_how_far_it_is_until_it_finishes() {
        // Other tests make bars at the same time, so this one is read directly.
        let bar = ProgressBar::hidden();
        bar.set_length(200);
        bar.set_message("rows");
        bar.inc(50);
        assert_eq!(state(&bar), Some(("rows".to_owned(), Some(0.25))));
        bar.set_length(0);
        assert_eq!(state(&bar), Some(("rows".to_owned(), None)));
        bar.finish_and_clear();
        assert_eq!(state(&bar), None);
    }
}
