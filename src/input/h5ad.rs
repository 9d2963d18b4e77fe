//! AnnData `.h5ad` files, read with the pure-Rust `hdf5-reader`.
//!
//! Two layouts exist. Current files (anndata ≥ 0.7) mark every element with
//! an `encoding-type` attribute: `X` is a 2-D dataset or a `csr_matrix` /
//! `csc_matrix` group (`data`, `indices`, `indptr`, attribute `shape`);
//! `obs` and `var` are `dataframe` groups whose attribute `_index` names the
//! dataset of row names, with one dataset per column, or a `categorical`
//! group (`codes`, `categories`). Older files keep `obs` and `var` as
//! compound datasets with an `index` field and categorical codes whose
//! categories sit in `uns/<column>_categories`; their sparse `X` is a group
//! with `h5sparse_format` and `h5sparse_shape` attributes.
//!
//! Observations (cells) are rows and variables (genes) columns, unless the
//! matrix is transposed. Sparse data is densified band by band into the
//! cache ([`super::sparse`]); nothing is read whole but `indptr` and labels.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hdf5_reader::error::Error as Hdf5Error;
use hdf5_reader::group::Group;
use hdf5_reader::{ByteOrder, Dataset, Datatype, Hdf5File, SliceInfo, SliceInfoElem, StringSize, VarLenKind};

use super::annotation::{AnnotationValues, ObsVar};
use super::cache::{CacheWriter, SourceKey};
use super::error::InputError;
use super::labels::Labels;
use super::sparse::{self, Spill, first_infinite};
use crate::cluster::memory::human_bytes;
use crate::progress;
use crate::quote::quote;

/// The first bytes of an HDF5 file without a user block.
pub(crate) const MAGIC: &[u8] = b"\x89HDF\r\n\x1a\n";

/// Sparse entries read per piece.
const PIECE_ENTRIES: u64 = 1 << 20;

/// The most bytes a chunked dataset may decode to per byte of the file.
/// Deflate, the filter anndata uses, cannot exceed about 1032:1; a
/// dataspace claiming more than this is damaged or hostile, and is refused
/// before anything is allocated for it.
const MAX_RATIO: u64 = 1100;

/// Bytes of memory a text value takes to read beyond three times its
/// stored bytes (as read, as a `String`, as packed labels): the `String`
/// and its smallest allocation, and a packed label's end offset.
const TEXT_OVERHEAD: u64 = 48;

/// An open `.h5ad` file.
pub(crate) struct H5ad {
    path: PathBuf,
    file: Hdf5File,
    /// The file's length in bytes: what its datasets' claims are checked against.
    len: u64,
    /// The most memory reading one dataset of names or annotations may
    /// take: half of physical memory (no limit where it cannot be read).
    memory: u64,
    /// The pre-0.7 layout: compound `obs`/`var`.
    old: bool,
}

/// The matrix to read: `X` or a layer.
// One per open file: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Element {
    Dense(Dataset),
    Sparse(SparseElement),
}

struct SparseElement {
    /// CSR: the compressed (major) axis is obs; CSC: var.
    csr: bool,
    data: Dataset,
    indices: Dataset,
    /// `major + 1` offsets into `data` and `indices`, checked.
    indptr: Vec<u64>,
    minor: usize,
    /// The group's name for messages, e.g. `X` or `layers/counts`.
    place: String,
}

/// What to read and how to lay it out.
pub(crate) struct Plan {
    element: Element,
    n_obs: usize,
    n_var: usize,
    /// Variables kept, in output order (all when no subset).
    vars: Vec<usize>,
    transpose: bool,
    row_labels: Labels,
    col_labels: Labels,
    description: String,
}

impl Plan {
    /// Output rows and columns.
    fn shape(&self) -> (usize, usize) {
        if self.transpose { (self.vars.len(), self.n_obs) } else { (self.n_obs, self.vars.len()) }
    }
}

impl H5ad {
    /// Opens `path` and checks that it is whole and AnnData.
    pub(crate) fn open(path: &Path) -> Result<Self, InputError> {
        let bad = |reason: String| InputError::BadHdf5 { path: path.to_owned(), reason };
        let len = std::fs::metadata(path).map_err(|source| InputError::Read { path: path.to_owned(), source })?.len();
        // A backstop under the checks of `check_claim`: no single read may
        // allocate more than the file could decode to.
        let options = hdf5_reader::OpenOptions::default()
            .with_max_read_bytes(usize::try_from(len.saturating_mul(MAX_RATIO)).unwrap_or(usize::MAX));
        let file = Hdf5File::open_with_options(path, options).map_err(|e| bad(e.to_string()))?;
        let eof = file.superblock().eof_address;
        if eof > len {
            return Err(bad(format!("its header says it is {eof} bytes long but it has {len}")));
        }
        let memory = crate::cluster::memory::physical_memory().map_or(u64::MAX, |m| m / 2);
        let h5 = H5ad { path: path.to_owned(), old: false, file, len, memory };
        let root = h5.file.root_group().map_err(|e| h5.hdf5(e))?;
        let (groups, datasets) = root.member_names().map_err(|e| h5.hdf5(e))?;
        if !groups.iter().chain(&datasets).any(|n| n == "X") {
            return Err(InputError::NotAnnData { path: path.to_owned() });
        }
        let old = datasets.iter().any(|n| n == "obs");
        Ok(H5ad { old, ..h5 })
    }

    fn hdf5(&self, e: Hdf5Error) -> InputError {
        InputError::BadHdf5 { path: self.path.clone(), reason: e.to_string() }
    }

