//! Progress of long passes, and stopping them.
//!
//! Library stages ask for a [`Bar`] here, advance it, and check
//! [`interrupted`] between blocks; they name nothing else. Whoever drives
//! them chooses how progress shows: on the terminal (indicatif, kept
//! inside this module; [`set_enabled`] turns it off), its own way through
//! a [`Reporter`] ([`set_reporter`]), or by polling
//! [`current`] (the window does); and stops them with [`interrupt`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(true);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The bar made last, shown or not, for [`current`].
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);
/// Where every bar also reports, if anywhere.
static REPORTER: RwLock<Option<Arc<dyn Reporter>>> = RwLock::new(None);

/// The least time between two reports of one stage to a [`Reporter`].
pub const REPORT_EVERY: Duration = Duration::from_millis(100);

/// Receives the progress of long stages, for a caller that shows it its
/// own way. Stages run on worker threads, hence `Send + Sync`.
pub trait Reporter: Send + Sync {
    /// `stage` has done `done` of `total` (bytes or items; `None` while
    /// unknown). Called when a stage starts, at most every
    /// [`REPORT_EVERY`] while it runs, and with its last position when it
    /// ends.
    fn report(&self, stage: &str, done: u64, total: Option<u64>);

    /// `stage` is over.
    fn finished(&self, stage: &str);
}

/// Sends the progress of every later stage to `reporter` as well (`None`:
/// to no reporter).
pub fn set_reporter(reporter: Option<Arc<dyn Reporter>>) {
    if let Ok(mut slot) = REPORTER.write() {
        *slot = reporter;
    }
}

/// Notes kept for [`take_notes`] instead of written, while kept.
static NOTES: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// A one-line note of a stage (what it computed and how fast, a warning
/// starting "warning: "): written to stderr, or kept for [`take_notes`]
/// once [`keep_notes`] has been called (the Python package hands them to
/// `logging` and `warnings`).
pub fn note(line: String) {
    match NOTES.lock() {
        Ok(mut kept) if kept.is_some() => kept.as_mut().expect("checked").push(line),
        _ => eprintln!("{line}"),
    }
}

/// Keeps every later [`note`] for [`take_notes`] instead of writing it
/// (`false`: writes them again, as the window wants while it loads).
pub fn keep_notes(keep: bool) {
    if let Ok(mut kept) = NOTES.lock() {
        match keep {
            true => drop(kept.get_or_insert_with(Vec::new)),
            false => *kept = None,
        }
    }
}

/// The notes kept since the last call, oldest first.
pub fn take_notes() -> Vec<String> {
    NOTES.lock().ok().and_then(|mut kept| kept.as_mut().map(std::mem::take)).unwrap_or_default()
}

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

/// Lets long passes run again after an [`interrupt`]: for a program that
/// goes on after stopping one piece of work (an interactive session).
pub fn clear_interrupt() {
    INTERRUPTED.store(false, Ordering::Relaxed);
}

/// A long stage's progress: how much of how much is done, and what the
/// stage is called. Cheap to clone (clones share one bar).
#[derive(Clone)]
pub struct Bar {
    bar: ProgressBar,
    /// The reporter when the bar was made, and when it last reported
    /// (milliseconds after `made`).
    reporter: Option<Arc<dyn Reporter>>,
    made: Instant,
    reported: Arc<AtomicU64>,
    /// Whether the reporter has been told the stage is over.
    finished: Arc<AtomicBool>,
}

impl std::fmt::Debug for Bar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Bar").field(&self.bar).finish()
    }
}

impl Bar {
    fn new(bar: ProgressBar, reporter: Option<Arc<dyn Reporter>>) -> Bar {
        let bar = Bar {
            bar,
            reporter,
            made: Instant::now(),
            reported: Arc::new(AtomicU64::new(0)),
            finished: Arc::new(AtomicBool::new(false)),
        };
        bar.report(true);
        bar
    }

    /// A bar that shows nowhere and reports to no one (tests, callers that
    /// report nothing).
    pub fn hidden() -> Bar {
        Bar::new(ProgressBar::hidden(), None)
    }

