//! Annotation bars: a categorical or numeric value per row (or column),
//! read from a table keyed by label, drawn beside the heatmap one pixel at
//! a time.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::colormap::{Colormap, Norm, Palette, Rgba};
use crate::input::{Annotation, AnnotationValues, Labels};
use crate::quote::quote;

/// Values that mean "missing" in a table, as the matrix reader reads them.
const MISSING: [&str; 5] = ["", "NA", "NaN", "nan", "?"];

/// Numeric columns with at most this many distinct values are treated as
/// categories (cluster numbers, phases, batches).
pub const MAX_NUMERIC_CATEGORIES: usize = 10;

/// A value per row or column, in display order.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnotationBar {
    pub name: String,
    pub values: BarValues,
}

/// What a bar holds.
#[derive(Clone, Debug, PartialEq)]
pub enum BarValues {
    /// A category index per item (`None` = missing), the category names
    /// and their colours.
    Categorical { codes: Vec<Option<u32>>, categories: Vec<String>, palette: Palette },
    /// A number per item (NaN = missing), coloured through `colormap`.
    Numeric { values: Vec<f32>, colormap: Colormap, norm: Norm },
}

/// The items `0..n` of `bars` (each with its values in item order) sorted
/// by the first bar, ties by the next, and so on, keeping the items' order
/// among equals (a stable sort); missing values last.
pub fn order_by(bars: &[AnnotationBar], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        bars.iter()
            .map(|bar| {
                let (x, y) = (bar.sort_key(a), bar.sort_key(b));
                x.0.cmp(&y.0).then(x.1.total_cmp(&y.1))
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    order
}

/// A problem with an annotation table.
#[derive(Debug, thiserror::Error)]
pub enum AnnotationError {
    #[error("{path}: cannot read it: {source}; check the path")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("{path}: the file is empty; give a table with a header row and one row per label")]
    Empty { path: PathBuf },
    #[error(
        "{path}: line {line} has {found} fields but the header has {expected}; every line needs one field per column"
    )]
    Ragged { path: PathBuf, line: usize, found: usize, expected: usize },
    #[error("{path}: no column named '{}'; columns are: {}", quote(column), quote(columns))]
    NoColumn { path: PathBuf, column: String, columns: String },
    #[error(
        "{path}: none of its {rows} labels matches a {axis} label of the matrix; its first column must hold the matrix's {axis} labels"
    )]
    NoMatch { path: PathBuf, rows: usize, axis: &'static str },
    #[error("{path}: '{}' is on lines {first} and {line} with different values; keep one line per label", quote(label))]
    Conflict { path: PathBuf, label: String, first: usize, line: usize },
}

/// `FILE[:COLUMN[,COLUMN…]]` as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarSource {
    pub path: PathBuf,
    pub columns: Vec<String>,
}

impl BarSource {
    /// Splits `FILE:COLUMNS`; a path that exists as given is taken whole
    /// (so a file name may contain ':').
    pub fn parse(text: &str) -> BarSource {
        if !Path::new(text).exists()
            && let Some((path, columns)) = text.rsplit_once(':')
            && !columns.is_empty()
        {
            return BarSource { path: path.into(), columns: columns.split(',').map(str::to_owned).collect() };
        }
        BarSource { path: text.into(), columns: Vec::new() }
    }
}

/// An annotation table: a header row, the first column the labels, then
/// the columns chosen for bars (all when none is named).
pub struct BarTable {
    path: PathBuf,
    /// Names of the chosen columns.
    columns: Vec<String>,
    /// Label → the line it is on and the chosen columns' values (a label
    /// repeated with the same values is read once; with others, refused).
    rows: HashMap<String, (usize, Vec<String>)>,
}

