//! Annotation columns by name: `obs:bulk_labels`, `var:highly_variable`.
//!
//! They come from an AnnData file's `obs` and `var` tables, or from text
//! tables beside a text matrix (`X.obs.tsv`, `X.var.tsv`: a header of column
//! names, then one line per row or column of the matrix, first field its
//! name). Either way a column is categorical (text, booleans, AnnData
//! categoricals) or numeric, with one value per matrix row or column in the
//! matrix's order, so a renderer can colour annotation bars from it.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::quote::quote;

use super::axis::Axis;
use super::error::InputError;
use super::h5ad::H5ad;
use super::matrix::Matrix;

/// AnnData's two tables: `obs` describes observations (cells), `var`
/// variables (genes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObsVar {
    /// Observations: the matrix's rows, unless it was transposed.
    Obs,
    /// Variables: the matrix's columns, unless it was transposed.
    Var,
}

impl ObsVar {
    /// `obs` or `var`.
    pub fn name(self) -> &'static str {
        match self {
            ObsVar::Obs => "obs",
            ObsVar::Var => "var",
        }
    }
}

/// The values of one annotation column.
#[derive(Clone, Debug, PartialEq)]
pub enum AnnotationValues {
    /// One code per item indexing `categories`; −1 means missing.
    Categorical { codes: Vec<i32>, categories: Vec<String> },
    /// One number per item; NaN means missing.
    Numeric(Vec<f64>),
}

impl AnnotationValues {
    /// Text values as categories in natural order (c2 before c10, as
    /// scanpy orders cluster names); empty text and `NA` are missing.
    pub fn from_strings<S: AsRef<str>>(values: &[S]) -> Self {
        let mut categories: Vec<String> = values
            .iter()
            .map(|v| v.as_ref())
            .filter(|v| !is_missing(v))
            .map(str::to_owned)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        categories.sort_by(|a, b| crate::figure::annotation::natural_cmp(a, b));
        categories.shrink_to_fit();
        let index: HashMap<&str, i32> = categories.iter().enumerate().map(|(i, c)| (c.as_str(), i as i32)).collect();
        let codes = values.iter().map(|v| index.get(v.as_ref()).copied().unwrap_or(-1)).collect();
        AnnotationValues::Categorical { codes, categories }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        match self {
            AnnotationValues::Categorical { codes, .. } => codes.len(),
            AnnotationValues::Numeric(values) => values.len(),
        }
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A few words on the kind of column, e.g. `10 categories` or `numbers`.
    pub fn kind(&self) -> String {
        match self {
            AnnotationValues::Categorical { categories, .. } if categories == &["False", "True"] => {
                "true/false".to_owned()
            }
            AnnotationValues::Categorical { categories, .. } => format!("{} categories", categories.len()),
            AnnotationValues::Numeric(_) => "numbers".to_owned(),
        }
    }

    fn select(self, items: &[usize]) -> Self {
        match self {
            AnnotationValues::Categorical { codes, categories } => {
                AnnotationValues::Categorical { codes: items.iter().map(|&i| codes[i]).collect(), categories }
            }
            AnnotationValues::Numeric(values) => AnnotationValues::Numeric(items.iter().map(|&i| values[i]).collect()),
        }
    }
}

fn is_missing(text: &str) -> bool {
    matches!(text, "" | "NA" | "NaN" | "nan")
}

/// An annotation column, aligned with the matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// The column's name, e.g. `bulk_labels`.
    pub name: String,
    /// The axis it annotates.
    pub axis: Axis,
    /// One value per row or column, in the matrix's order.
    pub values: AnnotationValues,
    /// The categories' colours stored with them (an .h5ad's
    /// `uns/<name>_colors`), or none.
    pub colors: Vec<String>,
}

/// Where a matrix's annotation tables are, recorded when it is opened.
#[derive(Clone, Debug, Default)]
pub enum Annotations {
    /// No tables.
    #[default]
    None,
    /// The `obs` and `var` tables of an AnnData file.
    H5ad {
        /// The variables kept, in matrix order (all of them without a subset).
        vars: Arc<[usize]>,
        /// Whether variables are the rows.
        transposed: bool,
    },
    /// Text tables beside a text matrix: `X.obs.tsv` for rows, `X.var.tsv` for columns.
    Tables { obs: Option<PathBuf>, var: Option<PathBuf> },
}

impl Annotations {
    /// The text tables beside a text matrix `X.tsv` / `X.csv` (optionally `.gz`),
    /// if any exist.
    pub(crate) fn beside_text(path: &Path) -> Self {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let stem = name.strip_suffix(".gz").unwrap_or(&name);
        let Some((stem, _)) = stem.rsplit_once('.') else { return Annotations::None };
        let table = |axis: &str| Some(path.with_file_name(format!("{stem}.{axis}.tsv"))).filter(|p| p.is_file());
        match (table("obs"), table("var")) {
            (None, None) => Annotations::None,
            (obs, var) => Annotations::Tables { obs, var },
        }
    }
}

