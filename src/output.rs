//! Writing the user's output files: whole or not at all.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `path` through a temporary file beside it, renamed into place only
/// when `body` succeeds, so a crash or Ctrl-C never leaves half a file under
/// the final name. The file gets the usual `rw-r--r--` mode (a temporary
/// file would otherwise keep its private one).
pub fn write_atomically(path: &Path, body: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".heatscope-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)?;
    let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file());
    body(&mut writer)?;
    writer.flush()?;
    drop(writer);
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
