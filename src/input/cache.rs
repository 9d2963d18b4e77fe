//! The binary matrix cache: heatscope's own on-disk format, written once from
//! a text or non-`f32` source and memory-mapped on every later open.
//!
//! Layout, version 2 (integers little-endian):
//!
//! | offset | bytes | field |
//! |-------:|------:|-------|
//! | 0      | 8     | magic `HSMATRIX` |
//! | 8      | 4     | format version, 2 |
//! | 12     | 4     | dtype of the data, 1 = `f32` little-endian |
//! | 16     | 8     | rows |
//! | 24     | 8     | columns |
//! | 32     | 8     | data offset, 4096 (page-aligned, so the data maps in place) |
//! | 40     | 8     | row-label block offset, 0 = no labels stored |
//! | 48     | 8     | column-label block offset, 0 = no labels stored |
//! | 56     | 8     | total file length |
//! | 64     | 8     | source identity: FNV-1a of the canonical source path and reader kind |
//! | 72     | 8     | source length in bytes |
//! | 80     | 8     | source change stamp: hash of its modification and status-change times, inode and device |
//! | 88     | 8     | number of repeated row labels |
//! | 96     | 32    | how the source stored its values, UTF-8, zero-padded (e.g. `text`, `<f8`) |
//! | 128    | 8     | checksum of the bytes from the data offset to the end ([`crate::hash`]: xxh3 of 16 MiB chunks) |
//! | 136    | 8     | FNV-1a checksum of bytes 0..136 |
//!
//! The rest of the first 4096 bytes is zero. The data (`rows × cols`
//! row-major `f32`) starts at the data offset. Each label block starts
//! 8-aligned after it: a `u64` count `n`, then `n + 1` `u64` end offsets
//! into the text (the first is 0), then the UTF-8 text.
//!
//! Every byte is checked when the file is opened: the header against its
//! checksum, the rest against the other, read in parallel at memory speed
//! (BENCHMARKS.md: 0.3 s for 4 GB in the page cache, 1.1 s from disk), so
//! that a damaged value or label is never shown. The writer computes that
//! checksum as it writes.
//!
//! A cache is written to a temporary file in the cache folder, synced, and
//! renamed over its final name, so a reader sees either a whole file or none.
//! The temporary's name holds the writer's pid ([`crate::temp`]): one left
//! by a killed run is removed by the next run that writes a cache there.
//! Before a cache of known shape is written, [`check_space`] compares the
//! bytes it needs with the folder's free space.
//! One that fails any check on open is rebuilt, never used.

use std::fs::{self, File};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use memmap2::Mmap;

use super::error::InputError;
use super::labels::{LabelSpool, Labels, LabelsBuilder};
use crate::hash::{self, ChunkSum, Fnv, fnv1a};
use crate::mmap::{self, map_readonly};

#[cfg(target_endian = "big")]
compile_error!("heatscope's on-disk formats are little-endian; big-endian hosts are not supported");

const MAGIC: &[u8; 8] = b"HSMATRIX";
/// Bump when the layout or the meaning of a field changes.
pub const FORMAT_VERSION: u32 = 2;
const DTYPE_F32: u32 = 1;
const HEADER_LEN: usize = 144;
pub(crate) const DATA_OFFSET: u64 = 4096;
const DESCRIPTION_LEN: usize = 32;

/// Which reader produced a cache; part of its identity, so that the same path
/// read two ways never shares a cache file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReaderKind {
    Text = 1,
    Npy = 2,
    H5ad = 3,
    Tenx = 4,
}

/// What identifies the source a cache was built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SourceKey {
    identity: u64,
    len: u64,
    stamp: u64,
    stem: String,
    /// False for pipes and other non-regular files: their content can differ
    /// on every read, so a cache built from one is never reused.
    pub reusable: bool,
}

impl SourceKey {
    /// The key of `path` as it is now on disk.
    pub(crate) fn of(path: &Path, kind: ReaderKind) -> Result<Self, InputError> {
        let read_error = |source| InputError::Read { path: path.to_owned(), source };
        let meta = fs::metadata(path).map_err(read_error)?;
        // A pipe (`<(zcat x.gz)`) has no canonical path; its own name will do,
        // since its cache is never reused.
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        let identity = Fnv::default().bytes(canonical.as_os_str().as_encoded_bytes()).u64(kind as u64).finish();
        let stem = canonical
            .file_name()
            .map(|n| n.to_string_lossy().chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect())
            .unwrap_or_default();
        Ok(SourceKey { identity, len: meta.len(), stamp: change_stamp(&meta), stem, reusable: meta.is_file() })
    }