/// Which variables (columns) to keep.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColsSubset {
    /// Those whose boolean `var` column is true (`var:highly_variable`).
    VarColumn(String),
    /// Those named in a file, one name per line, in the file's order.
    Names(PathBuf),
}

impl ColsSubset {
    /// Parses `var:COLUMN` or a file name.
    pub fn parse(text: &str) -> Self {
        match text.strip_prefix("var:") {
            Some(column) => ColsSubset::VarColumn(column.to_owned()),
            None => ColsSubset::Names(PathBuf::from(text)),
        }
    }
}

/// The positions in `names` of the names listed in `file`, in the file's order.
pub(crate) fn select_names(file: &Path, names: &[String]) -> Result<Vec<usize>, InputError> {
    let text = read_text(file)?;
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let mut seen = vec![false; names.len()];
    let mut out = Vec::new();
    for (line, wanted) in text.lines().enumerate() {
        let wanted = wanted.trim_end_matches('\r');
        if wanted.is_empty() {
            continue;
        }
        let problem = match index.get(wanted) {
            Some(&i) if !seen[i] => {
                seen[i] = true;
                out.push(i);
                continue;
            }
            Some(_) => format!("line {}: '{}' is listed twice; list each name once", line + 1, quote(wanted)),
            None => format!(
                "line {}: no variable is named '{}'; check the spelling (names are case-sensitive)",
                line + 1,
                quote(wanted)
            ),
        };
        return Err(InputError::BadOption { path: file.to_owned(), problem });
    }
    Ok(out)
}

fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound { path: path.to_owned() },
        _ => InputError::Read { path: path.to_owned(), source },
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        InputError::NotUtf8 { path: path.to_owned(), line }
    })
}

fn parse_spec(matrix: &Matrix, spec: &str) -> Result<(ObsVar, String), InputError> {
    match spec.split_once(':') {
        Some(("obs", column)) if !column.is_empty() => Ok((ObsVar::Obs, column.to_owned())),
        Some(("var", column)) if !column.is_empty() => Ok((ObsVar::Var, column.to_owned())),
        _ => Err(InputError::BadOption {
            path: matrix.source().path.clone(),
            problem: format!("'{}' names no annotation; write obs:COLUMN or var:COLUMN", quote(spec)),
        }),
    }
}

/// The annotation column `spec` (`obs:NAME` or `var:NAME`) of `matrix`,
/// aligned with its rows or columns.
pub fn annotation_column(matrix: &Matrix, spec: &str) -> Result<Annotation, InputError> {
    let (axis, column) = parse_spec(matrix, spec)?;
    let source = matrix.source();
    let missing = |available: Vec<String>| InputError::BadOption {
        path: source.path.clone(),
        problem: format!(
            "no {} column '{}'; the {} columns are: {}",
            axis.name(),
            quote(&column),
            axis.name(),
            if available.is_empty() { "none".to_owned() } else { quote(&available.join(", ")) }
        ),
    };
    // No table at all: say where obs/var columns come from.
    let no_table = || InputError::BadOption {
        path: source.path.clone(),
        problem: format!(
            "{spec}: {} columns come from an .h5ad, or from X.{}.tsv beside a matrix X; for another table give FILE:COLUMN",
            axis.name(),
            axis.name()
        ),
    };
    match &source.annotations {
        Annotations::None => Err(no_table()),
        Annotations::H5ad { vars, transposed } => {
            let h5 = H5ad::open(&source.path)?;
            let values = h5.column(axis, &column)?.ok_or_else(|| missing(h5.column_names(axis).unwrap_or_default()))?;
            let values = if axis == ObsVar::Var { values.select(vars) } else { values };
            let axis = match (axis, transposed) {
                (ObsVar::Obs, false) | (ObsVar::Var, true) => Axis::Rows,
                _ => Axis::Cols,
            };
            let colors = match &values {
                AnnotationValues::Categorical { .. } => h5.stored_colors(&column)?,
                AnnotationValues::Numeric(_) => Vec::new(),
            };
            Ok(Annotation { name: column, axis, values, colors })
        }
        Annotations::Tables { obs, var } => {
            let (table, labels, matrix_axis) = match axis {
                ObsVar::Obs => (obs, matrix.row_labels(), Axis::Rows),
                ObsVar::Var => (var, matrix.col_labels(), Axis::Cols),
            };
            let Some(table) = table else { return Err(no_table()) };
            let table = TextTable::read(table)?;
            let position =
                table.columns.iter().position(|c| *c == column).ok_or_else(|| missing(table.columns.clone()))?;
            let by_name: HashMap<&str, usize> = table.names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
            let mut cells = Vec::with_capacity(labels.len());
            for label in labels.iter() {
                let Some(&line) = by_name.get(&*label) else {
                    return Err(InputError::BadOption {
                        path: table.path.clone(),
                        problem: format!(
                            "no line for '{}', which the matrix has; give one line per matrix item",
                            quote(&label)
                        ),
                    });
                };
                cells.push(table.cells[line][position].as_str());
            }
            Ok(Annotation { name: column, axis: matrix_axis, values: text_values(&cells), colors: Vec::new() })
        }
    }
}