impl BarTable {
    /// Reads and checks the table (tab- or comma-separated).
    pub fn read(source: &BarSource) -> Result<BarTable, AnnotationError> {
        let path = &source.path;
        let text = std::fs::read_to_string(path)
            .map_err(|source| AnnotationError::Unreadable { path: path.clone(), source })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines.next().ok_or_else(|| AnnotationError::Empty { path: path.clone() })?;
        let delimiter = if header.contains('\t') { '\t' } else { ',' };
        let header: Vec<&str> = header.split(delimiter).map(str::trim).collect();
        let chosen: Vec<usize> = if source.columns.is_empty() {
            (1..header.len()).collect()
        } else {
            source
                .columns
                .iter()
                .map(|name| {
                    header.iter().skip(1).position(|h| h == name).map(|i| i + 1).ok_or_else(|| {
                        AnnotationError::NoColumn {
                            path: path.clone(),
                            column: name.clone(),
                            columns: header[1..].join(", "),
                        }
                    })
                })
                .collect::<Result<_, _>>()?
        };
        let mut rows = HashMap::new();
        for (i, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split(delimiter).map(str::trim).collect();
            if fields.len() != header.len() {
                return Err(AnnotationError::Ragged {
                    path: path.clone(),
                    line: i + 2,
                    found: fields.len(),
                    expected: header.len(),
                });
            }
            let values: Vec<String> = chosen.iter().map(|&c| fields[c].to_owned()).collect();
            match rows.entry(fields[0].to_owned()) {
                Entry::Vacant(slot) => {
                    slot.insert((i + 2, values));
                }
                Entry::Occupied(seen) if seen.get().1 != values => {
                    let (label, first) = (seen.key().clone(), seen.get().0);
                    return Err(AnnotationError::Conflict { path: path.clone(), label, first, line: i + 2 });
                }
                Entry::Occupied(_) => {}
            }
        }
        let columns = chosen.iter().map(|&c| header[c].to_owned()).collect();
        Ok(BarTable { path: path.clone(), columns, rows })
    }

    /// One bar per chosen column for the items `order` (display position →
    /// index into `labels`). Items whose label is not in the table are
    /// missing; the count of them comes back too.
    pub fn bars(
        &self,
        labels: &Labels,
        order: &[usize],
        axis: &'static str,
    ) -> Result<(Vec<AnnotationBar>, usize), AnnotationError> {
        // The table's fields are trimmed when read: so is the label looked up.
        let rows: Vec<Option<&Vec<String>>> =
            order.iter().map(|&i| self.rows.get(labels.get(i).trim()).map(|(_, values)| values)).collect();
        let missing = rows.iter().filter(|r| r.is_none()).count();
        if missing == rows.len() && !rows.is_empty() {
            return Err(AnnotationError::NoMatch { path: self.path.clone(), rows: self.rows.len(), axis });
        }
        let bars = self
            .columns
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let cells: Vec<Option<&str>> =
                    rows.iter().map(|r| r.map(|f| f[c].as_str()).filter(|v| !MISSING.contains(v))).collect();
                AnnotationBar { name: name.clone(), values: classify(&cells) }
            })
            .collect();
        Ok((bars, missing))
    }

    /// Every row's value in column `name` (missing ones as `None`), or
    /// `None` when the table makes no bar of that name.
    pub fn cells(&self, name: &str) -> Option<Vec<Option<&str>>> {
        let c = self.columns.iter().position(|n| n == name)?;
        Some(self.rows.values().map(|(_, r)| Some(r[c].as_str()).filter(|v| !MISSING.contains(v))).collect())
    }

    /// The names of the columns it makes bars of.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The file it came from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether a bar's values are categories or numbers, where the user says so
/// (`--categorical`, `--numeric`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    Categorical,
    Numeric,
}

/// Text in natural order: runs of digits compare as numbers (`c2` before
/// `c10`, `x07` beside `x7`), the rest byte by byte; ties fall back to
/// the bytes, so that the order is total.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if x[i].is_ascii_digit() && y[j].is_ascii_digit() {
            let run = |s: &[u8], from: usize| from + s[from..].iter().take_while(|c| c.is_ascii_digit()).count();
            let (end_x, end_y) = (run(x, i), run(y, j));
            let zeros = |s: &[u8], from: usize, end: usize| s[from..end].iter().take_while(|&&c| c == b'0').count();
            let (dx, dy) = (&x[i + zeros(x, i, end_x)..end_x], &y[j + zeros(y, j, end_y)..end_y]);
            let by_value = dx.len().cmp(&dy.len()).then_with(|| dx.cmp(dy));
            if by_value != Ordering::Equal {
                return by_value;
            }
            (i, j) = (end_x, end_y);
        } else if x[i] != y[j] {
            return x[i].cmp(&y[j]);
        } else {
            (i, j) = (i + 1, j + 1);
        }
    }
    (x.len() - i).cmp(&(y.len() - j)).then_with(|| x.cmp(y))
}

/// Numbers when every present value parses as one and there are more than
/// [`MAX_NUMERIC_CATEGORIES`] distinct values; categories otherwise (sorted:
/// numerically when they are numbers).
pub fn classify(cells: &[Option<&str>]) -> BarValues {
    classify_as(cells, None).expect("a kind chosen from the values fits them")
}

