//! `heatscope cluster`: hierarchical clustering of rows, columns or both.

use std::path::{Path, PathBuf};
use std::time::Instant;

use heatscope::cluster::{
    ApproxOptions, Axis, ClusterError, ClusterOptions, Dendrogram, MemoryBudget, Method, Metric, Plan, TreeOrigin,
    When, cluster_cached, plan, write_cdt,
};
use heatscope::input::{Labels, Matrix};
use heatscope::output::write_atomically;
use npyz::WriterBuilder;

use super::{CliError, InputArgs};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum AxisChoice {
    Rows,
    Cols,
    Both,
}

#[derive(clap::Args, Debug)]
pub struct ClusterArgs {
    #[command(flatten)]
    input: InputArgs,
    /// What to cluster.
    #[arg(long, value_enum, default_value = "rows")]
    axis: AxisChoice,
    /// Linkage, as scipy: single, complete, average, weighted, centroid, median, ward.
    #[arg(long, default_value = "average")]
    method: Method,
    /// Distance, as scipy's pdist: euclidean, sqeuclidean, cityblock, cosine, correlation, spearman.
    #[arg(long, default_value = "euclidean")]
    metric: Metric,
    /// Order the leaves to minimise the distances between neighbours (as scipy's optimal_leaf_ordering).
    #[arg(long)]
    optimal_ordering: bool,
    /// The most memory exact clustering may use, e.g. 8G or 512M (default: half the RAM, at most 8 GiB);
    /// beyond it clustering is approximate.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_budget: Option<u64>,
    #[command(flatten)]
    approx: Box<ApproxArgs>,
    /// Write scipy's linkage matrix, an (n−1) × 4 float64 .npy (of the columns with --axis cols).
    #[arg(long, value_name = "Z.npy")]
    linkage_out: Option<PathBuf>,
    /// Write the labels in leaf order, one per line.
    #[arg(long, value_name = "ORDER.txt")]
    order_out: Option<PathBuf>,
    /// Write the tree in Newick format.
    #[arg(long, value_name = "TREE.nwk")]
    newick_out: Option<PathBuf>,
    /// With --axis both: the columns' linkage matrix.
    #[arg(long, value_name = "Z.npy")]
    cols_linkage_out: Option<PathBuf>,
    /// With --axis both: the column labels in leaf order.
    #[arg(long, value_name = "ORDER.txt")]
    cols_order_out: Option<PathBuf>,
    /// With --axis both: the columns' tree in Newick format.
    #[arg(long, value_name = "TREE.nwk")]
    cols_newick_out: Option<PathBuf>,
    /// Write PREFIX.cdt with PREFIX.gtr / PREFIX.atr, the Cluster 3.0 files Java TreeView opens.
    #[arg(long, value_name = "PREFIX")]
    cdt_out: Option<PathBuf>,
    /// Cut the tree into K flat clusters, as scipy's fcluster(Z, K, "maxclust") (for --clusters-out).
    #[arg(long, value_name = "K", conflicts_with = "cut_height")]
    cut: Option<usize>,
    /// Cut the tree at height H: clusters with no merge above H, as fcluster(Z, H, "distance").
    #[arg(long, value_name = "H")]
    cut_height: Option<f64>,
    /// Write each label's flat cluster of the cut (--cut or --cut-height) as TSV: label, cluster
    /// (numbered from 1 as scipy numbers them), in leaf order.
    #[arg(long, value_name = "CLUSTERS.tsv")]
    clusters_out: Option<PathBuf>,
    /// With --axis both: the columns' clusters of the same cut.
    #[arg(long, value_name = "CLUSTERS.tsv")]
    cols_clusters_out: Option<PathBuf>,
}

