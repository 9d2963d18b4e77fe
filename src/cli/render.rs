//! `heatscope render`: the clustered heatmap as a PNG or SVG file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use heatscope::cluster::{Axis, ClusterOptions, Dendrogram, MemoryBudget, Method, Metric};
use heatscope::figure::annotation::{AnnotationBar, BarSource, BarTable, assign_palettes};
use heatscope::figure::dendrogram::TreeGeometry;
use heatscope::figure::link::{ConnectorColor, LinkEnds, RowLinks, follow_order, positions};
use heatscope::figure::linked::{LinkedGap, LinkedPanel, linked_clustermap};
use heatscope::figure::scene::Scene;
use heatscope::figure::{
    Agg, AxisSpec, Colormap, FigureOptions, HeatmapStyle, LabelMode, Norm, PanelRole, Rgba, clustermap, svg, text,
};
use heatscope::input::{Along, Annotation, Matrix, MatrixAxis, Standardize, annotation_column};
use heatscope::output::write_atomically;
use heatscope::pyramid::{Pyramid, ValueStats, build_or_open};
use heatscope::render::{DataWindow, HeatmapSource, Renderer};

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
    /// Colour map by matplotlib name (viridis, RdBu_r, …; _r reverses) [default: RdBu_r when the data spans 0, else viridis].
    #[arg(long, value_name = "NAME")]
    pub cmap: Option<String>,
    /// Centre of a diverging colour scale: the norm is made symmetric about it.
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub center: Option<f32>,
    /// Value at the bottom of the colour scale.
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub vmin: Option<f32>,
    /// Value at the top of the colour scale.
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub vmax: Option<f32>,
    /// Colour scale from the 2nd to the 98th percentile instead of the extremes.
    #[arg(long)]
    pub robust: bool,
    /// Standardise each row (or column) to mean 0 and standard deviation 1 before clustering and drawing.
    #[arg(long, value_name = "AXIS", conflicts_with = "standard_scale")]
    pub z_score: Option<AxisName>,
    /// Scale each row (or column) to 0…1 before clustering and drawing.
    #[arg(long, value_name = "AXIS")]
    pub standard_scale: Option<AxisName>,
    /// Row annotation bars: a TSV/CSV table keyed by row label and its columns (all if none named),
    /// or obs:NAME / var:NAME, a column stored in an .h5ad.
    #[arg(long, value_name = "FILE[:COLUMN,…]")]
    pub row_colors: Vec<String>,
    /// Column annotation bars: a TSV/CSV table keyed by column label, and its columns.
    #[arg(long, value_name = "FILE[:COLUMN,…]")]
    pub col_colors: Vec<String>,
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
    /// Image width in pixels.
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 1000)]
    pub height: u32,
    /// Label text size in pixels.
    #[arg(long, default_value_t = 12.0, value_name = "PX")]
    pub font_size: f32,
    /// Colour of missing (NaN) cells, #rrggbb.
    #[arg(long, default_value = "#d3d3d3", value_name = "COLOR")]
    pub nan_color: String,
    /// What a pixel covering many cells shows: their mean, or the value farthest from the scale's centre.
    #[arg(long, value_enum, default_value = "mean")]
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
    /// Connector colour: #rrggbb, or clusters (the main panel's --row-cut clusters).
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

/// An axis named on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisName {
    Rows,
    Cols,
}

impl From<AxisName> for Along {
    fn from(axis: AxisName) -> Along {
        match axis {
            AxisName::Rows => Along::Rows,
            AxisName::Cols => Along::Cols,
        }
    }
}

/// Everything a figure needs, prepared: the (standardised) matrix, trees,
/// orders, pyramid, bars and colours.
pub struct Prepared {
    pub matrix: Matrix,
    pub row_tree: Option<Dendrogram>,
    pub row_order: Vec<usize>,
    pub col_order: Vec<usize>,
    pub pyramid: std::sync::Arc<Pyramid>,
    pub style: HeatmapStyle,
    pub row_bars: Vec<AnnotationBar>,
    pub col_bars: Vec<AnnotationBar>,
    pub row_groups: Option<Vec<usize>>,
    pub col_groups: Option<Vec<usize>>,
    /// Which labels to show (`--row-labels` / `--col-labels`).
    pub label_modes: (LabelMode, LabelMode),
    /// The trees laid out along their leaves (built once; a new cut rebuilds them).
    pub row_geometry: Option<TreeGeometry>,
    pub col_geometry: Option<TreeGeometry>,
    /// Matrix row → display position.
    pub row_position: Vec<u32>,
    /// Linked panels, left to right (`--link`); only the main panel has them.
    pub linked: Vec<Linked>,
    /// Colours of the connectors between each pair of panels.
    pub connector_colors: Vec<ConnectorColor>,
    /// How the rows and the columns were clustered (`None`: kept in order).
    pub clustering: [Option<super::cluster::ClusteringNote>; 2],
}

