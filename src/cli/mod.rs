//! Command definitions and the code that runs each one.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use heatscope::cluster::ClusterError;
use heatscope::figure::LabelMode;
use heatscope::generate::GenerateError;
use heatscope::input::{ColsSubset, InputError};

mod bench;
mod cluster;
mod generate;
mod info;
mod render;
mod view;

/// Clustered heatmaps of matrices far larger than memory.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// Hide progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Shape, storage, missing values, range and labels of a matrix file.
    Info(info::InfoArgs),
    /// Write a synthetic matrix with planted row and column clusters.
    Generate(generate::GenerateArgs),
    /// Cluster rows and/or columns hierarchically (as scipy's linkage) and write the trees.
    Cluster(Box<cluster::ClusterArgs>),
    /// Draw the clustered heatmap (trees, annotation bars, colour bar, labels) to a PNG or SVG file.
    Render(Box<render::RenderArgs>),
    /// Open the clustered heatmap in a window: pan and zoom from the whole matrix to single cells.
    View(Box<view::ViewArgs>),
    /// Replay a fixed camera path offscreen and report frame times (compare GPUs).
    Bench(bench::BenchArgs),
}

/// How to find and open the input matrix; shared by every command that reads one.
#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// The matrix: .npy, AnnData .h5ad, a 10x folder (matrix.mtx, features,
    /// barcodes), or TSV/CSV text (header row of column names, first column
    /// of row names), optionally .gz.
    pub file: PathBuf,
    /// Folder for the binary cache [default: $HEATSCOPE_CACHE_DIR, else the platform cache folder]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Row labels from FILE, one per line (for .npy; X.rows.txt beside X.npy is used by default);
    /// in figures also which to show: auto (as many as fit), all, none, or K (every K-th); a file named
    /// like one of these is ./NAME. May be given twice.
    #[arg(long = "row-labels", value_name = "FILE|auto|all|none|K", value_parser = LabelsArg::parse)]
    row_labels: Vec<LabelsArg>,
    /// Column labels from FILE, one per line (X.cols.txt beside X.npy by default); in figures also auto|all|none|K.
    #[arg(long = "col-labels", value_name = "FILE|auto|all|none|K", value_parser = LabelsArg::parse)]
    col_labels: Vec<LabelsArg>,
    /// .h5ad: read the layer layers/NAME instead of X.
    #[arg(long, value_name = "NAME")]
    layer: Option<String>,
    /// .h5ad and 10x: swap rows and columns (genes as rows for .h5ad, cells as rows for 10x).
    #[arg(long)]
    transpose: bool,
    /// .h5ad: keep only some genes: var:COLUMN (a true/false var column, e.g.
    /// var:highly_variable) or FILE (one gene name per line, in the order to show).
    #[arg(long, value_name = "var:COLUMN|FILE", value_parser = parse_cols_subset)]
    cols_subset: Option<ColsSubset>,
    /// 10x: label genes by their ids (features.tsv column 1) instead of names;
    /// .h5ad: by the var column gene_ids.
    #[arg(long)]
    gene_ids: bool,
    /// Text: which of the leading text columns (a gene id and a symbol, say) labels the rows,
    /// by its header name; the others are skipped [default: the first].
    #[arg(long, value_name = "NAME")]
    label_col: Option<String>,
}

/// A `--row-labels` / `--col-labels` value: which labels a figure shows, or
/// a file to read them from (`./all` names a file called "all").
#[derive(Clone, Debug, PartialEq)]
pub enum LabelsArg {
    Show(LabelMode),
    File(PathBuf),
}

impl LabelsArg {
    fn parse(text: &str) -> Result<LabelsArg, String> {
        Ok(match text {
            "auto" => LabelsArg::Show(LabelMode::Auto),
            "all" => LabelsArg::Show(LabelMode::All),
            "none" => LabelsArg::Show(LabelMode::None),
            _ => match text.parse::<usize>() {
                Ok(0) => {
                    return Err("0: give a step of 1 or more (every k-th label); for a file named 0, write ./0".into());
                }
                Ok(step) => LabelsArg::Show(LabelMode::Every(step)),
                Err(_) => LabelsArg::File(text.into()),
            },
        })
    }
}