/// The approximate mode's options (boxed in [`ClusterArgs`]: they would
/// make it much larger than the other commands' arguments).
#[derive(clap::Args, Debug, Clone)]
pub struct ApproxArgs {
    /// Cluster approximately even within the budget: k-means groups, exact trees inside them, a tree over their centroids.
    #[arg(long)]
    approx: bool,
    /// Approximate mode: k-means groups at the top [default: √n, at most 4096]; implies --approx.
    #[arg(long, value_name = "K")]
    groups: Option<usize>,
    /// Approximate mode: estimate column distances on N sampled rows [default: 32 Mi values' worth,
    /// 1,000 to 50,000 rows]; implies --approx for the columns.
    #[arg(long, value_name = "N")]
    col_sample: Option<usize>,
    /// Approximate mode: seed of the samples and of k-means (the same seed gives the same tree).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

impl ApproxArgs {
    /// The library's options for these flags.
    pub fn options(&self) -> ApproxOptions {
        ApproxOptions {
            when: if self.approx || self.groups.is_some() { When::Always } else { When::OverBudget },
            groups: self.groups,
            col_sample: self.col_sample,
            seed: self.seed,
        }
    }

    /// Refuses a group count the approximate mode cannot use.
    pub fn check(&self) -> Result<(), CliError> {
        match self.groups {
            Some(k) if k < 2 => Err(CliError {
                message: format!("--groups {k}: the approximate mode needs at least 2 groups"),
                code: 2,
            }),
            _ => Ok(()),
        }
    }
}

/// Where one axis's results go.
struct Outputs<'a> {
    linkage: Option<&'a Path>,
    order: Option<&'a Path>,
    newick: Option<&'a Path>,
    clusters: Option<&'a Path>,
}

/// Where a tree is cut into flat clusters.
#[derive(Clone, Copy)]
enum Cut {
    /// Into this many clusters.
    Count(usize),
    /// At this height.
    Height(f64),
}