    /// The key of a matrix computed from another (`fingerprint`) by `what`,
    /// e.g. a standardised copy: named after the base file's `stem`.
    pub(crate) fn derived(fingerprint: u64, what: &str, stem: &str) -> Self {
        let identity = Fnv::default().u64(fingerprint).bytes(what.as_bytes()).finish();
        let stem =
            format!("{stem}.{what}").chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect();
        SourceKey { identity, len: 0, stamp: fingerprint, stem, reusable: true }
    }

    /// The same source read with options that change the matrix (a layer, a
    /// transpose, a column subset): a cache of its own, under another name.
    pub(crate) fn with_variant(mut self, variant: u64) -> Self {
        self.identity = Fnv::default().u64(self.identity).u64(variant).finish();
        self
    }

    /// Adds another file the matrix is read from (a 10x folder's label
    /// files): a change to it must rebuild the cache too.
    pub(crate) fn with_companion(mut self, meta: &fs::Metadata) -> Self {
        self.stamp = Fnv::default().u64(self.stamp).u64(meta.len()).u64(change_stamp(meta)).finish();
        self
    }

    /// The cache file for this source in `dir`. Its name depends on the path
    /// only, so a changed source replaces its old cache instead of piling up.
    pub(crate) fn cache_path(&self, dir: &Path) -> PathBuf {
        if self.reusable {
            dir.join(format!("{}-{:016x}.hsm", self.stem, self.identity))
        } else {
            // A pipe's cache is this run's alone: two runs reading the same
            // /dev/fd/63 at once must not meet.
            let now = std::time::SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            dir.join(format!("{}-{:016x}-{}-{now}.hsm", self.stem, self.identity, std::process::id()))
        }
    }
}

/// What changes whenever a file's content may have: its modification time,
/// its status-change time (which no copy tool can set back, so `cp -p` or
/// `rsync -a` over a file is noticed), its inode and its device.
pub(crate) fn change_stamp(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mtime = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos() as u64);
    Fnv::default()
        .u64(mtime)
        .u64(meta.ctime() as u64)
        .u64(meta.ctime_nsec() as u64)
        .u64(meta.ino())
        .u64(meta.dev())
        .finish()
}

/// The default cache folder: the platform cache dir (e.g. `~/.cache/heatscope`).
pub fn default_cache_dir() -> PathBuf {
    dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("heatscope")
}

/// A validated cache file, mapped.
pub(crate) struct CachedMatrix {
    pub file: Arc<File>,
    pub map: Arc<Mmap>,
    pub rows: usize,
    pub cols: usize,
    pub row_labels: Option<Labels>,
    pub col_labels: Option<Labels>,
    pub duplicate_row_labels: u64,
    pub description: String,
}

/// Why a cache file is not used; either way it is built again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// There is none, or it has another format version, or it was built
    /// from another source or an older copy of it: rebuilt quietly.
    Stale,
    /// Its bytes fail their checksums or checks: rebuilt, and said so.
    Damaged,
}

impl Unusable {
    /// What to tell the user when the cache file at `path` is rebuilt for
    /// this reason.
    pub(crate) fn warning(self, path: &Path) -> Option<String> {
        (self == Unusable::Damaged)
            .then(|| format!("{}: the cache file is damaged; it was rebuilt from the source", path.display()))
    }
}

/// Opens the cache at `path` if it exists, was built from `key`'s source as it
/// is now, and passes every check, its checksums included; otherwise says
/// why it must be rebuilt. Callers reuse a cache only when `key.reusable`.
pub(crate) fn open_valid(path: &Path, key: &SourceKey) -> Result<CachedMatrix, Unusable> {
    open(path, key, true)
}

/// Opens the cache this run has just written at `path`: every check but
/// the checksum of the data and labels, which were hashed as they were
/// written, so that a conversion does not read its output twice.
pub(crate) fn open_written(path: &Path, key: &SourceKey) -> Result<CachedMatrix, Unusable> {
    open(path, key, false)
}

