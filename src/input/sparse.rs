//! Densifying sparse entries into the row-major binary cache in bounded
//! memory.
//!
//! Entries that arrive grouped by output row (CSR rows, or CSC columns read
//! as rows of the transpose) are scattered band by band straight into the
//! cache. Entries in any other order (Matrix Market's column-major
//! coordinates, CSR read as its transpose) go through a [`Spill`]: one pass
//! appends each entry to its band's bucket in a temporary file, a second
//! pass densifies one band at a time. Either way memory is one band of
//! output plus small buffers, whatever the matrix size.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::cache::CacheWriter;
use super::error::InputError;
use crate::progress;

/// Bytes of dense output per band.
pub(crate) const BAND_BYTES: usize = 8 << 20;

/// Bytes of bucket buffers a spill keeps in memory, across all bands.
const SPILL_BUFFER_BYTES: usize = 32 << 20;

/// One spilled entry: row within its band, column, value (little-endian).
const ENTRY_BYTES: usize = 12;

/// Rows per band for a matrix of `cols` columns.
pub(crate) fn band_rows(cols: usize) -> usize {
    (BAND_BYTES / (cols * 4)).max(1)
}

/// Entries in any order, bucketed by output band in a temporary file.
pub(crate) struct Spill {
    rows: usize,
    cols: usize,
    band_rows: usize,
    buffer_bytes: usize,
    buffers: Vec<Vec<u8>>,
    /// Per band: the (offset, length) of each block of it in the file.
    blocks: Vec<Vec<(u64, u32)>>,
    file: BufWriter<File>,
    written: u64,
}

impl Spill {
    /// A spill for a `rows × cols` matrix whose temporary file lives in `dir`
    /// (the cache folder, so it sits on the disk that has room for the cache).
    pub(crate) fn new(dir: &Path, rows: usize, cols: usize) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = tempfile::tempfile_in(dir)?;
        let band_rows = band_rows(cols);
        let bands = rows.div_ceil(band_rows);
        // Small buffers when there are many bands: the total stays bounded,
        // at the price of more, shorter blocks.
        let buffer_bytes = (SPILL_BUFFER_BYTES / bands).clamp(4 << 10, 1 << 20) / ENTRY_BYTES * ENTRY_BYTES;
        Ok(Spill {
            rows,
            cols,
            band_rows,
            buffer_bytes,
            buffers: vec![Vec::new(); bands],
            blocks: vec![Vec::new(); bands],
            file: BufWriter::with_capacity(1 << 20, file),
            written: 0,
        })
    }

    /// Adds the value at (`row`, `col`); the caller has checked both are in range.
    pub(crate) fn push(&mut self, row: usize, col: usize, value: f32) -> io::Result<()> {
        debug_assert!(row < self.rows && col < self.cols);
        let band = row / self.band_rows;
        let buffer = &mut self.buffers[band];
        if buffer.capacity() == 0 {
            buffer.reserve_exact(self.buffer_bytes);
        }
        buffer.extend_from_slice(&((row % self.band_rows) as u32).to_le_bytes());
        buffer.extend_from_slice(&(col as u32).to_le_bytes());
        buffer.extend_from_slice(&value.to_le_bytes());
        if buffer.len() >= self.buffer_bytes {
            self.flush_band(band)?;
        }
        Ok(())
    }

    fn flush_band(&mut self, band: usize) -> io::Result<()> {
        let buffer = &mut self.buffers[band];
        if buffer.is_empty() {
            return Ok(());
        }
        self.file.write_all(buffer)?;
        self.blocks[band].push((self.written, buffer.len() as u32));
        self.written += buffer.len() as u64;
        buffer.clear();
        Ok(())
    }

    /// Densifies band after band into `writer` (values at a repeated
    /// coordinate add up, as scipy's `toarray` does). `path` names the
    /// source in errors; `infinite(row, column)` is the error for an
    /// infinite value there.
    pub(crate) fn write_into(
        mut self,
        writer: &mut CacheWriter,
        path: &Path,
        infinite: impl Fn(u64, u64) -> InputError,
    ) -> Result<(), InputError> {
        let spill_error = |source| InputError::CacheWrite { path: path.to_owned(), source };
        for band in 0..self.buffers.len() {
            self.flush_band(band).map_err(spill_error)?;
        }
        self.buffers = Vec::new();
        let mut file = self.file.into_inner().map_err(|e| spill_error(e.into_error()))?;
        let mut dense = Vec::new();
        let mut bytes = Vec::new();
        let bar = progress::bytes_bar((self.rows * self.cols * 4) as u64, "writing");
        for (band, blocks) in self.blocks.iter().enumerate() {
            if progress::interrupted() {
                return Err(InputError::Interrupted);
            }
            let first_row = band * self.band_rows;
            let n = self.band_rows.min(self.rows - first_row);
            dense.clear();
            dense.resize(n * self.cols, 0.0f32);
            for &(offset, len) in blocks {
                bytes.resize(len as usize, 0);
                file.seek(SeekFrom::Start(offset)).map_err(spill_error)?;
                file.read_exact(&mut bytes).map_err(spill_error)?;
                for entry in bytes.chunks_exact(ENTRY_BYTES) {
                    let word = |at: usize| u32::from_le_bytes(entry[at..at + 4].try_into().expect("4 bytes"));
                    dense[word(0) as usize * self.cols + word(4) as usize] += f32::from_bits(word(8));
                }
            }
            if let Some((row, column)) = first_infinite(&dense, first_row, self.cols) {
                return Err(infinite(row, column));
            }
            writer.write_rows(&dense)?;
            bar.inc((dense.len() * 4) as u64);
        }
        bar.finish_and_clear();
        Ok(())
    }
}

/// The row and column of the first infinite value in a band of `cols`
/// columns that starts at row `first_row`: a stored infinity, a value
/// beyond the `f32` range, or values at one coordinate that add up beyond it.
pub(crate) fn first_infinite(band: &[f32], first_row: usize, cols: usize) -> Option<(u64, u64)> {
    let i = band.iter().position(|v| v.is_infinite())?;
    Some(((first_row + i / cols) as u64, (i % cols) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::cache::{ReaderKind, SourceKey, open_valid};

    #[test]
    fn spilled_entries_in_any_order_densify_row_major() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("m.mtx");
        std::fs::write(&source, b"x").unwrap();
        let key = SourceKey::of(&source, ReaderKind::Tenx).unwrap();
        // 3 columns of 4 bytes: BAND_BYTES / 12 rows a band; 2 bands need
        // that many rows and one more.
        let rows = band_rows(3) + 1;
        let mut spill = Spill::new(dir.path(), rows, 3).unwrap();
        let entries = [(rows - 1, 2, 5.0), (0, 1, 1.5), (rows - 1, 2, 0.25), (1, 0, -2.0)];
        for &(r, c, v) in &entries {
            spill.push(r, c, v).unwrap();
        }
        let mut writer = CacheWriter::create(dir.path(), &key, 3).unwrap();
        spill.write_into(&mut writer, &source, |_, _| unreachable!("finite values")).unwrap();
        let path = writer.finish(None, None, 0, "test").unwrap();
        let cached = open_valid(&path, &key).ok().unwrap();
        let data: &[f32] = bytemuck::cast_slice(&cached.map[4096..4096 + rows * 3 * 4]);
        assert_eq!(&data[..6], &[0.0, 1.5, 0.0, -2.0, 0.0, 0.0]);
        assert_eq!(data[(rows - 1) * 3 + 2], 5.25, "a repeated coordinate adds up");
        assert_eq!(data.iter().filter(|v| **v != 0.0).count(), 3);
    }
}
