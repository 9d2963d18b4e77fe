//! `heatscope render`: the clustered heatmap as a PNG or SVG file.

use std::path::PathBuf;
use std::time::Instant;

use heatscope::app::split::SplitOrder;
use heatscope::app::{FigureSpec, Format, InputSpec, cannot_write, check_folder, export, layout, prepare, scene};
use heatscope::cluster::{Method, Metric};
use heatscope::figure::{Agg, text};
use heatscope::input::Axis;
use heatscope::output::write_atomically;
use heatscope::quote::quote;
use heatscope::render::Renderer;

use super::{CliError, InputArgs};

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The image to write: .png, or .svg (vectors, the heatmap cells embedded as an image).
    #[arg(short, long, value_name = "OUT.png|OUT.svg")]
    pub output: PathBuf,
    #[command(flatten)]
    pub figure: FigureArgs,
}

/// How the figure looks and what is clustered: shared by `render` and `view`.
#[derive(clap::Args, Debug, Clone)]
pub struct FigureArgs {
    /// Linkage, as scipy: single, complete, average, weighted, centroid, median, ward.
    #[arg(long, default_value = "average")]
    pub method: Method,
    /// Distance, as scipy's pdist: euclidean, sqeuclidean, cityblock, cosine, correlation, spearman.
    #[arg(long, default_value = "euclidean")]
    pub metric: Metric,
    /// Order the leaves to minimise the distances between neighbours.
    #[arg(long)]
    pub optimal_ordering: bool,
    /// The most memory exact clustering may use, e.g. 8G or 512M.
    #[arg(long, value_name = "SIZE", value_parser = super::cluster::parse_size)]
    pub memory_budget: Option<u64>,
    #[command(flatten)]
    pub approx: Box<super::cluster::ApproxArgs>,
    /// Keep the rows in file order (no row tree).
    #[arg(long)]
    pub no_row_cluster: bool,
    /// Keep the columns in file order (no column tree).
    #[arg(long)]
    pub no_col_cluster: bool,
    /// Draw the rows with this tree instead of clustering them: scipy's linkage matrix, an (n−1) × 4
    /// float64 .npy (as `cluster --linkage-out` or scipy.cluster.hierarchy.linkage writes it).
    #[arg(long, value_name = "Z.npy", conflicts_with_all = ["no_row_cluster", "row_order_file"])]
    pub row_linkage: Option<PathBuf>,
    /// The columns' tree, as --row-linkage.
    #[arg(long, value_name = "Z.npy", conflicts_with_all = ["no_col_cluster", "col_order_file"])]
    pub col_linkage: Option<PathBuf>,
    /// Draw the rows in the order of FILE, one label a line (every row once), without a tree.
    #[arg(long, value_name = "FILE", conflicts_with = "no_row_cluster")]
    pub row_order_file: Option<PathBuf>,
    /// The columns' order, as --row-order-file.
    #[arg(long, value_name = "FILE", conflicts_with = "no_col_cluster")]
    pub col_order_file: Option<PathBuf>,
    /// Sort the rows by annotation columns instead of clustering them (stable, missing values last):
    /// TABLE.tsv:COLUMN[,COLUMN2…] or obs:COLUMN[,COLUMN2…]; categories in the table's sorted order
    /// (obs: the stored order), numbers ascending.
    #[arg(long, value_name = "TABLE:COL[,COL]|obs:COL", conflicts_with_all = ["row_linkage", "row_order_file"])]
    pub row_order: Option<String>,
    /// Sort the columns by annotation columns (TABLE:COL or var:COL), as --row-order.
    #[arg(long, value_name = "TABLE:COL[,COL]|var:COL", conflicts_with_all = ["col_linkage", "col_order_file"])]
    pub col_order: Option<String>,
    /// Split the rows into slices drawn apart, each clustered on its own: K (the row tree's K
    /// clusters, in its order) or TABLE.tsv:COLUMN / obs:COLUMN (one slice per category).
    #[arg(long, value_name = "K|TABLE:COL|obs:COL", conflicts_with_all = ["row_order", "row_order_file"])]
    pub row_split: Option<String>,
    /// Split the columns, as --row-split (TABLE:COL or var:COL).
    #[arg(long, value_name = "K|TABLE:COL|var:COL", conflicts_with_all = ["col_order", "col_order_file"])]
    pub col_split: Option<String>,
    /// Pixels between slices.
    #[arg(long, value_name = "PX", default_value_t = 4.0)]
    pub split_gap: f32,
    /// Order of an annotation's slices: tree (a tree over the slices' mean profiles) or given
    /// (the annotation's order of categories).
    #[arg(long, value_enum, default_value = "tree")]
    pub split_order: SplitOrderArg,
    /// Colour map by matplotlib or seaborn name (viridis, RdBu_r, coolwarm, vlag, rocket, …; _r reverses) [default: RdBu_r centred at 0 when the data spans 0, else viridis].
    #[arg(long, value_name = "NAME")]
    pub cmap: Option<String>,
    /// Value given the colour map's middle colour, as seaborn's center: the map is re-sampled about it, the scale still runs from vmin to vmax.
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub center: Option<f32>,
    /// Value at the bottom of the colour scale [default: the data's smallest value, or its 2nd percentile with --robust].
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub vmin: Option<f32>,
    /// Value at the top of the colour scale [default: the data's largest value, or its 98th percentile with --robust].
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub vmax: Option<f32>,
    /// Colour scale from the 2nd to the 98th percentile instead of the extremes (where --vmin/--vmax are not given).
    #[arg(long)]
    pub robust: bool,
    /// Standardise each row (or column) to mean 0 and standard deviation 1 before clustering and drawing
    /// (seaborn's 0 and 1 name rows and cols too).
    #[arg(long, value_name = "AXIS", conflicts_with = "standard_scale")]
    pub z_score: Option<AxisName>,
    /// Scale each row (or column) to 0…1 before clustering and drawing (0 and 1 as for --z-score).
    #[arg(long, value_name = "AXIS")]
    pub standard_scale: Option<AxisName>,
    /// Row annotation bars: a TSV/CSV table keyed by row label and its columns (all if none named),
    /// or obs:NAME / var:NAME, a column stored in an .h5ad.
    #[arg(long, value_name = "FILE[:COLUMN,…]")]
    pub row_colors: Vec<String>,
    /// Column annotation bars: a TSV/CSV table keyed by column label, and its columns.
    #[arg(long, value_name = "FILE[:COLUMN,…]")]
    pub col_colors: Vec<String>,
    /// Mark these rows (by label, or a file of labels one a line): their labels are drawn beside
    /// the heatmap, spread so that none overlaps, each joined to its row by a short line.
    #[arg(long, value_name = "FILE|LABEL,…", value_delimiter = ',')]
    pub mark_rows: Vec<String>,
    /// Mark these columns the same way, below the heatmap.
    #[arg(long, value_name = "FILE|LABEL,…", value_delimiter = ',')]
    pub mark_cols: Vec<String>,
    /// Draw these bars (by column name) as categories, e.g. integer cluster ids.
    #[arg(long, value_name = "COLUMN,…", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Draw these bars as numbers (each of their values must be one).
    #[arg(long, value_name = "COLUMN,…", value_delimiter = ',')]
    pub numeric: Vec<String>,
    /// Colour the row tree's K clusters and add their bar.
    #[arg(long, value_name = "K", conflicts_with = "row_cut_height")]
    pub row_cut: Option<usize>,
    /// Colour the column tree's K clusters and add their bar.
    #[arg(long, value_name = "K", conflicts_with = "col_cut_height")]
    pub col_cut: Option<usize>,
    /// Cut the row tree at height H (clusters with no merge above H).
    #[arg(long, value_name = "H")]
    pub row_cut_height: Option<f64>,
    /// Cut the column tree at height H.
    #[arg(long, value_name = "H")]
    pub col_cut_height: Option<f64>,
    /// Write each row's cluster of --row-cut / --row-cut-height as TSV: label, cluster (numbered
    /// from 1 as scipy's fcluster numbers them), in the order drawn.
    #[arg(long, value_name = "CLUSTERS.tsv")]
    pub row_clusters_out: Option<PathBuf>,
    /// The same for the columns' cut.
    #[arg(long, value_name = "CLUSTERS.tsv")]
    pub col_clusters_out: Option<PathBuf>,
    /// Name of the column axis, below the column labels (matplotlib's xlabel), e.g. gene.
    #[arg(long, value_name = "TEXT")]
    pub xlabel: Option<String>,
    /// Name of the row axis, beside the row labels, e.g. cell.
    #[arg(long, value_name = "TEXT")]
    pub ylabel: Option<String>,
    /// Label of the colour bar.
    #[arg(long, value_name = "TEXT")]
    pub cbar_label: Option<String>,
    /// Title above the figure.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Share of the width (height) the row (column) tree takes.
    #[arg(long, default_value_t = 0.15, value_name = "R")]
    pub dendrogram_ratio: f32,
    /// Share of the width (height) each annotation bar takes.
    #[arg(long, default_value_t = 0.02, value_name = "R")]
    pub colors_ratio: f32,
    /// Width of the trees' branches in pixels (1 to 20).
    #[arg(long, default_value_t = 1.0, value_name = "PX")]
    pub tree_linewidth: f32,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 1000)]
    pub height: u32,
    /// Label text size in pixels.
    #[arg(long, default_value_t = 12.0, value_name = "PX")]
    pub font_size: f32,
    /// Colour of missing (NaN) cells: #rrggbb, #rgb or a CSS name (lightgrey).
    #[arg(long, default_value = "#d3d3d3", value_name = "COLOR")]
    pub nan_color: String,
    /// What a pixel covering many cells shows: mean (their mean), or extremes (the value farthest
    /// from the scale's centre).
    #[arg(long, default_value = "mean", value_name = "mean|extremes", value_parser = parse_agg)]
    pub agg: Agg,
    /// Only the heatmap cells, filling the whole image (no trees, labels or margins).
    #[arg(long)]
    pub bare: bool,
    /// Write where everything landed (panels, labels and their pixel extents) as JSON.
    #[arg(long, value_name = "LAYOUT.json")]
    pub layout_out: Option<PathBuf>,
    /// A linked heatmap to the right: a matrix whose rows share labels with the panel on its
    /// left, joined to them by connectors. Repeat for a chain of panels.
    #[arg(long, value_name = "FILE")]
    pub link: Vec<PathBuf>,
    /// Row order of linked panels: own (clustered on their own) or follow (the order of the
    /// panel on the left, unmatched rows last).
    #[arg(long, value_enum, default_value = "own")]
    pub link_order: LinkOrder,
    /// Linked panels use the main panel's colour scale (one colour bar).
    #[arg(long)]
    pub link_shared_scale: bool,
    /// Connector colour: #rrggbb, #rgb or a CSS name, or clusters (the main panel's --row-cut clusters).
    #[arg(long, default_value = "#404040", value_name = "COLOR|clusters")]
    pub connector_color: String,
    /// Connector opacity, from 0 (invisible) to 1.
    #[arg(long, default_value_t = 0.6, value_name = "A")]
    pub connector_alpha: f32,
}