pub fn run(args: &ClusterArgs) -> anyhow::Result<()> {
    let usage = |message: String| -> anyhow::Error { CliError { message, code: 2 }.into() };
    if args.axis != AxisChoice::Both
        && (args.cols_linkage_out.is_some()
            || args.cols_order_out.is_some()
            || args.cols_newick_out.is_some()
            || args.cols_clusters_out.is_some())
    {
        return Err(usage("the --cols-*-out options go with --axis both".to_owned()));
    }
    let cut = match (args.cut, args.cut_height) {
        (Some(0), _) => return Err(usage("--cut 0: ask for at least one cluster".to_owned())),
        (Some(k), _) => Some(Cut::Count(k)),
        (_, Some(h)) if !h.is_finite() => return Err(usage(format!("--cut-height {h}: give a finite height"))),
        (_, Some(h)) => Some(Cut::Height(h)),
        (None, None) => None,
    };
    if cut.is_none() && (args.clusters_out.is_some() || args.cols_clusters_out.is_some()) {
        return Err(usage("--clusters-out writes the clusters of a cut: add --cut K or --cut-height H".to_owned()));
    }
    let cdt_prefix = match &args.cdt_out {
        Some(prefix) if prefix.as_os_str() == "-" => {
            return Err(usage("--cdt-out writes three files, so it needs a name, not -".to_owned()));
        }
        // `--cdt-out results.cdt` names the files results.cdt, results.gtr…
        Some(prefix) if prefix.extension().is_some_and(|e| e.eq_ignore_ascii_case("cdt")) => {
            Some(prefix.with_extension(""))
        }
        other => other.clone(),
    };
    args.approx.check()?;
    // Every output's folder exists before the clustering starts.
    let outputs = [
        &args.linkage_out,
        &args.order_out,
        &args.newick_out,
        &args.cols_linkage_out,
        &args.cols_order_out,
        &args.cols_newick_out,
        &args.clusters_out,
        &args.cols_clusters_out,
        &cdt_prefix,
    ];
    for path in outputs.into_iter().flatten() {
        super::render::check_folder(path)?;
    }
    if let Some(rows) = args.approx.col_sample {
        if args.axis == AxisChoice::Rows {
            return Err(usage(
                "--col-sample samples rows to cluster the columns; it goes with --axis cols or both".to_owned(),
            ));
        }
        if rows < 2 {
            return Err(usage(format!("--col-sample {rows}: columns need at least 2 sampled rows")));
        }
    }
    let matrix = args.input.open()?;
    check_outputs(args, cdt_prefix.as_deref(), &matrix)?;
    // Converted files were checked for infinities on the way in; a float32
    // .npy mapped in place is checked here, as `info` checks it.
    super::check_in_place(&matrix, &args.input.cache_dir())?;
    let options = ClusterOptions {
        method: args.method,
        metric: args.metric,
        optimal_ordering: args.optimal_ordering,
        budget: args.memory_budget.map_or_else(MemoryBudget::default, MemoryBudget),
        approx: args.approx.options(),
    };
    let first = Outputs {
        linkage: args.linkage_out.as_deref(),
        order: args.order_out.as_deref(),
        newick: args.newick_out.as_deref(),
        clusters: args.clusters_out.as_deref(),
    };
    let columns = Outputs {
        linkage: args.cols_linkage_out.as_deref(),
        order: args.cols_order_out.as_deref(),
        newick: args.cols_newick_out.as_deref(),
        clusters: args.cols_clusters_out.as_deref(),
    };
    let dir = args.input.cache_dir();
    // Every axis is clustered before anything is written, so a failure on
    // the second leaves no half set of outputs.
    let axes: &[(Axis, &Outputs)] = match args.axis {
        AxisChoice::Rows => &[(Axis::Rows, &first)],
        AxisChoice::Cols => &[(Axis::Cols, &first)],
        AxisChoice::Both => &[(Axis::Rows, &first), (Axis::Cols, &columns)],
    };
    if let Some(Cut::Count(k)) = cut {
        for &(axis, _) in axes.iter().filter(|(_, outputs)| outputs.clusters.is_some()) {
            let n = axis.len(&matrix);
            if k > n {
                return Err(usage(format!("--cut {k}: there are {n} {}s; give 1 to {n} clusters", axis.item_name())));
            }
        }
    }
    let mut trees = Vec::new();
    for &(axis, _) in axes {
        let mut options = options;
        if axis == Axis::Cols && args.approx.col_sample.is_some() {
            options.approx.when = When::Always;
        }
        trees.push(cluster_axis(&matrix, axis, &options, &dir)?);
    }
    if heatscope::progress::interrupted() {
        return Err(heatscope::input::InputError::Interrupted.into());
    }
    for (&(axis, outputs), tree) in axes.iter().zip(&trees) {
        write_outputs(&matrix, axis, tree, outputs)?;
        if let (Some(path), Some(cut)) = (outputs.clusters, cut) {
            let groups = match cut {
                Cut::Count(k) => tree.fcluster_maxclust(k),
                Cut::Height(h) => tree.fcluster_distance(h),
            };
            write_clusters(path, labels(&matrix, axis), &tree.leaves(), &groups)?;
        }
    }
    if let Some(prefix) = &cdt_prefix {
        let tree = |wanted: Axis| axes.iter().zip(&trees).find(|((axis, _), _)| *axis == wanted).map(|(_, t)| t);
        write_cdt(prefix, &matrix, tree(Axis::Rows), tree(Axis::Cols)).map_err(|e| cannot_write(prefix, &e))?;
    }
    Ok(())
}

/// Refuses outputs that would overwrite the input (the matrix, its label
/// files, the trees beside a CDT) or each other.
fn check_outputs(args: &ClusterArgs, cdt_prefix: Option<&Path>, matrix: &Matrix) -> anyhow::Result<()> {
    let with = |extension: &str| {
        cdt_prefix.map(|prefix| {
            let mut name = prefix.as_os_str().to_owned();
            name.push(format!(".{extension}"));
            PathBuf::from(name)
        })
    };
    let outputs = [
        ("--linkage-out", args.linkage_out.clone()),
        ("--order-out", args.order_out.clone()),
        ("--newick-out", args.newick_out.clone()),
        ("--cols-linkage-out", args.cols_linkage_out.clone()),
        ("--cols-order-out", args.cols_order_out.clone()),
        ("--cols-newick-out", args.cols_newick_out.clone()),
        ("--clusters-out", args.clusters_out.clone()),
        ("--cols-clusters-out", args.cols_clusters_out.clone()),
        ("--cdt-out", with("cdt")),
        ("--cdt-out", with("gtr")),
        ("--cdt-out", with("atr")),
    ];
    let source = &matrix.source().path;
    let mut inputs = vec![source.clone()];
    if source.extension().is_some_and(|e| e.eq_ignore_ascii_case("cdt")) {
        inputs.extend([source.with_extension("gtr"), source.with_extension("atr")]);
    }
    inputs.extend(args.input.label_files(source));
    let inputs: Vec<PathBuf> = inputs.iter().filter(|p| p.exists()).map(|p| resolved(p)).collect();
    let mut taken: Vec<(PathBuf, &str)> = Vec::new();
    for (flag, path) in outputs.iter().filter_map(|(flag, p)| p.as_ref().map(|p| (*flag, p))) {
        if path.as_os_str() == "-" {
            continue;
        }
        let target = resolved(path);
        let refuse = |why: String| CliError { message: format!("{flag} {}: {why}", path.display()), code: 2 };
        if inputs.contains(&target) {
            return Err(refuse("that is an input of this run; write the output somewhere else".to_owned()).into());
        }
        if let Some((_, other)) = taken.iter().find(|(p, _)| *p == target) {
            return Err(refuse(format!("{other} writes there too; give each output its own file")).into());
        }
        if target.is_dir() {
            return Err(refuse("that is a directory; give a file name".to_owned()).into());
        }
        taken.push((target, flag));
    }
    Ok(())
}