/// A linked panel and its links to the panel on its left.
pub struct Linked {
    pub panel: Prepared,
    /// Its links to the panel on its left, by display position.
    pub links: LinkEnds,
}

impl Prepared {
    /// Every panel: the main one, then the linked ones.
    pub fn panels(&self) -> impl Iterator<Item = &Prepared> {
        std::iter::once(self).chain(self.linked.iter().map(|l| &l.panel))
    }

    /// Each panel's heatmap source, showing its window in `windows` (the
    /// main panel's first; a panel without one shows its whole matrix).
    pub fn sources(&self, agg: Agg, windows: &[DataWindow]) -> Vec<HeatmapSource<'_>> {
        self.panels()
            .enumerate()
            .map(|(i, p)| HeatmapSource {
                pyramid: &p.pyramid,
                style: &p.style,
                agg,
                window: windows.get(i).cloned().unwrap_or_else(|| DataWindow::whole(p.pyramid.geometry())),
            })
            .collect()
    }

    /// Cuts the row tree into `k` clusters (0: no cut): branch colours and
    /// the cluster bar follow.
    pub fn set_row_cut(&mut self, k: usize) {
        let Some(tree) = &self.row_tree else { return };
        if self.row_groups.take().is_some() {
            self.row_bars.pop();
        }
        if k > 0 {
            let groups = tree.fcluster_maxclust(k);
            let in_order: Vec<usize> = self.row_order.iter().map(|&i| groups[i]).collect();
            self.row_bars.push(AnnotationBar::clusters("row clusters", &in_order));
            assign_palettes(&mut self.row_bars);
            self.row_groups = Some(groups);
        }
        self.row_geometry = Some(TreeGeometry::new(tree, self.row_groups.as_deref()));
        if matches!(self.connector_colors.first(), Some(ConnectorColor::Clusters { .. }))
            && let Some(color) = self.cluster_colors()
        {
            self.connector_colors[0] = color;
        }
    }

    /// Connector colours from this panel's row cut, by display position.
    fn cluster_colors(&self) -> Option<ConnectorColor> {
        let groups = self.row_groups.as_ref()?;
        let palette = self.row_bars.last().and_then(AnnotationBar::palette)?.clone();
        Some(ConnectorColor::Clusters { groups: self.row_order.iter().map(|&i| groups[i] as u32).collect(), palette })
    }
}

pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let usage = |message: String| -> anyhow::Error { CliError { message, code: 2 }.into() };
    let format = match args.output.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => Format::Png,
        Some("svg") => Format::Svg,
        _ => return Err(usage(format!("-o {}: name a .png or .svg file", args.output.display()))),
    };
    for path in [Some(&args.output), args.figure.layout_out.as_ref()].into_iter().flatten() {
        check_folder(path)?;
    }
    let start = Instant::now();
    let prepared = prepare(&args.input, &args.figure)?;
    let drawing = Instant::now();
    let mut renderer = Renderer::new()?;
    let figure = &args.figure;
    let scene = scene(&mut text::font_system(), &prepared, figure, &[], [figure.width, figure.height], false);
    let sources = prepared.sources(figure.agg, &[]);
    let bytes = match format {
        Format::Png => renderer.render(&scene, &sources)?.to_png(),
        Format::Svg => {
            let mut images = Vec::new();
            for (cells, source) in scene.heatmap_rects().into_iter().zip(&sources) {
                let (w, h) = (cells.w.round().max(1.0) as u32, cells.h.round().max(1.0) as u32);
                images.push(renderer.render(&Scene::bare(w, h), std::slice::from_ref(source))?.to_png());
            }
            svg::to_svg(&scene, &images).into_bytes()
        }
    };
    write_atomically(&args.output, |w| w.write_all(&bytes)).map_err(|e| {
        anyhow::anyhow!("cannot write {} ({e}); check the folder exists and has space", args.output.display())
    })?;
    if let Some(path) = &figure.layout_out {
        write_layout(path, &scene, &prepared)?;
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

enum Format {
    Png,
    Svg,
}

/// Opens, standardises, clusters and builds the pyramid; reads the bars;
/// picks the colours; then the same for each linked panel, matched to the
/// panel on its left by row label.
pub fn prepare(input: &InputArgs, figure: &FigureArgs) -> anyhow::Result<Prepared> {
    let usage = |message: String| -> anyhow::Error { CliError { message, code: 2 }.into() };
    let connector_color = match figure.connector_color.as_str() {
        "clusters" if figure.row_cut.is_none() && figure.row_cut_height.is_none() => {
            return Err(usage("--connector-color clusters: add --row-cut K to cut the main panel's rows".into()));
        }
        "clusters" => None,
        text => Some(
            Rgba::parse(text)
                .ok_or_else(|| usage(format!("--connector-color {text}: give a colour as #rrggbb, or clusters")))?,
        ),
    };
    if !(0.0..=1.0).contains(&figure.connector_alpha) {
        return Err(usage(format!("--connector-alpha {}: give a number from 0 to 1", figure.connector_alpha)));
    }
    if figure.link.is_empty() && (figure.link_order == LinkOrder::Follow || figure.link_shared_scale) {
        return Err(usage("--link-order and --link-shared-scale go with --link FILE".into()));
    }
    // Linked files are read, and so checked, before the main panel's clustering.
    for path in &figure.link {
        input.for_link(path.clone()).open()?;
    }
    for (flag, path, cut) in [
        ("--row-clusters-out", &figure.row_clusters_out, figure.row_cut.is_some() || figure.row_cut_height.is_some()),
        ("--col-clusters-out", &figure.col_clusters_out, figure.col_cut.is_some() || figure.col_cut_height.is_some()),
    ] {
        if let Some(path) = path {
            if !cut {
                let axis = &flag[2..5];
                return Err(usage(format!("{flag} writes the clusters of a cut: add --{axis}-cut K")));
            }
            check_folder(path)?;
        }
    }
    let (mut main, _) = prepare_panel(input, figure, None, None)?;
    for (path, groups, order, labels) in [
        (&figure.row_clusters_out, &main.row_groups, &main.row_order, main.matrix.row_labels()),
        (&figure.col_clusters_out, &main.col_groups, &main.col_order, main.matrix.col_labels()),
    ] {
        if let (Some(path), Some(groups)) = (path, groups) {
            super::cluster::write_clusters(path, labels, order, groups)?;
        }
    }
    // A linked panel clusters (or follows) on its own, with the bar tables
    // and look of the main panel, but no cut.
    let linked_figure = FigureArgs {
        no_row_cluster: figure.no_row_cluster || figure.link_order == LinkOrder::Follow,
        link: Vec::new(),
        ..figure.for_another_matrix()
    };
    for (k, path) in figure.link.iter().enumerate() {
        let left = if k == 0 { &main } else { &main.linked[k - 1].panel };
        let left_name = if k == 0 { &input.file } else { &figure.link[k - 1] };
        let (mut panel, links) =
            prepare_panel(&input.for_link(path.clone()), &linked_figure, Some((left, left_name)), None)?;
        let links = links.expect("a linked panel is matched");
        if figure.link_shared_scale {
            panel.style = main.style.clone();
        }
        let links = LinkEnds::new(&links, &left.row_position, &panel.row_position);
        main.linked.push(Linked { panel, links });
    }
    let grey = Rgba([64, 64, 64, 255]);
    main.connector_colors = (0..figure.link.len())
        .map(|k| match connector_color {
            Some(color) => ConnectorColor::Fixed(color),
            None if k == 0 => main.cluster_colors().unwrap_or(ConnectorColor::Fixed(grey)),
            None => ConnectorColor::Fixed(grey),
        })
        .collect();
    Ok(main)
}

/// One panel. A linked one is given the panel on its left (and that
/// panel's file): its rows are matched to that panel's first (refused when
/// none match, before any long work), and the links come back with it.
impl FigureArgs {
    /// This figure's look for another matrix (a linked panel, a preview):
    /// the bar tables but not the columns stored with this matrix, and no
    /// cuts, cluster files, given trees or orders, which belong to it.
    pub(super) fn for_another_matrix(&self) -> FigureArgs {
        let tables = |specs: &[String]| specs.iter().filter(|s| !is_stored_column(s)).cloned().collect();
        FigureArgs {
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
            ..self.clone()
        }
    }
}

/// A tree or an order for an axis from a file (`--row-linkage`,
/// `--row-order-file`), or nothing.
enum Given {
    Tree(Dendrogram),
    Order(Vec<usize>),
    Nothing,
}

impl Given {
    /// The tree, and the order without a tree.
    fn into_parts(self) -> (Option<Dendrogram>, Option<Vec<usize>>) {
        match self {
            Given::Tree(tree) => (Some(tree), None),
            Given::Order(order) => (None, Some(order)),
            Given::Nothing => (None, None),
        }
    }
}

pub(super) fn prepare_panel(
    input: &InputArgs,
    figure: &FigureArgs,
    left: Option<(&Prepared, &Path)>,
    opened: Option<Matrix>,
) -> anyhow::Result<(Prepared, Option<RowLinks>)> {
    let usage = |message: String| -> anyhow::Error { CliError { message, code: 2 }.into() };
    check_figure_args(figure)?;
    figure.approx.check()?;
    let colormap =
        figure.cmap.as_deref().map(Colormap::by_name).transpose().map_err(|e| usage(format!("--cmap: {e}")))?;
    let nan_color = Rgba::parse(&figure.nan_color)
        .ok_or_else(|| usage(format!("--nan-color {}: give a colour as #rrggbb", figure.nan_color)))?;
    // Tables are read and checked before any long work starts; `obs:` and
    // `var:` name annotation columns stored with the matrix (.h5ad).
    let tables = |sources: &[String]| -> anyhow::Result<Vec<BarTable>> {
        let files = sources.iter().filter(|s| !is_stored_column(s));
        files.map(|s| BarTable::read(&BarSource::parse(s)).map_err(|e| usage(e.to_string()))).collect()
    };
    let row_tables = tables(&figure.row_colors)?;
    let col_tables = tables(&figure.col_colors)?;
    let dir = input.cache_dir();
    let mut matrix = match opened {
        Some(matrix) => matrix,
        None => input.open()?,
    };
    let links = left.map(|(left, _)| RowLinks::match_labels(left.matrix.row_labels(), matrix.row_labels()));
    if let (Some(links), Some((left, left_file))) = (&links, left)
        && links.is_empty()
    {
        let example = |labels: &heatscope::input::Labels| labels.get(0).into_owned();
        return Err(usage(format!(
            "--link {}: none of its {} row labels (e.g. '{}') is among the {} row labels of {} (e.g. '{}'); link matrices whose rows share names, spelled the same",
            input.file.display(),
            matrix.rows(),
            example(matrix.row_labels()),
            left.matrix.rows(),
            left_file.display(),
            example(left.matrix.row_labels()),
        )));
    }
    let stored = |specs: &[String], axis: MatrixAxis, flag: &str| -> anyhow::Result<Vec<Annotation>> {
        // `obs:a,b` names two columns.
        let columns = specs.iter().filter(|s| is_stored_column(s)).flat_map(|s| {
            let (prefix, names) = s.split_at(4);
            names.split(',').map(move |name| format!("{prefix}{name}"))
        });
        columns
            .map(|spec| {
                let annotation = annotation_column(&matrix, &spec)?;
                if annotation.axis != axis {
                    return Err(usage(format!(
                        "{flag} {spec}: that column annotates the other axis; use the other flag"
                    )));
                }
                Ok(annotation)
            })
            .collect()
    };
    let row_stored = stored(&figure.row_colors, MatrixAxis::Rows, "--row-colors")?;
    let col_stored = stored(&figure.col_colors, MatrixAxis::Cols, "--col-colors")?;
    // Trees and orders given in files are read and checked before any
    // clustering starts.
    let given = |axis: Axis, linkage: &Option<PathBuf>, order: &Option<PathBuf>| -> anyhow::Result<Given> {
        let labels = if axis == Axis::Rows { matrix.row_labels() } else { matrix.col_labels() };
        Ok(match (linkage, order) {
            (Some(path), _) => Given::Tree(super::cluster::read_linkage(path, axis.len(&matrix), axis.item_name())?),
            (None, Some(path)) => Given::Order(super::cluster::read_order(path, labels, axis.item_name())?),
            (None, None) => Given::Nothing,
        })
    };
    // Sorted by annotations: their bars in matrix order, then a stable sort.
    let sorted = |spec: &String, axis: MatrixAxis, flag: &str| -> anyhow::Result<Given> {
        let (labels, n, name) = match axis {
            MatrixAxis::Rows => (matrix.row_labels(), matrix.rows(), "row"),
            MatrixAxis::Cols => (matrix.col_labels(), matrix.cols(), "column"),
        };
        let identity: Vec<usize> = (0..n).collect();
        let bars = if is_stored_column(spec) {
            let annotations = stored(std::slice::from_ref(spec), axis, flag)?;
            annotations.iter().map(|a| AnnotationBar::from_annotation(a, &identity)).collect()
        } else {
            let table = BarTable::read(&BarSource::parse(spec)).map_err(|e| usage(format!("{flag}: {e}")))?;
            table.bars(labels, &identity, name).map_err(|e| usage(format!("{flag}: {e}")))?.0
        };
        Ok(Given::Order(heatscope::figure::annotation::order_by(&bars, n)))
    };
    let given_rows = match &figure.row_order {
        Some(spec) => sorted(spec, MatrixAxis::Rows, "--row-order")?,
        None => given(Axis::Rows, &figure.row_linkage, &figure.row_order_file)?,
    };
    let given_cols = match &figure.col_order {
        Some(spec) => sorted(spec, MatrixAxis::Cols, "--col-order")?,
        None => given(Axis::Cols, &figure.col_linkage, &figure.col_order_file)?,
    };
    let ((given_row_tree, given_row_order), (given_col_tree, given_col_order)) =
        (given_rows.into_parts(), given_cols.into_parts());
    super::check_in_place(&matrix, &dir)?;
    let standardize = match (figure.z_score, figure.standard_scale) {
        (Some(axis), _) => Some(Standardize::ZScore(axis.into())),
        (_, Some(axis)) => Some(Standardize::StandardScale(axis.into())),
        _ => None,
    };
    if let Some(how) = standardize {
        matrix = heatscope::input::standardize(&matrix, how, &dir)?;
    }
    let options = ClusterOptions {
        method: figure.method,
        metric: figure.metric,
        optimal_ordering: figure.optimal_ordering,
        budget: figure.memory_budget.map_or_else(MemoryBudget::default, MemoryBudget),
        approx: figure.approx.options(),
    };
    let tree = |axis: Axis, skip: bool| -> anyhow::Result<Option<Dendrogram>> {
        if skip || axis.len(&matrix) < 2 {
            return Ok(None);
        }
        super::cluster::cluster_axis(&matrix, axis, &options, &dir).map(Some)
    };
    // A given order stands without a tree.
    let row_tree = match given_row_tree {
        Some(tree) => Some(tree),
        None => tree(Axis::Rows, figure.no_row_cluster || given_row_order.is_some())?,
    };
    let col_tree = match given_col_tree {
        Some(tree) => Some(tree),
        None => tree(Axis::Cols, figure.no_col_cluster || given_col_order.is_some())?,
    };
    if heatscope::progress::interrupted() {
        return Err(heatscope::input::InputError::Interrupted.into());
    }
    let order = |tree: &Option<Dendrogram>, given: Option<Vec<usize>>, n: usize| match (tree, given) {
        (Some(tree), _) => tree.leaves(),
        (None, Some(order)) => order,
        (None, None) => (0..n).collect(),
    };
    let row_order: Vec<usize> = match (&links, left) {
        (Some(links), Some((left, _))) if figure.link_order == LinkOrder::Follow => {
            follow_order(links, &left.row_order, matrix.rows())
        }
        _ => order(&row_tree, given_row_order, matrix.rows()),
    };
    let col_order: Vec<usize> = order(&col_tree, given_col_order, matrix.cols());
    let as_u32 = |o: &[usize]| o.iter().map(|&i| i as u32).collect::<Vec<u32>>();
    let started = Instant::now();
    let (pyramid, _) = build_or_open(&matrix, &as_u32(&row_order), &as_u32(&col_order), &dir)?;
    if started.elapsed().as_secs_f64() > 1.0 {
        eprintln!("pyramid: {:.2} s", started.elapsed().as_secs_f64());
    }
    let style = HeatmapStyle {
        norm: norm(pyramid.stats(), figure, colormap.as_ref()),
        colormap: colormap.unwrap_or_else(|| default_colormap(pyramid.stats(), figure)),
        nan_color,
    };

    let bars = |tables: &[BarTable], axis: &'static str, along_rows: bool| -> anyhow::Result<Vec<AnnotationBar>> {
        let (labels, order) =
            if along_rows { (matrix.row_labels(), &row_order) } else { (matrix.col_labels(), &col_order) };
        let mut all = Vec::new();
        for table in tables {
            let (bars, missing) = table.bars(labels, order, axis).map_err(|e| usage(e.to_string()))?;
            if missing > 0 {
                eprintln!(
                    "warning: {}: {missing} of {} {axis}s have no entry; their bar cells are left blank",
                    table.path().display(),
                    order.len()
                );
            }
            all.extend(bars);
        }
        Ok(all)
    };
    let mut row_bars: Vec<AnnotationBar> =
        row_stored.iter().map(|a| AnnotationBar::from_annotation(a, &row_order)).collect();
    row_bars.extend(bars(&row_tables, "row", true)?);
    let mut col_bars: Vec<AnnotationBar> =
        col_stored.iter().map(|a| AnnotationBar::from_annotation(a, &col_order)).collect();
    col_bars.extend(bars(&col_tables, "column", false)?);
    let cut = |tree: &Option<Dendrogram>,
               k: Option<usize>,
               height: Option<f64>,
               flag: &str|
     -> anyhow::Result<Option<Vec<usize>>> {
        let Some(tree) = tree else {
            return match (k, height) {
                (None, None) => Ok(None),
                _ => Err(usage(format!("{flag} needs a tree on that axis; drop --no-*-cluster"))),
            };
        };
        let leaves = tree.n_leaves();
        if let Some(k) = k.filter(|&k| k == 0 || k > leaves) {
            return Err(usage(format!("{flag} {k}: the tree has {leaves} leaves; give 1 to {leaves} clusters")));
        }
        Ok(match (k, height) {
            (Some(k), _) => Some(tree.fcluster_maxclust(k)),
            (_, Some(h)) => Some(tree.fcluster_distance(h)),
            _ => None,
        })
    };
    let row_groups = cut(&row_tree, figure.row_cut, figure.row_cut_height, "--row-cut")?;
    let col_groups = cut(&col_tree, figure.col_cut, figure.col_cut_height, "--col-cut")?;
    if let Some(groups) = &row_groups {
        row_bars
            .push(AnnotationBar::clusters("row clusters", &row_order.iter().map(|&i| groups[i]).collect::<Vec<_>>()));
    }
    if let Some(groups) = &col_groups {
        col_bars.push(AnnotationBar::clusters(
            "column clusters",
            &col_order.iter().map(|&i| groups[i]).collect::<Vec<_>>(),
        ));
    }
    assign_palettes(&mut row_bars);
    assign_palettes(&mut col_bars);
    let row_geometry = row_tree.as_ref().map(|t| TreeGeometry::new(t, row_groups.as_deref()));
    let col_geometry = col_tree.as_ref().map(|t| TreeGeometry::new(t, col_groups.as_deref()));
    // A tree read from a file says nothing of how it was made.
    let note = |axis: Axis, tree: &Option<Dendrogram>, read: bool| {
        tree.as_ref().filter(|_| !read).map(|_| super::cluster::ClusteringNote::new(&matrix, axis, &options))
    };
    let clustering = [
        note(Axis::Rows, &row_tree, figure.row_linkage.is_some()),
        note(Axis::Cols, &col_tree, figure.col_linkage.is_some()),
    ];
    let prepared = Prepared {
        clustering,
        matrix,
        row_tree,
        col_order,
        pyramid: std::sync::Arc::new(pyramid),
        style,
        row_bars,
        col_bars,
        row_groups,
        col_groups,
        label_modes: input.label_modes(),
        row_geometry,
        col_geometry,
        row_position: positions(&row_order),
        row_order,
        linked: Vec::new(),
        connector_colors: Vec::new(),
    };
    Ok((prepared, links))
}

