//! [`FigureSpec`]: everything a figure is made from, as plain data (a
//! command line, a Python call or a JSON file all become one).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::UsageError;
use super::split::{MAX_SLICES, SplitBy, SplitOrder};
use crate::cluster::approx::ApproxOptions;
use crate::cluster::{Method, Metric};
use crate::figure::{Agg, LabelMode, Rgba};
use crate::input::{Axis, ColsSubset, InputError, Matrix, OpenOptions};

/// Which matrix to open, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// The matrix: `.npy`, `.h5ad`, a 10x folder, TSV/CSV text (optionally `.gz`).
    pub file: PathBuf,
    /// The cache folder; `None`: `$HEATSCOPE_CACHE_DIR`, else the platform's.
    pub cache_dir: Option<PathBuf>,
    /// Row labels read from this file (one a line) instead of the default.
    pub row_labels: Option<PathBuf>,
    /// Column labels read from this file.
    pub col_labels: Option<PathBuf>,
    /// Which row and column labels a figure shows.
    pub row_label_mode: LabelMode,
    pub col_label_mode: LabelMode,
    /// `.h5ad`: the layer read instead of `X`.
    pub layer: Option<String>,
    /// `.h5ad` and 10x: rows and columns swapped.
    pub transpose: bool,
    /// `.h5ad`: the genes kept.
    pub cols_subset: Option<ColsSubset>,
    /// 10x and `.h5ad`: genes labelled by their ids.
    pub gene_ids: bool,
    /// Text: the leading text column that labels the rows (default: the first).
    pub label_col: Option<String>,
}

impl InputSpec {
    /// `file` with every other choice left at its default.
    pub fn for_file(file: PathBuf, cache_dir: Option<PathBuf>) -> InputSpec {
        InputSpec {
            file,
            cache_dir,
            row_labels: None,
            col_labels: None,
            row_label_mode: LabelMode::Auto,
            col_label_mode: LabelMode::Auto,
            layer: None,
            transpose: false,
            cols_subset: None,
            gene_ids: false,
            label_col: None,
        }
    }

    /// A linked matrix `file`: the same cache folder and label display,
    /// nothing that names another file.
    pub fn for_link(&self, file: PathBuf) -> InputSpec {
        InputSpec {
            row_label_mode: self.row_label_mode,
            col_label_mode: self.col_label_mode,
            ..InputSpec::for_file(file, self.cache_dir.clone())
        }
    }

    /// The same input with its cache in `dir` (a preview's, thrown away).
    pub fn caching_in(&self, dir: PathBuf) -> InputSpec {
        InputSpec { cache_dir: Some(dir), ..self.clone() }
    }

    /// The cache folder: the given one, else a non-empty
    /// `HEATSCOPE_CACHE_DIR`, else the platform cache folder.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| std::env::var_os("HEATSCOPE_CACHE_DIR").filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(crate::input::cache::default_cache_dir)
    }

    /// Which row and column labels a figure shows.
    pub fn label_modes(&self) -> (LabelMode, LabelMode) {
        (self.row_label_mode, self.col_label_mode)
    }

    /// The side files this input reads: given label files, or `X.rows.txt`
    /// / `X.cols.txt` beside a `.npy` `X`, and a list of genes kept.
    pub fn label_files(&self, matrix_path: &Path) -> Vec<PathBuf> {
        let npy = matrix_path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"));
        let beside = |suffix: &str| npy.then(|| matrix_path.with_extension(suffix));
        let subset = match &self.cols_subset {
            Some(ColsSubset::Names(file)) => Some(file.clone()),
            _ => None,
        };
        [
            self.row_labels.clone().or_else(|| beside("rows.txt")),
            self.col_labels.clone().or_else(|| beside("cols.txt")),
            subset,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Opens the matrix and prints any warnings about it.
    pub fn open(&self) -> Result<Matrix, InputError> {
        let options = OpenOptions {
            cache_dir: Some(self.cache_dir()),
            row_labels: self.row_labels.clone(),
            col_labels: self.col_labels.clone(),
            layer: self.layer.clone(),
            transpose: self.transpose,
            cols_subset: self.cols_subset.clone(),
            gene_ids: self.gene_ids,
            label_col: self.label_col.clone(),
        };
        let matrix = Matrix::open(&self.file, &options)?;
        for warning in &matrix.source().warnings {
            crate::progress::note(format!("warning: {warning}"));
        }
        Ok(matrix)
    }
}

/// How a linked panel orders its rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkOrder {
    /// Clustered on its own.
    #[default]
    Own,
    /// The order of the panel on its left; rows without a match last.
    Follow,
}

