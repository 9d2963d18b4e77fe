//! `heatscope cluster`: hierarchical clustering of rows, columns or both.

use std::path::PathBuf;

use heatscope::app::cluster_job::{Axes, ClusterJob, Cut, TreeFiles};
use heatscope::cluster::{ApproxOptions, ClusterOptions, MemoryBudget, Method, Metric, When};
use heatscope::quote::quote;

use super::InputArgs;

/// Which axes `--axis` names.
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
    /// Cluster approximately even within the budget: k-means groups, exact trees inside them, cut into pieces that a tree over their centroids joins.
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
}

impl ClusterArgs {
    /// The job these flags ask for.
    fn job(&self) -> ClusterJob {
        let files = |linkage: &Option<PathBuf>,
                     order: &Option<PathBuf>,
                     newick: &Option<PathBuf>,
                     clusters: &Option<PathBuf>| {
            TreeFiles {
                linkage: linkage.clone(),
                order: order.clone(),
                newick: newick.clone(),
                clusters: clusters.clone(),
            }
        };
        ClusterJob {
            input: self.input.spec(),
            axes: match self.axis {
                AxisChoice::Rows => Axes::Rows,
                AxisChoice::Cols => Axes::Cols,
                AxisChoice::Both => Axes::Both,
            },
            options: ClusterOptions {
                method: self.method,
                metric: self.metric,
                optimal_ordering: self.optimal_ordering,
                budget: self.memory_budget.map_or_else(MemoryBudget::default, MemoryBudget),
                approx: self.approx.options(),
            },
            cut: match (self.cut, self.cut_height) {
                (Some(k), _) => Some(Cut::Count(k)),
                (None, Some(h)) => Some(Cut::Height(h)),
                (None, None) => None,
            },
            files: files(&self.linkage_out, &self.order_out, &self.newick_out, &self.clusters_out),
            cols_files: files(
                &self.cols_linkage_out,
                &self.cols_order_out,
                &self.cols_newick_out,
                &self.cols_clusters_out,
            ),
            cdt: self.cdt_out.clone(),
        }
    }
}

pub fn run(args: &ClusterArgs) -> anyhow::Result<()> {
    args.job().run().map(drop)
}

/// Parses a size such as `8G`, `512M`, `1.5GiB` or a plain byte count.
pub(super) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("'{}' is not a size such as 8G or 512M", quote(text)))?;
    let unit = unit.trim().to_ascii_uppercase();
    let scale: u64 = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("'{}': unknown unit; use K, M, G or T", quote(text))),
    };
    let bytes = number * scale as f64;
    if !(bytes.is_finite() && bytes < u64::MAX as f64) {
        return Err(format!("'{}' is more bytes than can be counted", quote(text)));
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