/// Refuses an output whose folder does not exist, before any long work.
pub fn check_folder(path: &Path) -> Result<(), CliError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if path.as_os_str() != "-" && !parent.is_dir() {
        return Err(CliError {
            message: format!(
                "{}: the folder {} does not exist; create it or write elsewhere",
                path.display(),
                parent.display()
            ),
            code: 2,
        });
    }
    Ok(())
}

/// Whether a `--row-colors` value names a column stored with the matrix
/// (`obs:NAME`, `var:NAME`) rather than a table file.
fn is_stored_column(spec: &str) -> bool {
    (spec.starts_with("obs:") || spec.starts_with("var:")) && !Path::new(spec).exists()
}

/// Refuses figure options that cannot work, before any work is done.
fn check_figure_args(figure: &FigureArgs) -> anyhow::Result<()> {
    let usage = |message: String| -> anyhow::Error { CliError { message, code: 2 }.into() };
    if !(1..=16384).contains(&figure.width) || !(1..=16384).contains(&figure.height) {
        return Err(usage(format!(
            "--width {} --height {}: give sizes from 1 to 16384 pixels",
            figure.width, figure.height
        )));
    }
    if !(0.0..0.5).contains(&figure.dendrogram_ratio) || !(0.0..0.2).contains(&figure.colors_ratio) {
        return Err(usage("--dendrogram-ratio must be in [0, 0.5) and --colors-ratio in [0, 0.2)".to_owned()));
    }
    if !(figure.font_size > 0.0 && figure.font_size <= 200.0) {
        return Err(usage(format!("--font-size {}: give a size from 1 to 200 pixels", figure.font_size)));
    }
    for (flag, value) in [("--vmin", figure.vmin), ("--vmax", figure.vmax), ("--center", figure.center)] {
        if value.is_some_and(|v| !v.is_finite()) {
            return Err(usage(format!("{flag}: give a finite number")));
        }
    }
    if let (Some(lo), Some(hi)) = (figure.vmin, figure.vmax)
        && hi <= lo
    {
        return Err(usage(format!("--vmin {lo} --vmax {hi}: vmax must be above vmin")));
    }
    for (flag, k) in [("--row-cut", figure.row_cut), ("--col-cut", figure.col_cut)] {
        if k == Some(0) {
            return Err(usage(format!("{flag} 0: ask for at least one cluster")));
        }
    }
    Ok(())
}