/// The last file among `args`.
fn label_file(args: &[LabelsArg]) -> Option<PathBuf> {
    args.iter().rev().find_map(|a| match a {
        LabelsArg::File(path) => Some(path.clone()),
        LabelsArg::Show(_) => None,
    })
}

/// The last display choice among `args` (auto when none is given).
fn label_mode(args: &[LabelsArg]) -> LabelMode {
    args.iter()
        .rev()
        .find_map(|a| match a {
            LabelsArg::Show(mode) => Some(*mode),
            LabelsArg::File(_) => None,
        })
        .unwrap_or(LabelMode::Auto)
}

fn parse_cols_subset(text: &str) -> Result<ColsSubset, String> {
    match ColsSubset::parse(text) {
        ColsSubset::VarColumn(column) if column.is_empty() => {
            Err("var: needs a column name, e.g. var:highly_variable".into())
        }
        subset => Ok(subset),
    }
}

impl InputArgs {
    /// The input these flags name.
    pub fn spec(&self) -> heatscope::app::InputSpec {
        heatscope::app::InputSpec {
            file: self.file.clone(),
            cache_dir: self.cache_dir.clone(),
            row_labels: label_file(&self.row_labels),
            col_labels: label_file(&self.col_labels),
            row_label_mode: label_mode(&self.row_labels),
            col_label_mode: label_mode(&self.col_labels),
            layer: self.layer.clone(),
            transpose: self.transpose,
            cols_subset: self.cols_subset.clone(),
            gene_ids: self.gene_ids,
            label_col: self.label_col.clone(),
        }
    }
}

/// Runs the chosen command.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Info(info) => info::run(&info),
        Command::Generate(generate) => generate::run(generate),
        Command::Cluster(cluster) => cluster::run(&cluster),
        Command::Render(render) => render::run(&render),
        Command::View(view) => view::run(*view),
        Command::Bench(bench) => bench::run(&bench),
    }
}

/// Writes `text` to standard output. A reader that went away (`| head`) is
/// not an error: there is simply no one left to tell. Any other failure (a
/// full disk, `> /dev/full`) is the environment's: exit code 1.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError {
            message: format!(
                "could not write to standard output ({e}); check where it goes (a full disk, a closed file)"
            ),
            code: 1,
        }
        .into()),
        _ => Ok(()),
    }
}

/// An error already worded for the user, with its exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub message: String,
    pub code: u8,
}

/// 2 for bad input or bad parameters, 130 for Ctrl-C, 1 for anything else.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if let Some(input) = error.downcast_ref::<InputError>() {
        return input.exit_code() as u8;
    }
    if let Some(cli) = error.downcast_ref::<CliError>() {
        return cli.code;
    }
    if error.downcast_ref::<heatscope::app::UsageError>().is_some() {
        return 2;
    }
    if let Some(cluster) = error.downcast_ref::<ClusterError>() {
        return match cluster {
            ClusterError::OutOfMemory { .. } | ClusterError::Read(_) => 1,
            ClusterError::Interrupted => 130,
            _ => 2,
        };
    }
    match error.downcast_ref::<GenerateError>() {
        Some(GenerateError::Param { .. }) => 2,
        Some(GenerateError::Interrupted) => 130,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_choices_are_modes_steps_or_files() {
        assert_eq!(LabelsArg::parse("all"), Ok(LabelsArg::Show(LabelMode::All)));
        assert_eq!(LabelsArg::parse("5"), Ok(LabelsArg::Show(LabelMode::Every(5))));
        assert_eq!(LabelsArg::parse("./5"), Ok(LabelsArg::File("./5".into())));
        assert_eq!(LabelsArg::parse("genes.txt"), Ok(LabelsArg::File("genes.txt".into())));
        assert!(LabelsArg::parse("0").unwrap_err().contains("write ./0"));
    }
}
