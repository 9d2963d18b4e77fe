//! Actions the viewer performs, where they come from (keys, `--script`
//! files) and the fixed camera path `heatscope bench` replays.

use std::path::{Path, PathBuf};

use crate::quote::quote;

/// One thing the viewer does. Positions and distances are fractions of the
/// heatmap panel (0–1), so scripts work at any window size.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Zoom by `factor` (columns, rows; above 1 zooms in) about `at`.
    Zoom {
        at: [f64; 2],
        factor: [f64; 2],
    },
    /// Move the view by `by` (a drag of that many panels).
    Pan {
        by: [f64; 2],
    },
    /// Show the whole matrix.
    Fit,
    /// Switch between the mean and the extremes of aggregated cells.
    ToggleAgg,
    /// Cut the row tree into this many clusters (0: no cut).
    Cut(usize),
    /// One more (or one fewer) cluster in the cut.
    CutMore,
    CutFewer,
    /// Find a row (or column) label and go to it.
    Search(String),
    /// Next or previous match of the last search.
    NextMatch,
    PreviousMatch,
    /// Show what is under `at`.
    Hover {
        at: [f64; 2],
    },
    /// A left click at `at`, a fraction of the whole window (the trees lie
    /// outside the heatmap): on the row tree it selects a subtree.
    Click {
        at: [f64; 2],
    },
    ToggleHelp,
    ToggleHud,
    /// Linked panels follow the one moved: they scroll to its linked rows.
    ToggleFollow,
    /// Zooms, pans and keys move this panel from now on (0: the main one;
    /// scripts say `panel 1` for it).
    Focus(usize),
    /// Destroy the GPU device, as a driver reset would (tests the recovery).
    LoseDevice,
    /// Save the current view as a PNG.
    Screenshot(PathBuf),
    /// Write the rows and columns in view, the selected subtree's labels
    /// and the row cut's clusters as TSV tables.
    Export,
}

/// Zoom step of one wheel notch or key press.
pub const ZOOM_STEP: f64 = 1.25;
/// Pan step of one arrow key press, as a fraction of the panel.
pub const PAN_STEP: f64 = 0.1;

/// The action of a key (winit's key names: "ArrowUp", "PageDown", "+"…).
pub fn key_action(key: &str) -> Option<Action> {
    let pan = |x: f64, y: f64| Some(Action::Pan { by: [x, y] });
    match key {
        "ArrowUp" => pan(0.0, PAN_STEP),
        "ArrowDown" => pan(0.0, -PAN_STEP),
        "ArrowLeft" => pan(PAN_STEP, 0.0),
        "ArrowRight" => pan(-PAN_STEP, 0.0),
        "PageUp" => pan(0.0, 1.0),
        "PageDown" => pan(0.0, -1.0),
        "Home" => pan(0.0, f64::INFINITY),
        "End" => pan(0.0, f64::NEG_INFINITY),
        "0" => Some(Action::Fit),
        "+" | "=" => Some(Action::Zoom { at: [0.5, 0.5], factor: [ZOOM_STEP; 2] }),
        "-" => Some(Action::Zoom { at: [0.5, 0.5], factor: [1.0 / ZOOM_STEP; 2] }),
        "m" => Some(Action::ToggleAgg),
        "c" => Some(Action::CutMore),
        "C" => Some(Action::CutFewer),
        "n" => Some(Action::NextMatch),
        "N" => Some(Action::PreviousMatch),
        "?" => Some(Action::ToggleHelp),
        "h" => Some(Action::ToggleHud),
        "l" => Some(Action::ToggleFollow),
        "e" => Some(Action::Export),
        _ => None,
    }
}

/// The zoom of one wheel notch at `at`: both axes, rows only (Shift) or
/// columns only (Ctrl).
pub fn wheel_action(notches: f64, at: [f64; 2], shift: bool, ctrl: bool) -> Action {
    let f = ZOOM_STEP.powf(notches);
    let factor = match (shift, ctrl) {
        (true, _) => [1.0, f],
        (_, true) => [f, 1.0],
        _ => [f, f],
    };
    Action::Zoom { at, factor }
}

