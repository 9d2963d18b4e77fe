//! Part of a matrix (some of its rows, some of its columns) as a matrix of
//! its own, so that one slice of a split figure is clustered alone. A part
//! of up to [`IN_MEMORY_MAX`] bytes is gathered into memory; a larger one
//! is written once into the binary cache and mapped (reused by later runs),
//! so a slice of a million rows is never held whole in RAM.

use std::path::Path;

use rayon::prelude::*;

use super::cache::{self, CacheWriter, SourceKey};
use super::error::InputError;
use super::labels::Labels;
use super::matrix::{CacheUse, Matrix, reopen};
use crate::hash::Fnv;
use crate::progress;

/// The largest part gathered into memory, in bytes.
pub const IN_MEMORY_MAX: usize = 256 << 20;

/// Rows read at a time.
const BLOCK_ROWS: usize = 1024;

/// The rows `rows` (ascending indices) of `matrix`, with only the columns
/// `cols` (ascending) when given, labelled as in `matrix` (all the rows:
/// labelled `row_i`, not copied). Rows are read
/// from the file, not through the map, so the pass keeps no pages mapped.
///
/// # Panics
/// If an index is out of range.
pub fn subset(matrix: &Matrix, rows: &[usize], cols: Option<&[usize]>, dir: &Path) -> Result<Matrix, InputError> {
    subset_within(matrix, rows, cols, dir, IN_MEMORY_MAX)
}

/// [`subset`], gathering into memory parts of up to `in_memory` bytes.
fn subset_within(
    matrix: &Matrix,
    rows: &[usize],
    cols: Option<&[usize]>,
    dir: &Path,
    in_memory: usize,
) -> Result<Matrix, InputError> {
    let width = cols.map_or(matrix.cols(), <[usize]>::len);
    // All rows in order (a slice of columns): their labels are not copied.
    let every_row = rows.len() == matrix.rows() && rows.iter().enumerate().all(|(k, &i)| k == i);
    let row_labels = if every_row {
        Labels::generated("row", rows.len())
    } else {
        Labels::from_strings(rows.iter().map(|&i| matrix.row_labels().get(i)))
    };
    let col_labels = match cols {
        Some(cols) => Labels::from_strings(cols.iter().map(|&j| matrix.col_labels().get(j))),
        None => matrix.col_labels().clone(),
    };
    let bytes = rows.len() * width * 4;
    if bytes <= in_memory {
        let mut values = vec![0.0f32; rows.len() * width];
        read_block(matrix, rows, cols, &mut values)?;
        let mut part = Matrix::from_vec(rows.len(), width, values).with_labels(row_labels, col_labels);
        // Messages about the part name the file it was read from.
        part.source.path = matrix.source().path.clone();
        return Ok(part);
    }
    let path = &matrix.source().path;
    let stem = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut hash = Fnv::default().u64(rows.len() as u64);
    for &i in rows {
        hash = hash.u64(i as u64);
    }
    hash = hash.u64(cols.map_or(u64::MAX, |c| c.len() as u64));
    for &j in cols.unwrap_or(&[]) {
        hash = hash.u64(j as u64);
    }
    let key = SourceKey::derived(matrix.fingerprint(), &format!("part-{:016x}", hash.finish()), &stem);
    let cache_path = key.cache_path(dir);
    let damaged = match cache::open_valid(&cache_path, &key) {
        Ok(cached) => {
            let part = Matrix::from_cache(path, cached, CacheUse::Reused(cache_path));
            return Ok(part.with_labels(row_labels, col_labels));
        }
        Err(unusable) => unusable.warning(&cache_path),
    };
    let bar = progress::bytes_bar(bytes as u64, "slice");
    let mut writer = CacheWriter::create(dir, &key, width)?;
    let mut block = Vec::new();
    for chunk in rows.chunks(BLOCK_ROWS) {
        if progress::interrupted() {
            return Err(InputError::Interrupted);
        }
        block.resize(chunk.len() * width, 0.0);
        read_block(matrix, chunk, cols, &mut block)?;
        writer.write_rows(&block)?;
        bar.inc((block.len() * 4) as u64);
    }
    bar.finish_and_clear();
    let description = format!("float32, {} rows × {width} columns of {}", rows.len(), matrix.source().stored_as);
    let built = writer.finish(None, None, 0, &description)?;
    let cached = reopen(&built, &key)?;
    let mut part = Matrix::from_cache(path, cached, CacheUse::Built(built)).with_labels(row_labels, col_labels);
    part.source.warnings.extend(damaged);
    Ok(part)
}

