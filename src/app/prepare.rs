//! [`prepare`]: a [`FigureSpec`] made into everything a figure is drawn
//! from — the matrix opened and standardised, both axes clustered (or
//! ordered as given), the pyramid, the bars, the colours, linked panels.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::UsageError;
use super::spec::{FigureSpec, LinkOrder, is_stored_column};
use super::split::{Categories, MAX_PIECES, Split, SplitBy};
use crate::cluster::{Axis, ClusterOptions, Dendrogram, MemoryBudget};
use crate::figure::annotation::{AnnotationBar, BarKind, BarSource, BarTable, assign_palettes, classify_as};
use crate::figure::dendrogram::TreeGeometry;
use crate::figure::link::{ConnectorColor, LinkEnds, RowLinks, follow_order, positions};
use crate::figure::scene::Scene;
use crate::figure::slices::Slices;
use crate::figure::{Agg, Colormap, HeatmapStyle, LabelMode, Rgba, ScaleRequest};
use crate::input::{Annotation, Matrix, Standardize, annotation_column};
use crate::pyramid::{Pyramid, PyramidOrigin, build_or_open};
use crate::render::{DataWindow, HeatmapSource};

/// Everything a figure needs, prepared: the (standardised) matrix, trees,
/// orders, pyramid, bars and colours.
pub struct Prepared {
    pub matrix: Matrix,
    pub row_tree: Option<Dendrogram>,
    pub col_tree: Option<Dendrogram>,
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
    /// Display positions of the marked rows and columns (`--mark-rows`,
    /// `--mark-cols`), ascending.
    pub row_marks: Vec<usize>,
    pub col_marks: Vec<usize>,
    /// Linked panels, left to right (`--link`); only the main panel has them.
    pub linked: Vec<Linked>,
    /// Colours of the connectors between each pair of panels.
    pub connector_colors: Vec<ConnectorColor>,
    /// How the rows and the columns were clustered (`None`: kept in order).
    pub clustering: [Option<super::cluster::ClusteringNote>; 2],
    /// The slices of a split axis (`--row-split`, `--col-split`).
    pub row_slices: Option<Slices>,
    pub col_slices: Option<Slices>,
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
    /// main panel's first; a panel without one shows its whole matrix),
    /// in the order `scene` draws them: a split main heatmap is one
    /// source a piece, each showing its part.
    pub fn sources(&self, agg: Agg, windows: &[DataWindow], scene: &Scene) -> Vec<HeatmapSource<'_>> {
        fn source(p: &Prepared, agg: Agg, window: DataWindow) -> HeatmapSource<'_> {
            HeatmapSource { pyramid: &p.pyramid, style: &p.style, agg, window }
        }
        let main: Vec<HeatmapSource<'_>> = if scene.pieces.is_empty() {
            let window = windows.first().cloned().unwrap_or_else(|| DataWindow::whole(self.pyramid.geometry()));
            vec![source(self, agg, window)]
        } else {
            scene.pieces.iter().map(|(_, window)| source(self, agg, window.clone())).collect()
        };
        let linked = self.linked.iter().enumerate().map(|(i, l)| {
            let p = &l.panel;
            source(p, agg, windows.get(i + 1).cloned().unwrap_or_else(|| DataWindow::whole(p.pyramid.geometry())))
        });
        main.into_iter().chain(linked).collect()
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
            self.row_groups = Some(groups);
        }
        let cut = [self.row_groups.is_some(), self.col_groups.is_some()];
        assign_palettes(&mut self.row_bars, &mut self.col_bars, cut);
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

/// Opens, standardises, clusters and builds the pyramid; reads the bars;
/// picks the colours; then the same for each linked panel, matched to the
/// panel on its left by row label.
pub fn prepare(figure: &FigureSpec) -> anyhow::Result<Prepared> {
    prepare_opened(figure, None)
}