/// The file a path names, with links and `..` resolved where they exist.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(full) = std::fs::canonicalize(path) {
        return full;
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

fn cannot_write(path: &Path, error: &std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot write {} ({error}); check the folder exists and has space", path.display())
}

/// How an axis is clustered, as its summary line and `--layout-out` say.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClusteringNote {
    pub method: &'static str,
    pub metric: &'static str,
    pub approximate: bool,
    /// Columns clustered approximately: the rows their distances are
    /// estimated on, when fewer than all.
    pub sample_rows: Option<usize>,
    /// Approximate: the principal components k-means groups the items on,
    /// and the items of the sample they are found on.
    pub components: Option<usize>,
    pub components_sample: Option<usize>,
}

impl ClusteringNote {
    pub fn new(matrix: &Matrix, axis: Axis, options: &ClusterOptions) -> Self {
        use heatscope::cluster::approx::project::{COMPONENTS, projects, sample_size};
        let (approximate, sample_rows) = match plan(matrix, axis, options) {
            Plan::Exact => (false, None),
            Plan::Approx { sample_rows, .. } => (true, sample_rows.filter(|&rows| rows < matrix.rows())),
        };
        let dim = sample_rows.unwrap_or(axis.dim(matrix));
        let projected = approximate && projects(axis.len(matrix), dim);
        ClusteringNote {
            method: options.method.name(),
            metric: options.metric.name(),
            approximate,
            sample_rows,
            components: projected.then_some(COMPONENTS.min(dim)),
            components_sample: projected.then(|| sample_size(axis.len(matrix), dim)),
        }
    }
}

pub(super) fn cluster_axis(
    matrix: &Matrix,
    axis: Axis,
    options: &ClusterOptions,
    dir: &Path,
) -> anyhow::Result<Dendrogram> {
    let start = Instant::now();
    let bar = heatscope::progress::items_bar(0, &format!("{}s", axis.item_name()));
    let (tree, origin) = cluster_cached(matrix, axis, options, dir, Some(&bar))
        .map_err(|e| about_file(e, matrix, labels(matrix, axis)))?;
    bar.finish_and_clear();
    let how = match origin {
        TreeOrigin::Reused(_) => "reused from the cache",
        TreeOrigin::Computed(_) => "computed",
        TreeOrigin::NotStored(reason) => {
            eprintln!("warning: the tree is not cached: {reason}");
            "computed"
        }
    };
    let note = ClusteringNote::new(matrix, axis, options);
    let approximate = match (note.approximate, note.sample_rows, note.components) {
        (false, ..) => String::new(),
        (true, Some(rows), _) => {
            format!(" (approximate: distances estimated on a sample of {rows} of {} rows)", matrix.rows())
        }
        (true, None, Some(components)) => format!(
            " (approximate: k-means groups on {components} principal components of a {}-{} sample, exact inside each)",
            note.components_sample.unwrap_or(0),
            axis.item_name()
        ),
        (true, None, None) => " (approximate: k-means groups, exact inside each)".to_owned(),
    };
    eprintln!(
        "{}s: {} leaves, {} linkage of {} distances{approximate}, top merge at {:.6}, {how} in {:.2} s",
        axis.item_name(),
        tree.n_leaves(),
        options.method.name(),
        options.metric.name(),
        tree.merges().last().map_or(0.0, |m| m.height),
        start.elapsed().as_secs_f64()
    );
    Ok(tree)
}