/// A whole figure: the input, how each axis is clustered (or ordered),
/// standardisation, colour scale, annotations, cuts, labels, links, size
/// and fonts. [`FigureSpec::check`] refuses what cannot work, in the
/// words of the command-line flags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureSpec {
    pub input: InputSpec,
    /// Linkage, as scipy.
    pub method: Method,
    /// Distance, as scipy's `pdist`.
    pub metric: Metric,
    /// Leaves ordered to minimise the distances between neighbours.
    pub optimal_ordering: bool,
    /// The most memory exact clustering may use, in bytes.
    pub memory_budget: Option<u64>,
    pub approx: ApproxOptions,
    /// Rows (columns) kept in file order, without a tree.
    pub no_row_cluster: bool,
    pub no_col_cluster: bool,
    /// A tree given as scipy's linkage matrix in a `.npy`.
    pub row_linkage: Option<PathBuf>,
    pub col_linkage: Option<PathBuf>,
    /// An order given in a file, one label a line.
    pub row_order_file: Option<PathBuf>,
    pub col_order_file: Option<PathBuf>,
    /// Sorted by annotation columns (`TABLE:COL[,COL]`, `obs:COL`, `var:COL`).
    pub row_order: Option<String>,
    pub col_order: Option<String>,
    /// Split into slices drawn apart (`K`: the tree's clusters; `TABLE:COL`,
    /// `obs:COL`: an annotation's categories), each clustered on its own.
    pub row_split: Option<String>,
    pub col_split: Option<String>,
    /// Pixels between slices.
    pub split_gap: f32,
    /// How an annotation's slices follow each other.
    pub split_order: SplitOrder,
    /// A matplotlib or seaborn colour map name; `None`: RdBu_r centred at 0
    /// on data spanning 0, else viridis (see `ScaleRequest::resolve`).
    pub cmap: Option<String>,
    /// The value given the map's middle colour (seaborn's `center`).
    pub center: Option<f32>,
    pub vmin: Option<f32>,
    pub vmax: Option<f32>,
    /// The scale from the 2nd to the 98th percentile.
    pub robust: bool,
    /// Each row (column) standardised to mean 0 and deviation 1.
    pub z_score: Option<Axis>,
    /// Each row (column) scaled to 0…1.
    pub standard_scale: Option<Axis>,
    /// Annotation bars: `FILE[:COLUMN,…]`, or `obs:NAME` / `var:NAME`.
    pub row_colors: Vec<String>,
    pub col_colors: Vec<String>,
    /// Bars, by name, drawn as categories (integer cluster ids, say) or as
    /// numbers, whatever their values look like.
    pub categorical: Vec<String>,
    pub numeric: Vec<String>,
    /// Categorical bars, by name: their categories' order, and a colour for
    /// each where given (pandas' categories and scanpy's `uns` colours of
    /// an AnnData held in memory, as an `.h5ad` file stores them).
    #[serde(default)]
    pub palettes: std::collections::BTreeMap<String, Vec<(String, Option<String>)>>,
    /// Rows marked by label (ComplexHeatmap's `anno_mark`): labels, or one
    /// file of labels, one a line. Their labels replace the row labels.
    pub mark_rows: Vec<String>,
    pub mark_cols: Vec<String>,
    /// Cut the tree into K clusters, or at a height.
    pub row_cut: Option<usize>,
    pub col_cut: Option<usize>,
    pub row_cut_height: Option<f64>,
    pub col_cut_height: Option<f64>,
    /// Where each item's cluster of the cut is written (TSV).
    pub row_clusters_out: Option<PathBuf>,
    pub col_clusters_out: Option<PathBuf>,
    pub cbar_label: Option<String>,
    /// Names of the column and row axes, as matplotlib's xlabel and ylabel.
    pub xlabel: Option<String>,
    pub ylabel: Option<String>,
    pub title: Option<String>,
    pub dendrogram_ratio: f32,
    pub colors_ratio: f32,
    /// Width of the trees' branches in pixels (1 to 20).
    pub tree_linewidth: f32,
    /// The image size in pixels.
    pub width: u32,
    pub height: u32,
    /// Label text size in pixels.
    pub font_size: f32,
    /// Colour of missing cells: `#rrggbb`, `#rgb` or a CSS name.
    pub nan_color: String,
    pub agg: Agg,
    /// Only the heatmap cells, filling the image.
    pub bare: bool,
    /// Where the layout is written as JSON.
    pub layout_out: Option<PathBuf>,
    /// Linked matrices, left to right.
    pub link: Vec<PathBuf>,
    pub link_order: LinkOrder,
    pub link_shared_scale: bool,
    /// The names of each linked panel's column and row axes, in the order
    /// of `link` (the main panel's `xlabel` and `ylabel` where missing; an
    /// empty name draws none).
    #[serde(default)]
    pub link_axis_names: Vec<[Option<String>; 2]>,
    /// A colour (`#rrggbb`, `#rgb`, a CSS name), or `clusters` (the main panel's row cut).
    pub connector_color: String,
    pub connector_alpha: f32,
}