    /// Refuses a dataset whose dataspace claims more bytes than the file
    /// could hold: its own bytes when stored whole (contiguous or compact),
    /// [`MAX_RATIO`] times the file when chunked and compressed. Called
    /// before anything sized from the dataspace is allocated.
    fn check_claim(&self, ds: &Dataset, place: &str) -> Result<(), InputError> {
        let elements = ds.num_elements().map_err(|e| self.hdf5(e))?;
        let size = ds.raw_element_size().map_err(|e| self.hdf5(e))? as u64;
        let (bound, held) = match ds.chunks() {
            Some(_) => (self.len.saturating_mul(MAX_RATIO), "its chunks could decode to"),
            None => (self.len, "the file holds"),
        };
        match elements.checked_mul(size) {
            Some(bytes) if bytes <= bound => Ok(()),
            bytes => Err(InputError::BadLayout {
                path: self.path.clone(),
                place: place.to_owned(),
                problem: format!(
                    "its header claims {elements} values of {size} bytes ({} bytes), more than the {bound} bytes {held}",
                    bytes.map_or_else(|| "over 2^64".to_owned(), |b| b.to_string())
                ),
                fix: "the file is damaged or was not written whole: write it again with anndata's write_h5ad",
            }),
        }
    }

    /// Refuses a dataset that would take more than [`H5ad::memory`] to
    /// read: its values at `per_value` bytes each beyond their own bytes,
    /// and `extra` bytes besides. A file of a few hundred kilobytes can
    /// hold 10⁸ compressed names, and its claim be within [`MAX_RATIO`];
    /// called after [`H5ad::check_claim`], before the read.
    fn check_memory(&self, ds: &Dataset, place: &str, per_value: u64, extra: u64) -> Result<(), InputError> {
        let count = ds.num_elements().map_err(|e| self.hdf5(e))?;
        let size = ds.raw_element_size().map_err(|e| self.hdf5(e))? as u64;
        let needed = count.saturating_mul(size.saturating_add(per_value)).saturating_add(extra);
        if needed <= self.memory {
            return Ok(());
        }
        Err(InputError::BadLayout {
            path: self.path.clone(),
            place: place.to_owned(),
            problem: format!(
                "its {count} values would take about {} of memory to read, more than the {} heatscope allows itself (half of this machine's memory)",
                human_bytes(needed),
                human_bytes(self.memory)
            ),
            fix: "the file is damaged, or too large for this machine: read it on one with more memory",
        })
    }

    /// Reads a dataset of text, once its claim and the memory its values
    /// take are checked.
    fn read_text(&self, ds: &Dataset, place: &str, what: &str) -> Result<Vec<String>, InputError> {
        self.check_claim(ds, place)?;
        let size = ds.raw_element_size().map_err(|e| self.hdf5(e))? as u64;
        // Variable-length text lies in the file's heap, uncompressed: at
        // most the file, held twice (as `String`s, as packed labels).
        let (per_value, heap) = match ds.dtype() {
            Datatype::String { size: StringSize::Fixed(_), .. } => (size.saturating_mul(2), 0),
            _ => (0, self.len.saturating_mul(2)),
        };
        self.check_memory(ds, place, per_value.saturating_add(TEXT_OVERHEAD), heap)?;
        ds.read_strings().map_err(|e| self.layout(place, format!("cannot be read as {what} ({e})")))
    }

    fn layout(&self, place: impl Into<String>, problem: impl Into<String>) -> InputError {
        InputError::BadLayout {
            path: self.path.clone(),
            place: place.into(),
            problem: problem.into(),
            fix: "the file breaks the AnnData layout; write it again with anndata's write_h5ad",
        }
    }

    /// The names of one axis (obs_names or var_names).
    pub(crate) fn names(&self, axis: ObsVar) -> Result<Vec<String>, InputError> {
        let name = axis.name();
        if self.old {
            let ds = self.file.dataset(name).map_err(|_| self.layout(name, "missing"))?;
            return match self.compound_field(&ds, "index")? {
                Column::Strings(names) => Ok(names),
                _ => Err(self.layout(format!("{name}/index"), "is not a string field")),
            };
        }
        let (ds, place) = self.index_dataset(name)?;
        self.read_text(&ds, &place, "names")
    }

    /// The dataset that holds the names of the axis `name` (the layout
    /// since anndata 0.7), and where it is.
    fn index_dataset(&self, name: &str) -> Result<(Dataset, String), InputError> {
        let group = self.file.group(name).map_err(|_| self.layout(name, "missing"))?;
        let index = group.attribute("_index").and_then(|a| a.read_string()).unwrap_or_else(|_| "_index".to_owned());
        let place = format!("{name}/{index}");
        let ds = group.dataset(&index).map_err(|_| self.layout(&place, "missing"))?;
        Ok((ds, place))
    }

    /// How many items an axis has: how many names its dataspace declares,
    /// once that claim is checked against the file ([`H5ad::check_claim`]).
    fn axis_len(&self, axis: ObsVar) -> Result<u64, InputError> {
        let (ds, place) = if self.old {
            (self.file.dataset(axis.name()).map_err(|_| self.layout(axis.name(), "missing"))?, axis.name().to_owned())
        } else {
            self.index_dataset(axis.name())?
        };
        self.check_claim(&ds, &place)?;
        // Only names count: a dataset of numbers, however long its claim, is
        // refused before its length sizes anything.
        let names = match ds.dtype() {
            Datatype::Compound { .. } => self.old,
            Datatype::String { .. } | Datatype::VarLen { kind: VarLenKind::String, .. } => !self.old,
            _ => false,
        };
        if !names {
            let what = if self.old { "a table with an index field" } else { "text" };
            return Err(self.layout(place, format!("is not {what}, so it cannot hold the names")));
        }
        ds.num_elements().map_err(|e| self.hdf5(e))
    }