/// Reads `rows` (their `cols`) into `out`, row after row, in parallel.
fn read_block(matrix: &Matrix, rows: &[usize], cols: Option<&[usize]>, out: &mut [f32]) -> Result<(), InputError> {
    let width = cols.map_or(matrix.cols(), <[usize]>::len);
    if width == 0 {
        return Ok(());
    }
    out.par_chunks_mut(width * 64).zip(rows.par_chunks(64)).try_for_each(|(out, rows)| {
        let mut row = vec![0.0f32; matrix.cols()];
        for (out, &i) in out.chunks_mut(width).zip(rows) {
            match cols {
                None => matrix.read_row(i, out),
                Some(cols) => matrix.read_row(i, &mut row).map(|()| {
                    for (o, &j) in out.iter_mut().zip(cols) {
                        *o = row[j];
                    }
                }),
            }
            .map_err(|source| InputError::Read { path: matrix.source().path.clone(), source })?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_holds_the_chosen_rows_and_columns_with_their_labels() {
        // 5 × 4, value 10·row + column.
        let values: Vec<f32> = (0..5).flat_map(|i| (0..4).map(move |j| (10 * i + j) as f32)).collect();
        let matrix = Matrix::from_vec(5, 4, values);
        let dir = tempfile::tempdir().unwrap();
        let part = subset(&matrix, &[1, 3, 4], Some(&[0, 2]), dir.path()).unwrap();
        assert_eq!((part.rows(), part.cols()), (3, 2));
        assert_eq!(part.data(), &[10.0, 12.0, 30.0, 32.0, 40.0, 42.0]);
        assert_eq!(part.row_labels().iter().collect::<Vec<_>>(), ["row_1", "row_3", "row_4"]);
        assert_eq!(part.col_labels().iter().collect::<Vec<_>>(), ["col_0", "col_2"]);
        let rows = subset(&matrix, &[0, 2], None, dir.path()).unwrap();
        assert_eq!(rows.data(), &[0.0, 1.0, 2.0, 3.0, 20.0, 21.0, 22.0, 23.0]);
    }

    #[test]
    fn a_large_part_is_written_to_the_cache_once() {
        let values: Vec<f32> = (0..5).flat_map(|i| (0..4).map(move |j| (10 * i + j) as f32)).collect();
        let matrix = Matrix::from_vec(5, 4, values);
        let dir = tempfile::tempdir().unwrap();
        let built = subset_within(&matrix, &[0, 4], Some(&[1, 3]), dir.path(), 0).unwrap();
        assert!(matches!(built.source().cache, CacheUse::Built(_)));
        assert_eq!(built.data(), &[1.0, 3.0, 41.0, 43.0]);
        assert_eq!(built.row_labels().iter().collect::<Vec<_>>(), ["row_0", "row_4"]);
        let reused = subset_within(&matrix, &[0, 4], Some(&[1, 3]), dir.path(), 0).unwrap();
        assert!(matches!(reused.source().cache, CacheUse::Reused(_)));
        assert_eq!(reused.data(), &[1.0, 3.0, 41.0, 43.0]);
        // Other rows: another file.
        let other = subset_within(&matrix, &[1, 4], Some(&[1, 3]), dir.path(), 0).unwrap();
        assert_eq!(other.data(), &[11.0, 13.0, 41.0, 43.0]);
    }
}