impl FigureSpec {
    /// The defaults of `heatscope render FILE`.
    pub fn new(input: InputSpec) -> FigureSpec {
        FigureSpec {
            input,
            method: Method::Average,
            metric: Metric::Euclidean,
            optimal_ordering: false,
            memory_budget: None,
            approx: ApproxOptions::default(),
            no_row_cluster: false,
            no_col_cluster: false,
            row_linkage: None,
            col_linkage: None,
            row_order_file: None,
            col_order_file: None,
            row_order: None,
            col_order: None,
            row_split: None,
            col_split: None,
            split_gap: 4.0,
            split_order: SplitOrder::Tree,
            cmap: None,
            center: None,
            vmin: None,
            vmax: None,
            robust: false,
            z_score: None,
            standard_scale: None,
            row_colors: Vec::new(),
            col_colors: Vec::new(),
            categorical: Vec::new(),
            palettes: Default::default(),
            numeric: Vec::new(),
            mark_rows: Vec::new(),
            mark_cols: Vec::new(),
            row_cut: None,
            col_cut: None,
            row_cut_height: None,
            col_cut_height: None,
            row_clusters_out: None,
            col_clusters_out: None,
            cbar_label: None,
            xlabel: None,
            ylabel: None,
            title: None,
            dendrogram_ratio: 0.15,
            colors_ratio: 0.02,
            tree_linewidth: 1.0,
            width: 1200,
            height: 1000,
            font_size: 12.0,
            nan_color: "#d3d3d3".to_owned(),
            agg: Agg::Mean,
            bare: false,
            layout_out: None,
            link: Vec::new(),
            link_order: LinkOrder::Own,
            link_shared_scale: false,
            link_axis_names: Vec::new(),
            connector_color: "#404040".to_owned(),
            connector_alpha: 0.6,
        }
    }

    /// This figure's look for another matrix (a linked panel, a preview):
    /// the bar tables but not the columns stored with this matrix, and no
    /// cuts, cluster files, given trees or orders, which belong to it.
    pub fn for_another_matrix(&self, input: InputSpec) -> FigureSpec {
        let tables = |specs: &[String]| specs.iter().filter(|s| !is_stored_column(s)).cloned().collect();
        FigureSpec {
            input,
            row_colors: tables(&self.row_colors),
            col_colors: tables(&self.col_colors),
            row_cut: None,
            col_cut: None,
            row_cut_height: None,
            col_cut_height: None,
            row_clusters_out: None,
            col_clusters_out: None,
            row_linkage: None,
            col_linkage: None,
            row_order_file: None,
            col_order_file: None,
            row_order: None,
            col_order: None,
            row_split: None,
            col_split: None,
            ..self.clone()
        }
    }