/// The colour scale: `--vmin`/`--vmax` where given, else the data's extremes
/// (or 2nd/98th percentiles with `--robust`); symmetric about `--center`, or
/// about 0 when a diverging map is used on data spanning 0.
fn norm(stats: &ValueStats, figure: &FigureArgs, colormap: Option<&Colormap>) -> Norm {
    let (lo, hi) = if figure.robust { (stats.p02, stats.p98) } else { (stats.min, stats.max) };
    let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let vmin = figure.vmin.unwrap_or(lo);
    let vmax = figure.vmax.unwrap_or(hi);
    let diverging = colormap.map_or(vmin < 0.0 && vmax > 0.0, Colormap::is_diverging);
    match figure.center {
        Some(center) => Norm::centered(vmin, vmax, center),
        None if diverging && figure.vmin.is_none() && figure.vmax.is_none() && vmin < 0.0 && vmax > 0.0 => {
            Norm::centered(vmin, vmax, 0.0)
        }
        None => Norm::new(vmin, vmax),
    }
}

/// RdBu_r when the data spans 0 (or a centre is given), else viridis.
fn default_colormap(stats: &ValueStats, figure: &FigureArgs) -> Colormap {
    let spans_zero = stats.min < 0.0 && stats.max > 0.0;
    let name = if spans_zero || figure.center.is_some() { "RdBu_r" } else { "viridis" };
    Colormap::by_name(name).expect("built-in colour maps exist")
}