/// [`classify`], or the `kind` asked for: categories of any values, or
/// numbers where every present value is one (else the first that is not).
pub fn classify_as(cells: &[Option<&str>], kind: Option<BarKind>) -> Result<BarValues, String> {
    let numbers: Option<Vec<f32>> =
        cells.iter().map(|c| c.map_or(Some(f32::NAN), |v| v.parse::<f32>().ok().filter(|x| x.is_finite()))).collect();
    let mut distinct: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, u32> = HashMap::new();
    for value in cells.iter().flatten() {
        index.entry(value).or_insert_with(|| {
            distinct.push(value);
            distinct.len() as u32 - 1
        });
    }
    if kind == Some(BarKind::Numeric) && numbers.is_none() {
        let bad = cells.iter().flatten().find(|v| v.parse::<f32>().ok().is_none_or(|x| !x.is_finite()));
        return Err(format!("'{}' is not a number", quote(bad.copied().unwrap_or_default())));
    }
    if let Some(values) = &numbers
        && (kind == Some(BarKind::Numeric) || (kind.is_none() && distinct.len() > MAX_NUMERIC_CATEGORIES))
    {
        let finite = values.iter().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let colormap = Colormap::by_name("viridis").expect("viridis is built in");
        return Ok(BarValues::Numeric { values: values.clone(), colormap, norm: Norm::new(lo, hi) });
    }
    // A fixed order (numeric, else natural: c2 before c10, as scanpy
    // orders cluster names), so colours do not depend on the clustering.
    if numbers.is_some() {
        distinct.sort_by(|a, b| a.parse::<f64>().unwrap().total_cmp(&b.parse::<f64>().unwrap()));
    } else {
        distinct.sort_unstable_by(|a, b| natural_cmp(a, b));
    }
    index = distinct.iter().enumerate().map(|(i, v)| (*v, i as u32)).collect();
    let codes = cells.iter().map(|c| c.map(|v| index[v])).collect();
    // A column of colours (hex or CSS names) is drawn as given (seaborn's `row_colors`).
    let given: Option<Vec<Rgba>> = distinct.iter().map(|v| Rgba::parse(v)).collect();
    let palette = match given {
        Some(colors) if !colors.is_empty() => Palette::given(colors),
        _ => Palette::for_categories(distinct.len()),
    };
    Ok(BarValues::Categorical { codes, categories: distinct.into_iter().map(str::to_owned).collect(), palette })
}

/// Gives each categorical bar of the figure its own palette: the row
/// bars', then the columns', in order, each the next palette that fits its
/// categories and shares no colour with the colours given with the data
/// (an `.h5ad`'s stored colours, a bar of colours) or chosen for the bars
/// before it, where such a palette exists; beyond 12 categories, colours
/// chosen far from those. `cut` says whether an axis's last bar is that of
/// a cut: those come after all others, so that cutting a tree (or not)
/// never recolours the other bars.
pub fn assign_palettes(rows: &mut [AnnotationBar], cols: &mut [AnnotationBar], cut: [bool; 2]) {
    let (row_data, row_cut) = rows.split_at_mut(rows.len() - usize::from(cut[0] && !rows.is_empty()));
    let (col_data, col_cut) = cols.split_at_mut(cols.len() - usize::from(cut[1] && !cols.is_empty()));
    let given = |bar: &AnnotationBar| match &bar.values {
        BarValues::Categorical { palette, .. } if palette.is_given() => Some(palette.clone()),
        _ => None,
    };
    let mut used: Vec<Rgba> = Vec::new();
    for bar in row_data.iter().chain(col_data.iter()).filter_map(given) {
        used.extend((0..bar.len()).map(|i| bar.color(i)));
    }
    let mut index = 0;
    let bars = row_data.iter_mut().chain(col_data.iter_mut()).chain(row_cut.iter_mut()).chain(col_cut.iter_mut());
    for bar in bars {
        let BarValues::Categorical { categories, palette, .. } = &mut bar.values else { continue };
        if palette.is_given() {
            continue;
        }
        let n = categories.len();
        let clashes = |p: &Palette| (0..n.min(p.len())).any(|i| used.contains(&p.color(i)));
        *palette = if n > 12 {
            // No named palette has as many colours: the long one, or one
            // chosen apart from those in use.
            index += 1;
            Some(Palette::for_categories(n))
                .filter(|long| !clashes(long))
                .unwrap_or_else(|| Palette::for_categories_apart(n, &used))
        } else {
            // The seven palettes of `Palette::nth` are tried in turn; when
            // all clash, the first is taken.
            let choice = (index..index + 7).find(|&i| !clashes(&Palette::nth(i, n))).unwrap_or(index);
            index = choice + 1;
            Palette::nth(choice, n)
        };
        used.extend((0..n.min(palette.len())).map(|i| palette.color(i)));
    }
}

