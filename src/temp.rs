//! Temporary files in the cache folders, named after the process writing
//! them (`.{what}.pid{pid}.{random}.tmp`), so that one orphaned by `kill -9`
//! or a crash is recognised and removed by the next run that writes there.
//!
//! A pid means this machine's process: a cache folder shared by machines
//! could see another machine's writer as dead. Its file would then be
//! removed under it, and that writer's rename would fail with a cache-write
//! error; no reader ever sees a half-written file either way.

use std::fs;
use std::io;
use std::path::Path;

use tempfile::NamedTempFile;

/// Creates a temporary file for `what` in `dir` (which must exist), after
/// removing the temporaries there whose writers are gone.
pub(crate) fn create_in(dir: &Path, what: &str) -> io::Result<NamedTempFile> {
    remove_orphans(dir);
    tempfile::Builder::new().prefix(&format!(".{what}.pid{}.", std::process::id())).suffix(".tmp").tempfile_in(dir)
}

/// Removes the temporaries in `dir` whose writing process no longer runs.
/// Best effort: what cannot be listed or removed is left for a later run.
pub(crate) fn remove_orphans(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if let Some(pid) = name.to_str().and_then(writer_pid)
            && !running(pid)
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The writer's pid in a name made by [`create_in`].
fn writer_pid(name: &str) -> Option<i32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (rest, _random) = rest.rsplit_once('.')?;
    let (_what, pid) = rest.rsplit_once(".pid")?;
    pid.parse().ok()
}

/// Whether a process `pid` exists (signal 0: ESRCH means it does not; EPERM
/// means it does, under another user).
fn running(pid: i32) -> bool {
    match rustix::process::Pid::from_raw(pid) {
        Some(pid) => !matches!(rustix::process::test_kill_process(pid), Err(rustix::io::Errno::SRCH)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_is_read_back_from_the_name_and_other_names_are_left_alone() {
        assert_eq!(writer_pid(".m.tsv.pid4242.Ab3xY9.tmp"), Some(4242));
        assert_eq!(writer_pid(".run.5.pid17.q1w2e3.tmp"), Some(17));
        assert_eq!(writer_pid(".m.tsv.Ab3xY9.tmp"), None);
        assert_eq!(writer_pid("m.tsv-0123456789abcdef.hsm"), None);
        assert_eq!(writer_pid(".pidfile.tmp"), None);
    }

    #[test]
    fn orphans_of_dead_writers_go_and_a_live_writers_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        // A pid above the kernel's pid_max (4194304 at most) never runs.
        let orphan = dir.path().join(".m.tsv.pid99999999.abcdef.tmp");
        let other = dir.path().join("notes.tmp");
        fs::write(&orphan, b"half").unwrap();
        fs::write(&other, b"mine").unwrap();
        let live = create_in(dir.path(), "m.tsv").unwrap();
        assert!(!orphan.exists());
        assert!(other.exists());
        remove_orphans(dir.path());
        assert!(live.path().exists(), "this process runs");
    }
}