/// The scene for `prepared` as `figure` asks, at `size` pixels, each
/// panel's heatmap showing its window in `windows` (the main panel's first;
/// a panel without one shows its whole matrix); `fixed` reserves the label
/// areas (interactive views).
pub fn scene(
    fonts: &mut cosmic_text::FontSystem,
    prepared: &Prepared,
    figure: &FigureArgs,
    windows: &[DataWindow],
    size: [u32; 2],
    fixed: bool,
) -> Scene {
    if figure.bare {
        return Scene::bare(size[0], size[1]);
    }
    let options = FigureOptions {
        width: size[0],
        height: size[1],
        title: figure.title.clone(),
        cbar_label: figure.cbar_label.clone(),
        dendrogram_ratio: figure.dendrogram_ratio,
        colors_ratio: figure.colors_ratio,
        font_size: figure.font_size,
        fixed_label_area: fixed,
        panel: PanelRole::ALONE,
    };
    let window = |i: usize, panel: &Prepared| {
        windows.get(i).cloned().unwrap_or_else(|| DataWindow::all(panel.matrix.rows(), panel.matrix.cols()))
    };
    if prepared.linked.is_empty() {
        let (rows, cols) = axes(prepared);
        return clustermap(fonts, &options, &rows, &cols, &prepared.style, &window(0, prepared));
    }
    let panels: Vec<LinkedPanel> = prepared
        .panels()
        .enumerate()
        .map(|(i, panel)| {
            let (rows, cols) = axes(panel);
            let shared = i > 0 && figure.link_shared_scale;
            LinkedPanel { rows, cols, style: &panel.style, window: window(i, panel), color_bar: !shared }
        })
        .collect();
    let gaps: Vec<LinkedGap> = prepared
        .linked
        .iter()
        .zip(&prepared.connector_colors)
        .map(|(linked, color)| LinkedGap { links: &linked.links, color, alpha: figure.connector_alpha })
        .collect();
    linked_clustermap(fonts, &options, &panels, &gaps)
}