/// How a linked panel orders its rows.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkOrder {
    /// Clustered on its own.
    Own,
    /// The order of the panel on its left; rows without a match last.
    Follow,
}

/// How an annotation's slices follow each other.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitOrderArg {
    /// By a tree over the slices' mean profiles.
    Tree,
    /// In the annotation's order of categories.
    Given,
}

impl From<SplitOrderArg> for SplitOrder {
    fn from(order: SplitOrderArg) -> SplitOrder {
        match order {
            SplitOrderArg::Tree => SplitOrder::Tree,
            SplitOrderArg::Given => SplitOrder::Given,
        }
    }
}

/// An axis named on the command line; also by seaborn's numbers (0 rows,
/// 1 columns, as its `z_score` and `standard_scale` take them).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisName {
    #[value(alias = "0")]
    Rows,
    #[value(alias = "1")]
    Cols,
}

impl From<AxisName> for Axis {
    fn from(axis: AxisName) -> Axis {
        match axis {
            AxisName::Rows => Axis::Rows,
            AxisName::Cols => Axis::Cols,
        }
    }
}

impl From<LinkOrder> for heatscope::app::LinkOrder {
    fn from(order: LinkOrder) -> Self {
        match order {
            LinkOrder::Own => heatscope::app::LinkOrder::Own,
            LinkOrder::Follow => heatscope::app::LinkOrder::Follow,
        }
    }
}

