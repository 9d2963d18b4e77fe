//! Writes any matrix heatscope can open as TSV text, values with a fixed
//! number of decimals: the input for the text-parsing benchmarks.
//!
//! `cargo run --release --example write_tsv -- IN.npy OUT.tsv [DECIMALS]`

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use heatscope::input::{Matrix, OpenOptions};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: write_tsv IN OUT.tsv [DECIMALS]");
    };
    let decimals: usize = args.next().map_or(Ok(5), |d| d.to_string_lossy().parse())?;
    let matrix = Matrix::open(&PathBuf::from(input), &OpenOptions::default())?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(output)?);
    write!(out, "gene")?;
    for label in matrix.col_labels().iter() {
        write!(out, "\t{label}")?;
    }
    writeln!(out)?;
    for (i, label) in matrix.row_labels().iter().enumerate() {
        write!(out, "{label}")?;
        for v in matrix.row(i) {
            if v.is_nan() { write!(out, "\tNA")? } else { write!(out, "\t{v:.decimals$}")? }
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}
