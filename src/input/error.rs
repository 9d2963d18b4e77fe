//! Everything that can go wrong while getting a matrix in, each as one line
//! that names the file, the place and what to do.

use std::io;
use std::path::PathBuf;

use crate::quote::quote;

/// An error reading or caching a matrix. Its `Display` is the one line a user sees.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file does not exist.
    #[error("{}: no such file; check the path", path.display())]
    NotFound { path: PathBuf },

    /// A directory was given where a file was expected.
    #[error("{} is a directory without a 10x matrix.mtx(.gz); give a matrix file (.tsv, .csv, .txt, .npy, .h5ad, optionally .gz) or a 10x folder", path.display())]
    IsDirectory { path: PathBuf },

    /// Reading failed (permissions, a device error, a corrupt gzip stream…).
    #[error("{}: cannot read it ({source}); check that the file is readable and complete", path.display())]
    Read { path: PathBuf, source: io::Error },

    /// The file holds no bytes at all.
    #[error("{} is empty; expected a header row of column names, then one row per line", path.display())]
    Empty { path: PathBuf },

    /// A binary file that is neither `.npy` nor gzip-compressed text.
    #[error("{}: a binary file heatscope cannot read; give a .npy, .h5ad or TSV/CSV text (optionally .gz)", path.display())]
    UnknownBinary { path: PathBuf },

    /// A text line longer than [`crate::input::text::MAX_LINE_BYTES`].
    #[error("{}: line {line} is longer than {} MiB, the longest line heatscope reads; check that the file is a matrix with one row per line, or save a .npy or .h5ad instead", path.display(), crate::input::text::MAX_LINE_BYTES >> 20)]
    LineTooLong { path: PathBuf, line: u64 },

    /// Lines ended by a carriage return alone (classic Mac OS).
    #[error("{}: lines end with a carriage return alone (classic Mac OS); convert them to newlines, e.g. tr '\\r' '\\n' < FILE > FIXED.tsv", path.display())]
    CarriageReturns { path: PathBuf },

    /// A text matrix with a header but no data.
    #[error("{}: has a header but no data rows; add rows below the header line", path.display())]
    NoDataRows { path: PathBuf },

    /// A text matrix whose header names no data column.
    #[error("{}: line 1 has no delimiter (tab, comma or semicolon); the header must be the row-name column followed by one name per data column", path.display())]
    NoDelimiter { path: PathBuf },

    /// A data line with the wrong number of fields.
    #[error("{}: line {line} has {found} fields but the header has {expected}; check the delimiter and fix that line (quoted fields holding the delimiter are not supported)", path.display())]
    Ragged { path: PathBuf, line: u64, found: usize, expected: usize },

    /// A data field that is neither a number nor a missing-value marker.
    #[error("{}: line {line}, column {column} ('{}'): '{}' is not a number; {advice}", path.display(), quote(column_name), quote(text))]
    NotANumber { path: PathBuf, line: u64, column: usize, column_name: String, text: String, advice: &'static str },

    /// A number too large for `f32` (and maybe for `f64`), not written as infinity.
    #[error("{}: line {line}, column {column} ('{}'): {} is beyond the float32 range (±3.4e38); rescale the data (a log transform, say)", path.display(), quote(column_name), quote(text))]
    OutOfRange { path: PathBuf, line: u64, column: usize, column_name: String, text: String },

    /// A value too large for `f32` (0-based row and column): a float64
    /// value, or sparse entries at one position adding up beyond it.
    #[error("{}: row {row}, column {column} (0-based) is beyond the float32 range (±3.4e38); rescale the data (a log transform, say)", path.display())]
    ValueOutOfRange { path: PathBuf, row: u64, column: u64 },

    /// A text file whose first line is data.
    #[error("{}: line 1 is all numbers, so the file has no header row or no row names; heatscope needs a header of column names and a first column of row names (for a plain numeric array, save a .npy with numpy.save)", path.display())]
    NoHeader { path: PathBuf },

    /// A text field that parses as ±infinity.
    #[error("{}: line {line}, column {column} ('{}') is infinite; heatscope reads only NaN as missing: replace it with NA or a finite value", path.display(), quote(column_name))]
    InfiniteText { path: PathBuf, line: u64, column: usize, column_name: String },

    /// A binary value that is ±infinity (0-based row and column).
    #[error("{}: row {row}, column {column} (0-based) is infinite; heatscope reads only NaN as missing: replace infinities with NaN or finite values", path.display())]
    InfiniteValue { path: PathBuf, row: u64, column: u64 },

    /// Bytes that are not UTF-8 where a label is expected.
    #[error("{}: line {line} is not valid UTF-8; re-save the file as UTF-8", path.display())]
    NotUtf8 { path: PathBuf, line: u64 },

    /// A `.npy` file whose header cannot be read.
    #[error("{}: not a readable NumPy .npy file ({reason}); re-save it with numpy.save", path.display())]
    BadNpy { path: PathBuf, reason: String },

    /// A `.npy` dtype heatscope cannot turn into numbers.
    #[error("{}: unsupported dtype {}; save a numeric array, e.g. numpy.save(path, a.astype('float32'))", path.display(), quote(dtype))]
    UnsupportedDtype { path: PathBuf, dtype: String },

    /// A `.npy` array that is not 2-D.
    #[error("{}: the array has shape {shape:?} but a matrix must be 2-D; reshape it to rows × columns (a.reshape(len(a), -1), or a.reshape(-1, 1) for a 1-D column)", path.display())]
    NotTwoDimensional { path: PathBuf, shape: Vec<u64> },

    /// A matrix with no rows or no columns.
    #[error("{}: the matrix is {rows} × {cols}; it needs at least one row and one column", path.display())]
    ZeroSized { path: PathBuf, rows: u64, cols: u64 },

    /// A `.npy` file shorter than its header promises.
    #[error("{}: truncated: the header promises {expected} bytes of data but only {found} follow; re-export the array", path.display())]
    Truncated { path: PathBuf, expected: u64, found: u64 },

    /// A shape whose byte size does not fit in this machine's address space.
    #[error("{}: a {rows} × {cols} matrix is too large to address on this machine; split it or check the header", path.display())]
    TooLarge { path: PathBuf, rows: u64, cols: u64 },

    /// A label side file whose line count does not match the matrix.
    #[error("{}: {found} labels for {expected} {axis}; give exactly one label per line", path.display())]
    LabelCount { path: PathBuf, found: usize, expected: usize, axis: &'static str },

    /// An HDF5 file that cannot be decoded (cut short, damaged).
    #[error("{}: not a readable HDF5 file ({reason}); the file may be truncated or damaged: copy or download it again", path.display())]
    BadHdf5 { path: PathBuf, reason: String },

    /// An HDF5 file without the `X` matrix of an AnnData file.
    #[error("{}: an HDF5 file but not AnnData (.h5ad): it has no X matrix at its root; write it with anndata's write_h5ad", path.display())]
    NotAnnData { path: PathBuf },

    /// An AnnData or 10x file whose parts disagree or break the format.
    #[error("{}: {place}: {problem}; {fix}", path.display())]
    BadLayout { path: PathBuf, place: String, problem: String, fix: &'static str },

    /// A Matrix Market line that cannot be read (1-based line number).
    #[error("{}: line {line}: {problem}; re-export the matrix (scipy.io.mmwrite writes a valid one)", path.display())]
    BadMtx { path: PathBuf, line: u64, problem: String },

    /// A 10x folder without one of its files.
    #[error("{}: no {what} in this 10x folder; it needs matrix.mtx(.gz), features.tsv(.gz) (or genes.tsv) and barcodes.tsv(.gz)", dir.display())]
    MissingTenxFile { dir: PathBuf, what: &'static str },

    /// An option that does not apply to this input, or names something the file lacks.
    #[error("{}: {problem}", path.display())]
    BadOption { path: PathBuf, problem: String },

    /// The binary cache could not be written.
    #[error("cannot write the cache file {} ({source}); check that the cache folder is a folder you can write to, with free space, or choose another with --cache-dir", path.display())]
    CacheWrite { path: PathBuf, source: io::Error },

    /// The cache folder has too little free space for the matrix's cache.
    #[error("{}: a {rows} × {cols} matrix needs {} of cache space but {} has {} free; read part of it (--cols-subset, a smaller --layer) or give --cache-dir a folder with room", path.display(), gib(*needed), dir.display(), gib(*free))]
    NoSpace { path: PathBuf, dir: PathBuf, rows: usize, cols: usize, needed: u64, free: u64 },

    /// The user pressed Ctrl-C during a long pass.
    #[error("interrupted; nothing half-written was kept")]
    Interrupted,
}

/// Bytes as GiB with one decimal, as the space messages show them.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

impl InputError {
    /// The process exit code for this error: 2 for bad input, 1 for a failing
    /// environment (a cache that cannot be written), 130 for Ctrl-C.
    pub fn exit_code(&self) -> i32 {
        match self {
            InputError::CacheWrite { .. } => 1,
            InputError::Interrupted => 130,
            _ => 2,
        }
    }
}