/// A panel's two axes as the layout takes them.
fn axes(prepared: &Prepared) -> (AxisSpec<'_>, AxisSpec<'_>) {
    // A cut's cluster bar is the last of its axis; the tree's branches take its colours.
    let palette = |groups: &Option<Vec<usize>>, bars: &[AnnotationBar]| {
        groups.as_ref().and_then(|_| bars.last()).and_then(AnnotationBar::palette).cloned()
    };
    let rows = AxisSpec {
        labels: prepared.matrix.row_labels(),
        order: &prepared.row_order,
        tree: prepared.row_geometry.as_ref(),
        cut_palette: palette(&prepared.row_groups, &prepared.row_bars),
        bars: &prepared.row_bars,
        label_mode: prepared.label_modes.0,
    };
    let cols = AxisSpec {
        labels: prepared.matrix.col_labels(),
        order: &prepared.col_order,
        tree: prepared.col_geometry.as_ref(),
        cut_palette: palette(&prepared.col_groups, &prepared.col_bars),
        bars: &prepared.col_bars,
        label_mode: prepared.label_modes.1,
    };
    (rows, cols)
}

/// `--layout-out`: panels, and every row and column label in display order
/// with its pixel extent and whether it is drawn.
fn write_layout(path: &Path, scene: &Scene, prepared: &Prepared) -> anyhow::Result<()> {
    use serde_json::json;
    let axis = |labels: &heatscope::input::Labels, order: &[usize], start: f32, extent: f32, shown: &[usize]| {
        let step = extent / order.len() as f32;
        order
            .iter()
            .enumerate()
            .map(|(p, &i)| {
                let label = labels.get(i);
                let drawn = shown.binary_search(&p).is_ok();
                json!({"label": label, "index": i, "from": start + p as f32 * step, "to": start + (p + 1) as f32 * step, "drawn": drawn})
            })
            .collect::<Vec<_>>()
    };
    let shown = std::iter::once((&scene.shown_rows, &scene.shown_cols))
        .chain(scene.linked.iter().map(|l| (&l.shown_rows, &l.shown_cols)));
    let heatmaps: Vec<_> = prepared
        .panels()
        .zip(scene.heatmap_rects())
        .zip(shown)
        .map(|((panel, rect), (shown_rows, shown_cols))| {
            let style = &panel.style;
            json!({
                "file": panel.matrix.source().path.display().to_string(),
                "rect": rect,
                "rows": axis(panel.matrix.row_labels(), &panel.row_order, rect.y, rect.h, shown_rows),
                "cols": axis(panel.matrix.col_labels(), &panel.col_order, rect.x, rect.w, shown_cols),
                "norm": {"vmin": style.norm.vmin, "vmax": style.norm.vmax, "center": style.norm.center},
                "clustering": {"rows": panel.clustering[0], "cols": panel.clustering[1]},
                "colormap": style.colormap.name(),
            })
        })
        .collect();
    let panels: Vec<&Prepared> = prepared.panels().collect();
    // A connector's rows by label: one each for a curve, the first and last for a band.
    let labels = |panel: &Prepared, rows: &std::ops::Range<u32>| -> Vec<String> {
        let label = |p: u32| panel.matrix.row_labels().get(panel.row_order[p as usize]).into_owned();
        match rows.len() {
            0 => Vec::new(),
            1 => vec![label(rows.start)],
            _ => vec![label(rows.start), label(rows.end - 1)],
        }
    };
    let connectors: Vec<_> = scene
        .connectors
        .iter()
        .map(|c| {
            let (left, right) = (panels[c.gap], panels[c.gap + 1]);
            json!({
                "kind": if c.band { "band" } else { "curve" },
                "from_panel": c.gap,
                "to_panel": c.gap + 1,
                "from_labels": labels(left, &c.left),
                "to_labels": labels(right, &c.right),
                "from_rows": [c.left.start, c.left.end],
                "to_rows": [c.right.start, c.right.end],
                "from": c.from,
                "to": c.to,
                "count": c.count,
                "width": c.width,
            })
        })
        .collect();
    let gaps: Vec<_> = prepared
        .linked
        .iter()
        .enumerate()
        .map(|(k, linked)| {
            let drawn = scene.connectors.iter().filter(|c| c.gap == k);
            json!({
                "from_panel": k,
                "to_panel": k + 1,
                "links": linked.links.len(),
                "links_drawn": drawn.clone().map(|c| c.count as usize).sum::<usize>(),
                "bands": drawn.clone().any(|c| c.band),
                "unmatched_left": linked.links.unmatched()[0],
                "unmatched_right": linked.links.unmatched()[1],
            })
        })
        .collect();
    let layout = json!({
        "width": scene.width,
        "height": scene.height,
        "panels": scene.panels,
        "heatmaps": heatmaps,
        "gaps": gaps,
        "connectors": connectors,
    });
    write_atomically(path, |w| {
        serde_json::to_writer_pretty(&mut *w, &layout)?;
        writeln!(w)
    })
    .map_err(|e| anyhow::anyhow!("cannot write {} ({e}); check the folder exists and has space", path.display()))
}