fn labels(matrix: &Matrix, axis: Axis) -> &Labels {
    match axis {
        Axis::Rows => matrix.row_labels(),
        Axis::Cols => matrix.col_labels(),
    }
}

fn write_outputs(matrix: &Matrix, axis: Axis, tree: &Dendrogram, out: &Outputs) -> anyhow::Result<()> {
    let labels = labels(matrix, axis);
    let written = |path: &Path, result: std::io::Result<()>| result.map_err(|e| cannot_write(path, &e));
    if let Some(path) = out.linkage {
        written(path, write_linkage(path, tree))?;
    }
    if let Some(path) = out.order {
        written(
            path,
            write_atomically(path, |w| {
                tree.leaves().into_iter().try_for_each(|leaf| writeln!(w, "{}", labels.get(leaf)))
            }),
        )?;
    }
    if let Some(path) = out.newick {
        let names: Vec<_> = labels.iter().collect();
        let newick = tree.to_newick(&names)?;
        written(path, write_atomically(path, |w| writeln!(w, "{newick}")))?;
    }
    Ok(())
}

/// Writes each of `order`'s items (indices into `labels`) with its flat
/// cluster in `groups` (by index), as TSV under a `label`, `cluster` header.
pub(super) fn write_clusters(path: &Path, labels: &Labels, order: &[usize], groups: &[usize]) -> anyhow::Result<()> {
    write_atomically(path, |w| {
        writeln!(w, "label\tcluster")?;
        order.iter().try_for_each(|&i| writeln!(w, "{}\t{}", labels.get(i), groups[i]))
    })
    .map_err(|e| cannot_write(path, &e))
}

/// A clustering error about the input, worded with the file and the label.
fn about_file(error: ClusterError, matrix: &Matrix, labels: &Labels) -> anyhow::Error {
    let path = matrix.source().path.display();
    let message = match &error {
        ClusterError::NoFiniteValue { item, index } => format!(
            "{path}: {item} '{}' ({item} {} of {}) has no finite value (all NaN); remove it before clustering",
            labels.get(*index),
            index + 1,
            labels.len()
        ),
        ClusterError::TooFewItems { .. } | ClusterError::OverBudget { .. } => format!("{path}: {error}"),
        _ => return error.into(),
    };
    CliError { message, code: 2 }.into()
}

/// The tree of scipy's linkage matrix in the `.npy` at `path`, checked to
/// be valid and to have `n` leaves; every problem is one line (exit 2).
pub(super) fn read_linkage(path: &Path, n: usize, item: &str) -> anyhow::Result<Dendrogram> {
    let refuse =
        |why: String| -> anyhow::Error { CliError { message: format!("{}: {why}", path.display()), code: 2 }.into() };
    let file = std::fs::File::open(path).map_err(|e| refuse(format!("cannot open it ({e}); check the path")))?;
    let npy = npyz::NpyFile::new(std::io::BufReader::new(file)).map_err(|e| {
        refuse(format!("not a NumPy .npy file ({e}); give scipy's linkage matrix saved with numpy.save"))
    })?;
    let shape = npy.shape().to_vec();
    if shape != [n.saturating_sub(1) as u64, 4] {
        return Err(refuse(format!(
            "a linkage matrix of shape {shape:?}; the matrix has {n} {item}s, so it needs shape [{}, 4]",
            n.saturating_sub(1)
        )));
    }
    if npy.order() != npyz::Order::C {
        return Err(refuse(
            "stored in Fortran order; save it with numpy.save(path, numpy.ascontiguousarray(Z))".into(),
        ));
    }
    let values: Vec<f64> = npy.into_vec().map_err(|e| {
        refuse(format!("cannot read it as float64 ({e}); save Z as numpy's float64, as scipy makes it"))
    })?;
    let z: Vec<[f64; 4]> = values.chunks_exact(4).map(|r| [r[0], r[1], r[2], r[3]]).collect();
    Dendrogram::from_linkage_matrix(&z).map_err(|e| refuse(format!("{e}; give a linkage matrix scipy accepts")))
}