fn open(path: &Path, key: &SourceKey, check_sum: bool) -> Result<CachedMatrix, Unusable> {
    let file = File::open(path).map_err(|_| Unusable::Stale)?;
    let map = Arc::new(map_readonly(&file).map_err(|_| Unusable::Damaged)?);
    validate(Arc::new(file), map, key, check_sum)
}

fn validate(file: Arc<File>, map: Arc<Mmap>, key: &SourceKey, check_sum: bool) -> Result<CachedMatrix, Unusable> {
    use Unusable::{Damaged, Stale};
    let bytes: &[u8] = &map;
    if bytes.len() < DATA_OFFSET as usize || &bytes[..8] != MAGIC {
        return Err(Damaged);
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    if u32_at(8) != FORMAT_VERSION {
        return Err(Stale);
    }
    let header_ok = u64_at(136) == fnv1a(&bytes[..136])
        && bytes[HEADER_LEN..DATA_OFFSET as usize].iter().all(|&b| b == 0)
        && u32_at(12) == DTYPE_F32
        && u64_at(32) == DATA_OFFSET
        && u64_at(56) == bytes.len() as u64;
    if !header_ok {
        return Err(Damaged);
    }
    if u64_at(64) != key.identity || u64_at(72) != key.len || u64_at(80) != key.stamp {
        return Err(Stale);
    }
    let (rows, cols) = (u64_at(16), u64_at(24));
    let data_end = (|| rows.checked_mul(cols)?.checked_mul(4)?.checked_add(DATA_OFFSET))().ok_or(Damaged)?;
    if rows == 0 || cols == 0 || data_end > bytes.len() as u64 {
        return Err(Damaged);
    }
    if check_sum && checksum(&map) != u64_at(128) {
        return Err(Damaged);
    }
    let row_labels = label_block(&map, u64_at(40), data_end, rows).ok_or(Damaged)?;
    let col_labels = label_block(&map, u64_at(48), data_end, cols).ok_or(Damaged)?;
    let description = String::from_utf8_lossy(&bytes[96..96 + DESCRIPTION_LEN]).trim_end_matches('\0').to_owned();
    Ok(CachedMatrix {
        rows: usize::try_from(rows).map_err(|_| Damaged)?,
        cols: usize::try_from(cols).map_err(|_| Damaged)?,
        row_labels,
        col_labels,
        duplicate_row_labels: u64_at(88),
        description,
        file,
        map,
    })
}

/// The checksum of everything after the header, read in parallel.
fn checksum(map: &Mmap) -> u64 {
    let bar = hash::check_bar(map.len() as u64 - DATA_OFFSET, "checking cache");
    let sum = hash::chunk_sum(map, DATA_OFFSET as usize..map.len(), |n| bar.inc(n));
    bar.finish_and_clear();
    sum
}

/// Checks one label block; `Some(None)` means "no labels stored".
fn label_block(map: &Arc<Mmap>, offset: u64, data_end: u64, expected: u64) -> Option<Option<Labels>> {
    if offset == 0 {
        return Some(None);
    }
    let bytes: &[u8] = map;
    if offset < data_end || !offset.is_multiple_of(8) || offset.checked_add(8)? > bytes.len() as u64 {
        return None;
    }
    let at = offset as usize;
    let count = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    if count != expected {
        return None;
    }
    let ends_at = at + 8;
    let text_at = (count.checked_add(1)?.checked_mul(8)?).checked_add(ends_at as u64)?;
    if text_at > bytes.len() as u64 {
        return None;
    }
    let text_at = text_at as usize;
    let ends: &[u64] = bytemuck::try_cast_slice(&bytes[ends_at..text_at]).ok()?;
    let text_len = *ends.last()?;
    if ends[0] != 0 || (text_at as u64).checked_add(text_len)? > bytes.len() as u64 {
        return None;
    }
    // Millions of labels are read in steps, each step's pages released
    // behind it, so that opening leaves them out of the resident set.
    const STEP: usize = 1 << 20;
    for (i, step) in ends.chunks(STEP).enumerate() {
        let next = ends.get((i + 1) * STEP);
        if step.windows(2).any(|w| w[0] > w[1]) || next.is_some_and(|&n| step[step.len() - 1] > n) {
            return None;
        }
        mmap::release(map, ends_at + 8 * i * STEP, 8 * step.len());
    }
    let (mut at, end) = (text_at, text_at + text_len as usize);
    while at < end {
        let (start, stop) = (at, (at + 8 * STEP).min(end));
        match std::str::from_utf8(&bytes[at..stop]) {
            Ok(_) => at = stop,
            // A character cut by the step ends the next one.
            Err(e) if e.error_len().is_none() && stop < end && e.valid_up_to() > 0 => at += e.valid_up_to(),
            Err(_) => return None,
        }
        mmap::release(map, start, at - start);
    }
    Some(Some(Labels::mapped(Arc::clone(map), ends_at, text_at, count as usize)))
}

/// Refuses to start a cache of `rows × cols` values (plus `extra` bytes of
/// scratch, a spill) for `source` in `dir` when the folder's file system
/// has less free space: a 10x folder of a few megabytes can declare a
/// 10⁶ × 10⁶ matrix, 4 TB dense. Labels come on top, so this is a lower
/// bound. When free space cannot be read, the write goes ahead and its own
/// errors tell.
pub(crate) fn check_space(source: &Path, dir: &Path, rows: usize, cols: usize, extra: u64) -> Result<(), InputError> {
    let needed = (rows as u64).saturating_mul(cols as u64).saturating_mul(4).saturating_add(DATA_OFFSET + extra);
    // The folder may not exist yet: ask about its nearest existing ancestor.
    let Some(free) =
        dir.ancestors().find_map(|d| rustix::fs::statvfs(d).ok()).map(|s| s.f_bavail.saturating_mul(s.f_frsize))
    else {
        return Ok(());
    };
    if needed > free {
        return Err(InputError::NoSpace { path: source.to_owned(), dir: dir.to_owned(), rows, cols, needed, free });
    }
    Ok(())
}

/// Writes a cache file row block by row block, then labels, then the header.
pub(crate) struct CacheWriter {
    final_path: PathBuf,
    temp: tempfile::NamedTempFile,
    out: Body,
    key: SourceKey,
    cols: u64,
    values: u64,
    /// Row labels given as the rows are ([`CacheWriter::write_row_labels`]).
    row_spool: Option<LabelSpool>,
}

/// What follows the header, written front to back, and its checksum so far.
struct Body {
    out: BufWriter<File>,
    sum: ChunkSum,
}

impl Write for Body {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.out.write(bytes)?;
        self.sum.update(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl CacheWriter {
    /// Starts a cache for `key` in `dir`, for a matrix of `cols` columns.
    pub(crate) fn create(dir: &Path, key: &SourceKey, cols: usize) -> Result<Self, InputError> {
        let final_path = key.cache_path(dir);
        let write_error = |source| InputError::CacheWrite { path: final_path.clone(), source };
        fs::create_dir_all(dir).map_err(write_error)?;
        let temp = crate::temp::create_in(dir, &key.stem).map_err(write_error)?;
        let file = temp.as_file().try_clone().map_err(write_error)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&[0; DATA_OFFSET as usize]).map_err(write_error)?;
        let out = Body { out, sum: ChunkSum::new(DATA_OFFSET) };
        Ok(CacheWriter { final_path, temp, out, key: key.clone(), cols: cols as u64, values: 0, row_spool: None })
    }

    /// Appends whole rows (a multiple of `cols` values).
    pub(crate) fn write_rows(&mut self, values: &[f32]) -> Result<(), InputError> {
        debug_assert_eq!(values.len() as u64 % self.cols, 0);
        self.out.write_all(bytemuck::cast_slice(values)).map_err(|e| self.error(e))?;
        self.values += values.len() as u64;
        Ok(())
    }

    /// Appends row labels, kept in temporary files beside the cache until
    /// [`CacheWriter::finish`] stores them: for a matrix whose labels arrive
    /// with its rows and could outgrow memory.
    pub(crate) fn write_row_labels(&mut self, labels: &LabelsBuilder) -> Result<(), InputError> {
        if self.row_spool.is_none() {
            let dir = self.final_path.parent().unwrap_or(Path::new("."));
            self.row_spool = Some(LabelSpool::new(dir).map_err(|e| self.error(e))?);
        }
        if let Some(spool) = &mut self.row_spool {
            spool.append(labels).map_err(|source| InputError::CacheWrite { path: self.final_path.clone(), source })?;
        }
        Ok(())
    }

    /// How many of the row labels given to [`CacheWriter::write_row_labels`]
    /// repeat an earlier one, and the first that does.
    pub(crate) fn repeated_row_labels(&mut self) -> Result<(u64, Option<String>), InputError> {
        let Some(spool) = &mut self.row_spool else { return Ok((0, None)) };
        spool.duplicates().map_err(|source| InputError::CacheWrite { path: self.final_path.clone(), source })
    }

    /// Rows written so far.
    pub(crate) fn rows(&self) -> u64 {
        self.values / self.cols
    }

    /// Writes the labels and the header, syncs, and renames the file into
    /// place. Returns the final path. Row labels given to
    /// [`CacheWriter::write_row_labels`] are stored in place of `row_labels`.
    pub(crate) fn finish(
        mut self,
        row_labels: Option<&Labels>,
        col_labels: Option<&Labels>,
        duplicate_row_labels: u64,
        description: &str,
    ) -> Result<PathBuf, InputError> {
        let result = self.write_tail(row_labels, col_labels, duplicate_row_labels, description);
        result.map_err(|e| self.error(e))?;
        let CacheWriter { final_path, temp, .. } = self;
        temp.persist(&final_path).map_err(|e| InputError::CacheWrite { path: final_path.clone(), source: e.error })?;
        Ok(final_path)
    }

    fn write_tail(
        &mut self,
        row_labels: Option<&Labels>,
        col_labels: Option<&Labels>,
        duplicate_row_labels: u64,
        description: &str,
    ) -> io::Result<()> {
        let mut position = DATA_OFFSET + self.values * 4;
        let mut label_offsets = [0u64; 2];
        let spool = self.row_spool.take();
        let row_labels = if spool.is_some() { None } else { row_labels };
        for (slot, labels) in label_offsets.iter_mut().zip([row_labels, col_labels]) {
            let Some((ends, text)) = labels.and_then(Labels::packed_bytes) else { continue };
            *slot = self.start_label_block(&mut position, ends.len() as u64 - 1)?;
            self.out.write_all(bytemuck::cast_slice(&ends))?;
            self.out.write_all(&text)?;
            position += 8 * ends.len() as u64 + text.len() as u64;
        }
        if let Some(spool) = spool {
            label_offsets[0] = self.start_label_block(&mut position, spool.len())?;
            position += 8 * (spool.len() + 1) + spool.text_len();
            spool.write_to(&mut self.out)?;
        }
        let mut header = [0u8; HEADER_LEN];
        let mut put = |at: usize, bytes: &[u8]| header[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, MAGIC);
        put(8, &FORMAT_VERSION.to_le_bytes());
        put(12, &DTYPE_F32.to_le_bytes());
        put(16, &(self.values / self.cols).to_le_bytes());
        put(24, &self.cols.to_le_bytes());
        put(32, &DATA_OFFSET.to_le_bytes());
        put(40, &label_offsets[0].to_le_bytes());
        put(48, &label_offsets[1].to_le_bytes());
        put(56, &position.to_le_bytes());
        put(64, &self.key.identity.to_le_bytes());
        put(72, &self.key.len.to_le_bytes());
        put(80, &self.key.stamp.to_le_bytes());
        put(88, &duplicate_row_labels.to_le_bytes());
        let description = description.as_bytes();
        put(96, &description[..description.len().min(DESCRIPTION_LEN)]);
        put(128, &self.out.sum.finish().to_le_bytes());
        let checksum = fnv1a(&header[..136]);
        header[136..144].copy_from_slice(&checksum.to_le_bytes());
        self.out.flush()?;
        let file = self.out.out.get_mut();
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header)?;
        file.sync_all()
    }

    /// Pads the file to 8 bytes from `position` and writes a label block's
    /// count; returns where the block starts and moves `position` past the count.
    fn start_label_block(&mut self, position: &mut u64, count: u64) -> io::Result<u64> {
        let padding = position.next_multiple_of(8) - *position;
        self.out.write_all(&[0; 8][..padding as usize])?;
        let start = *position + padding;
        self.out.write_all(&count.to_le_bytes())?;
        *position = start + 8;
        Ok(start)
    }

    fn error(&self, source: io::Error) -> InputError {
        InputError::CacheWrite { path: self.final_path.clone(), source }
    }
}