/// The annotation columns `matrix` has, as `obs:NAME` / `var:NAME` with the
/// kind of each (categories or numbers).
pub fn annotation_columns(matrix: &Matrix) -> Result<Vec<(String, String)>, InputError> {
    let mut out = Vec::new();
    match &matrix.source().annotations {
        Annotations::None => {}
        Annotations::H5ad { .. } => {
            let h5 = H5ad::open(&matrix.source().path)?;
            for axis in [ObsVar::Obs, ObsVar::Var] {
                for column in h5.column_names(axis)? {
                    let spec = format!("{}:{column}", axis.name());
                    // A column of a type heatscope does not read is listed as such.
                    let kind = match h5.column(axis, &column) {
                        Ok(Some(values)) => values.kind(),
                        _ => "not readable".to_owned(),
                    };
                    out.push((spec, kind));
                }
            }
        }
        Annotations::Tables { obs, var } => {
            for (axis, table) in [(ObsVar::Obs, obs), (ObsVar::Var, var)] {
                let Some(table) = table else { continue };
                let table = TextTable::read(table)?;
                for (c, column) in table.columns.iter().enumerate() {
                    let cells: Vec<&str> = table.cells.iter().map(|row| row[c].as_str()).collect();
                    out.push((format!("{}:{column}", axis.name()), text_values(&cells).kind()));
                }
            }
        }
    }
    Ok(out)
}

/// Numbers when every present cell is one, else categories.
fn text_values(cells: &[&str]) -> AnnotationValues {
    let numbers: Option<Vec<f64>> =
        cells.iter().map(|c| if is_missing(c) { Some(f64::NAN) } else { c.parse().ok() }).collect();
    match numbers {
        Some(values) if cells.iter().any(|c| !is_missing(c)) => AnnotationValues::Numeric(values),
        _ => AnnotationValues::from_strings(cells),
    }
}

/// A tab-separated table: header of column names (after the corner), then
/// one line per item, its name first.
struct TextTable {
    path: PathBuf,
    columns: Vec<String>,
    names: Vec<String>,
    cells: Vec<Vec<String>>,
}

impl TextTable {
    fn read(path: &Path) -> Result<Self, InputError> {
        let text = read_text(path)?;
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty());
        let header = lines.next().ok_or_else(|| InputError::Empty { path: path.to_owned() })?;
        let columns: Vec<String> = header.split('\t').skip(1).map(str::to_owned).collect();
        let (mut names, mut cells) = (Vec::new(), Vec::new());
        for (i, line) in lines.enumerate() {
            let mut fields = line.split('\t');
            names.push(fields.next().unwrap_or_default().to_owned());
            let row: Vec<String> = fields.map(str::to_owned).collect();
            if row.len() != columns.len() {
                return Err(InputError::Ragged {
                    path: path.to_owned(),
                    line: i as u64 + 2,
                    found: row.len() + 1,
                    expected: columns.len() + 1,
                });
            }
            cells.push(row);
        }
        Ok(TextTable { path: path.to_owned(), columns, names, cells })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_sorted_categories_and_numbers_stay_numbers() {
        let values = text_values(&["T", "B", "NA", "T"]);
        let expected =
            AnnotationValues::Categorical { codes: vec![1, 0, -1, 1], categories: vec!["B".into(), "T".into()] };
        assert_eq!(values, expected);
        assert_eq!(values.kind(), "2 categories");
        let numbers = text_values(&["1.5", "", "-2"]);
        let AnnotationValues::Numeric(v) = numbers else { panic!("numbers expected") };
        assert_eq!((v[0], v[1].is_nan(), v[2]), (1.5, true, -2.0));
    }

    #[test]
    fn cols_subset_parses_a_var_column_or_a_file() {
        assert_eq!(ColsSubset::parse("var:highly_variable"), ColsSubset::VarColumn("highly_variable".into()));
        assert_eq!(ColsSubset::parse("genes.txt"), ColsSubset::Names("genes.txt".into()));
    }
}