    /// The annotation columns of one axis, in the file's order.
    pub(crate) fn column_names(&self, axis: ObsVar) -> Result<Vec<String>, InputError> {
        let name = axis.name();
        if self.old {
            let ds = self.file.dataset(name).map_err(|e| self.hdf5(e))?;
            let Datatype::Compound { fields, .. } = ds.dtype() else {
                return Err(self.layout(name, "is neither a group nor a compound dataset"));
            };
            return Ok(fields.iter().map(|f| f.name.clone()).filter(|n| n != "index").collect());
        }
        let group = self.file.group(name).map_err(|e| self.hdf5(e))?;
        if let Ok(order) = group.attribute("column-order").and_then(|a| a.read_strings()) {
            return Ok(order);
        }
        let index = group.attribute("_index").and_then(|a| a.read_string()).unwrap_or_else(|_| "_index".to_owned());
        let (groups, datasets) = group.member_names().map_err(|e| self.hdf5(e))?;
        Ok(groups.into_iter().chain(datasets).filter(|n| *n != index && n != "__categories").collect())
    }

    /// The colours stored for a categorical column's categories
    /// (`uns/<column>_colors`, as scanpy writes them), or none.
    pub(crate) fn stored_colors(&self, column: &str) -> Result<Vec<String>, InputError> {
        let place = format!("uns/{column}_colors");
        match self.file.dataset(&place) {
            Ok(ds) => self.strings(&ds, &place),
            Err(_) => Ok(Vec::new()),
        }
    }

    /// One annotation column, or `None` when the axis has no such column;
    /// a column of another length than the axis is refused.
    pub(crate) fn column(&self, axis: ObsVar, column: &str) -> Result<Option<AnnotationValues>, InputError> {
        let Some(values) = self.column_values(axis, column)? else { return Ok(None) };
        let items = self.axis_len(axis)?;
        if values.len() as u64 != items {
            return Err(self.layout(
                format!("{}/{column}", axis.name()),
                format!("holds {} values but {} has {items} names", values.len(), axis.name()),
            ));
        }
        Ok(Some(values))
    }

    fn column_values(&self, axis: ObsVar, column: &str) -> Result<Option<AnnotationValues>, InputError> {
        let name = axis.name();
        let place = format!("{name}/{column}");
        if self.old {
            if !self.column_names(axis)?.iter().any(|c| c == column) {
                return Ok(None);
            }
            let ds = self.file.dataset(name).map_err(|e| self.hdf5(e))?;
            let values = self.compound_field(&ds, column)?;
            // Old files keep a categorical column's categories in uns.
            let categories = self.file.dataset(&format!("uns/{column}_categories")).ok();
            return Ok(Some(match (values, categories) {
                (Column::Numbers(codes), Some(categories)) => {
                    let categories = self.strings(&categories, &format!("uns/{column}_categories"))?;
                    self.categorical(codes, categories, &place)?
                }
                (values, _) => values.into_annotation(),
            }));
        }
        let group = self.file.group(name).map_err(|e| self.hdf5(e))?;
        if let Ok(ds) = group.dataset(column) {
            return Ok(Some(self.plain_column(&ds, &place)?.into_annotation()));
        }
        let Ok(sub) = group.group(column) else { return Ok(None) };
        match encoding(&sub).as_deref() {
            Some("categorical") => {
                let codes = sub.dataset("codes").map_err(|_| self.layout(format!("{place}/codes"), "missing"))?;
                let Column::Numbers(codes) = self.plain_column(&codes, &place)? else {
                    return Err(self.layout(format!("{place}/codes"), "is not integer codes"));
                };
                let categories =
                    sub.dataset("categories").map_err(|_| self.layout(format!("{place}/categories"), "missing"))?;
                let categories = match self.plain_column(&categories, &place)? {
                    Column::Strings(s) => s,
                    Column::Numbers(n) | Column::Booleans(n) => n.iter().map(|v| v.to_string()).collect(),
                };
                Ok(Some(self.categorical(codes, categories, &place)?))
            }
            Some("nullable-integer" | "nullable-boolean" | "nullable-float") => {
                let read = |part: &str| {
                    let ds = sub.dataset(part).map_err(|_| self.layout(format!("{place}/{part}"), "missing"))?;
                    match self.plain_column(&ds, &place)? {
                        Column::Numbers(n) | Column::Booleans(n) => Ok(n),
                        Column::Strings(_) => Err(self.layout(format!("{place}/{part}"), "is not numbers")),
                    }
                };
                let (values, mask) = (read("values")?, read("mask")?);
                Ok(Some(AnnotationValues::Numeric(
                    values.iter().zip(&mask).map(|(&v, &m)| if m != 0.0 { f64::NAN } else { v }).collect(),
                )))
            }
            other => Err(self.layout(place, format!("has encoding {other:?}, which heatscope does not read"))),
        }
    }

    fn categorical(
        &self,
        codes: Vec<f64>,
        categories: Vec<String>,
        place: &str,
    ) -> Result<AnnotationValues, InputError> {
        let n = categories.len() as f64;
        if let Some(bad) = codes.iter().find(|&&c| c >= n || (c < 0.0 && c != -1.0)) {
            return Err(self.layout(place, format!("code {bad} but only {n} categories")));
        }
        Ok(AnnotationValues::Categorical { codes: codes.iter().map(|&c| c as i32).collect(), categories })
    }

    fn strings(&self, ds: &Dataset, place: &str) -> Result<Vec<String>, InputError> {
        self.read_text(ds, place, "strings")
    }