impl AnnotationBar {
    /// Whether a legend explains it: not for a bar of the colours
    /// themselves (seaborn draws none for `row_colors`).
    pub fn has_legend(&self) -> bool {
        !matches!(&self.values, BarValues::Categorical { palette, categories, .. }
            if palette.is_given() && categories.iter().all(|c| Rgba::parse(c).is_some()))
    }

    /// This bar as categories or as numbers, as the user asks; the same bar
    /// when it is one already. Numbers become categories by their text (3,
    /// not 3.0), in numeric order; categories become numbers only when each
    /// is one.
    pub fn forced(self, kind: BarKind) -> Result<AnnotationBar, String> {
        let texts: Vec<Option<String>> = match (&self.values, kind) {
            (BarValues::Categorical { .. }, BarKind::Categorical) | (BarValues::Numeric { .. }, BarKind::Numeric) => {
                return Ok(self);
            }
            (BarValues::Categorical { codes, categories, .. }, _) => {
                codes.iter().map(|c| c.map(|c| categories[c as usize].clone())).collect()
            }
            (BarValues::Numeric { values, .. }, _) => {
                values.iter().map(|v| (!v.is_nan()).then(|| v.to_string())).collect()
            }
        };
        let cells: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
        Ok(AnnotationBar { name: self.name, values: classify_as(&cells, Some(kind))? })
    }

    /// A bar from an annotation column read with the matrix (`obs:…` /
    /// `var:…`), its values in matrix order, shown in display `order`.
    pub fn from_annotation(annotation: &Annotation, order: &[usize]) -> AnnotationBar {
        let values = match &annotation.values {
            AnnotationValues::Categorical { codes, categories } => BarValues::Categorical {
                codes: order.iter().map(|&i| u32::try_from(codes[i]).ok()).collect(),
                categories: categories.clone(),
                // The colours stored with the categories (an .h5ad's
                // `uns/<name>_colors`, as scanpy keeps them) where they fit.
                palette: match annotation.colors.iter().map(|c| Rgba::parse(c)).collect::<Option<Vec<_>>>() {
                    Some(colors) if !colors.is_empty() && colors.len() == categories.len() => Palette::given(colors),
                    _ => Palette::for_categories(categories.len()),
                },
            },
            AnnotationValues::Numeric(numbers) => {
                let values: Vec<f32> = order.iter().map(|&i| numbers[i] as f32).collect();
                let finite = values.iter().filter(|v| v.is_finite());
                let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                let colormap = Colormap::by_name("viridis").expect("viridis is built in");
                BarValues::Numeric { values, colormap, norm: Norm::new(lo, hi) }
            }
        };
        AnnotationBar { name: annotation.name.clone(), values }
    }

    /// This bar with its categories in `given`'s order (those present;
    /// any others after them, as they were), in `given`'s colours where it
    /// has one for each of them (kept, as an `.h5ad`'s stored colours
    /// are). A numeric bar, or one of colours, is returned as it is.
    pub fn in_given_order(self, given: &[(String, Option<String>)]) -> AnnotationBar {
        let BarValues::Categorical { codes, categories, palette } = self.values else {
            return self;
        };
        if palette.is_given() {
            return AnnotationBar { name: self.name, values: BarValues::Categorical { codes, categories, palette } };
        }
        let mut order: Vec<usize> = Vec::with_capacity(categories.len());
        for (name, _) in given {
            if let Some(i) = categories.iter().position(|c| c == name).filter(|i| !order.contains(i)) {
                order.push(i);
            }
        }
        order.extend((0..categories.len()).filter(|i| !order.contains(i)).collect::<Vec<_>>());
        let mut renumbered = vec![0u32; categories.len()];
        for (new, &old) in order.iter().enumerate() {
            renumbered[old] = new as u32;
        }
        let codes = codes.into_iter().map(|c| c.map(|c| renumbered[c as usize])).collect();
        let categories: Vec<String> = order.iter().map(|&i| categories[i].clone()).collect();
        let colour = |c: &String| given.iter().find(|(g, _)| g == c).and_then(|(_, colour)| colour.as_deref());
        let palette = match categories.iter().map(|c| colour(c).and_then(Rgba::parse)).collect::<Option<Vec<_>>>() {
            Some(colors) if !colors.is_empty() => Palette::given(colors),
            _ => palette,
        };
        AnnotationBar { name: self.name, values: BarValues::Categorical { codes, categories, palette } }
    }

