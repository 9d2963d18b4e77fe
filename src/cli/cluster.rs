//! `heatscope cluster`: hierarchical clustering of rows, columns or both.

use std::path::{Path, PathBuf};

use heatscope::app::{cannot_write, check_folder, check_in_place, cluster_axis, labels, write_clusters};
use heatscope::cluster::{
    ApproxOptions, Axis, ClusterOptions, Dendrogram, MemoryBudget, Method, Metric, When, write_cdt,
};
use heatscope::input::Matrix;
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
        check_folder(path)?;
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
    check_in_place(&matrix, &args.input.cache_dir())?;
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
}