    /// A 1-D dataset as strings or numbers (booleans as 0/1).
    fn plain_column(&self, ds: &Dataset, place: &str) -> Result<Column, InputError> {
        match ds.dtype() {
            Datatype::String { .. } | Datatype::VarLen { .. } => Ok(Column::Strings(self.strings(ds, place)?)),
            dtype => {
                let dtype = dtype.clone();
                self.check_claim(ds, place)?;
                // Each value read, then kept as an f64.
                self.check_memory(ds, place, 8, 0)?;
                let bytes = ds.read_raw_bytes().map_err(|e| self.hdf5(e))?;
                let size = hdf5_reader::dtype_element_size(&dtype).map_err(|e| self.hdf5(e))?;
                let is_bool = matches!(dtype, Datatype::Enum { .. });
                let values = bytes
                    .chunks_exact(size.max(1))
                    .map(|b| decode_number(b, &dtype))
                    .collect::<Option<Vec<f64>>>()
                    .ok_or_else(|| self.layout(place, format!("has type {dtype:?}, which is not numbers or text")))?;
                Ok(if is_bool { Column::Booleans(values) } else { Column::Numbers(values) })
            }
        }
    }

    /// One field of a compound dataset (the old layout's `obs` and `var`).
    fn compound_field(&self, ds: &Dataset, field: &str) -> Result<Column, InputError> {
        let place = format!("{}/{field}", ds.name());
        let Datatype::Compound { size, fields } = ds.dtype().clone() else {
            return Err(self.layout(ds.name(), "is not a compound dataset"));
        };
        let member = fields.iter().find(|f| f.name == field).ok_or_else(|| self.layout(&place, "missing"))?;
        self.check_claim(ds, ds.name())?;
        let width = hdf5_reader::dtype_element_size(&member.datatype).map_err(|e| self.hdf5(e))?;
        // The records as read, then the field of each as a String (a number
        // takes less).
        self.check_memory(ds, ds.name(), (width as u64).saturating_add(TEXT_OVERHEAD), 0)?;
        let bytes = ds.read_raw_bytes().map_err(|e| self.hdf5(e))?;
        let offset = member.byte_offset as usize;
        if offset + width > size as usize || size == 0 {
            return Err(self.layout(&place, "lies outside its record"));
        }
        let records = bytes.chunks_exact(size as usize).map(|r| &r[offset..offset + width]);
        match &member.datatype {
            Datatype::String { size: StringSize::Fixed(_), .. } => Ok(Column::Strings(
                records.map(|b| String::from_utf8_lossy(b).trim_end_matches(['\0', ' ']).to_owned()).collect(),
            )),
            dtype => {
                let values = records.map(|b| decode_number(b, dtype)).collect::<Option<Vec<f64>>>();
                let values = values
                    .ok_or_else(|| self.layout(&place, format!("has type {dtype:?}, which is not numbers or text")))?;
                Ok(if matches!(dtype, Datatype::Enum { .. }) {
                    Column::Booleans(values)
                } else {
                    Column::Numbers(values)
                })
            }
        }
    }

    /// The layers of the file, by name.
    fn layer_names(&self) -> Vec<String> {
        self.file
            .group("layers")
            .and_then(|g| g.member_names())
            .map(|(groups, datasets)| groups.into_iter().chain(datasets).collect())
            .unwrap_or_default()
    }

    /// Finds `X` or `layers/NAME` and checks its shape against obs and var.
    fn element(&self, layer: Option<&str>, n_obs: usize, n_var: usize) -> Result<Element, InputError> {
        let place = match layer {
            Some(name) => format!("layers/{name}"),
            None => "X".to_owned(),
        };
        if let Ok(ds) = self.file.dataset(&place) {
            self.check_claim(&ds, &place)?;
            let shape = ds.shape();
            if shape != [n_obs as u64, n_var as u64] {
                return Err(
                    self.layout(&place, format!("has shape {shape:?} but obs has {n_obs} names and var {n_var}"))
                );
            }
            return Ok(Element::Dense(ds));
        }
        let Ok(group) = self.file.group(&place) else {
            let layers = self.layer_names();
            return Err(InputError::BadOption {
                path: self.path.clone(),
                problem: format!(
                    "no layer '{}'; the file's layers are: {}",
                    quote(layer.unwrap_or("X")),
                    if layers.is_empty() { "none".to_owned() } else { quote(&layers.join(", ")) }
                ),
            });
        };
        let format = encoding(&group)
            .or_else(|| group.attribute("h5sparse_format").and_then(|a| a.read_string()).ok())
            .unwrap_or_default();
        let csr = match format.as_str() {
            "csr_matrix" | "csr" => true,
            "csc_matrix" | "csc" => false,
            other => return Err(self.layout(&place, format!("is a group of encoding '{other}', not a sparse matrix"))),
        };
        let shape = group
            .attribute("shape")
            .or_else(|_| group.attribute("h5sparse_shape"))
            .and_then(|a| a.read_1d::<i64>())
            .map_err(|_| self.layout(&place, "has no shape attribute"))?;
        if shape != [n_obs as i64, n_var as i64] {
            return Err(self.layout(&place, format!("has shape {shape:?} but obs has {n_obs} names and var {n_var}")));
        }
        let part = |name: &str| group.dataset(name).map_err(|_| self.layout(format!("{place}/{name}"), "missing"));
        let (data, indices, indptr) = (part("data")?, part("indices")?, part("indptr")?);
        for (ds, name) in [(&data, "data"), (&indices, "indices"), (&indptr, "indptr")] {
            self.check_claim(ds, &format!("{place}/{name}"))?;
        }
        let (major, minor) = if csr { (n_obs, n_var) } else { (n_var, n_obs) };
        let nnz = data.shape().first().copied().unwrap_or(0);
        if indices.shape() != data.shape() || data.shape().len() != 1 {
            return Err(self.layout(
                format!("{place}/indices"),
                format!("has shape {:?} but data has {:?}", indices.shape(), data.shape()),
            ));
        }
        let indptr = self.integers(&indptr, 0..indptr.shape().first().copied().unwrap_or(0), &place, "indptr")?;
        if indptr.len() != major + 1 {
            return Err(self.layout(
                format!("{place}/indptr"),
                format!(
                    "has {} entries but a {} matrix of shape {shape:?} needs {}",
                    indptr.len(),
                    if csr { "CSR" } else { "CSC" },
                    major + 1
                ),
            ));
        }
        if indptr[0] != 0 {
            return Err(self.layout(format!("{place}/indptr"), format!("starts at {} rather than 0", indptr[0])));
        }
        if let Some(i) = indptr.windows(2).position(|w| w[0] > w[1]) {
            return Err(self.layout(format!("{place}/indptr"), format!("decreases at entry {}", i + 1)));
        }
        if indptr[major] > nnz {
            return Err(self
                .layout(format!("{place}/indptr"), format!("ends at {} but data holds {nnz} values", indptr[major])));
        }
        Ok(Element::Sparse(SparseElement { csr, data, indices, indptr, minor, place }))
    }