/// The order of `labels` named by the file at `path`, one label a line
/// (blank lines skipped): every label exactly once.
pub(super) fn read_order(path: &Path, labels: &Labels, item: &str) -> anyhow::Result<Vec<usize>> {
    let refuse =
        |why: String| -> anyhow::Error { CliError { message: format!("{}: {why}", path.display()), code: 2 }.into() };
    let text = std::fs::read_to_string(path).map_err(|e| refuse(format!("cannot read it ({e}); check the path")))?;
    let index: std::collections::HashMap<String, usize> =
        labels.iter().enumerate().map(|(i, l)| (l.into_owned(), i)).collect();
    if index.len() < labels.len() {
        return Err(refuse(format!("the {item} labels repeat, so a label cannot name one {item}; rename them first")));
    }
    let mut order = Vec::with_capacity(labels.len());
    let mut seen = vec![false; labels.len()];
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let label = line.trim();
        let Some(&i) = index.get(label) else {
            return Err(refuse(format!("line {}: '{label}' is not a {item} label of the matrix", number + 1)));
        };
        if std::mem::replace(&mut seen[i], true) {
            return Err(refuse(format!("line {}: '{label}' comes a second time; name each {item} once", number + 1)));
        }
        order.push(i);
    }
    if order.len() < labels.len() {
        let missing = seen.iter().position(|&s| !s).expect("one is missing");
        return Err(refuse(format!(
            "names {} of the {} {item}s (e.g. not '{}'); name every {item} once",
            order.len(),
            labels.len(),
            labels.get(missing)
        )));
    }
    Ok(order)
}

/// scipy's linkage matrix as an `(n − 1) × 4` `float64` `.npy`.
fn write_linkage(path: &Path, tree: &Dendrogram) -> std::io::Result<()> {
    let z = tree.to_linkage_matrix();
    write_atomically(path, |w| {
        let mut npy = npyz::WriteOptions::new().default_dtype().shape(&[z.len() as u64, 4]).writer(w).begin_nd()?;
        npy.extend(z.iter().flatten().copied())?;
        npy.finish()
    })
}

/// Parses a size such as `8G`, `512M`, `1.5GiB` or a plain byte count.
pub(super) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("'{text}' is not a size such as 8G or 512M"))?;
    let unit = unit.trim().to_ascii_uppercase();
    let scale: u64 = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("'{text}': unknown unit; use K, M, G or T")),
    };
    let bytes = number * scale as f64;
    if !(bytes.is_finite() && bytes < u64::MAX as f64) {
        return Err(format!("'{text}' is more bytes than can be counted"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_binary_units() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3X").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn the_note_says_how_each_axis_is_approximated() {
        let options = |col_sample| ClusterOptions {
            method: Method::Ward,
            metric: Metric::Correlation,
            optimal_ordering: false,
            budget: MemoryBudget::default(),
            approx: ApproxOptions { when: When::Always, groups: None, col_sample, seed: 0 },
        };
        // 20,000 rows of 200 values: rows on 32 components of a 16,384-row
        // sample; columns on 2,000 sampled rows, too few columns to project.
        let wide = Matrix::from_vec(20_000, 200, vec![0.0; 20_000 * 200]);
        let rows = ClusteringNote::new(&wide, Axis::Rows, &options(Some(2000)));
        assert_eq!(
            (rows.method, rows.metric, rows.approximate, rows.sample_rows, rows.components, rows.components_sample),
            ("ward", "correlation", true, None, Some(32), Some(16_384))
        );
        let cols = ClusteringNote::new(&wide, Axis::Cols, &options(Some(2000)));
        assert_eq!((cols.approximate, cols.sample_rows, cols.components), (true, Some(2000), None));
        // 40 values a row are grouped as they are.
        let narrow = Matrix::from_vec(20_000, 40, vec![0.0; 20_000 * 40]);
        assert_eq!(ClusteringNote::new(&narrow, Axis::Rows, &options(None)).components, None);
    }
}
