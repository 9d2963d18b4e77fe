//! Writing the user's output files: whole or not at all.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A label as one field of a line of text: tabs, line feeds and carriage
/// returns become spaces, so each label stays on its line and in its column
/// (read back, a label is matched in this form).
pub fn one_field(label: &str) -> String {
    label.replace(['\t', '\n', '\r'], " ")
}

/// Writes `path` through a temporary file beside it, renamed into place only
/// when `body` succeeds and the data is on disk, so a crash, a power cut or
/// Ctrl-C never leaves half a file under the final name. The file gets the usual `rw-r--r--` mode (a temporary
/// file would otherwise keep its private one).
///
/// A symbolic link is written through (its target is replaced, the link
/// stays); a path that is not a regular file (a pipe, `/dev/stdout`) is
/// written directly; `-` is standard output.
pub fn write_atomically(path: &Path, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    if path == Path::new("-") {
        return reader_may_leave(write_through(&mut io::stdout().lock(), body));
    }
    if let Ok(meta) = fs::metadata(path)
        && !meta.is_file()
    {
        if meta.is_dir() {
            return Err(io::Error::new(io::ErrorKind::IsADirectory, "it is a directory"));
        }
        let file = File::options().write(true).open(path)?;
        return reader_may_leave(write_through(&mut BufWriter::new(file), body));
    }
    let target = link_target(path);
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".heatscope-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)?;
    let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file());
    body(&mut writer)?;
    writer.flush()?;
    drop(writer);
    temp.as_file().sync_all()?;
    temp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

fn write_through(out: &mut dyn Write, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    body(out)?;
    out.flush()
}

/// A pipe whose reader went away (`| head`) has taken all it wanted.
fn reader_may_leave(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The file a chain of symbolic links ends at (which may not exist yet).
fn link_target(path: &Path) -> std::path::PathBuf {
    let mut target = path.to_owned();
    for _ in 0..40 {
        match fs::read_link(&target) {
            Ok(next) => target = target.parent().unwrap_or(Path::new(".")).join(next),
            Err(_) => break,
        }
    }
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symbolic_link_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        let link = dir.path().join("link.txt");
        // A link to a file that does not exist yet: the file is created.
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        write_atomically(&link, |w| w.write_all(b"hello\n")).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert_eq!(fs::read_to_string(&real).unwrap(), "hello\n");
    }

    #[test]
    fn a_failed_body_leaves_the_old_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "old").unwrap();
        let err = write_atomically(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("stopped"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
    }
}
