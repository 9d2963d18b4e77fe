//! 10x Genomics feature-barcode folders: `matrix.mtx(.gz)` (Matrix Market
//! coordinate format, genes × cells, 1-based), `features.tsv(.gz)` (id,
//! name, type; `genes.tsv` in older folders: id, name) and
//! `barcodes.tsv(.gz)`.
//!
//! Cell Ranger writes the entries column by column (cell by cell), and the
//! cache is row-major by gene, so the entries are streamed through a
//! [`Spill`]: memory is one band of output plus the spill's buffers, never
//! the whole matrix.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::cache::{CacheWriter, SourceKey};
use super::error::InputError;
use super::labels::Labels;
use super::sparse::Spill;
use crate::progress;
use crate::quote::quote;

/// The files of one 10x folder.
pub(crate) struct TenxFolder {
    pub dir: PathBuf,
    pub matrix: PathBuf,
    pub features: PathBuf,
    pub barcodes: PathBuf,
}

impl TenxFolder {
    /// The 10x files in `dir`, or `None` when it has no `matrix.mtx(.gz)`.
    pub(crate) fn find(dir: &Path) -> Result<Option<Self>, InputError> {
        let first = |names: &[&str]| names.iter().map(|n| dir.join(n)).find(|p| p.is_file());
        let Some(matrix) = first(&["matrix.mtx.gz", "matrix.mtx"]) else { return Ok(None) };
        let missing = |what| InputError::MissingTenxFile { dir: dir.to_owned(), what };
        let features = first(&["features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv"])
            .ok_or_else(|| missing("features.tsv(.gz) or genes.tsv"))?;
        let barcodes = first(&["barcodes.tsv.gz", "barcodes.tsv"]).ok_or_else(|| missing("barcodes.tsv(.gz)"))?;
        Ok(Some(TenxFolder { dir: dir.to_owned(), matrix, features, barcodes }))
    }

    /// The cache key: the matrix file, with the label files' sizes and
    /// change stamps folded in.
    pub(crate) fn key(&self, kind: super::cache::ReaderKind) -> Result<SourceKey, InputError> {
        let mut key = SourceKey::of(&self.matrix, kind)?;
        for file in [&self.features, &self.barcodes] {
            let meta = fs::metadata(file).map_err(|source| InputError::Read { path: file.clone(), source })?;
            key = key.with_companion(&meta);
        }
        Ok(key)
    }
}

/// A reader of a plain or gzip-compressed file.
fn open_text(path: &Path) -> Result<Box<dyn BufRead>, InputError> {
    let file = File::open(path).map_err(|source| InputError::Read { path: path.to_owned(), source })?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let gzip = reader
        .fill_buf()
        .map_err(|source| InputError::Read { path: path.to_owned(), source })?
        .starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        Box::new(BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    })
}

/// Field `column` (0-based), the `wanted` one, of each line of a
/// tab-separated label file; a line without it is refused with `fix`, what
/// the file must hold.
fn read_column(path: &Path, column: usize, wanted: &str, fix: &'static str) -> Result<Vec<String>, InputError> {
    let mut text = String::new();
    open_text(path)?.read_to_string(&mut text).map_err(|source| InputError::Read { path: path.to_owned(), source })?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let line = line.trim_end_matches('\r');
            line.split('\t').nth(column).map(str::to_owned).ok_or_else(|| {
                let found = line.split('\t').count();
                InputError::BadLayout {
                    path: path.to_owned(),
                    place: format!("line {}", i + 1),
                    problem: format!(
                        "{found} field{} and no {wanted} (field {})",
                        if found == 1 { "" } else { "s" },
                        column + 1
                    ),
                    fix,
                }
            })
        })
        .collect()
}

/// How the values are stored (the header's field).
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Real,
    Integer,
    Pattern,
}

