//! `heatscope cluster`: hierarchical clustering of rows, columns or both.

use std::path::{Path, PathBuf};
use std::time::Instant;

use heatscope::cluster::{
    Axis, ClusterError, ClusterOptions, Dendrogram, MemoryBudget, Method, Metric, TreeOrigin, cluster_cached, write_cdt,
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
    /// The most memory exact clustering may use, e.g. 8G or 512M (default: half the RAM, at most 8 GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_budget: Option<u64>,
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
}

/// Where one axis's results go.
struct Outputs<'a> {
    linkage: Option<&'a Path>,
    order: Option<&'a Path>,
    newick: Option<&'a Path>,
}

pub fn run(args: &ClusterArgs) -> anyhow::Result<()> {
    if args.axis != AxisChoice::Both
        && (args.cols_linkage_out.is_some() || args.cols_order_out.is_some() || args.cols_newick_out.is_some())
    {
        let message = "the --cols-*-out options go with --axis both".to_owned();
        return Err(CliError { message, code: 2 }.into());
    }
    let matrix = args.input.open()?;
    let options = ClusterOptions {
        method: args.method,
        metric: args.metric,
        optimal_ordering: args.optimal_ordering,
        budget: args.memory_budget.map_or_else(MemoryBudget::default, MemoryBudget),
    };
    let first = Outputs {
        linkage: args.linkage_out.as_deref(),
        order: args.order_out.as_deref(),
        newick: args.newick_out.as_deref(),
    };
    let columns = Outputs {
        linkage: args.cols_linkage_out.as_deref(),
        order: args.cols_order_out.as_deref(),
        newick: args.cols_newick_out.as_deref(),
    };
    let dir = args.input.cache_dir();
    let (rows, cols) = match args.axis {
        AxisChoice::Rows => (Some(one_axis(&matrix, Axis::Rows, &options, &dir, &first)?), None),
        AxisChoice::Cols => (None, Some(one_axis(&matrix, Axis::Cols, &options, &dir, &first)?)),
        AxisChoice::Both => (
            Some(one_axis(&matrix, Axis::Rows, &options, &dir, &first)?),
            Some(one_axis(&matrix, Axis::Cols, &options, &dir, &columns)?),
        ),
    };
    if let Some(prefix) = &args.cdt_out {
        write_cdt(prefix, &matrix, rows.as_ref(), cols.as_ref()).map_err(|e| cannot_write(prefix, &e))?;
    }
    Ok(())
}

fn cannot_write(path: &Path, error: &std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot write {} ({error}); check the folder exists and has space", path.display())
}

fn one_axis(
    matrix: &Matrix,
    axis: Axis,
    options: &ClusterOptions,
    dir: &Path,
    out: &Outputs,
) -> anyhow::Result<Dendrogram> {
    let start = Instant::now();
    let bar = heatscope::progress::items_bar(0, &format!("{}s", axis.item_name()));
    let labels = match axis {
        Axis::Rows => matrix.row_labels(),
        Axis::Cols => matrix.col_labels(),
    };
    let (tree, origin) =
        cluster_cached(matrix, axis, options, dir, Some(&bar)).map_err(|e| about_file(e, matrix, labels))?;
    bar.finish_and_clear();
    let how = match origin {
        TreeOrigin::Reused(_) => "reused from the cache",
        TreeOrigin::Computed(_) => "computed",
    };
    eprintln!(
        "{}s: {} leaves, {} linkage of {} distances, top merge at {:.6}, {how} in {:.2} s",
        axis.item_name(),
        tree.n_leaves(),
        options.method.name(),
        options.metric.name(),
        tree.merges().last().map_or(0.0, |m| m.height),
        start.elapsed().as_secs_f64()
    );
    let written = |path: &Path, result: std::io::Result<()>| {
        result.map_err(|e| {
            anyhow::anyhow!("cannot write {} ({e}); check the folder exists and has space", path.display())
        })
    };
    if let Some(path) = out.linkage {
        written(path, write_linkage(path, &tree))?;
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
        written(path, write_atomically(path, |w| w.write_all(newick.as_bytes())))?;
    }
    Ok(tree)
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
fn parse_size(text: &str) -> Result<u64, String> {
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
    use super::parse_size;

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
