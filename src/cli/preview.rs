//! The file-order preview the window shows while a large matrix is
//! clustered: every k-th row in file order, read with `pread`, drawn with
//! the same look but no trees. It fills in: a coarse stage of at most
//! [`COARSEST_ROWS`] rows first, then stages of 4 times as many rows each
//! (each holding the rows of the one before), up to [`PREVIEW_ROWS`], so the
//! first picture needs a few hundred reads even where the file is on a
//! slow disk.

use std::path::PathBuf;
use std::time::Instant;

use heatscope::input::{Labels, Matrix};
use rayon::prelude::*;

use heatscope::app::{FigureSpec, Prepared, prepare_panel};

/// The most rows a preview holds: a screen's worth of pixel rows several
/// times over.
pub const PREVIEW_ROWS: usize = 4096;

/// The most rows of its first, coarsest stage.
pub const COARSEST_ROWS: usize = 256;

/// The most values it holds (64 MB): fewer rows of a very wide matrix.
const PREVIEW_VALUES: usize = 16 << 20;

/// The steps between the rows of each stage of the preview of a
/// `rows × cols` matrix, coarsest first (each a multiple of the next), or
/// none for a matrix small enough to be prepared whole at once.
pub fn stages(rows: usize, cols: usize) -> Vec<usize> {
    if rows <= PREVIEW_ROWS {
        return Vec::new();
    }
    let most = PREVIEW_ROWS.min(PREVIEW_VALUES / cols.max(1)).max(2);
    let mut steps = vec![rows.div_ceil(most)];
    while let Some(&step) = steps.last()
        && rows.div_ceil(step) > COARSEST_ROWS
    {
        steps.push(step * 4);
    }
    steps.reverse();
    steps
}

/// The preview of `full` (what `input` opens) with every `step`-th row.
pub fn prepare_preview(figure: &FigureSpec, full: &Matrix, step: usize) -> anyhow::Result<Prepared> {
    let input = &figure.input;
    let (rows, cols) = (full.rows(), full.cols());
    let picked: Vec<usize> = (0..rows).step_by(step).collect();
    let mut values = vec![0.0f32; picked.len() * cols];
    values.par_chunks_mut(cols).zip(&picked).try_for_each(|(out, &r)| full.read_row(r, out)).map_err(|e| {
        anyhow::anyhow!("cannot read {} ({e}); was it changed while heatscope had it open?", input.file.display())
    })?;
    let labels = Labels::from_strings(picked.iter().map(|&r| full.row_labels().get(r)));
    let matrix = Matrix::from_vec(picked.len(), cols, values).with_labels(labels, full.col_labels().clone());
    // Its pyramid (and standardised copy) go to a folder of their own,
    // removed at once: the preview keeps them mapped while it is shown.
    let scratch = tempfile::tempdir()?;
    let figure = FigureSpec { input: input.caching_in(scratch.path().to_owned()), ..look(figure) };
    let (prepared, _) = prepare_panel(&figure, None, Some(matrix))?;
    Ok(prepared)
}

/// The preview's figure options: `figure`'s look in file order, without
/// trees (a copy of some of the file's rows is another matrix).
pub fn look(figure: &FigureSpec) -> FigureSpec {
    FigureSpec { no_row_cluster: true, no_col_cluster: true, ..figure.for_another_matrix(figure.input.clone()) }
}

/// A preview on screen.
pub struct Preview {
    /// Rows of the file between two rows of the preview.
    pub step: usize,
    /// Whether a finer stage is still to come.
    pub filling: bool,
    /// When the preparation started.
    pub started: Instant,
    /// Where its first frame goes (`--preview-screenshot`).
    pub screenshot: Option<PathBuf>,
}

impl Preview {
    /// The line over the preview: what it shows, and the stage the
    /// clustered figure is at, as the terminal's bar says.
    pub fn banner(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64();
        let stage = match heatscope::progress::current() {
            Some((stage, Some(done))) => format!("{stage} {:.0} %", done * 100.0),
            Some((stage, None)) => stage,
            None => "preparing".to_owned(),
        };
        let filling = if self.filling { ", filling in" } else { "" };
        format!("file order, one row in {}{filling}: clustering ({stage}, {seconds:.0} s)", self.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_grow_fourfold_from_a_few_hundred_rows() {
        // 1,000,000 rows of 1,000: 4,096 rows at most, every 245th; then
        // every 980th (1,021 rows) and every 3,920th (256 rows) before it.
        assert_eq!(stages(1_000_000, 1000), [3920, 980, 245]);
        assert_eq!(stages(8000, 8), [32, 8, 2]);
        // A very wide matrix: 16 Mi values, 512 rows of 32,768.
        assert_eq!(stages(100_000, 32_768), [784, 196]);
        assert_eq!(stages(4097, 10), [32, 8, 2]);
        assert!(stages(4096, 10).is_empty());
        for (rows, cols) in [(1_000_000, 1000), (8000, 8), (100_000, 32_768), (4097, 10)] {
            let steps = stages(rows, cols);
            assert!(rows.div_ceil(steps[0]) <= COARSEST_ROWS, "{rows} × {cols}: {steps:?}");
            assert!(steps.windows(2).all(|w| w[0] == 4 * w[1]), "{rows} × {cols}: {steps:?}");
        }
    }
}