    /// Non-negative integers from a 1-D range of `ds`.
    fn integers(&self, ds: &Dataset, range: Range<u64>, place: &str, part: &str) -> Result<Vec<u64>, InputError> {
        let values = read_numbers(ds, std::slice::from_ref(&range)).map_err(|e| self.read_failure(e, place, part))?;
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                (v >= 0.0 && v.fract() == 0.0).then_some(v as u64).ok_or_else(|| {
                    self.layout(
                        format!("{place}/{part}"),
                        format!("entry {} is {v}, not an index", range.start + i as u64),
                    )
                })
            })
            .collect()
    }

    /// Refuses a band (of the output, from row `first_row`) holding an
    /// infinite value.
    fn check_finite(&self, plan: &Plan, band: &[f32], first_row: usize) -> Result<(), InputError> {
        match first_infinite(band, first_row, plan.shape().1) {
            None => Ok(()),
            Some((row, column)) => Err(self.infinite_at(plan, row, column)),
        }
    }

    /// The error for an infinite value at `row`, `column` of the output,
    /// found by reading again, as `f64`, what the element stores there: an
    /// infinity, or finite values beyond the `f32` range (a float64 value,
    /// or sparse entries adding up beyond it).
    fn infinite_at(&self, plan: &Plan, row: u64, column: u64) -> InputError {
        let (r, c) = (row as usize, column as usize);
        let (obs, var) = if plan.transpose { (c, plan.vars[r]) } else { (r, plan.vars[c]) };
        let stored: Result<Vec<f64>, InputError> = match &plan.element {
            Element::Dense(ds) => {
                let at = [obs as u64..obs as u64 + 1, var as u64..var as u64 + 1];
                read_numbers(ds, &at).map_err(|e| self.read_failure(e, ds.name(), ""))
            }
            Element::Sparse(s) => {
                let (major, minor) = if s.csr { (obs, var) } else { (var, obs) };
                let range = s.indptr[major]..s.indptr[major + 1];
                self.integers(&s.indices, range.clone(), &s.place, "indices").and_then(|indices| {
                    let data = read_numbers(&s.data, std::slice::from_ref(&range))
                        .map_err(|e| self.read_failure(e, &s.place, "data"))?;
                    Ok(data.into_iter().zip(indices).filter(|&(_, m)| m == minor as u64).map(|(v, _)| v).collect())
                })
            }
        };
        let path = self.path.clone();
        match stored {
            Err(e) => e,
            Ok(values) if values.iter().all(|v| v.is_finite()) => InputError::ValueOutOfRange { path, row, column },
            Ok(_) => InputError::InfiniteValue { path, row, column },
        }
    }

    fn read_failure(&self, e: ReadFailure, place: &str, part: &str) -> InputError {
        match e {
            ReadFailure::Hdf5(e) => self.hdf5(e),
            ReadFailure::Type(dtype) => {
                self.layout(format!("{place}/{part}"), format!("has type {dtype}, which is not numeric"))
            }
        }
    }

    /// The variables a conversion keeps, in output order: every one of
    /// var's (as many as its names' dataspace declares) without a
    /// `subset`. Reads no names unless a subset needs them, so that a
    /// cache can be looked up without them.
    pub(crate) fn kept_vars(&self, subset: Option<&super::annotation::ColsSubset>) -> Result<Vec<usize>, InputError> {
        let vars = match subset {
            None => (0..self.axis_len(ObsVar::Var)?).map(|v| v as usize).collect(),
            Some(subset) => self.select_vars(subset, &self.names(ObsVar::Var)?)?,
        };
        if vars.is_empty() {
            return Err(InputError::BadOption {
                path: self.path.clone(),
                problem: "the column subset is empty".into(),
            });
        }
        Ok(vars)
    }

    /// Plans the conversion of `layer` (or `X`) keeping `vars`
    /// ([`H5ad::kept_vars`]). Every claim is checked and the cache's size
    /// weighed against the free space in `dir` before the names are read:
    /// a million names take a while, and a matrix that cannot be written
    /// is refused without them.
    pub(crate) fn plan(
        &self,
        layer: Option<&str>,
        transpose: bool,
        vars: Vec<usize>,
        gene_ids: bool,
        dir: &Path,
    ) -> Result<Plan, InputError> {
        let declared =
            |axis| usize::try_from(self.axis_len(axis)?).map_err(|_| self.layout(axis.name(), "is too long"));
        let (n_obs, n_var) = (declared(ObsVar::Obs)?, declared(ObsVar::Var)?);
        let element = self.element(layer, n_obs, n_var)?;
        if vars.iter().any(|&v| v >= n_var) {
            return Err(self.layout("var", "changed while it was read"));
        }
        let (rows, cols) = if transpose { (vars.len(), n_obs) } else { (n_obs, vars.len()) };
        super::cache::check_space(&self.path, dir, rows, cols, 0)?;
        let obs_names = self.names(ObsVar::Obs)?;
        let mut var_names = self.names(ObsVar::Var)?;
        for (axis, names, n) in [(ObsVar::Obs, &obs_names, n_obs), (ObsVar::Var, &var_names, n_var)] {
            if names.len() != n {
                return Err(self.layout(axis.name(), format!("holds {} names but declares {n}", names.len())));
            }
        }
        if gene_ids {
            var_names = match self.column(ObsVar::Var, "gene_ids")? {
                Some(AnnotationValues::Categorical { codes, categories }) => {
                    codes.iter().map(|&c| categories.get(c as usize).cloned().unwrap_or_default()).collect()
                }
                _ => {
                    return Err(InputError::BadOption {
                        path: self.path.clone(),
                        problem: "--gene-ids needs a var column 'gene_ids' of text, and this file has none".into(),
                    });
                }
            };
        }
        let kept = Labels::from_strings(vars.iter().map(|&v| &var_names[v]));
        let obs = Labels::from_strings(&obs_names);
        let (row_labels, col_labels) = if transpose { (kept, obs) } else { (obs, kept) };
        let stored = match &element {
            Element::Dense(ds) => format!("h5ad dense {}", type_name(ds.dtype())),
            Element::Sparse(s) => format!("h5ad {} {}", if s.csr { "CSR" } else { "CSC" }, type_name(s.data.dtype())),
        };
        let description = match layer {
            Some(name) => format!("{stored}, layer {name}"),
            None => stored,
        };
        Ok(Plan { element, n_obs, n_var, vars, transpose, row_labels, col_labels, description })
    }

    fn select_vars(
        &self,
        subset: &super::annotation::ColsSubset,
        var_names: &[String],
    ) -> Result<Vec<usize>, InputError> {
        let option_error = |problem: String| InputError::BadOption { path: self.path.clone(), problem };
        match subset {
            super::annotation::ColsSubset::VarColumn(column) => {
                let values = self.column(ObsVar::Var, column)?.ok_or_else(|| {
                    option_error(format!(
                        "--cols-subset: var has no column '{}'; its columns are: {}",
                        quote(column),
                        quote(&self.column_names(ObsVar::Var).unwrap_or_default().join(", "))
                    ))
                })?;
                match values {
                    AnnotationValues::Categorical { codes, categories } if categories == ["False", "True"] => {
                        Ok(codes.iter().enumerate().filter(|(_, c)| **c == 1).map(|(i, _)| i).collect())
                    }
                    _ => Err(option_error(format!("--cols-subset: var column '{}' is not true/false", quote(column)))),
                }
            }
            super::annotation::ColsSubset::Names(file) => super::annotation::select_names(file, var_names),
        }
    }
}