fn parse_agg(text: &str) -> Result<Agg, String> {
    match text {
        "mean" => Ok(Agg::Mean),
        "extremes" => Ok(Agg::Extremes),
        _ => Err("give mean or extremes".to_owned()),
    }
}

impl FigureArgs {
    /// The figure these flags ask for, of the matrix `input` names.
    pub fn spec(&self, input: InputSpec) -> FigureSpec {
        FigureSpec {
            input,
            method: self.method,
            metric: self.metric,
            optimal_ordering: self.optimal_ordering,
            memory_budget: self.memory_budget,
            approx: self.approx.options(),
            no_row_cluster: self.no_row_cluster,
            no_col_cluster: self.no_col_cluster,
            row_linkage: self.row_linkage.clone(),
            col_linkage: self.col_linkage.clone(),
            row_order_file: self.row_order_file.clone(),
            col_order_file: self.col_order_file.clone(),
            row_order: self.row_order.clone(),
            col_order: self.col_order.clone(),
            row_split: self.row_split.clone(),
            col_split: self.col_split.clone(),
            split_gap: self.split_gap,
            split_order: self.split_order.into(),
            cmap: self.cmap.clone(),
            center: self.center,
            vmin: self.vmin,
            vmax: self.vmax,
            robust: self.robust,
            z_score: self.z_score.map(Axis::from),
            standard_scale: self.standard_scale.map(Axis::from),
            row_colors: self.row_colors.clone(),
            col_colors: self.col_colors.clone(),
            categorical: self.categorical.clone(),
            palettes: Default::default(),
            mark_rows: self.mark_rows.clone(),
            mark_cols: self.mark_cols.clone(),
            numeric: self.numeric.clone(),
            row_cut: self.row_cut,
            col_cut: self.col_cut,
            row_cut_height: self.row_cut_height,
            col_cut_height: self.col_cut_height,
            row_clusters_out: self.row_clusters_out.clone(),
            col_clusters_out: self.col_clusters_out.clone(),
            cbar_label: self.cbar_label.clone(),
            xlabel: self.xlabel.clone(),
            ylabel: self.ylabel.clone(),
            title: self.title.clone(),
            dendrogram_ratio: self.dendrogram_ratio,
            colors_ratio: self.colors_ratio,
            tree_linewidth: self.tree_linewidth,
            width: self.width,
            height: self.height,
            font_size: self.font_size,
            nan_color: self.nan_color.clone(),
            agg: self.agg,
            bare: self.bare,
            layout_out: self.layout_out.clone(),
            link: self.link.clone(),
            link_order: self.link_order.into(),
            link_shared_scale: self.link_shared_scale,
            link_axis_names: Vec::new(),
            connector_color: self.connector_color.clone(),
            connector_alpha: self.connector_alpha,
        }
    }
}

pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let usage = |message: String| -> anyhow::Error { CliError { message, code: 2 }.into() };
    let Some(format) = Format::of(&args.output) else {
        return Err(usage(format!("-o {}: name a .png or .svg file", args.output.display())));
    };
    for path in [Some(&args.output), args.figure.layout_out.as_ref()].into_iter().flatten() {
        check_folder(path)?;
    }
    let start = Instant::now();
    let figure = &args.figure.spec(args.input.spec());
    let prepared = prepare(figure)?;
    let drawing = Instant::now();
    let mut renderer = Renderer::new()?;
    let scene = scene(&mut text::font_system(), &prepared, figure, &[], [figure.width, figure.height], false);
    let sources = prepared.sources(figure.agg, &[], &scene);
    let bytes = export(&mut renderer, &scene, &sources, format)?;
    write_atomically(&args.output, |w| w.write_all(&bytes)).map_err(|e| cannot_write(&args.output, &e))?;
    if let Some(path) = &figure.layout_out {
        write_atomically(path, |w| {
            serde_json::to_writer_pretty(&mut *w, &layout(&scene, &prepared))?;
            writeln!(w)
        })
        .map_err(|e| cannot_write(path, &e))?;
    }
    if let Some(first) = scene.shortened.first() {
        // A smaller font helps texts cut to fit, not those already too small or left out.
        let cut = scene.shortened.iter().any(|s| !s.contains("too small") && !s.contains("no room"));
        let font = if cut { ", lower --font-size" } else { "" };
        eprintln!(
            "warning: {} text(s) not drawn whole or legibly for lack of room (first: {}); enlarge the figure (--width, --height){font}, or see \"shortened\" in --layout-out",
            scene.shortened.len(),
            quote(first)
        );
    }
    let linked: String = prepared
        .linked
        .iter()
        .map(|l| {
            let (rows, cols) = (l.panel.matrix.rows(), l.panel.matrix.cols());
            format!(" + {rows} × {cols} ({} links)", heatscope::figure::linked::thousands(l.links.len()))
        })
        .collect();
    eprintln!(
        "{}: {} × {} px, {} × {} matrix{linked}, drawn on {} in {:.2} s ({:.2} s in all)",
        args.output.display(),
        scene.width,
        scene.height,
        prepared.matrix.rows(),
        prepared.matrix.cols(),
        renderer.describe(),
        drawing.elapsed().as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        figure: FigureArgs,
    }

    #[test]
    fn the_flags_defaults_are_the_specs() {
        let input = InputSpec::for_file(PathBuf::from("m.npy"), None);
        let parsed = Flags::parse_from(["figure"]).figure.spec(input.clone());
        let json = |spec: &FigureSpec| serde_json::to_value(spec).unwrap();
        assert_eq!(json(&parsed), json(&FigureSpec::new(input)));
    }
}
