//! The file-order preview the window shows while a large matrix is
//! clustered: every k-th row in file order, read with `pread`, drawn with
//! the same look but no trees. It fills in: a coarse stage of at most
//! [`COARSEST_ROWS`] rows first, then stages of 4 times as many rows each
//! (each holding the rows of the one before), up to [`PREVIEW_ROWS`], so the
//! first picture needs a few hundred reads even where the file is on a
//! slow disk.
//!
//! [`start`] runs the preview's stages and then the figure's preparation
//! on a thread of their own, handing each over as it is ready.

use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use rayon::prelude::*;

use super::{FigureSpec, Prepared, prepare_opened, prepare_panel};
use crate::figure::Rgba;
use crate::figure::scene::{Align, Fill, Rect, Scene, Text, TextKind};
use crate::input::{Labels, Matrix};

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

/// What the preparing thread hands over: the stages of a preview first
/// (for a large matrix), then the figure.
pub enum Ready {
    /// A preview stage: every `step`-th row, and whether a finer stage follows.
    Preview {
        prepared: Box<Prepared>,
        step: usize,
        filling: bool,
    },
    Figure(anyhow::Result<Box<Prepared>>),
}

/// Prepares `figure` on a thread of its own, after the stages of a
/// file-order preview of a large matrix (linked panels show clustered at
/// once); each is sent as soon as it is ready, the figure last.
/// [`crate::progress::interrupt`] stops it at its next check.
pub fn start(figure: FigureSpec) -> Receiver<Ready> {
    let (ready, pending) = channel();
    std::thread::spawn(move || {
        // A preview that fails says nothing: the figure's own error will.
        // The matrix it opened is the figure's: opened and checked once.
        let mut opened = None;
        if figure.link.is_empty()
            && let Ok(full) = figure.input.open()
        {
            let steps = stages(full.rows(), full.cols());
            for (k, &step) in steps.iter().enumerate() {
                if crate::progress::interrupted() {
                    break;
                }
                let Ok(prepared) = prepare_preview(&figure, &full, step) else { break };
                let stage = Ready::Preview { prepared: Box::new(prepared), step, filling: k + 1 < steps.len() };
                let _ = ready.send(stage);
            }
            opened = Some(full);
        }
        let _ = ready.send(Ready::Figure(prepare_opened(&figure, opened).map(Box::new)));
    });
    pending
}

/// The line over a preview of every `step`-th row (`filling`: a finer
/// stage is to come) whose preparation began at `started`: what it shows,
/// and the stage the clustered figure is at, as the terminal's bar says.
pub fn banner(step: usize, filling: bool, started: Instant) -> String {
    let seconds = started.elapsed().as_secs_f64();
    let stage = match crate::progress::current() {
        Some((stage, Some(done))) => format!("{stage} {:.0} %", done * 100.0),
        Some((stage, None)) => stage,
        None => "preparing".to_owned(),
    };
    let filling = if filling { ", filling in" } else { "" };
    format!("file order, one row in {step}{filling}: clustering ({stage}, {seconds:.0} s)")
}

/// What a window shows until the first picture is ready: the stage
/// running now (as its terminal bar says) and the seconds since
/// `started`, over a bar of its own when its length is known.
pub fn waiting(size: [u32; 2], started: Instant) -> Scene {
    let mut scene = Scene::bare(size[0], size[1]);
    let seconds = started.elapsed().as_secs_f64();
    let stage = crate::progress::current();
    let text = match &stage {
        Some((stage, Some(done))) => format!("preparing the figure: {stage} {:.0} % ({seconds:.0} s)", done * 100.0),
        Some((stage, None)) => format!("preparing the figure: {stage} ({seconds:.0} s)"),
        None => format!("preparing the figure… ({seconds:.0} s)"),
    };
    let at = [size[0] as f32 / 2.0, size[1] as f32 / 2.0];
    let kind = TextKind::Message;
    scene.texts.push(Text { text, at, size: 16.0, align: Align::Middle, rotated: false, color: Rgba::BLACK, kind });
    if let Some((_, Some(done))) = stage {
        let track = Rect::new(at[0] - 150.0, at[1] + 20.0, 300.0, 8.0);
        scene.fills.push(Fill { rect: track, color: Rgba::LIGHT_GREY });
        let bar = Rect { w: track.w * done as f32, ..track };
        scene.fills.push(Fill { rect: bar, color: Rgba([60, 110, 200, 255]) });
    }
    scene
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