    /// Refuses options that cannot work, before any work is done.
    pub fn check(&self) -> Result<(), UsageError> {
        let usage = |message: String| Err(UsageError(message));
        if !(1..=16384).contains(&self.width) || !(1..=16384).contains(&self.height) {
            return usage(format!(
                "--width {} --height {}: give sizes from 1 to 16384 pixels",
                self.width, self.height
            ));
        }
        if !(0.0..0.5).contains(&self.dendrogram_ratio) || !(0.0..0.2).contains(&self.colors_ratio) {
            return usage("--dendrogram-ratio must be in [0, 0.5) and --colors-ratio in [0, 0.2)".to_owned());
        }
        if self.link_axis_names.len() > self.link.len() {
            return usage(format!(
                "link_axis_names: {} pairs of names for {} linked matrices; give at most one a matrix",
                self.link_axis_names.len(),
                self.link.len()
            ));
        }
        if !(1.0..=20.0).contains(&self.tree_linewidth) {
            return usage(format!("--tree-linewidth {}: give a width from 1 to 20 pixels", self.tree_linewidth));
        }
        if !(self.font_size > 0.0 && self.font_size <= 200.0) {
            return usage(format!("--font-size {}: give a size from 1 to 200 pixels", self.font_size));
        }
        for (flag, value) in [("--vmin", self.vmin), ("--vmax", self.vmax), ("--center", self.center)] {
            if value.is_some_and(|v| !v.is_finite()) {
                return usage(format!("{flag}: give a finite number"));
            }
        }
        if let (Some(lo), Some(hi)) = (self.vmin, self.vmax)
            && hi <= lo
        {
            return usage(format!("--vmin {lo} --vmax {hi}: vmax must be above vmin"));
        }
        for (flag, k) in [("--row-cut", self.row_cut), ("--col-cut", self.col_cut)] {
            if k == Some(0) {
                return usage(format!("{flag} 0: ask for at least one cluster"));
            }
        }
        if !(0.0..=100.0).contains(&self.split_gap) {
            return usage(format!("--split-gap {}: give a gap from 0 to 100 pixels", self.split_gap));
        }
        let axes = [
            ("--row-split", &self.row_split, "row", [self.row_cut.is_some(), self.row_cut_height.is_some()]),
            ("--col-split", &self.col_split, "col", [self.col_cut.is_some(), self.col_cut_height.is_some()]),
        ];
        for (flag, split, axis, cuts) in axes {
            let Some(split) = split else { continue };
            let (linkage, order_file, order, no_cluster) = match axis {
                "row" => (&self.row_linkage, &self.row_order_file, &self.row_order, self.no_row_cluster),
                _ => (&self.col_linkage, &self.col_order_file, &self.col_order, self.no_col_cluster),
            };
            match SplitBy::parse(split) {
                SplitBy::Cut(0) => return usage(format!("{flag} {split}: ask for at least one slice")),
                SplitBy::Cut(k) if k > MAX_SLICES => {
                    return usage(format!("{flag} {k}: give at most {MAX_SLICES} slices"));
                }
                SplitBy::Cut(k) if no_cluster || order_file.is_some() || order.is_some() => {
                    let drop = match (no_cluster, order.is_some()) {
                        (true, _) => format!("--no-{axis}-cluster"),
                        (_, true) => format!("--{axis}-order"),
                        _ => format!("--{axis}-order-file"),
                    };
                    return usage(format!("{flag} {k} cuts the {axis} tree; drop {drop}"));
                }
                SplitBy::Annotation(_) if linkage.is_some() || order_file.is_some() || order.is_some() => {
                    let given = [
                        (linkage.is_some(), "linkage"),
                        (order.is_some(), "order"),
                        (order_file.is_some(), "order-file"),
                    ];
                    let drop = given.iter().find(|g| g.0).map_or("", |g| g.1);
                    return usage(format!("{flag} by an annotation clusters each slice; drop --{axis}-{drop}"));
                }
                _ => {}
            }
            if cuts.contains(&true) {
                return usage(format!("{flag} with a cut of the same axis: the slices are the split; drop the cut"));
            }
            if !self.link.is_empty() {
                return usage(format!("{flag} goes with one heatmap; drop --link"));
            }
        }
        if let Some(k) = self.approx.groups.filter(|&k| k < 2) {
            return usage(format!("--groups {k}: the approximate mode needs at least 2 groups"));
        }
        Ok(())
    }

    /// The colour of missing cells.
    pub fn nan_rgba(&self) -> Result<Rgba, UsageError> {
        Rgba::parse(&self.nan_color).ok_or_else(|| {
            UsageError(format!(
                "--nan-color {}: give a colour (#rrggbb, #rgb or a CSS name such as lightgrey)",
                self.nan_color
            ))
        })
    }
}

/// Whether a `--row-colors` value names a column stored with the matrix
/// (`obs:NAME`, `var:NAME`) rather than a table file.
pub(super) fn is_stored_column(spec: &str) -> bool {
    (spec.starts_with("obs:") || spec.starts_with("var:")) && !Path::new(spec).exists()
}