/// A column as read, before it becomes an annotation.
enum Column {
    Strings(Vec<String>),
    Numbers(Vec<f64>),
    Booleans(Vec<f64>),
}

impl Column {
    fn into_annotation(self) -> AnnotationValues {
        match self {
            Column::Strings(strings) => AnnotationValues::from_strings(&strings),
            Column::Numbers(values) => AnnotationValues::Numeric(values),
            Column::Booleans(values) => AnnotationValues::Categorical {
                codes: values.iter().map(|&v| i32::from(v != 0.0)).collect(),
                categories: vec!["False".into(), "True".into()],
            },
        }
    }
}

/// A group's `encoding-type` attribute.
fn encoding(group: &Group) -> Option<String> {
    group.attribute("encoding-type").and_then(|a| a.read_string()).ok()
}

/// One element of a numeric (or boolean enum) HDF5 type as `f64`.
fn decode_number(bytes: &[u8], dtype: &Datatype) -> Option<f64> {
    fn ordered<const N: usize>(bytes: &[u8], order: &ByteOrder) -> Option<[u8; N]> {
        let mut raw: [u8; N] = bytes.get(..N)?.try_into().ok()?;
        if matches!(order, ByteOrder::BigEndian) {
            raw.reverse();
        }
        Some(raw)
    }
    Some(match dtype {
        Datatype::FloatingPoint { size: 4, byte_order } => f64::from(f32::from_le_bytes(ordered(bytes, byte_order)?)),
        Datatype::FloatingPoint { size: 8, byte_order } => f64::from_le_bytes(ordered(bytes, byte_order)?),
        Datatype::FloatingPoint { size: 2, byte_order } => {
            f64::from(half::f16::from_le_bytes(ordered(bytes, byte_order)?).to_f32())
        }
        Datatype::FixedPoint { size, signed, byte_order } => {
            let mut raw = [0u8; 8];
            let n = *size as usize;
            let mut value = bytes.get(..n)?.to_vec();
            if matches!(byte_order, ByteOrder::BigEndian) {
                value.reverse();
            }
            let negative = *signed && value[n - 1] & 0x80 != 0;
            raw.fill(if negative { 0xff } else { 0 });
            raw[..n].copy_from_slice(&value);
            if *signed { i64::from_le_bytes(raw) as f64 } else { u64::from_le_bytes(raw) as f64 }
        }
        Datatype::Enum { base, .. } => decode_number(bytes, base)?,
        _ => return None,
    })
}

/// A short name of a numeric type, e.g. `float32` or `int16`.
fn type_name(dtype: &Datatype) -> String {
    match dtype {
        Datatype::FloatingPoint { size, .. } => format!("float{}", size * 8),
        Datatype::FixedPoint { size, signed: true, .. } => format!("int{}", size * 8),
        Datatype::FixedPoint { size, signed: false, .. } => format!("uint{}", size * 8),
        Datatype::Enum { .. } => "bool".to_owned(),
        other => format!("{other:?}"),
    }
}

enum ReadFailure {
    Hdf5(Hdf5Error),
    Type(String),
}

/// A hyperslab (one range per dimension) of a numeric dataset as `f64`.
fn read_numbers(ds: &Dataset, ranges: &[Range<u64>]) -> Result<Vec<f64>, ReadFailure> {
    read_as(ds, ranges, |v| v)
}