    /// The palette of a categorical bar.
    pub fn palette(&self) -> Option<&Palette> {
        match &self.values {
            BarValues::Categorical { palette, .. } => Some(palette),
            BarValues::Numeric { .. } => None,
        }
    }

    /// A categorical bar of flat clusters (`1..=k`, as `fcluster` labels
    /// them) in display order.
    pub fn clusters(name: &str, labels_in_order: &[usize]) -> AnnotationBar {
        let k = labels_in_order.iter().copied().max().unwrap_or(0);
        AnnotationBar {
            name: name.to_owned(),
            values: BarValues::Categorical {
                codes: labels_in_order.iter().map(|&l| Some(l as u32 - 1)).collect(),
                categories: (1..=k).map(|c| c.to_string()).collect(),
                palette: Palette::for_categories(k),
            },
        }
    }

    /// Items in the bar.
    pub fn len(&self) -> usize {
        match &self.values {
            BarValues::Categorical { codes, .. } => codes.len(),
            BarValues::Numeric { values, .. } => values.len(),
        }
    }

    /// Never true for a bar built from a matrix axis.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How item `at` sorts: by its category's place in the bar's categories
    /// or by its number; a missing value after every other.
    fn sort_key(&self, at: usize) -> (bool, f64) {
        match &self.values {
            BarValues::Categorical { codes, .. } => codes[at].map_or((true, 0.0), |c| (false, f64::from(c))),
            BarValues::Numeric { values, .. } => {
                if values[at].is_nan() {
                    (true, 0.0)
                } else {
                    (false, f64::from(values[at]))
                }
            }
        }
    }

    /// The value at display position `at` as text (its category, or its
    /// number), "missing" where it has none.
    pub fn value_text(&self, at: usize) -> String {
        let missing = || "missing".to_owned();
        match &self.values {
            BarValues::Categorical { codes, categories, .. } => {
                codes.get(at).copied().flatten().map_or_else(missing, |c| categories[c as usize].clone())
            }
            BarValues::Numeric { values, .. } => {
                values.get(at).filter(|v| !v.is_nan()).map_or_else(missing, |v| v.to_string())
            }
        }
    }

