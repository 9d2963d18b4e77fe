//! The file-order preview the window shows while a large matrix is
//! clustered: every k-th row in file order (at most [`PREVIEW_ROWS`] of
//! them), read with `pread` in a second or two whatever the file's size,
//! drawn with the same look but no trees.

use std::path::PathBuf;
use std::time::Instant;

use heatscope::input::{Labels, Matrix};
use rayon::prelude::*;

use super::InputArgs;
use super::render::{FigureArgs, Prepared, prepare_panel};

/// The most rows a preview holds: a screen's worth of pixel rows several
/// times over.
pub const PREVIEW_ROWS: usize = 4096;

/// The most values it holds (64 MB): fewer rows of a very wide matrix.
const PREVIEW_VALUES: usize = 16 << 20;

/// A preview of what `input` opens, and the step between its rows; `None`
/// for a matrix small enough to be prepared whole at once, or linked panels.
pub fn prepare_preview(input: &InputArgs, figure: &FigureArgs) -> anyhow::Result<Option<(Prepared, usize)>> {
    if !figure.link.is_empty() {
        return Ok(None);
    }
    let full = input.open()?;
    let (rows, cols) = (full.rows(), full.cols());
    let most = PREVIEW_ROWS.min(PREVIEW_VALUES / cols.max(1)).max(2);
    if rows <= PREVIEW_ROWS {
        return Ok(None);
    }
    let step = rows.div_ceil(most);
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
    let input = input.caching_in(scratch.path().to_owned());
    let (prepared, _) = prepare_panel(&input, &look(figure), None, Some(matrix))?;
    Ok(Some((prepared, step)))
}

/// The preview's figure options: `figure`'s look in file order, without
/// trees (a copy of some of the file's rows is another matrix).
pub fn look(figure: &FigureArgs) -> FigureArgs {
    FigureArgs { no_row_cluster: true, no_col_cluster: true, ..figure.for_another_matrix() }
}

/// A preview on screen.
pub struct Preview {
    /// Rows of the file between two rows of the preview.
    pub step: usize,
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
        format!("file order, one row in {}: clustering ({stage}, {seconds:.0} s)", self.step)
    }
}