/// The help overlay: every key and mouse gesture.
pub const HELP: &str = "wheel: zoom about the cursor   Shift+wheel: rows only   Ctrl+wheel: columns only
drag: pan   arrows, PageUp/PageDown, Home/End: move   + / -: zoom   0 or double-click: whole matrix
m: mean / extremes   c / C: one more / fewer cluster in the row cut   /: search labels, Enter: go
n / N: next / previous match   s: save a PNG of the view   e: write the rows and columns in view, the selected
subtree and the cut's clusters as TSV   h: frame-time HUD   ?: this help   q, Esc: quit
click a row or column tree: select a subtree   double-click it: zoom to it
linked panels: wheel, drag and keys move the panel under the cursor   l: the others follow it to the linked rows";

/// A problem in a script file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: line {line}: {problem}")]
pub struct ScriptError {
    pub path: PathBuf,
    pub line: usize,
    pub problem: String,
}

/// A sequence of actions, one per frame.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Script {
    pub actions: Vec<Action>,
}

impl Script {
    /// Reads a script: one action a line, `#` starts a comment.
    ///
    /// `zoom X Y F`, `zoom-rows X Y F`, `zoom-cols X Y F` (X, Y fractions of
    /// the heatmap, F the factor), `pan DX DY` (fractions of the heatmap),
    /// `fit`, `agg`, `cut K`, `search LABEL`, `next`, `previous`,
    /// `hover X Y`, `click X Y` (fractions of the window), `help`, `hud`,
    /// `follow` (linked panels follow the one moved), `panel K` (later
    /// zooms and pans move panel K; 1 is the main one),
    /// `screenshot PATH`, `export` (the tables `e` writes), `lose-device`
    /// (tests recovery from a lost GPU).
    pub fn parse(path: &Path, text: &str) -> Result<Script, ScriptError> {
        let mut actions = Vec::new();
        // A byte-order mark, as some editors write one, is not an action.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let error = |problem: String| ScriptError { path: path.to_owned(), line: i + 1, problem };
            let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            let numbers = |count: usize| -> Result<Vec<f64>, ScriptError> {
                let values: Vec<f64> = rest
                    .split_whitespace()
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .map_err(|_| error(format!("'{word}' takes {count} numbers, got '{}'", quote(rest))))?;
                if values.len() != count || values.iter().any(|v| !v.is_finite()) {
                    return Err(error(format!("'{word}' takes {count} numbers, got '{}'", quote(rest))));
                }
                Ok(values)
            };
            // A place: two fractions from 0 to 1.
            let place = || -> Result<[f64; 2], ScriptError> {
                let v = numbers(2)?;
                if v.iter().any(|f| !(0.0..=1.0).contains(f)) {
                    return Err(error(format!(
                        "'{word}' takes a place as fractions from 0 to 1, got '{}'",
                        quote(rest)
                    )));
                }
                Ok([v[0], v[1]])
            };
            if !rest.is_empty()
                && matches!(
                    word,
                    "fit" | "agg" | "next" | "previous" | "help" | "hud" | "follow" | "lose-device" | "export"
                )
            {
                return Err(error(format!("'{word}' takes nothing, got '{}'", quote(rest))));
            }
            let action = match word {
                "zoom" | "zoom-rows" | "zoom-cols" => {
                    let v = numbers(3)?;
                    if v[2] <= 0.0 {
                        return Err(error("the zoom factor must be above 0".into()));
                    }
                    if v[..2].iter().any(|f| !(0.0..=1.0).contains(f)) {
                        return Err(error(format!(
                            "'{word}' takes a place as fractions from 0 to 1, got '{}'",
                            quote(rest)
                        )));
                    }
                    let factor = match word {
                        "zoom-rows" => [1.0, v[2]],
                        "zoom-cols" => [v[2], 1.0],
                        _ => [v[2], v[2]],
                    };
                    Action::Zoom { at: [v[0], v[1]], factor }
                }
                "pan" => {
                    let v = numbers(2)?;
                    Action::Pan { by: [v[0], v[1]] }
                }
                "hover" => Action::Hover { at: place()? },
                "click" => Action::Click { at: place()? },
                "cut" => Action::Cut(rest.parse().ok().filter(|&k: &usize| k > 0).ok_or_else(|| {
                    error(format!("'cut' takes a number of clusters (1 or more), got '{}'", quote(rest)))
                })?),
                // Panels are numbered from 1 (the main one), as the window and the legend number them.
                "panel" => {
                    Action::Focus(rest.parse::<usize>().ok().and_then(|k| k.checked_sub(1)).ok_or_else(|| {
                        error(format!("'panel' takes a panel number (1: the main one), got '{}'", quote(rest)))
                    })?)
                }
                "search" if !rest.is_empty() => Action::Search(rest.to_owned()),
                "screenshot" if !rest.is_empty() => Action::Screenshot(rest.into()),
                "fit" => Action::Fit,
                "agg" => Action::ToggleAgg,
                "next" => Action::NextMatch,
                "previous" => Action::PreviousMatch,
                "help" => Action::ToggleHelp,
                "hud" => Action::ToggleHud,
                "follow" => Action::ToggleFollow,
                "lose-device" => Action::LoseDevice,
                "export" => Action::Export,
                _ => return Err(error(format!("unknown action '{}'; see `heatscope view --help`", quote(line)))),
            };
            actions.push(action);
        }
        Ok(Script { actions })
    }
}