/// [`prepare`] with the main matrix already `opened` (another program's
/// array, say), or opened from `figure.input` when `None`.
pub fn prepare_opened(figure: &FigureSpec, opened: Option<Matrix>) -> anyhow::Result<Prepared> {
    let input = &figure.input;
    let usage = |message: String| -> anyhow::Error { UsageError(message).into() };
    let connector_color = match figure.connector_color.as_str() {
        "clusters" if figure.row_cut.is_none() && figure.row_cut_height.is_none() => {
            return Err(usage("--connector-color clusters: add --row-cut K to cut the main panel's rows".into()));
        }
        "clusters" => None,
        text => Some(Rgba::parse(text).ok_or_else(|| {
            usage(format!(
                "--connector-color {text}: give a colour (#rrggbb, #rgb or a CSS name such as steelblue), or clusters"
            ))
        })?),
    };
    if !(0.0..=1.0).contains(&figure.connector_alpha) {
        return Err(usage(format!("--connector-alpha {}: give a number from 0 to 1", figure.connector_alpha)));
    }
    if figure.link.is_empty() && (figure.link_order == LinkOrder::Follow || figure.link_shared_scale) {
        return Err(usage("--link-order and --link-shared-scale go with --link FILE".into()));
    }
    // Linked files are read, and so checked, before the main panel's
    // clustering; each is opened once, its cache checked once.
    let mut linked_matrices =
        figure.link.iter().map(|path| input.for_link(path.clone()).open()).collect::<Result<Vec<_>, _>>()?.into_iter();
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
    let (mut main, _) = prepare_panel(figure, None, opened)?;
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
    for (k, path) in figure.link.iter().enumerate() {
        let linked_figure = FigureSpec {
            no_row_cluster: figure.no_row_cluster || figure.link_order == LinkOrder::Follow,
            link: Vec::new(),
            link_axis_names: Vec::new(),
            ..figure.for_another_matrix(input.for_link(path.clone()))
        };
        let left = if k == 0 { &main } else { &main.linked[k - 1].panel };
        let left_name = if k == 0 { &input.file } else { &figure.link[k - 1] };
        let (panel, links) = prepare_panel(&linked_figure, Some((left, left_name)), linked_matrices.next())?;
        let links = links.expect("a linked panel is matched");
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

/// One panel. A linked one is given the panel on its left (and that
/// panel's file): its rows are matched to that panel's first (refused when
/// none match, before any long work), and the links come back with it.
pub fn prepare_panel(
    figure: &FigureSpec,
    left: Option<(&Prepared, &Path)>,
    opened: Option<Matrix>,
) -> anyhow::Result<(Prepared, Option<RowLinks>)> {
    let usage = |message: String| -> anyhow::Error { UsageError(message).into() };
    let input = &figure.input;
    figure.check()?;
    let colormap =
        figure.cmap.as_deref().map(Colormap::by_name).transpose().map_err(|e| usage(format!("--cmap: {e}")))?;
    let nan_color = figure.nan_rgba()?;
    // Tables are read and checked before any long work starts; `obs:` and
    // `var:` name annotation columns stored with the matrix (.h5ad).
    let tables = |sources: &[String]| -> anyhow::Result<Vec<BarTable>> {
        let files = sources.iter().filter(|s| !is_stored_column(s));
        files.map(|s| BarTable::read(&BarSource::parse(s)).map_err(|e| usage(e.to_string()))).collect()
    };
    let row_tables = tables(&figure.row_colors)?;
    let col_tables = tables(&figure.col_colors)?;
    // Bars asked to be categories or numbers exist (the main panel's: a
    // linked panel has no stored columns).
    if left.is_none() {
        let stored = figure.row_colors.iter().chain(&figure.col_colors).filter(|s| is_stored_column(s));
        let names: Vec<&str> = row_tables
            .iter()
            .chain(&col_tables)
            .flat_map(|t| t.columns().iter().map(String::as_str))
            .chain(stored.map(|s| &s[4..]))
            .collect();
        for (flag, asked) in [("--categorical", &figure.categorical), ("--numeric", &figure.numeric)] {
            for name in asked {
                if !names.contains(&name.as_str()) {
                    let bars = if names.is_empty() {
                        "none (add --row-colors or --col-colors)".into()
                    } else {
                        names.join(", ")
                    };
                    return Err(usage(format!("{flag} {name}: no bar of that name; the bars are: {bars}")));
                }
                if figure.categorical.contains(name) && figure.numeric.contains(name) {
                    return Err(usage(format!("{name} is given to both --categorical and --numeric; keep one")));
                }
            }
        }
    }
    let dir = input.cache_dir();
    let mut matrix = match opened {
        Some(matrix) => matrix,
        None => input.open()?,
    };
    // Marked rows by label, checked before any long work (the main panel's only).
    let (marked, marked_cols) = match left {
        None => (
            marked(&figure.mark_rows, matrix.row_labels(), "--mark-rows", "row")?,
            marked(&figure.mark_cols, matrix.col_labels(), "--mark-cols", "column")?,
        ),
        Some(_) => (Vec::new(), Vec::new()),
    };
    let links = left.map(|(left, _)| RowLinks::match_labels(left.matrix.row_labels(), matrix.row_labels()));
    if let (Some(links), Some((left, left_file))) = (&links, left)
        && links.is_empty()
    {
        let example = |labels: &crate::input::Labels| crate::quote::quote(&labels.get(0));
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
    let stored = |specs: &[String], axis: Axis, flag: &str| -> anyhow::Result<Vec<Annotation>> {
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
    let row_stored = stored(&figure.row_colors, Axis::Rows, "--row-colors")?;
    let col_stored = stored(&figure.col_colors, Axis::Cols, "--col-colors")?;
    // Bars asked to be numbers hold numbers only: said before any clustering.
    for name in &figure.numeric {
        let not_numbers = |e: String| usage(format!("--numeric {name}: {e}; drop {name} from --numeric"));
        for table in row_tables.iter().chain(&col_tables) {
            if let Some(cells) = table.cells(name) {
                classify_as(&cells, Some(BarKind::Numeric)).map_err(not_numbers)?;
            }
        }
        for annotation in row_stored.iter().chain(&col_stored).filter(|a| &a.name == name) {
            let identity: Vec<usize> = (0..annotation.values.len()).collect();
            AnnotationBar::from_annotation(annotation, &identity).forced(BarKind::Numeric).map_err(not_numbers)?;
        }
    }
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
    // An annotation's bars in matrix order.
    let annotation_bars = |spec: &String, axis: Axis, flag: &str| -> anyhow::Result<Vec<AnnotationBar>> {
        let (labels, n, name) = match axis {
            Axis::Rows => (matrix.row_labels(), matrix.rows(), "row"),
            Axis::Cols => (matrix.col_labels(), matrix.cols(), "column"),
        };
        let identity: Vec<usize> = (0..n).collect();
        Ok(if is_stored_column(spec) {
            let annotations = stored(std::slice::from_ref(spec), axis, flag)?;
            annotations.iter().map(|a| AnnotationBar::from_annotation(a, &identity)).collect()
        } else {
            let table = BarTable::read(&BarSource::parse(spec)).map_err(|e| usage(format!("{flag}: {e}")))?;
            table.bars(labels, &identity, name).map_err(|e| usage(format!("{flag}: {e}")))?.0
        })
    };
    // Sorted by annotations: a stable sort.
    let sorted = |spec: &String, axis: Axis, flag: &str| -> anyhow::Result<Given> {
        let bars = annotation_bars(spec, axis, flag)?;
        Ok(Given::Order(crate::figure::annotation::order_by(&bars, axis.len(&matrix))))
    };
    // Split by an annotation: its categories, read before any clustering.
    let categories = |split: &Option<String>, axis: Axis, flag: &str| -> anyhow::Result<Option<Categories>> {
        let Some(SplitBy::Annotation(spec)) = split.as_deref().map(SplitBy::parse) else { return Ok(None) };
        if !is_stored_column(&spec) && !spec.contains(':') && !Path::new(&spec).is_file() {
            let stored = if axis == Axis::Rows { "obs" } else { "var" };
            return Err(usage(format!(
                "{flag} {spec}: give K (a number of slices), TABLE.tsv:COLUMN or {stored}:COLUMN"
            )));
        }
        let bars = annotation_bars(&spec, axis, flag)?;
        let [bar] = &bars[..] else {
            return Err(usage(format!("{flag} {spec}: names {} columns; split by one", bars.len())));
        };
        // Categories in the order given with them, as the bars take it.
        let bar = match figure.palettes.get(&bar.name) {
            Some(palette) => bar.clone().in_given_order(palette),
            None => bar.clone(),
        };
        Categories::of(&bar).map(Some).map_err(|e| usage(format!("{flag} {spec}: {e}")))
    };
    let row_categories = categories(&figure.row_split, Axis::Rows, "--row-split")?;
    let col_categories = categories(&figure.col_split, Axis::Cols, "--col-split")?;
    // Every pair of a row slice and a column slice is one piece to draw:
    // their number is known (at most, for a cut) before any clustering.
    let count = |split: &Option<String>, categories: &Option<Categories>| match (categories, split) {
        (Some(c), _) => c.names.len(),
        (None, Some(k)) => k.parse().unwrap_or(1),
        (None, None) => 1,
    };
    let (rows, cols) = (count(&figure.row_split, &row_categories), count(&figure.col_split, &col_categories));
    if rows * cols > MAX_PIECES {
        return Err(usage(format!(
            "--row-split and --col-split: {rows} × {cols} slices make more than {MAX_PIECES} pieces; split one axis into fewer"
        )));
    }
    let given_rows = match &figure.row_order {
        Some(spec) => sorted(spec, Axis::Rows, "--row-order")?,
        None => given(Axis::Rows, &figure.row_linkage, &figure.row_order_file)?,
    };
    let given_cols = match &figure.col_order {
        Some(spec) => sorted(spec, Axis::Cols, "--col-order")?,
        None => given(Axis::Cols, &figure.col_linkage, &figure.col_order_file)?,
    };
    let ((given_row_tree, given_row_order), (given_col_tree, given_col_order)) =
        (given_rows.into_parts(), given_cols.into_parts());
    super::cluster::check_in_place(&matrix, &dir)?;
    let standardize = match (figure.z_score, figure.standard_scale) {
        (Some(axis), _) => Some(Standardize::ZScore(axis)),
        (_, Some(axis)) => Some(Standardize::StandardScale(axis)),
        _ => None,
    };
    if let Some(how) = standardize {
        matrix = crate::input::standardize(&matrix, how, &dir)?;
        for warning in &matrix.source().warnings {
            crate::progress::note(format!("warning: {warning}"));
        }
    }
    let options = ClusterOptions {
        method: figure.method,
        metric: figure.metric,
        optimal_ordering: figure.optimal_ordering,
        budget: figure.memory_budget.map_or_else(MemoryBudget::default, MemoryBudget),
        approx: figure.approx,
    };
    let agreements: std::cell::RefCell<[Option<crate::cluster::agreement::Agreement>; 2]> = Default::default();
    let tree = |axis: Axis, skip: bool| -> anyhow::Result<Option<Dendrogram>> {
        if skip || axis.len(&matrix) < 2 {
            return Ok(None);
        }
        let (tree, agreement) = super::cluster::cluster_axis(&matrix, axis, &options, &dir)?;
        agreements.borrow_mut()[usize::from(axis == Axis::Cols)] = agreement;
        Ok(Some(tree))
    };
    // A given order stands without a tree.
    // An axis split by an annotation is clustered slice by slice instead.
    let row_tree = match given_row_tree {
        Some(tree) => Some(tree),
        None => tree(Axis::Rows, figure.no_row_cluster || given_row_order.is_some() || row_categories.is_some())?,
    };
    let col_tree = match given_col_tree {
        Some(tree) => Some(tree),
        None => tree(Axis::Cols, figure.no_col_cluster || given_col_order.is_some() || col_categories.is_some())?,
    };
    if crate::progress::interrupted() {
        return Err(crate::input::InputError::Interrupted.into());
    }
    let order = |tree: &Option<Dendrogram>, given: Option<Vec<usize>>, n: usize| match (tree, given) {
        (Some(tree), _) => tree.leaves(),
        (None, Some(order)) => order,
        (None, None) => (0..n).collect(),
    };
    let split = |axis: Axis,
                 split: &Option<String>,
                 categories: Option<Categories>,
                 tree: &Option<Dendrogram>,
                 clustered: bool,
                 flag: &str|
     -> anyhow::Result<Option<Split>> {
        Ok(match (split.as_deref().map(SplitBy::parse), categories) {
            (Some(SplitBy::Cut(k)), _) => {
                let tree = tree
                    .as_ref()
                    .ok_or_else(|| usage(format!("{flag} {k}: that axis has no tree to cut (fewer than two items)")))?;
                if k == 0 || k > tree.n_leaves() {
                    return Err(usage(format!(
                        "{flag} {k}: the tree has {} leaves; give 1 to {} slices",
                        tree.n_leaves(),
                        tree.n_leaves()
                    )));
                }
                let split = super::split::by_cut(tree, k);
                if split.slices.names.len() < k {
                    crate::progress::note(format!(
                        "warning: {flag} {k}: the tree's merges tie there, so its cut gives {} slices (as scipy's fcluster maxclust)",
                        split.slices.names.len()
                    ));
                }
                Some(split)
            }
            (_, Some(categories)) => Some(super::split::by_categories(
                &matrix,
                axis,
                categories,
                clustered.then_some(&options),
                figure.split_order,
                &dir,
            )?),
            _ => None,
        })
    };
    let row_split =
        split(Axis::Rows, &figure.row_split, row_categories, &row_tree, !figure.no_row_cluster, "--row-split")?;
    let col_split =
        split(Axis::Cols, &figure.col_split, col_categories, &col_tree, !figure.no_col_cluster, "--col-split")?;
    let row_order: Vec<usize> = match (&links, left, &row_split) {
        (_, _, Some(split)) => split.order.clone(),
        (Some(links), Some((left, _)), _) if figure.link_order == LinkOrder::Follow => {
            follow_order(links, &left.row_order, matrix.rows())
        }
        _ => order(&row_tree, given_row_order, matrix.rows()),
    };
    let col_order: Vec<usize> = match &col_split {
        Some(split) => split.order.clone(),
        None => order(&col_tree, given_col_order, matrix.cols()),
    };
    let as_u32 = |o: &[usize]| o.iter().map(|&i| i as u32).collect::<Vec<u32>>();
    let started = Instant::now();
    let (pyramid, origin) = build_or_open(&matrix, &as_u32(&row_order), &as_u32(&col_order), &dir)?;
    if let PyramidOrigin::Replaced(path) = origin {
        crate::progress::note(format!("warning: {}: the pyramid file is damaged; it was rebuilt", path.display()));
    }
    if started.elapsed().as_secs_f64() > 1.0 {
        crate::progress::note(format!("pyramid: {:.2} s", started.elapsed().as_secs_f64()));
    }
    // A linked panel on a shared scale takes the panel's on its left (the
    // main panel's), whatever its own values span.
    let style = match left {
        Some((left, _)) if figure.link_shared_scale => left.style.clone(),
        _ => {
            let scale =
                ScaleRequest { vmin: figure.vmin, vmax: figure.vmax, center: figure.center, robust: figure.robust };
            let (colormap, norm) = scale
                .resolve(pyramid.stats(), colormap)
                .map_err(|e| usage(format!("{}: {e}", input.file.display())))?;
            HeatmapStyle { colormap, norm, nan_color }
        }
    };

    let bars = |tables: &[BarTable], axis: &'static str, along_rows: bool| -> anyhow::Result<Vec<AnnotationBar>> {
        let (labels, order) =
            if along_rows { (matrix.row_labels(), &row_order) } else { (matrix.col_labels(), &col_order) };
        let mut all = Vec::new();
        for table in tables {
            let (bars, missing) = table.bars(labels, order, axis).map_err(|e| usage(e.to_string()))?;
            if missing > 0 {
                crate::progress::note(format!(
                    "warning: {}: {missing} of {} {axis}s have no entry; their bar cells are left blank",
                    table.path().display(),
                    order.len()
                ));
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
    // Categories or numbers where the user says which.
    let forced = |bars: Vec<AnnotationBar>| -> anyhow::Result<Vec<AnnotationBar>> {
        let kind = |name: &String| match (figure.categorical.contains(name), figure.numeric.contains(name)) {
            (true, _) => Some(BarKind::Categorical),
            (_, true) => Some(BarKind::Numeric),
            _ => None,
        };
        let force = |bar: AnnotationBar| match kind(&bar.name) {
            None => Ok(bar),
            Some(k) => {
                let name = bar.name.clone();
                bar.forced(k).map_err(|e| usage(format!("--numeric {name}: {e}; drop {name} from --numeric")))
            }
        };
        bars.into_iter().map(force).collect()
    };
    // Categories in the order (and colours) given with them.
    let ordered = |bars: Vec<AnnotationBar>| -> Vec<AnnotationBar> {
        let given = |bar: AnnotationBar| match figure.palettes.get(&bar.name) {
            Some(palette) => bar.in_given_order(palette),
            None => bar,
        };
        bars.into_iter().map(given).collect()
    };
    let mut row_bars = ordered(forced(row_bars)?);
    let mut col_bars = ordered(forced(col_bars)?);
    let cut = |tree: &Option<Dendrogram>,
               k: Option<usize>,
               height: Option<f64>,
               flag: &str|
     -> anyhow::Result<Option<Vec<usize>>> {
        if let Some(h) = height.filter(|h| !h.is_finite()) {
            return Err(usage(format!("{flag}-height {h}: give a finite height")));
        }
        let Some(tree) = tree else {
            let (axis, short) = if flag.starts_with("--row") { ("rows", "row") } else { ("columns", "col") };
            let given = if k.is_some() { flag.to_owned() } else { format!("{flag}-height") };
            return match (k, height) {
                (None, None) => Ok(None),
                _ => Err(usage(format!(
                    "{given} needs a tree of the {axis}, and there is none (--no-{short}-cluster, a given order, or a single item); drop {given}"
                ))),
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
    assign_palettes(&mut row_bars, &mut col_bars, [row_groups.is_some(), col_groups.is_some()]);
    // A split axis draws each slice's tree instead.
    let geometry = |tree: &Option<Dendrogram>, split: &Option<Split>, groups: &Option<Vec<usize>>| {
        tree.as_ref().filter(|_| split.is_none()).map(|t| TreeGeometry::new(t, groups.as_deref()))
    };
    let row_geometry = geometry(&row_tree, &row_split, &row_groups);
    let col_geometry = geometry(&col_tree, &col_split, &col_groups);
    // A tree read from a file says nothing of how it was made.
    let note = |axis: Axis, tree: &Option<Dendrogram>, read: bool| {
        tree.as_ref().filter(|_| !read).map(|_| super::cluster::ClusteringNote {
            agreement: agreements.borrow_mut()[usize::from(axis == Axis::Cols)].take(),
            ..super::cluster::ClusteringNote::new(&matrix, axis, &options)
        })
    };
    let mut clustering = [
        note(Axis::Rows, &row_tree, figure.row_linkage.is_some()),
        note(Axis::Cols, &col_tree, figure.col_linkage.is_some()),
    ];
    // A split axis has no tree of its own.
    let mut slices = |split: Option<Split>, k: usize| {
        split.map(|split| {
            if split.note.is_some() {
                clustering[k] = split.note;
            }
            split.slices
        })
    };
    let (row_slices, col_slices) = (slices(row_split, 0), slices(col_split, 1));
    let row_tree = row_tree.filter(|_| row_slices.is_none());
    let col_tree = col_tree.filter(|_| col_slices.is_none());
    let row_position = positions(&row_order);
    let mut row_marks: Vec<usize> = marked.iter().map(|&r| row_position[r] as usize).collect();
    row_marks.sort_unstable();
    let col_position = positions(&col_order);
    let mut col_marks: Vec<usize> = marked_cols.iter().map(|&c| col_position[c] as usize).collect();
    col_marks.sort_unstable();
    let prepared = Prepared {
        clustering,
        matrix,
        row_tree,
        col_tree,
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
        row_marks,
        col_marks,
        row_position,
        row_order,
        linked: Vec::new(),
        connector_colors: Vec::new(),
        row_slices,
        col_slices,
    };
    Ok((prepared, links))
}

/// Refuses an output whose folder does not exist, before any long work.
pub fn check_folder(path: &Path) -> Result<(), UsageError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if path.as_os_str() != "-" && !parent.is_dir() {
        return Err(UsageError(format!(
            "{}: the folder {} does not exist; create it or write elsewhere",
            path.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// Whether a value given where a file or labels may go reads as a path.
fn looks_like_path(value: &str) -> bool {
    let extension = Path::new(value).extension().and_then(|e| e.to_str()).unwrap_or("");
    value.contains(['/', '\\']) || ["txt", "tsv", "csv", "list"].contains(&extension.to_ascii_lowercase().as_str())
}

/// The items `flag` (`--mark-rows`, `--mark-cols`) names among `labels`:
/// labels, or one file of them (one a line); every item of a label that
/// repeats. A label no item has is refused, with an example of those that
/// exist.
fn marked(spec: &[String], labels: &crate::input::Labels, flag: &str, item: &str) -> anyhow::Result<Vec<usize>> {
    let usage = |message: String| -> anyhow::Error { UsageError(message).into() };
    let names: Vec<String> = match spec {
        [one] if Path::new(one).is_file() => std::fs::read_to_string(one)
            .map_err(|e| usage(format!("{flag} {one}: cannot read it ({e})")))?
            .lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect(),
        _ => spec.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
    };
    if names.is_empty() {
        return Ok(Vec::new());
    }
    // One pass over the labels for the few asked for.
    let wanted: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut found = std::collections::HashSet::new();
    let mut items = Vec::new();
    for i in 0..labels.len() {
        let label = labels.get(i);
        if let Some(&name) = wanted.get(label.as_ref()) {
            items.push(i);
            found.insert(name);
        }
    }
    let unknown: Vec<&String> = names.iter().filter(|n| !found.contains(n.as_str())).collect();
    match unknown[..] {
        [] => {}
        // One value that no label has and that reads as a path: a file that is not there.
        [one] if spec.len() == 1 && looks_like_path(one) => {
            return Err(usage(format!(
                "{flag} {}: no such file, and no {item} is labelled so; give a file of labels (one a line) or labels",
                crate::quote::quote(one)
            )));
        }
        [one] => {
            return Err(usage(format!(
                "{flag}: no {item} is labelled '{}' ({item} labels are like '{}'); check the spelling",
                crate::quote::quote(one),
                crate::quote::quote(&labels.get(0))
            )));
        }
        _ => {
            const LISTED: usize = 5;
            let listed: Vec<String> =
                unknown.iter().take(LISTED).map(|n| format!("'{}'", crate::quote::quote(n))).collect();
            let more = unknown.len().saturating_sub(LISTED);
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            return Err(usage(format!(
                "{flag}: {} of {} labels name no {item}: {}{more} ({item} labels are like '{}'); check the spelling",
                unknown.len(),
                names.len(),
                listed.join(", "),
                crate::quote::quote(&labels.get(0))
            )));
        }
    }
    items.sort_unstable();
    items.dedup();
    Ok(items)
}