/// The same as `f32`; `f64` values beyond the `f32` range become infinite,
/// which the caller reports.
fn read_f32(ds: &Dataset, ranges: &[Range<u64>]) -> Result<Vec<f32>, ReadFailure> {
    if matches!(ds.dtype(), Datatype::FloatingPoint { size: 4, .. }) {
        // The common case, without a round trip through f64.
        let selection = slice_info(ranges);
        return ds.read_slice::<f32>(&selection).map(|a| a.into_raw_vec_and_offset().0).map_err(ReadFailure::Hdf5);
    }
    read_as(ds, ranges, |v| v as f32)
}

fn slice_info(ranges: &[Range<u64>]) -> SliceInfo {
    SliceInfo {
        selections: ranges.iter().map(|r| SliceInfoElem::Slice { start: r.start, end: r.end, step: 1 }).collect(),
    }
}

fn read_as<T>(ds: &Dataset, ranges: &[Range<u64>], convert: impl Fn(f64) -> T) -> Result<Vec<T>, ReadFailure> {
    let selection = slice_info(ranges);
    macro_rules! typed {
        ($t:ty) => {
            ds.read_slice::<$t>(&selection)
                .map(|a| a.into_raw_vec_and_offset().0.into_iter().map(|v| convert(v as f64)).collect())
                .map_err(ReadFailure::Hdf5)
        };
    }
    match ds.dtype() {
        Datatype::FloatingPoint { size: 4, .. } => typed!(f32),
        Datatype::FloatingPoint { size: 8, .. } => typed!(f64),
        Datatype::FixedPoint { size: 1, signed: true, .. } => typed!(i8),
        Datatype::FixedPoint { size: 1, signed: false, .. } => typed!(u8),
        Datatype::FixedPoint { size: 2, signed: true, .. } => typed!(i16),
        Datatype::FixedPoint { size: 2, signed: false, .. } => typed!(u16),
        Datatype::FixedPoint { size: 4, signed: true, .. } => typed!(i32),
        Datatype::FixedPoint { size: 4, signed: false, .. } => typed!(u32),
        Datatype::FixedPoint { size: 8, signed: true, .. } => typed!(i64),
        Datatype::FixedPoint { size: 8, signed: false, .. } => typed!(u64),
        other => Err(ReadFailure::Type(type_name(other))),
    }
}