/// The benchmark's camera path, one action a frame: the whole matrix, a
/// zoom towards single cells, pans at that depth, rows-only and
/// columns-only zooms, the extremes view, and back out.
pub fn bench_path() -> Vec<Action> {
    let mut path = vec![Action::Fit];
    let zoom = |f: f64| Action::Zoom { at: [0.37, 0.61], factor: [f, f] };
    // 60 steps of 1.25: 1.25^60 ≈ 650,000, from a million rows to a few.
    path.extend(std::iter::repeat_n(zoom(1.25), 60));
    path.extend(std::iter::repeat_n(Action::Pan { by: [0.05, 0.08] }, 20));
    path.extend(std::iter::repeat_n(zoom(0.8), 30));
    path.extend(std::iter::repeat_n(Action::Pan { by: [-0.1, -0.2] }, 20));
    path.extend(std::iter::repeat_n(Action::Zoom { at: [0.5, 0.5], factor: [1.0, 0.8] }, 20));
    path.extend(std::iter::repeat_n(Action::Zoom { at: [0.5, 0.5], factor: [1.25, 1.0] }, 20));
    path.push(Action::ToggleAgg);
    path.extend(std::iter::repeat_n(zoom(0.8), 40));
    path.extend(std::iter::repeat_n(Action::Pan { by: [0.0, 0.3] }, 10));
    path.push(Action::ToggleAgg);
    path.push(Action::Fit);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(key_action("0"), Some(Action::Fit));
        assert_eq!(key_action("m"), Some(Action::ToggleAgg));
        assert_eq!(key_action("ArrowUp"), Some(Action::Pan { by: [0.0, PAN_STEP] }));
        assert_eq!(key_action("PageDown"), Some(Action::Pan { by: [0.0, -1.0] }));
        assert_eq!(key_action("l"), Some(Action::ToggleFollow));
        assert_eq!(key_action("x"), None);
        assert_eq!(wheel_action(2.0, [0.1, 0.2], true, false), Action::Zoom { at: [0.1, 0.2], factor: [1.0, 1.5625] });
        assert_eq!(wheel_action(-1.0, [0.1, 0.2], false, true), Action::Zoom { at: [0.1, 0.2], factor: [0.8, 1.0] });
    }

    #[test]
    fn scripts_parse_and_name_their_bad_lines() {
        let text = "# demo\nzoom 0.5 0.25 4\nzoom-rows 0.5 0.5 2 # rows\npan 0.1 -0.2\ncut 4\nsearch CD3E\nscreenshot out.png\nfit\n";
        let script = Script::parse(Path::new("demo.txt"), text).unwrap();
        assert_eq!(script.actions.len(), 7);
        assert_eq!(script.actions[0], Action::Zoom { at: [0.5, 0.25], factor: [4.0, 4.0] });
        assert_eq!(script.actions[1], Action::Zoom { at: [0.5, 0.5], factor: [1.0, 2.0] });
        assert_eq!(script.actions[3], Action::Cut(4));
        assert_eq!(script.actions[4], Action::Search("CD3E".into()));
        let linked = Script::parse(Path::new("l.txt"), "panel 2\nfollow\n").unwrap();
        assert_eq!(linked.actions, vec![Action::Focus(1), Action::ToggleFollow]);
        assert!(Script::parse(Path::new("l.txt"), "panel 0\n").unwrap_err().to_string().contains("1: the main one"));
        assert!(Script::parse(Path::new("l.txt"), "panel right\n").unwrap_err().to_string().contains("'panel' takes"));
        let bad = Script::parse(Path::new("demo.txt"), "fit\nzoom 1 2\n").unwrap_err();
        assert_eq!(bad.to_string(), "demo.txt: line 2: 'zoom' takes 3 numbers, got '1 2'");
        assert!(Script::parse(Path::new("d"), "jump 3\n").unwrap_err().to_string().contains("unknown action 'jump 3'"));
        assert!(Script::parse(Path::new("d"), "zoom 0 0 -1\n").is_err());
        // What a file from an editor that writes a byte-order mark starts with.
        let marked = Script::parse(Path::new("d"), "\u{feff}zoom 0.5 0.5 2\nfit\n").unwrap();
        assert_eq!(marked.actions, vec![Action::Zoom { at: [0.5, 0.5], factor: [2.0, 2.0] }, Action::Fit]);
        for (line, problem) in [
            ("zoom 2 2 2", "line 1: 'zoom' takes a place as fractions from 0 to 1, got '2 2 2'"),
            ("hover 5 5", "line 1: 'hover' takes a place as fractions from 0 to 1, got '5 5'"),
            ("click -1 -1", "line 1: 'click' takes a place as fractions from 0 to 1, got '-1 -1'"),
            ("cut 0", "line 1: 'cut' takes a number of clusters (1 or more), got '0'"),
            ("fit 1", "line 1: 'fit' takes nothing, got '1'"),
        ] {
            assert_eq!(Script::parse(Path::new("d"), line).unwrap_err().to_string(), format!("d: {problem}"));
        }
    }

    #[test]
    fn the_bench_path_reaches_single_cells_and_comes_back() {
        let path = bench_path();
        let mut camera = crate::view::Camera::new(1_000_000, 1000, [1000.0, 700.0]);
        let mut smallest = f64::INFINITY;
        for action in &path {
            match action {
                Action::Zoom { at, factor } => camera.zoom([at[0] * 1000.0, at[1] * 700.0], *factor),
                Action::Pan { by } => camera.pan([by[0] * 1000.0, by[1] * 700.0]),
                Action::Fit => camera.fit(),
                _ => {}
            }
            let w = camera.window();
            smallest = smallest.min(w.rows.end - w.rows.start);
        }
        assert_eq!(smallest, crate::view::camera::MIN_CELLS);
        assert_eq!(camera.window(), &crate::figure::scene::DataWindow::all(1_000_000, 1000));
        assert_eq!(path.len(), 224);
    }
}