    /// Tells the reporter where the stage is: when `now`, or when the last
    /// report is [`REPORT_EVERY`] old.
    fn report(&self, now: bool) {
        let Some(reporter) = &self.reporter else { return };
        let at = self.made.elapsed().as_millis() as u64;
        let last = self.reported.load(Ordering::Relaxed);
        let due = at >= last + REPORT_EVERY.as_millis() as u64;
        // Of several threads advancing the bar at once, one reports.
        let won = || self.reported.compare_exchange(last, at, Ordering::Relaxed, Ordering::Relaxed).is_ok();
        if now || (due && won()) {
            let total = self.bar.length().filter(|&total| total > 0);
            reporter.report(&self.bar.message(), self.bar.position(), total);
        }
    }

    /// `delta` more done.
    pub fn inc(&self, delta: u64) {
        self.bar.inc(delta);
        self.report(false);
    }

    /// How much there is in all.
    pub fn set_length(&self, total: u64) {
        self.bar.set_length(total);
        self.report(false);
    }

    /// How much is done.
    pub fn set_position(&self, done: u64) {
        self.bar.set_position(done);
        self.report(false);
    }

    /// What the stage is called. A reporter hears the stage of the old
    /// name end and the new one start.
    pub fn set_message(&self, message: impl Into<String>) {
        let message = message.into();
        let old = self.bar.message();
        if let Some(reporter) = self.reporter.as_ref().filter(|_| !old.is_empty() && old != message) {
            reporter.finished(&old);
        }
        self.bar.set_message(message);
        self.report(true);
    }

    /// How much is done, and of how much (when known).
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    pub fn length(&self) -> Option<u64> {
        self.bar.length()
    }

    /// The stage is over: the bar goes away.
    pub fn finish_and_clear(&self) {
        if self.reporter.is_some() && !self.finished.swap(true, Ordering::Relaxed) {
            self.report(true);
            if let Some(reporter) = &self.reporter {
                reporter.finished(&self.bar.message());
            }
        }
        self.bar.finish_and_clear();
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
    Bar::new(bar, REPORTER.read().ok().and_then(|r| r.clone()))
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

    /// Keeps what it is told.
    #[derive(Default)]
    struct Kept(Mutex<Vec<(String, u64, Option<u64>)>>, Mutex<Vec<String>>);

    impl Reporter for Kept {
        fn report(&self, stage: &str, done: u64, total: Option<u64>) {
            self.0.lock().unwrap().push((stage.to_owned(), done, total));
        }

        fn finished(&self, stage: &str) {
            self.1.lock().unwrap().push(stage.to_owned());
        }
    }

    #[test]
    fn a_reporter_hears_a_stage_start_and_end_once() {
        let kept = Arc::new(Kept::default());
        let indicatif = ProgressBar::hidden();
        indicatif.set_length(1000);
        indicatif.set_message("rows");
        let bar = Bar::new(indicatif, Some(kept.clone()));
        for _ in 0..100 {
            bar.inc(10);
        }
        bar.finish_and_clear();
        bar.finish_and_clear();
        let reports = kept.0.lock().unwrap().clone();
        assert_eq!(reports.first(), Some(&("rows".to_owned(), 0, Some(1000))));
        assert_eq!(reports.last(), Some(&("rows".to_owned(), 1000, Some(1000))));
        assert_eq!(*kept.1.lock().unwrap(), ["rows"]);
    }

    #[test]
    fn the_reporter_set_hears_every_later_bar() {
        let kept = Arc::new(Kept::default());
        set_reporter(Some(kept.clone()));
        let bar = items_bar(40, "reporter test");
        bar.set_position(40);
        bar.finish_and_clear();
        set_reporter(None);
        // Other tests make bars at the same time: only this one's count.
        let ours: Vec<_> = kept.0.lock().unwrap().iter().filter(|r| r.0 == "reporter test").cloned().collect();
        assert_eq!(ours.first(), Some(&("reporter test".to_owned(), 0, Some(40))));
        assert_eq!(ours.last(), Some(&("reporter test".to_owned(), 40, Some(40))));
        assert!(kept.1.lock().unwrap().iter().any(|s| s == "reporter test"));
    }
}