/// Consecutive runs of increasing indices, e.g. `[3, 4, 5, 9]` → `3..6, 9..10`.
fn runs(indices: &[usize]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for &i in indices {
        match out.last_mut() {
            Some(run) if run.end == i => run.end += 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// Converts the planned matrix into a new cache file for `key` in `dir`.
pub(crate) fn convert(h5: &H5ad, plan: &Plan, key: &SourceKey, dir: &Path) -> Result<PathBuf, InputError> {
    let (rows, cols) = plan.shape();
    let mut writer = CacheWriter::create(dir, key, cols)?;
    match &plan.element {
        Element::Dense(ds) => dense(h5, plan, ds, &mut writer)?,
        Element::Sparse(s) => sparse_element(h5, plan, s, &mut writer, dir)?,
    }
    debug_assert_eq!(writer.rows(), rows as u64);
    let duplicates = plan.row_labels.duplicates().0 as u64;
    writer.finish(Some(&plan.row_labels), Some(&plan.col_labels), duplicates, &plan.description)
}

fn dense(h5: &H5ad, plan: &Plan, ds: &Dataset, writer: &mut CacheWriter) -> Result<(), InputError> {
    let (rows, cols) = plan.shape();
    let fail = |e| h5.read_failure(e, ds.name(), "");
    let bar = progress::bytes_bar((rows * cols * 4) as u64, "converting");
    let mut band = Vec::new();
    if !plan.transpose {
        // Whole rows of X (every variable), then the kept columns.
        let step = sparse::band_rows(plan.n_var);
        for first in (0..rows).step_by(step) {
            if progress::interrupted() {
                return Err(InputError::Interrupted);
            }
            let n = step.min(rows - first);
            let values = read_f32(ds, &[first as u64..(first + n) as u64, 0..plan.n_var as u64]).map_err(fail)?;
            band.clear();
            for row in values.chunks_exact(plan.n_var) {
                band.extend(plan.vars.iter().map(|&v| row[v]));
            }
            h5.check_finite(plan, &band, first)?;
            writer.write_rows(&band)?;
            bar.inc((band.len() * 4) as u64);
        }
    } else {
        // Output rows are variables: read runs of X's columns and transpose.
        let step = sparse::band_rows(plan.n_obs);
        for (band_index, vars) in plan.vars.chunks(step).enumerate() {
            if progress::interrupted() {
                return Err(InputError::Interrupted);
            }
            band.clear();
            band.resize(vars.len() * plan.n_obs, 0.0);
            let mut out_row = 0;
            for run in runs(vars) {
                let width = run.len();
                let values = read_f32(ds, &[0..plan.n_obs as u64, run.start as u64..run.end as u64]).map_err(fail)?;
                for (obs, row) in values.chunks_exact(width).enumerate() {
                    for (k, &v) in row.iter().enumerate() {
                        band[(out_row + k) * plan.n_obs + obs] = v;
                    }
                }
                out_row += width;
            }
            h5.check_finite(plan, &band, band_index * step)?;
            writer.write_rows(&band)?;
            bar.inc((band.len() * 4) as u64);
        }
    }
    bar.finish_and_clear();
    Ok(())
}

fn sparse_element(
    h5: &H5ad,
    plan: &Plan,
    s: &SparseElement,
    writer: &mut CacheWriter,
    dir: &Path,
) -> Result<(), InputError> {
    let (rows, cols) = plan.shape();
    // Where each variable goes in the output (usize::MAX: left out).
    let mut var_slot = vec![usize::MAX; plan.n_var];
    for (slot, &v) in plan.vars.iter().enumerate() {
        var_slot[v] = slot;
    }
    // The compressed axis is the output's rows when CSR is read as it is or
    // CSC transposed: entries then arrive row by row.
    let major_is_rows = s.csr != plan.transpose;
    let bar = progress::bytes_bar((rows * cols * 4) as u64, "converting");
    if major_is_rows {
        let majors: Vec<usize> = if s.csr { (0..plan.n_obs).collect() } else { plan.vars.clone() };
        let minor_slot = |m: usize| if s.csr { var_slot[m] } else { m };
        let step = sparse::band_rows(cols);
        let mut band = Vec::new();
        for (band_index, band_majors) in majors.chunks(step).enumerate() {
            if progress::interrupted() {
                return Err(InputError::Interrupted);
            }
            band.clear();
            band.resize(band_majors.len() * cols, 0.0f32);
            let mut out_row = 0;
            for run in runs(band_majors) {
                let base = out_row;
                entries(h5, s, run.clone(), |major, minor, value| {
                    let slot = minor_slot(minor);
                    if slot != usize::MAX {
                        band[(base + major - run.start) * cols + slot] += value;
                    }
                })?;
                out_row += run.len();
            }
            h5.check_finite(plan, &band, band_index * step)?;
            writer.write_rows(&band)?;
            bar.inc((band.len() * 4) as u64);
        }
        bar.finish_and_clear();
        return Ok(());
    }
    // Entries arrive column by column of the output: spill them by band.
    let spill_error = |source| InputError::CacheWrite { path: dir.to_owned(), source };
    let mut spill = Spill::new(dir, rows, cols).map_err(spill_error)?;
    let mut failure = None;
    let majors: Vec<usize> = if s.csr { (0..plan.n_obs).collect() } else { plan.vars.clone() };
    let mut sorted = majors.clone();
    sorted.sort_unstable();
    for run in runs(&sorted) {
        entries(h5, s, run, |major, minor, value| {
            let (row, col) = if s.csr { (var_slot[minor], major) } else { (minor, var_slot[major]) };
            if row != usize::MAX
                && col != usize::MAX
                && failure.is_none()
                && let Err(e) = spill.push(row, col, value)
            {
                failure = Some(e);
            }
        })?;
        if let Some(e) = failure.take() {
            return Err(spill_error(e));
        }
    }
    bar.finish_and_clear();
    spill.write_into(writer, &h5.path, |row, column| h5.infinite_at(plan, row, column))
}

/// Calls `f(major, minor, value)` for every stored entry of the majors in
/// `run`, reading `data` and `indices` in pieces; refuses an index past the
/// minor axis.
fn entries(
    h5: &H5ad,
    s: &SparseElement,
    run: Range<usize>,
    mut f: impl FnMut(usize, usize, f32),
) -> Result<(), InputError> {
    let (start, end) = (s.indptr[run.start], s.indptr[run.end]);
    let mut major = run.start;
    let mut at = start;
    while at < end {
        if progress::interrupted() {
            return Err(InputError::Interrupted);
        }
        let piece = at..end.min(at + PIECE_ENTRIES);
        let values =
            read_f32(&s.data, std::slice::from_ref(&piece)).map_err(|e| h5.read_failure(e, &s.place, "data"))?;
        let indices = h5.integers(&s.indices, piece.clone(), &s.place, "indices")?;
        for (k, (&value, &minor)) in values.iter().zip(&indices).enumerate() {
            let position = piece.start + k as u64;
            while s.indptr[major + 1] <= position {
                major += 1;
            }
            if minor >= s.minor as u64 {
                return Err(h5.layout(
                    format!("{}/indices", s.place),
                    format!("entry {position} is {minor} but the matrix has {} along that axis", s.minor),
                ));
            }
            f(major, minor as usize, value);
        }
        at = piece.end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_take_more_memory_than_allowed_are_refused_before_reading() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h5ad/csr.h5ad");
        let mut h5 = H5ad::open(&path).unwrap();
        // 40 obs names, variable-length: 16-byte references and 48 bytes
        // each, and their text, at most the file's 59,504 bytes held twice:
        // 40 × 64 + 119,008 = 121,568 bytes.
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 59_504);
        h5.memory = 121_568;
        let names = h5.names(ObsVar::Obs).unwrap();
        assert_eq!((names.len(), names[0].as_str()), (40, "cell00-A"));
        h5.memory = 100_000;
        let refused = h5.names(ObsVar::Obs).unwrap_err().to_string();
        let says = "obs/_index: its 40 values would take about 118.7 KiB of memory to read, more than the 97.7 KiB heatscope allows itself";
        assert!(refused.contains(says), "{refused}");
        h5.memory = 121_567;
        assert!(h5.names(ObsVar::Obs).is_err());
    }

    #[test]
    fn runs_split_at_gaps() {
        assert_eq!(runs(&[3, 4, 5, 9, 2]), vec![3..6, 9..10, 2..3]);
        assert!(runs(&[]).is_empty());
    }

    #[test]
    fn numbers_decode_in_both_byte_orders_and_signs() {
        let int16 = |order| Datatype::FixedPoint { size: 2, signed: true, byte_order: order };
        assert_eq!(decode_number(&[0xfe, 0xff], &int16(ByteOrder::LittleEndian)), Some(-2.0));
        assert_eq!(decode_number(&[0xff, 0xfe], &int16(ByteOrder::BigEndian)), Some(-2.0));
        let uint8 = Datatype::FixedPoint { size: 1, signed: false, byte_order: ByteOrder::LittleEndian };
        assert_eq!(decode_number(&[0xff], &uint8), Some(255.0));
        let f64be = Datatype::FloatingPoint { size: 8, byte_order: ByteOrder::BigEndian };
        assert_eq!(decode_number(&1.5f64.to_be_bytes(), &f64be), Some(1.5));
    }
}
