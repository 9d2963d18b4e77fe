//! The [`Matrix`] every later stage reads, and how a file becomes one.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use super::annotation::{Annotations, ColsSubset};
use super::cache::{self, ReaderKind, SourceKey};
use super::error::InputError;
use super::h5ad::{self, H5ad};
use super::labels::Labels;
use super::mtx::{self, TenxFolder};
use super::npy::{self, NpyInfo};
use super::text;
use crate::hash::Fnv;
use crate::mmap::{self, map_readonly};
use crate::quote::quote;

/// A read-only, row-major `f32` matrix with row and column labels.
///
/// A matrix opened from a file is a memory map: its values are paged in as
/// they are read and never copied whole into RAM. NaN marks a missing value;
/// infinities are rejected on the way in (text and converted files) or by
/// the first full pass ([`super::scan`]) for `f32` files mapped in place.
pub struct Matrix {
    rows: usize,
    cols: usize,
    storage: Storage,
    row_labels: Labels,
    col_labels: Labels,
    pub(super) source: Source,
    fingerprint: u64,
}

/// Values held elsewhere that a matrix reads in place (another program's
/// array, such as a numpy buffer).
pub type SharedValues = Arc<dyn AsRef<[f32]> + Send + Sync>;

/// Cloned cheaply: both kinds are shared.
#[derive(Clone)]
enum Storage {
    /// Values in memory: the matrix's own, or another program's.
    Owned(SharedValues),
    /// The file is kept open beside its map for [`Matrix::read_row`].
    Mapped { file: Arc<File>, map: Arc<Mmap>, offset: usize },
}

/// Where a matrix came from and how it was opened.
#[derive(Clone, Debug)]
pub struct Source {
    /// The file given by the user (empty for an in-memory matrix).
    pub path: PathBuf,
    /// How that file stores its values, e.g. `text, tab-separated` or `npy <f8`.
    pub stored_as: String,
    /// Whether and how the binary cache was involved.
    pub cache: CacheUse,
    /// Things the user should know that did not stop the open (repeated labels…).
    pub warnings: Vec<String>,
    /// Where the annotation columns (`obs:…`, `var:…`) are read from.
    pub annotations: Annotations,
}

/// How the values reached memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheUse {
    /// Built in memory (tests, small generated data).
    InMemory,
    /// The source file itself is mapped (`f32` `.npy`).
    InPlace,
    /// An existing, valid cache file was mapped.
    Reused(PathBuf),
    /// The source was converted into this new cache file, then mapped.
    Built(PathBuf),
    /// A pipe was converted into a cache file that was mapped and deleted at
    /// once: a pipe's content can differ on every read, so it is never reused.
    Temporary,
}

/// How to open a matrix file.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Where cache files live; `None` means [`cache::default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// A file with one row label per line (for `.npy`, whose labels are not
    /// in the file). For `X.npy`, `X.rows.txt` is used when present.
    pub row_labels: Option<PathBuf>,
    /// Likewise for column labels (`X.cols.txt`).
    pub col_labels: Option<PathBuf>,
    /// `.h5ad`: read `layers/NAME` instead of `X`.
    pub layer: Option<String>,
    /// `.h5ad` and 10x: swap the axes (genes as rows for `.h5ad`, cells as
    /// rows for 10x).
    pub transpose: bool,
    /// `.h5ad`: keep only these variables (genes).
    pub cols_subset: Option<ColsSubset>,
    /// 10x: label genes by id (`features.tsv` column 1) rather than name;
    /// `.h5ad`: by the `var` column `gene_ids`.
    pub gene_ids: bool,
    /// Text: the leading text column, by header name, that labels the rows
    /// (default: the first; the others are skipped).
    pub label_col: Option<String>,
}

impl OpenOptions {
    /// The options only AnnData or 10x input understands, by flag name.
    fn genomics_flags(&self) -> Vec<&'static str> {
        [
            (self.layer.is_some(), "--layer"),
            (self.transpose, "--transpose"),
            (self.cols_subset.is_some(), "--cols-subset"),
            (self.gene_ids, "--gene-ids"),
        ]
        .into_iter()
        .filter_map(|(set, flag)| set.then_some(flag))
        .collect()
    }

    /// A hash of the options that change what an `.h5ad` or 10x source
    /// reads as, so that each variant gets its own cache.
    fn variant(&self, vars: &[usize]) -> u64 {
        let mut hash = Fnv::default()
            .bytes(self.layer.as_deref().unwrap_or("\0X").as_bytes())
            .u64(u64::from(self.transpose))
            .u64(u64::from(self.gene_ids))
            .u64(vars.len() as u64);
        for &v in vars {
            hash = hash.u64(v as u64);
        }
        hash.finish()
    }
}