/// Converts the folder into a new cache file for `key` in `dir`: genes ×
/// cells, or cells × genes when `transpose`.
pub(crate) fn convert(
    folder: &TenxFolder,
    transpose: bool,
    gene_ids: bool,
    key: &SourceKey,
    cache_dir: &Path,
) -> Result<PathBuf, InputError> {
    let path = &folder.matrix;
    let bad = |line: u64, problem: String| InputError::BadMtx { path: path.clone(), line, problem };
    let read_error = |source| InputError::Read { path: path.clone(), source };
    let mut reader = open_text(path)?;
    let mut line = String::new();
    let mut number = 1u64;
    reader.read_line(&mut line).map_err(read_error)?;
    let header: Vec<String> = line.split_whitespace().map(str::to_ascii_lowercase).collect();
    let field = match header.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["%%matrixmarket", "matrix", "coordinate", field, "general"] => match *field {
            "real" | "double" => Field::Real,
            "integer" => Field::Integer,
            "pattern" => Field::Pattern,
            other => return Err(bad(1, format!("field '{}' is not real, integer or pattern", quote(other)))),
        },
        _ => {
            return Err(bad(
                1,
                format!(
                    "'{}' is not a Matrix Market coordinate header ('%%MatrixMarket matrix coordinate integer general')",
                    quote(line.trim_end())
                ),
            ));
        }
    };
    // Comments, then the size line.
    let (genes, cells, nnz) = loop {
        line.clear();
        number += 1;
        if reader.read_line(&mut line).map_err(read_error)? == 0 {
            return Err(bad(number, "the file ends before the size line".into()));
        }
        if line.starts_with('%') || line.trim().is_empty() {
            continue;
        }
        let sizes: Option<Vec<usize>> = line.split_whitespace().map(|f| f.parse().ok()).collect();
        match sizes.as_deref() {
            Some(&[g, c, n]) if g > 0 && c > 0 && (n as u128) <= g as u128 * c as u128 => break (g, c, n),
            Some(&[g, c, n]) if g > 0 && c > 0 => {
                let problem = format!(
                    "the size line declares {n} entries, more than the {g} × {c} places of the matrix; a 10x matrix lists each place at most once"
                );
                return Err(bad(number, problem));
            }
            _ => return Err(bad(number, format!("'{}' is not 'rows columns entries'", quote(line.trim_end())))),
        }
    };
    // The spill holds 12 bytes an entry until the cache is written.
    super::cache::check_space(path, cache_dir, genes, cells, (nnz as u64).saturating_mul(12))?;
    let features = read_column(
        &folder.features,
        usize::from(!gene_ids),
        if gene_ids { "gene id" } else { "gene name" },
        "each line of a features.tsv (or genes.tsv) holds a gene id, a gene name and optionally a feature type, tab-separated; take the file from the Cell Ranger output matrix.mtx came from",
    )?;
    let barcodes = read_column(&folder.barcodes, 0, "barcode", "each line of a barcodes.tsv holds one cell barcode")?;
    let disagree = |file: &Path, found: usize, axis: &str, expected: usize| InputError::BadLayout {
        path: file.to_owned(),
        place: format!("{found} lines"),
        problem: format!("matrix.mtx has {expected} {axis}"),
        fix: "the folder's files do not belong together; take all three from one Cell Ranger output",
    };
    if features.len() != genes {
        return Err(disagree(&folder.features, features.len(), "genes (rows)", genes));
    }
    if barcodes.len() != cells {
        return Err(disagree(&folder.barcodes, barcodes.len(), "cells (columns)", cells));
    }
    let (rows, cols) = if transpose { (cells, genes) } else { (genes, cells) };
    let spill_error = |source| InputError::CacheWrite { path: cache_dir.to_owned(), source };
    let mut spill = Spill::new(cache_dir, rows, cols).map_err(spill_error)?;
    let bar = progress::bytes_bar(nnz as u64, "reading entries");
    let mut seen = 0usize;
    loop {
        line.clear();
        number += 1;
        if reader.read_line(&mut line).map_err(read_error)? == 0 {
            number -= 1;
            break;
        }
        let text = line.trim();
        if text.is_empty() || text.starts_with('%') {
            continue;
        }
        if seen.is_multiple_of(1 << 20) {
            if progress::interrupted() {
                return Err(InputError::Interrupted);
            }
            bar.set_position(seen as u64);
        }
        let mut fields = text.split_ascii_whitespace();
        let mut index = |axis: &str, size: usize| -> Result<usize, InputError> {
            let field = fields.next().ok_or_else(|| bad(number, "too few fields".into()))?;
            match field.parse::<usize>() {
                Ok(i) if (1..=size).contains(&i) => Ok(i - 1),
                _ => Err(bad(number, format!("{axis} '{}' is not between 1 and {size}", quote(field)))),
            }
        };
        let (gene, cell) = (index("row", genes)?, index("column", cells)?);
        let kind = field;
        let value = match field {
            Field::Pattern => 1.0,
            _ => {
                let field = fields.next().ok_or_else(|| bad(number, "no value".into()))?;
                let value: f64 = fast_float2::parse(field)
                    .map_err(|_| bad(number, format!("'{}' is not a number", quote(field))))?;
                if kind == Field::Integer && value.fract() != 0.0 {
                    let problem = format!(
                        "'{}' is not a whole number, as the header's field 'integer' says; write 'real' there",
                        quote(field)
                    );
                    return Err(bad(number, problem));
                }
                value as f32
            }
        };
        if let Some(extra) = fields.next() {
            return Err(bad(
                number,
                format!(
                    "'{}' follows the entry; a line holds a row, a column and (unless the field is 'pattern') a value",
                    quote(extra)
                ),
            ));
        }
        if value.is_infinite() {
            return Err(bad(number, "the value is infinite or beyond the float32 range".into()));
        }
        seen += 1;
        if seen > nnz {
            return Err(bad(number, format!("more entries than the {nnz} the size line promises")));
        }
        let (row, col) = if transpose { (cell, gene) } else { (gene, cell) };
        spill.push(row, col, value).map_err(spill_error)?;
    }
    bar.finish_and_clear();
    if seen != nnz {
        return Err(bad(number, format!("the file ends after {seen} of the {nnz} entries its size line promises")));
    }
    let mut writer = CacheWriter::create(cache_dir, key, cols)?;
    // Every entry is finite: an infinity is values adding up beyond f32.
    spill.write_into(&mut writer, path, |row, column| InputError::ValueOutOfRange {
        path: path.clone(),
        row,
        column,
    })?;
    let (features, barcodes) = (Labels::from_strings(&features), Labels::from_strings(&barcodes));
    let (row_labels, col_labels) = if transpose { (barcodes, features) } else { (features, barcodes) };
    let description = match field {
        Field::Real => "10x mtx real",
        Field::Integer => "10x mtx integer",
        Field::Pattern => "10x mtx pattern",
    };
    writer.finish(Some(&row_labels), Some(&col_labels), row_labels.duplicates().0 as u64, description)
}
