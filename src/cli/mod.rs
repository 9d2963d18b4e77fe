//! Command definitions and the code that runs each one.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use heatscope::cluster::ClusterError;
use heatscope::generate::GenerateError;
use heatscope::input::{InputError, OpenOptions};

mod cluster;
mod generate;
mod info;

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
    Cluster(cluster::ClusterArgs),
}

/// How to find and open the input matrix; shared by every command that reads one.
#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// The matrix: .npy, or TSV/CSV text (header row of column names, first
    /// column of row names), optionally .gz.
    pub file: PathBuf,
    /// Folder for the binary cache [default: $HEATSCOPE_CACHE_DIR, else the platform cache folder]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Row labels, one per line (for .npy; X.rows.txt beside X.npy is used by default).
    #[arg(long, value_name = "FILE")]
    pub row_labels: Option<PathBuf>,
    /// Column labels, one per line (for .npy; X.cols.txt beside X.npy is used by default).
    #[arg(long, value_name = "FILE")]
    pub col_labels: Option<PathBuf>,
}

impl InputArgs {
    /// The cache folder: `--cache-dir`, else a non-empty `HEATSCOPE_CACHE_DIR`,
    /// else the platform cache folder.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| std::env::var_os("HEATSCOPE_CACHE_DIR").filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(heatscope::input::cache::default_cache_dir)
    }

    /// The label side files this run reads: given ones, or `X.rows.txt` /
    /// `X.cols.txt` beside a `.npy` `X`.
    pub fn label_files(&self, matrix_path: &std::path::Path) -> Vec<PathBuf> {
        let npy = matrix_path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"));
        let beside = |suffix: &str| npy.then(|| matrix_path.with_extension(suffix));
        [self.row_labels.clone().or_else(|| beside("rows.txt")), self.col_labels.clone().or_else(|| beside("cols.txt"))]
            .into_iter()
            .flatten()
            .collect()
    }

    /// Opens the matrix and prints any warnings about it.
    pub fn open(&self) -> Result<heatscope::input::Matrix, InputError> {
        let options = OpenOptions {
            cache_dir: Some(self.cache_dir()),
            row_labels: self.row_labels.clone(),
            col_labels: self.col_labels.clone(),
        };
        let matrix = heatscope::input::Matrix::open(&self.file, &options)?;
        for warning in &matrix.source().warnings {
            eprintln!("warning: {warning}");
        }
        Ok(matrix)
    }
}

/// Runs the chosen command.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Info(info) => info::run(&info),
        Command::Generate(generate) => generate::run(generate),
        Command::Cluster(cluster) => cluster::run(&cluster),
    }
}

/// Writes `text` to standard output. A reader that went away (`| head`) is
/// not an error: there is simply no one left to tell.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A number for people: plain when it reads well, in exponent form when it
/// is very large or very small.
pub fn human_number(x: f64) -> String {
    let size = x.abs();
    if x == 0.0 || (1e-4..1e7).contains(&size) {
        let text = format!("{x:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{x:.6e}")
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
    use super::human_number;

    #[test]
    fn numbers_read_plainly_unless_very_large_or_small() {
        assert_eq!(human_number(-0.000455), "-0.000455");
        assert_eq!(human_number(28.408), "28.408");
        assert_eq!(human_number(0.0), "0");
        assert_eq!(human_number(-2.5e37), "-2.500000e37");
        assert_eq!(human_number(1.5e-50), "1.500000e-50");
    }
}