impl Matrix {
    /// An in-memory matrix (for small data and tests), labelled `row_i`/`col_j`.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f32>) -> Self {
        Matrix::from_shared(rows, cols, Arc::new(data))
    }

    /// A matrix over values held elsewhere, read in place (not copied),
    /// labelled `row_i`/`col_j`.
    ///
    /// # Panics
    /// If there are not `rows * cols` values.
    pub fn from_shared(rows: usize, cols: usize, values: SharedValues) -> Self {
        let data = (*values).as_ref();
        assert_eq!(data.len(), rows * cols, "data length must be rows * cols");
        let source = Source {
            path: PathBuf::new(),
            stored_as: "memory".to_owned(),
            cache: CacheUse::InMemory,
            warnings: Vec::new(),
            annotations: Annotations::None,
        };
        let fingerprint = Fnv::default().u64(rows as u64).u64(cols as u64).bytes(bytemuck::cast_slice(data)).finish();
        Matrix {
            rows,
            cols,
            fingerprint,
            storage: Storage::Owned(values),
            row_labels: Labels::generated("row", rows),
            col_labels: Labels::generated("col", cols),
            source,
        }
    }

    /// Replaces the labels.
    ///
    /// # Panics
    /// If a label count does not match the matrix.
    pub fn with_labels(mut self, row_labels: Labels, col_labels: Labels) -> Self {
        assert_eq!(row_labels.len(), self.rows, "one row label per row");
        assert_eq!(col_labels.len(), self.cols, "one column label per column");
        self.row_labels = row_labels;
        self.col_labels = col_labels;
        self
    }

    /// Opens a matrix file: `.npy`, AnnData `.h5ad`, or delimited text
    /// (TSV/CSV, optionally gzip-compressed), told apart by content rather
    /// than by name; or a 10x folder (or its `matrix.mtx(.gz)`).
    ///
    /// Text and non-`f32` `.npy` files are converted into the binary cache on
    /// first open; later opens of the unchanged file map the cache directly.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<Self, InputError> {
        let (mut matrix, col_file) = Self::open_labelled(path, options)?;
        // The column labels in use, whichever file they came from (a cache
        // stores the count of repeated row labels, which its opening says).
        if let (repeated, Some(first)) = matrix.col_labels.duplicates() {
            let file = col_file.as_deref().unwrap_or(&matrix.source.path);
            let mut warning = label_repeats(file, "column", repeated, &first);
            // Gene symbols repeat where gene ids do not: an .h5ad's var, a
            // transposed 10x folder's features.
            let tenx = matrix.source.stored_as.starts_with("10x");
            let gene_names =
                if tenx { options.transpose } else { has_extension(path, &["h5ad", "h5"]) && !options.transpose };
            if col_file.is_none() && gene_names && !options.gene_ids {
                warning.push_str("; --gene-ids labels the genes by their ids");
            }
            matrix.source.warnings.push(warning);
        }
        Ok(matrix)
    }

    /// [`Matrix::open`] but for the warning on repeated column labels; with
    /// the file the column labels were read from, if not the matrix's own.
    fn open_labelled(path: &Path, options: &OpenOptions) -> Result<(Self, Option<PathBuf>), InputError> {
        let meta = fs::metadata(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => InputError::NotFound { path: path.to_owned() },
            _ => InputError::Read { path: path.to_owned(), source },
        })?;
        let dir = options.cache_dir.clone().unwrap_or_else(cache::default_cache_dir);
        // A 10x folder, or its matrix.mtx(.gz) named directly.
        let named_mtx = path.file_name().is_some_and(|n| n == "matrix.mtx" || n == "matrix.mtx.gz");
        let folder = match (meta.is_dir(), named_mtx, path.parent()) {
            (true, _, _) => Some(path),
            (false, true, Some(parent)) => Some(if parent.as_os_str().is_empty() { Path::new(".") } else { parent }),
            _ => None,
        };
        let text_only = |kind: &str| {
            let problem = format!("--label-col applies to text matrices; this is {kind}");
            Err(InputError::BadOption { path: path.to_owned(), problem })
        };
        if folder.is_some() && options.label_col.is_some() {
            return text_only("a 10x folder");
        }
        if let Some(folder) = folder {
            return match TenxFolder::find(folder)? {
                Some(tenx) => Ok((Self::open_tenx(path, &tenx, options, &dir)?, None)),
                None => Err(InputError::IsDirectory { path: path.to_owned() }),
            };
        }
        if meta.is_file() && meta.len() == 0 {
            return Err(InputError::Empty { path: path.to_owned() });
        }
        // Peeking at a pipe would consume what it peeked: pipes are text.
        let kind = if meta.is_file() { sniff(path)? } else { Kind::Text };
        match kind {
            Kind::Hdf5 | Kind::Npy if options.label_col.is_some() => {
                return text_only(if kind == Kind::Npy { "a .npy" } else { "an HDF5 file" });
            }
            Kind::Hdf5 => return Ok((Self::open_h5ad(path, options, &dir)?, None)),
            _ => {}
        }
        if let Some(flag) = options.genomics_flags().first() {
            let problem = format!("{flag} applies to .h5ad files and 10x folders only");
            return Err(InputError::BadOption { path: path.to_owned(), problem });
        }
        let mut matrix = match kind {
            Kind::Npy => Self::open_npy(path, &dir)?,
            Kind::Text if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy")) => {
                let reason = "it is named .npy but does not start with the NumPy header".to_owned();
                return Err(InputError::BadNpy { path: path.to_owned(), reason });
            }
            Kind::Text if has_extension(path, &["h5ad", "h5"]) => {
                let problem = "it is named like an HDF5 file but does not start with the HDF5 signature; check the file is complete and really an AnnData .h5ad".to_owned();
                return Err(InputError::BadOption { path: path.to_owned(), problem });
            }
            Kind::Text if meta.is_file() && is_matrix_market(path) => {
                let problem = "it is a Matrix Market file, which heatscope reads in a 10x folder: put it there as matrix.mtx (or .mtx.gz) beside barcodes.tsv and features.tsv, and give the folder".to_owned();
                return Err(InputError::BadOption { path: path.to_owned(), problem });
            }
            Kind::Text if meta.is_file() && has_extension(path, &["gz"]) && !starts_with_gzip(path) => {
                let problem = "it is named .gz but is not gzip-compressed; rename it without .gz".to_owned();
                return Err(InputError::BadOption { path: path.to_owned(), problem });
            }
            Kind::Text => Self::open_text(path, &dir, options.label_col.as_deref())?,
            Kind::OtherBinary | Kind::Hdf5 => return Err(InputError::UnknownBinary { path: path.to_owned() }),
        };
        let sibling = |suffix: &str| {
            let candidate = path.with_extension(suffix);
            (path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy")) && candidate.is_file())
                .then_some(candidate)
        };
        if let Some(file) = options.row_labels.clone().or_else(|| sibling("rows.txt")) {
            matrix.row_labels = read_label_file(&file, matrix.rows, "rows")?;
            if let (repeated, Some(first)) = matrix.row_labels.duplicates() {
                matrix.source.warnings.push(label_repeats(&file, "row", repeated, &first));
            }
        }
        let col_file = options.col_labels.clone().or_else(|| sibling("cols.txt"));
        if let Some(file) = &col_file {
            matrix.col_labels = read_label_file(file, matrix.cols, "columns")?;
        }
        Ok((matrix, col_file))
    }

    fn open_h5ad(path: &Path, options: &OpenOptions, dir: &Path) -> Result<Self, InputError> {
        let h5 = H5ad::open(path)?;
        // A cache is looked up before the names are read: a reused one
        // holds them.
        let vars = h5.kept_vars(options.cols_subset.as_ref())?;
        let key = SourceKey::of(path, ReaderKind::H5ad)?.with_variant(options.variant(&vars));
        let annotations = Annotations::H5ad { vars: vars.as_slice().into(), transposed: options.transpose };
        let cache_path = key.cache_path(dir);
        let (cached, cache, damaged) = match cache::open_valid(&cache_path, &key) {
            Ok(cached) => (cached, CacheUse::Reused(cache_path), None),
            Err(unusable) => {
                let plan = h5.plan(options.layer.as_deref(), options.transpose, vars, options.gene_ids, dir)?;
                let built = h5ad::convert(&h5, &plan, &key, dir)?;
                (reopen(&built, &key)?, CacheUse::Built(built), unusable.warning(&cache_path))
            }
        };
        let mut matrix = Self::from_cache(path, cached, cache);
        matrix.source.annotations = annotations;
        matrix.source.warnings.extend(damaged);
        Ok(matrix)
    }

    fn open_tenx(path: &Path, folder: &TenxFolder, options: &OpenOptions, dir: &Path) -> Result<Self, InputError> {
        if options.layer.is_some() || options.cols_subset.is_some() {
            let problem = "--layer and --cols-subset apply to .h5ad files only".to_owned();
            return Err(InputError::BadOption { path: path.to_owned(), problem });
        }
        let key = folder.key(ReaderKind::Tenx)?.with_variant(options.variant(&[]));
        let cache_path = key.cache_path(dir);
        let (cached, cache, damaged) = match cache::open_valid(&cache_path, &key) {
            Ok(cached) => (cached, CacheUse::Reused(cache_path), None),
            Err(unusable) => {
                let built = mtx::convert(folder, options.transpose, options.gene_ids, &key, dir)?;
                (reopen(&built, &key)?, CacheUse::Built(built), unusable.warning(&cache_path))
            }
        };
        let mut matrix = Self::from_cache(&folder.dir, cached, cache);
        matrix.source.warnings.extend(damaged);
        Ok(matrix)
    }

    fn open_text(path: &Path, dir: &Path, label_col: Option<&str>) -> Result<Self, InputError> {
        let key = SourceKey::of(path, ReaderKind::Text)?;
        // Each choice of label column is its own cache.
        let key = match label_col {
            Some(name) => key.with_variant(Fnv::default().bytes(name.as_bytes()).finish()),
            None => key,
        };
        let cache_path = key.cache_path(dir);
        let mut damaged = None;
        if key.reusable {
            match cache::open_valid(&cache_path, &key) {
                Ok(cached) => return Ok(Self::from_cache(path, cached, CacheUse::Reused(cache_path))),
                Err(unusable) => damaged = unusable.warning(&cache_path),
            }
        }
        let converted = text::convert(path, &key, dir, label_col)?;
        let cached = reopen(&converted.cache_path, &key)?;
        let cache = if key.reusable {
            CacheUse::Built(converted.cache_path)
        } else {
            // Nothing will reuse it: the mapping keeps the data until exit.
            let _ = fs::remove_file(&converted.cache_path);
            CacheUse::Temporary
        };
        let mut matrix = Self::from_cache(path, cached, cache);
        matrix.source.warnings = damaged.into_iter().chain(converted.warnings).collect();
        Ok(matrix)
    }

    fn open_npy(path: &Path, dir: &Path) -> Result<Self, InputError> {
        let file = File::open(path).map_err(|source| InputError::Read { path: path.to_owned(), source })?;
        let info = NpyInfo::read(path, &file)?;
        let map = map_readonly(&file).ok().map(Arc::new);
        if let (true, Some(map)) = (info.maps_in_place(), &map) {
            let file = Arc::new(file);
            let source = Source {
                path: path.to_owned(),
                stored_as: info.description(),
                cache: CacheUse::InPlace,
                warnings: Vec::new(),
                annotations: Annotations::None,
            };
            return Ok(Matrix {
                rows: info.rows,
                cols: info.cols,
                fingerprint: file_fingerprint(path, &file),
                storage: Storage::Mapped { file, map: Arc::clone(map), offset: info.data_offset as usize },
                row_labels: Labels::generated("row", info.rows),
                col_labels: Labels::generated("col", info.cols),
                source,
            });
        }
        let key = SourceKey::of(path, ReaderKind::Npy)?;
        let cache_path = key.cache_path(dir);
        let mut damaged = None;
        if key.reusable {
            match cache::open_valid(&cache_path, &key) {
                Ok(cached) => return Ok(Self::from_cache(path, cached, CacheUse::Reused(cache_path))),
                Err(unusable) => damaged = unusable.warning(&cache_path),
            }
        }
        let built = npy::convert(path, &info, file, map.as_deref(), &key, dir)?;
        let cached = reopen(&built, &key)?;
        let mut matrix = Self::from_cache(path, cached, CacheUse::Built(built));
        matrix.source.warnings.extend(damaged);
        Ok(matrix)
    }

    pub(super) fn from_cache(path: &Path, cached: cache::CachedMatrix, cache: CacheUse) -> Self {
        let mut warnings = Vec::new();
        if cached.duplicate_row_labels > 0 {
            warnings.push(format!(
                "{}: {} row labels repeat an earlier one; all rows are kept",
                path.display(),
                cached.duplicate_row_labels
            ));
        }
        let fingerprint = match &cache {
            CacheUse::Reused(file) | CacheUse::Built(file) => file_fingerprint(file, &cached.file),
            _ => file_fingerprint(path, &cached.file),
        };
        let annotations = Annotations::beside_text(path);
        let source = Source { path: path.to_owned(), stored_as: cached.description, cache, warnings, annotations };
        Matrix {
            fingerprint,
            rows: cached.rows,
            cols: cached.cols,
            row_labels: cached.row_labels.unwrap_or_else(|| Labels::generated("row", cached.rows)),
            col_labels: cached.col_labels.unwrap_or_else(|| Labels::generated("col", cached.cols)),
            storage: Storage::Mapped { file: cached.file, map: cached.map, offset: cache::DATA_OFFSET as usize },
            source,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i` as a slice of `cols` values. NaN marks a missing value.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data()[i * self.cols..(i + 1) * self.cols]
    }

    /// All values, row-major. For a mapped matrix this is the mapping itself:
    /// touching it pages data in on demand; it is never copied.
    pub fn data(&self) -> &[f32] {
        self.storage.values(self.rows * self.cols)
    }

    /// Copies row `i` into `out` (`cols` values). A mapped matrix is read
    /// from its file rather than through the map: a pass that visits rows in
    /// an arbitrary order (display order after clustering) then leaves no
    /// pages mapped behind it, where touching the map would map whole folios
    /// around each row.
    ///
    /// # Panics
    /// If `out.len() != self.cols()`.
    pub fn read_row(&self, i: usize, out: &mut [f32]) -> std::io::Result<()> {
        assert_eq!(out.len(), self.cols, "one value per column");
        self.read_rows(i, out)
    }

    /// Copies the consecutive rows starting at `first` into `out` (a whole
    /// number of rows), with one read of the file for a mapped matrix: a
    /// streaming pass then holds no mapped pages, only its own buffer.
    ///
    /// # Panics
    /// If `out` is not a whole number of rows, or they run past the end.
    pub fn read_rows(&self, first: usize, out: &mut [f32]) -> std::io::Result<()> {
        assert_eq!(out.len() % self.cols.max(1), 0, "whole rows");
        let count = out.len() / self.cols.max(1);
        assert!(first + count <= self.rows, "rows {first}..{} of {}", first + count, self.rows);
        match &self.storage {
            Storage::Owned(values) => {
                out.copy_from_slice(&(**values).as_ref()[first * self.cols..(first + count) * self.cols]);
                Ok(())
            }
            Storage::Mapped { file, offset, .. } => {
                let at = (offset + first * self.cols * 4) as u64;
                std::os::unix::fs::FileExt::read_exact_at(&**file, bytemuck::cast_slice_mut(out), at)
            }
        }
    }

    /// A handle on the values that later stages keep (the pyramid reads its
    /// full-resolution tiles from it): it shares the map or the memory, and
    /// copies nothing.
    pub fn values(&self) -> MatrixValues {
        MatrixValues { storage: self.storage.clone(), rows: self.rows, cols: self.cols }
    }

    /// Hints that `rows` will not be read again soon, so their pages may
    /// leave memory. A streaming pass calls this behind itself to keep its
    /// resident set small on files larger than RAM. The values stay readable.
    pub fn release_rows(&self, rows: std::ops::Range<usize>) {
        if let Storage::Mapped { map, offset, .. } = &self.storage {
            let row_bytes = self.cols * 4;
            mmap::release(map, offset + rows.start * row_bytes, rows.len() * row_bytes);
        }
    }

    /// Row labels, in storage order.
    pub fn row_labels(&self) -> &Labels {
        &self.row_labels
    }

    /// Column labels, in storage order.
    pub fn col_labels(&self) -> &Labels {
        &self.col_labels
    }

    /// Identifies these values: the mapped file's path, size and
    /// modification time, or a hash of an in-memory matrix's values. Later
    /// stages key their own caches on it.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Where the matrix came from.
    pub fn source(&self) -> &Source {
        &self.source
    }
}

/// The warning for the labels of an `axis` ("row" or "column") that
/// repeat: `repeated` of them, the first being `first`.
pub(super) fn label_repeats(path: &Path, axis: &str, repeated: impl std::fmt::Display, first: &str) -> String {
    format!(
        "{}: {repeated} {axis} labels repeat an earlier one (first: '{}'); all {axis}s are kept",
        path.display(),
        quote(first)
    )
}

/// The path, size and change stamp of the file a matrix maps, taken from
/// the open file itself (not the path, which could name a newer file by now).
fn file_fingerprint(path: &Path, file: &File) -> u64 {
    let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let meta = file.metadata().ok();
    Fnv::default()
        .bytes(canonical.as_os_str().as_encoded_bytes())
        .u64(meta.as_ref().map_or(0, |m| m.len()))
        .u64(meta.as_ref().map_or(0, cache::change_stamp))
        .finish()
}

/// What a file's first bytes say it is.
#[derive(PartialEq)]
enum Kind {
    Npy,
    /// HDF5, read as AnnData.
    Hdf5,
    /// Delimited text, plain or gzip-compressed.
    Text,
    /// Binary data of another format (HDF5, zip, …).
    OtherBinary,
}

fn sniff(path: &Path) -> Result<Kind, InputError> {
    const GZIP: &[u8] = &[0x1f, 0x8b];
    let mut head = Vec::with_capacity(4096);
    File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|source| InputError::Read { path: path.to_owned(), source })?;
    Ok(if head.starts_with(npy::MAGIC) {
        Kind::Npy
    } else if head.starts_with(h5ad::MAGIC) {
        Kind::Hdf5
    } else if head.starts_with(GZIP) || !head.contains(&0) {
        Kind::Text
    } else {
        Kind::OtherBinary
    })
}

/// Whether `path` ends in one of `extensions` (any case).
fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Whether the file is named `.mtx` or `.mtx.gz`, or starts with the
/// Matrix Market banner.
fn is_matrix_market(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let mut head = [0u8; 14];
    name.ends_with(".mtx")
        || name.ends_with(".mtx.gz")
        || File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head == b"%%MatrixMarket"
}

/// Whether the file starts with gzip's magic bytes.
fn starts_with_gzip(path: &Path) -> bool {
    let mut head = [0u8; 2];
    File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head == [0x1f, 0x8b]
}

/// Maps a cache file that was just written; failing validation now means the
/// disk lost what was written.
pub(super) fn reopen(path: &Path, key: &SourceKey) -> Result<cache::CachedMatrix, InputError> {
    cache::open_written(path, key).map_err(|_| InputError::CacheWrite {
        path: path.to_owned(),
        source: std::io::Error::other("the file just written fails validation"),
    })
}

/// Reads a label side file: one label per line, UTF-8, exactly `expected` lines.
fn read_label_file(path: &Path, expected: usize, axis: &'static str) -> Result<Labels, InputError> {
    let bytes = fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound { path: path.to_owned() },
        _ => InputError::Read { path: path.to_owned(), source },
    })?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        InputError::NotUtf8 { path: path.to_owned(), line }
    })?;
    let labels = Labels::from_lines(text);
    if labels.len() != expected {
        return Err(InputError::LabelCount { path: path.to_owned(), found: labels.len(), expected, axis });
    }
    Ok(labels)
}

/// The values of a [`Matrix`] without its labels, shared (see
/// [`Matrix::values`]).
pub struct MatrixValues {
    storage: Storage,
    rows: usize,
    cols: usize,
}

impl MatrixValues {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i` as a slice of `cols` values: through the map for a mapped
    /// matrix, so that a few rows read here and there cost no system call.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.storage.values(self.rows * self.cols)[i * self.cols..(i + 1) * self.cols]
    }
}

impl Storage {
    /// The first `len` values (all of them), in place: the memory, or the
    /// map itself.
    fn values(&self, len: usize) -> &[f32] {
        match self {
            Storage::Owned(values) => &(**values).as_ref()[..len],
            Storage::Mapped { map, offset, .. } => bytemuck::cast_slice(&map[*offset..*offset + len * 4]),
        }
    }
}