    /// The bar's colour for each of `pixels` pixels spanning the items in
    /// `visible` (display positions, fractional): the most common category
    /// (ties to the first) or the mean of the numbers under the pixel;
    /// `None` where all are missing or there is no item.
    pub fn pixel_colors(&self, pixels: usize, visible: &Range<f64>) -> Vec<Option<Rgba>> {
        let n = self.len();
        let per_px = (visible.end - visible.start) / pixels as f64;
        let items = |p: usize| {
            let from = visible.start + p as f64 * per_px;
            let to = from + per_px;
            // At least the item under the pixel's centre.
            let first = from.floor().max(0.0) as usize;
            let last = (to.ceil() as usize).max(first + 1);
            let centre = (from + per_px / 2.0).floor().max(0.0) as usize;
            if per_px < 1.0 { centre.min(n)..(centre + 1).min(n) } else { first.min(n)..last.min(n) }
        };
        (0..pixels)
            .map(|p| match &self.values {
                BarValues::Categorical { codes, palette, .. } => {
                    let mut counts: HashMap<u32, usize> = HashMap::new();
                    let mut best: Option<(usize, u32)> = None;
                    for code in codes[items(p)].iter().flatten() {
                        let count = counts.entry(*code).or_default();
                        *count += 1;
                        if best.is_none_or(|(c, _)| *count > c) {
                            best = Some((*count, *code));
                        }
                    }
                    best.map(|(_, code)| palette.color(code as usize))
                }
                BarValues::Numeric { values, colormap, norm } => {
                    let (sum, count) = values[items(p)]
                        .iter()
                        .filter(|v| v.is_finite())
                        .fold((0.0f64, 0usize), |(s, c), &v| (s + v as f64, c + 1));
                    (count > 0).then(|| colormap.at(norm.normalise((sum / count as f64) as f32)))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_take_the_given_order_and_colours() {
        // classify sorts the categories: high, low, mid.
        let cells = [Some("low"), Some("high"), None, Some("mid"), Some("low")];
        let bar = AnnotationBar { name: "level".into(), values: classify(&cells) };
        let given = |colours: [Option<&str>; 4]| -> Vec<(String, Option<String>)> {
            ["unused", "low", "mid", "high"]
                .iter()
                .zip(colours)
                .map(|(c, k)| (c.to_string(), k.map(String::from)))
                .collect()
        };
        let all = given([Some("#000000"), Some("#ff0000"), Some("#00ff00"), Some("#0000ff")]);
        let BarValues::Categorical { codes, categories, palette } = bar.clone().in_given_order(&all).values else {
            panic!("categorical")
        };
        assert_eq!(categories, ["low", "mid", "high"]);
        assert_eq!(codes, [Some(0), Some(2), None, Some(1), Some(0)]);
        assert!(palette.is_given());
        assert_eq!(
            (0..3).map(|i| palette.color(i)).collect::<Vec<_>>(),
            [Rgba::parse("#ff0000").unwrap(), Rgba::parse("#00ff00").unwrap(), Rgba::parse("#0000ff").unwrap()]
        );
        // Without a colour for each category present: the order alone.
        let some = given([None, Some("#ff0000"), None, Some("#0000ff")]);
        let BarValues::Categorical { categories, palette, .. } = bar.in_given_order(&some).values else {
            panic!("categorical")
        };
        assert_eq!(categories, ["low", "mid", "high"]);
        assert!(!palette.is_given());
    }

    #[test]
    fn items_sort_by_category_then_number_and_keep_their_order_among_equals() {
        // Categories sort by name (classify sorts them); "T" < missing.
        let kinds = [Some("T"), Some("B"), None, Some("T"), Some("B"), Some("T")];
        let numbers: Vec<String> = ["5", "1", "2", "3", "", "0.5"].iter().map(|s| s.to_string()).collect();
        let mut cells: Vec<Option<&str>> = numbers.iter().map(|s| Some(s.as_str()).filter(|s| !s.is_empty())).collect();
        // Eleven distinct numbers make a numeric bar: pad with items past the six.
        let extra: Vec<String> = (0..6).map(|i| format!("{}.25", 10 + i)).collect();
        cells.extend(extra.iter().map(|s| Some(s.as_str())));
        let mut kinds = kinds.to_vec();
        kinds.extend([Some("B"); 6]);
        let kind = AnnotationBar { name: "kind".into(), values: classify(&kinds) };
        let score = AnnotationBar { name: "score".into(), values: classify(&cells) };
        assert!(matches!(score.values, BarValues::Numeric { .. }));
        // By kind alone: the Bs in item order (1, 4, 6…11), the Ts (0, 3, 5), the missing (2).
        assert_eq!(order_by(std::slice::from_ref(&kind), 12), [1, 4, 6, 7, 8, 9, 10, 11, 0, 3, 5, 2]);
        // By kind, then score: among the Ts, 0.5 (5) < 3 (3) < 5 (0); item 4's missing score goes after the Bs' numbers.
        assert_eq!(order_by(&[kind, score], 12), [1, 6, 7, 8, 9, 10, 11, 4, 5, 3, 0, 2]);
    }

    #[test]
    fn a_bar_names_the_value_at_a_position() {
        let cells = [Some("B cell"), None, Some("T cell"), Some("B cell")];
        let bar = AnnotationBar { name: "type".into(), values: classify(&cells) };
        let texts: Vec<String> = (0..5).map(|p| bar.value_text(p)).collect();
        assert_eq!(texts, ["B cell", "missing", "T cell", "B cell", "missing"]);
        let numbers: Vec<String> = (0..20).map(|i| format!("{i}.5")).collect();
        let cells: Vec<Option<&str>> = numbers.iter().map(|s| Some(s.as_str())).collect();
        let bar = AnnotationBar { name: "score".into(), values: classify(&cells) };
        assert_eq!(bar.value_text(3), "3.5");
    }

    #[test]
    fn categories_sort_naturally() {
        let mut names = vec!["c10", "c2", "c1", "c0", "c11", "B cell", "c02", "A", "c2a", "c"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["A", "B cell", "c", "c0", "c1", "c02", "c2", "c2a", "c10", "c11"]);
        let cells: Vec<Option<&str>> = ["c10", "c2", "c1", "c2"].iter().map(|c| Some(*c)).collect();
        let BarValues::Categorical { categories, codes, .. } = classify(&cells) else { panic!("categories") };
        assert_eq!(
            (categories, codes),
            (vec!["c1".into(), "c2".into(), "c10".into()], vec![Some(2), Some(1), Some(0), Some(1)])
        );
    }

    #[test]
    fn few_distinct_numbers_are_categories() {
        let cells = [Some("2"), Some("10"), None, Some("2")];
        let BarValues::Categorical { codes, categories, .. } = classify(&cells) else { panic!("categorical") };
        assert_eq!(categories, vec!["2", "10"]);
        assert_eq!(codes, vec![Some(0), Some(1), None, Some(0)]);
        let many: Vec<String> = (0..20).map(|i| format!("{}.5", i)).collect();
        let cells: Vec<Option<&str>> = many.iter().map(|s| Some(s.as_str())).collect();
        assert!(matches!(classify(&cells), BarValues::Numeric { .. }));
    }

    #[test]
    fn pixels_take_the_commonest_category() {
        let cells = [Some("a"), Some("b"), Some("b"), Some("a"), None, None];
        // Categories are sorted whatever order the items come in.
        let BarValues::Categorical { categories, .. } = classify(&[Some("b"), Some("a")]) else { panic!() };
        assert_eq!(categories, ["a", "b"]);
        let bar = AnnotationBar { name: "x".into(), values: classify(&cells) };
        let palette = Palette::for_categories(2);
        // 6 items on 2 pixels: [a b b] → b, [a - -] → a.
        assert_eq!(bar.pixel_colors(2, &(0.0..6.0)), vec![Some(palette.color(1)), Some(palette.color(0))]);
        // 6 items on 12 pixels: each item twice; missing items stay empty.
        let wide = bar.pixel_colors(12, &(0.0..6.0));
        assert_eq!(wide[0], Some(palette.color(0)));
        assert_eq!(wide[3], Some(palette.color(1)));
        assert_eq!(wide[11], None);
        // Zoomed to items 1.5–3.5 on 4 pixels: b, b, b, a.
        let zoomed = bar.pixel_colors(4, &(1.5..3.5));
        assert_eq!(
            zoomed,
            vec![Some(palette.color(1)), Some(palette.color(1)), Some(palette.color(1)), Some(palette.color(0))]
        );
    }

    #[test]
    fn tables_are_keyed_by_label_in_display_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("obs.tsv");
        std::fs::write(&path, "cell\ttype\tscore\nc2\tB\t0.5\nc0\tT\t\nc9\tT\t1\n").unwrap();
        let source = BarSource { path: path.clone(), columns: vec!["type".into()] };
        let table = BarTable::read(&source).unwrap();
        let labels = Labels::from_strings(["c0", "c1", "c2"]);
        // Display order c2, c0, c1: c1 has no entry.
        let (bars, missing) = table.bars(&labels, &[2, 0, 1], "row").unwrap();
        assert_eq!(missing, 1);
        let BarValues::Categorical { codes, categories, .. } = &bars[0].values else { panic!("categorical") };
        assert_eq!(categories, &["B", "T"]);
        assert_eq!(codes, &[Some(0), Some(1), None]);
        let none = Labels::from_strings(["x", "y"]);
        assert!(matches!(table.bars(&none, &[0, 1], "row"), Err(AnnotationError::NoMatch { .. })));
        std::fs::write(&path, "cell\ttype\nc0\tB\textra\n").unwrap();
        let ragged = BarTable::read(&BarSource { path: path.clone(), columns: vec![] });
        assert!(matches!(ragged, Err(AnnotationError::Ragged { line: 2, found: 3, expected: 2, .. })));
        // A label repeated with the same values is read once; with others, refused.
        std::fs::write(&path, "cell\ttype\tscore\nc0\tB\t0.5\nc0\tB\t0.5\nc1\tT\t2.25\nc0\tT\t0.5\n").unwrap();
        let all = BarSource { path: path.clone(), columns: vec![] };
        let conflict = BarTable::read(&all).err().expect("c0 has two types").to_string();
        assert!(conflict.ends_with("obs.tsv: 'c0' is on lines 2 and 5 with different values; keep one line per label"));
        // Only the columns chosen count.
        let (bars, _) = BarTable::read(&BarSource { path, columns: vec!["score".into()] })
            .unwrap()
            .bars(&Labels::from_strings(["c0", "c1"]), &[0, 1], "row")
            .unwrap();
        let BarValues::Categorical { codes, categories, .. } = &bars[0].values else { panic!("two values") };
        assert_eq!(codes, &[Some(0), Some(1)]);
        assert_eq!(categories, &["0.5", "2.25"]);
    }

    #[test]
    fn bar_sources_split_columns() {
        assert_eq!(
            BarSource::parse("no/such/obs.tsv:bulk_labels,phase"),
            BarSource { path: "no/such/obs.tsv".into(), columns: vec!["bulk_labels".into(), "phase".into()] }
        );
        assert_eq!(BarSource::parse("obs.tsv").columns, Vec::<String>::new());
    }

    #[test]
    fn a_column_of_hex_colours_draws_in_those_colours_beside_other_bars() {
        let cells = [Some("#ff0000"), Some("#00ff00"), None, Some("#ff0000")];
        let colours = AnnotationBar { name: "given".into(), values: classify(&cells) };
        let kinds = AnnotationBar { name: "kinds".into(), values: classify(&[Some("a"), Some("b"), None, Some("a")]) };
        let mut bars = vec![kinds, colours];
        assign_palettes(&mut bars, &mut [], [false, false]);
        let BarValues::Categorical { codes, palette, .. } = &bars[1].values else { panic!("categorical") };
        let colour = |i: usize| codes[i].map(|c| palette.color(c as usize));
        assert_eq!(colour(0), Some(Rgba([255, 0, 0, 255])));
        assert_eq!(colour(1), Some(Rgba([0, 255, 0, 255])));
        assert_eq!((colour(2), colour(3)), (None, Some(Rgba([255, 0, 0, 255]))));
        assert!(bars[0].has_legend() && !bars[1].has_legend());
        // The category bar still takes the first chosen palette, tab10.
        let BarValues::Categorical { palette, .. } = &bars[0].values else { panic!("categorical") };
        assert_eq!(palette.color(0), Rgba([0x1f, 0x77, 0xb4, 255]));
    }

    #[test]
    fn bars_of_both_axes_take_palettes_apart_from_each_other_and_from_given_colours() {
        // Colours given with the data, as scanpy stores tab10's first two.
        let given = AnnotationBar { name: "type".into(), values: classify(&[Some("#1f77b4"), Some("#ff7f0e")]) };
        let phase = AnnotationBar { name: "phase".into(), values: classify(&[Some("G1"), Some("S"), Some("G2M")]) };
        let mut rows = vec![given, phase];
        let mut cols = vec![AnnotationBar::clusters("column clusters", &[1, 2, 2])];
        assign_palettes(&mut rows, &mut cols, [false, true]);
        let first = |bar: &AnnotationBar| bar.palette().unwrap().color(0);
        // Not tab10, whose colours are given: ColorBrewer's Set2, then Dark2
        // for the columns' bar.
        assert_eq!(first(&rows[1]), Rgba([0x66, 0xc2, 0xa5, 255]));
        assert_eq!(first(&cols[0]), Rgba([0x1b, 0x9e, 0x77, 255]));
        // A row cut's bar comes after the columns' own bars: phase, now a
        // column bar, takes Set2 with or without it.
        let phase = rows.pop().unwrap();
        let mut cols = vec![phase];
        assign_palettes(&mut rows, &mut cols, [false, false]);
        assert_eq!(first(&cols[0]), Rgba([0x66, 0xc2, 0xa5, 255]));
        rows.push(AnnotationBar::clusters("row clusters", &[2, 1, 1]));
        assign_palettes(&mut rows, &mut cols, [true, false]);
        assert_eq!(first(&cols[0]), Rgba([0x66, 0xc2, 0xa5, 255]));
        assert_eq!(first(&rows[1]), Rgba([0x1b, 0x9e, 0x77, 255]));
        // Two bars of 15 categories share no colour.
        let fifteen: Vec<String> = (0..15).map(|i| format!("c{i}")).collect();
        let cells: Vec<Option<&str>> = fifteen.iter().map(|c| Some(c.as_str())).collect();
        let mut long = vec![
            AnnotationBar { name: "a".into(), values: classify(&cells) },
            AnnotationBar { name: "b".into(), values: classify(&cells) },
        ];
        assign_palettes(&mut long, &mut [], [false, false]);
        let colors = |bar: &AnnotationBar| (0..15).map(|i| bar.palette().unwrap().color(i)).collect::<Vec<_>>();
        let (a, b) = (colors(&long[0]), colors(&long[1]));
        assert!(b.iter().all(|c| !a.contains(c)), "{a:?} and {b:?} share a colour");
    }

    #[test]
    fn css_names_and_short_hex_are_colours_too_but_numbers_are_not() {
        let mut bars =
            vec![AnnotationBar { name: "given".into(), values: classify(&[Some("steelblue"), Some("#f00")]) }];
        assign_palettes(&mut bars, &mut [], [false, false]);
        let BarValues::Categorical { codes, palette, .. } = &bars[0].values else { panic!("categorical") };
        let colour = |i: usize| codes[i].map(|c| palette.color(c as usize));
        assert_eq!((colour(0), colour(1)), (Some(Rgba([70, 130, 180, 255])), Some(Rgba([255, 0, 0, 255]))));
        // One value that is no colour: categories with a legend.
        let mixed = AnnotationBar { name: "m".into(), values: classify(&[Some("steelblue"), Some("B cell")]) };
        assert!(mixed.has_legend());
        let numbers = AnnotationBar { name: "n".into(), values: classify(&[Some("123"), Some("456")]) };
        assert!(numbers.has_legend());
    }
}
