//! `heatscope._core`: the library's pipeline for Python. Thin on purpose:
//! arguments become the library's types (a `FigureSpec` from a dict, a
//! `Matrix` over a numpy buffer without a copy where dtype and layout
//! allow), long work runs with the GIL released on a thread of its own
//! that Ctrl-C stops, and the library's errors become Python exceptions
//! in one place ([`to_py_err`]). The seaborn vocabulary lives in the
//! Python package around it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use heatscope::app::{self, FigureSpec, Format, InputSpec, Prepared, UsageError};
use heatscope::cluster::{Axis, ClusterError, ClusterOptions, Dendrogram, MemoryBudget, Method, Metric, When};
use heatscope::input::{InputError, Labels, Matrix};
use heatscope::render::{RenderError, Renderer};
use numpy::{PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A library error as the Python exception a user expects, with
/// heatscope's one-line message.
fn to_py_err(error: anyhow::Error) -> PyErr {
    let message = format!("{error:#}");
    if let Some(input) = error.downcast_ref::<InputError>() {
        return match input {
            InputError::NotFound { .. } => PyFileNotFoundError::new_err(message),
            InputError::Interrupted => PyKeyboardInterrupt::new_err(message),
            InputError::Read { .. } | InputError::CacheWrite { .. } => PyOSError::new_err(message),
            _ => PyValueError::new_err(message),
        };
    }
    if let Some(cluster) = error.downcast_ref::<ClusterError>() {
        return match cluster {
            ClusterError::OutOfMemory { .. } => PyMemoryError::new_err(message),
            ClusterError::OverBudget { .. } => {
                PyMemoryError::new_err(format!("{message}; or pass approx=True to cluster approximately"))
            }
            ClusterError::Interrupted => PyKeyboardInterrupt::new_err(message),
            ClusterError::Read(_) => PyOSError::new_err(message),
            _ => PyValueError::new_err(message),
        };
    }
    if error.downcast_ref::<UsageError>().is_some() {
        return PyValueError::new_err(message);
    }
    if error.downcast_ref::<RenderError>().is_some() {
        return PyRuntimeError::new_err(message);
    }
    PyRuntimeError::new_err(message)
}

/// Runs `work` on a thread of its own with the GIL released. Ctrl-C (a
/// signal Python sees) asks the library's passes to stop, waits for them
/// to clean up, and raises `KeyboardInterrupt`; a panic becomes a
/// `RuntimeError` instead of taking the interpreter down.
fn run<T: Send + 'static>(py: Python<'_>, work: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> PyResult<T> {
    heatscope::progress::clear_interrupt();
    let worker = std::thread::spawn(work);
    loop {
        let finished = py.detach(|| {
            for _ in 0..10 {
                if worker.is_finished() {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            false
        });
        if finished {
            break;
        }
        if let Err(interrupt) = py.check_signals() {
            heatscope::progress::interrupt();
            let _ = py.detach(|| worker.join());
            heatscope::progress::clear_interrupt();
            return Err(interrupt);
        }
    }
    match py.detach(|| worker.join()) {
        Ok(result) => result.map_err(to_py_err),
        Err(_) => Err(PyRuntimeError::new_err(
            "heatscope failed unexpectedly; please report this with the call that caused it",
        )),
    }
}

/// A C-contiguous `float32` numpy array's values, read in place: the
/// array is kept alive as long as the matrix over it, and read-only (see
/// [`ReadOnly`]).
struct NumpyValues {
    _owner: Py<PyArray2<f32>>,
    start: *const f32,
    len: usize,
}

// SAFETY: the values are only read, and the array they live in is kept
// alive by `_owner` (a strong reference) for as long as this exists; the
// array is marked read-only meanwhile ([`ReadOnly`]), so Python code
// cannot write to it or resize it. (Another view of the same memory made
// before could; the package documents that the data must not change while
// a figure of it lives.)
unsafe impl Send for NumpyValues {}
unsafe impl Sync for NumpyValues {}

impl AsRef<[f32]> for NumpyValues {
    fn as_ref(&self) -> &[f32] {
        // SAFETY: `start` and `len` describe the array's contiguous buffer,
        // alive while `_owner` is (see above).
        unsafe { std::slice::from_raw_parts(self.start, self.len) }
    }
}

/// An array made read-only while heatscope reads it in place, made
/// writeable again by [`ReadOnly::restore`] if it was.
struct ReadOnly(Option<Py<PyAny>>);

/// How many live figures hold each array that a figure made read-only
/// (by the array object's address): the last one to go makes it writeable
/// again.
static HELD: std::sync::Mutex<Vec<(usize, usize)>> = std::sync::Mutex::new(Vec::new());

impl ReadOnly {
    fn of(array: &Bound<'_, PyAny>) -> PyResult<ReadOnly> {
        let key = array.as_ptr() as usize;
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = held.iter_mut().find(|(k, _)| *k == key) {
            // Already read-only for another figure: held once more.
            entry.1 += 1;
            return Ok(ReadOnly(Some(array.clone().unbind())));
        }
        let flags = array.getattr("flags")?;
        if !flags.getattr("writeable")?.extract::<bool>()? {
            // Read-only by its owner's choice: left as it is.
            return Ok(ReadOnly(None));
        }
        flags.setattr("writeable", false)?;
        held.push((key, 1));
        Ok(ReadOnly(Some(array.clone().unbind())))
    }

    fn restore(&mut self, py: Python<'_>) {
        let Some(array) = self.0.take() else { return };
        let key = array.as_ptr() as usize;
        let last = {
            let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
            let Some(at) = held.iter().position(|(k, _)| *k == key) else { return };
            held[at].1 -= 1;
            let last = held[at].1 == 0;
            if last {
                held.swap_remove(at);
            }
            last
        };
        if last {
            // Python calls must not meet an exception already raised (a
            // figure dropped while one unwinds): keep it aside meanwhile.
            let pending = PyErr::take(py);
            // A failure here leaves the array read-only, which is safe.
            let _ = array.bind(py).getattr("flags").and_then(|f| f.setattr("writeable", true));
            if let Some(error) = pending {
                error.restore(py);
            }
        }
    }
}

/// A matrix over `data` (2-D, C-contiguous `float32`; the package
/// converts anything else first) without copying it, labelled; `data` is
/// read-only until the returned guard restores it.
fn matrix_of(
    data: PyReadonlyArray2<'_, f32>,
    row_labels: Option<Vec<String>>,
    col_labels: Option<Vec<String>>,
) -> PyResult<(Matrix, ReadOnly)> {
    let [rows, cols] = [data.shape()[0], data.shape()[1]];
    if rows == 0 || cols == 0 {
        return Err(PyValueError::new_err(format!(
            "the matrix is {rows} × {cols}: give at least one row and one column"
        )));
    }
    let slice = data.as_slice().map_err(|_| PyValueError::new_err("the array must be C-contiguous and aligned"))?;
    let values =
        NumpyValues { start: slice.as_ptr(), len: slice.len(), _owner: data.as_unbound().clone_ref(data.py()) };
    let mut matrix = Matrix::from_shared(rows, cols, Arc::new(values));
    let labels = |given: Option<Vec<String>>, n: usize, axis: &str| -> PyResult<Option<Labels>> {
        match given {
            Some(labels) if labels.len() != n => Err(PyValueError::new_err(format!(
                "{} {axis} labels given for {n} {axis}s; give one a {axis}",
                labels.len()
            ))),
            Some(labels) => Ok(Some(Labels::from_strings(labels))),
            None => Ok(None),
        }
    };
    let rows_named = labels(row_labels, rows, "row")?;
    let cols_named = labels(col_labels, cols, "column")?;
    if rows_named.is_some() || cols_named.is_some() {
        let row = rows_named.unwrap_or_else(|| matrix.row_labels().clone());
        let col = cols_named.unwrap_or_else(|| matrix.col_labels().clone());
        matrix = matrix.with_labels(row, col);
    }
    // The borrow `data` holds ends here; the flag keeps Python from writing.
    let guard = ReadOnly::of(data.as_any())?;
    Ok((matrix, guard))
}

fn parse<T: std::str::FromStr<Err: std::fmt::Display>>(text: &str, name: &str) -> PyResult<T> {
    text.parse().map_err(|e: T::Err| PyValueError::new_err(format!("{name}={text:?}: {e}")))
}

/// scipy's linkage matrix of `tree`.
fn linkage_array<'py>(py: Python<'py>, tree: &Dendrogram) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let z: Vec<Vec<f64>> = tree.to_linkage_matrix().iter().map(|row| row.to_vec()).collect();
    PyArray2::from_vec2(py, &z).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// Hierarchical clustering of the rows of `x` (observations × features),
/// as scipy's `linkage`: the linkage matrix, `(n − 1) × 4` float64.
#[pyfunction]
#[pyo3(signature = (x, method, metric, optimal_ordering, approx, memory_budget=None))]
fn linkage<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f32>,
    method: &str,
    metric: &str,
    optimal_ordering: bool,
    approx: bool,
    memory_budget: Option<u64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let method: Method = parse(method, "method")?;
    let metric: Metric = parse(metric, "metric")?;
    let (matrix, mut guard) = matrix_of(x, None, None)?;
    let mut options = ClusterOptions {
        method,
        metric,
        optimal_ordering,
        budget: memory_budget.map_or_else(MemoryBudget::default, MemoryBudget),
        approx: Default::default(),
    };
    options.approx.when = if approx { When::Always } else { When::Never };
    let tree = run(py, move || {
        let bar = heatscope::progress::items_bar(0, "rows");
        let tree = heatscope::cluster::cluster(&matrix, Axis::Rows, &options, Some(&bar));
        bar.finish_and_clear();
        Ok(tree?)
    });
    guard.restore(py);
    linkage_array(py, &tree?)
}

/// A figure: clustered, its pyramid built, ready to draw.
#[pyclass(frozen)]
struct Figure {
    prepared: Arc<Prepared>,
    spec: FigureSpec,
    /// Where the caches of an in-memory matrix live while the figure does.
    _scratch: Option<tempfile::TempDir>,
    /// The array read in place, read-only while the figure lives.
    read_only: std::sync::Mutex<ReadOnly>,
}

impl Drop for Figure {
    fn drop(&mut self) {
        if let Ok(guard) = self.read_only.get_mut() {
            Python::attach(|py| guard.restore(py));
        }
    }
}

/// The spec `options` (a dict of `FigureSpec` fields, as JSON) make for
/// `input`: the defaults of `heatscope render` overridden field by field;
/// an unknown field is refused.
fn spec_of(input: InputSpec, options: &str) -> PyResult<FigureSpec> {
    let bad = |e: serde_json::Error| PyValueError::new_err(format!("figure options: {e}"));
    let mut spec = serde_json::to_value(FigureSpec::new(input)).map_err(bad)?;
    let given: serde_json::Map<String, serde_json::Value> = serde_json::from_str(options).map_err(bad)?;
    let fields = spec.as_object_mut().expect("a FigureSpec is a JSON object");
    for (name, value) in given {
        match fields.get_mut(&name) {
            // Of the input, only how its labels show and a file's layer can change.
            Some(serde_json::Value::Object(input)) if name == "input" => {
                for (key, mode) in value.as_object().into_iter().flatten() {
                    match key.as_str() {
                        "row_label_mode" | "col_label_mode" | "layer" => input.insert(key.clone(), mode.clone()),
                        _ => return Err(PyValueError::new_err(format!("unknown input option {key:?}"))),
                    };
                }
            }
            Some(field) if name != "input" => *field = value,
            _ => return Err(PyValueError::new_err(format!("unknown figure option {name:?}"))),
        }
    }
    let spec: FigureSpec = match serde_json::from_value(spec.clone()) {
        Ok(spec) => spec,
        Err(error) => return Err(PyValueError::new_err(option_at_fault(&spec, error))),
    };
    spec.check().map_err(|e| PyValueError::new_err(e.0))?;
    Ok(spec)
}

/// serde's message for a spec that does not parse, with the option at
/// fault: the first field that the defaults do not take in its place.
fn option_at_fault(spec: &serde_json::Value, error: serde_json::Error) -> String {
    let defaults = serde_json::to_value(FigureSpec::new(InputSpec::for_file(PathBuf::from("<array>"), None)))
        .expect("a FigureSpec is JSON");
    let (Some(given), Some(defaults)) = (spec.as_object(), defaults.as_object()) else {
        return format!("figure options: {error}");
    };
    for (name, value) in given {
        let mut alone = defaults.clone();
        alone.insert(name.clone(), value.clone());
        if let Err(e) = serde_json::from_value::<FigureSpec>(serde_json::Value::Object(alone)) {
            // Rust's number types in Python's words.
            let plain = e.to_string().replace("expected f32", "expected a number");
            let plain = ["usize", "u32", "u64", "u8"]
                .iter()
                .fold(plain, |m, t| m.replace(&format!("expected {t}"), "expected a whole number, 0 or more"));
            return format!("{name}: {plain}");
        }
    }
    format!("figure options: {error}")
}

/// The library's notes since the last call (what it computed, warnings
/// starting "warning: "), which the package hands to `logging` and
/// `warnings` instead of writing them to stderr.
#[pyfunction]
fn take_notes() -> Vec<String> {
    heatscope::progress::take_notes()
}

/// Whether the library knows the colour map called `name`.
#[pyfunction]
fn known_colormap(name: &str) -> bool {
    heatscope::figure::Colormap::by_name(name).is_ok()
}

/// The names of the figure spec's fields, as JSON: the options
/// `clustermap` takes by name.
#[pyfunction]
fn spec_fields() -> String {
    let spec = serde_json::to_value(FigureSpec::new(InputSpec::for_file(PathBuf::from("<array>"), None)))
        .expect("a FigureSpec is JSON");
    let names: Vec<&String> = spec.as_object().expect("a JSON object").keys().filter(|k| *k != "input").collect();
    serde_json::to_string(&names).expect("names are JSON")
}

impl Figure {
    /// The figure's spec at `width` × `height` pixels, its fonts and tree
    /// lines `scale` times the size asked for (as matplotlib scales points
    /// with the dpi).
    fn sized(&self, width: u32, height: u32, scale: f32) -> PyResult<FigureSpec> {
        let spec = FigureSpec {
            width,
            height,
            font_size: self.spec.font_size * scale,
            tree_linewidth: (self.spec.tree_linewidth * scale).clamp(1.0, 20.0),
            ..self.spec.clone()
        };
        spec.check().map_err(|e| PyValueError::new_err(e.0))?;
        Ok(spec)
    }
}

#[pymethods]
impl Figure {
    /// Prepares a figure of `data` (a float32 array, with labels) or of the
    /// file at `path`, with `options` (JSON: `FigureSpec` fields). The
    /// labels annotations, marks and links match; `shown_row_labels` and
    /// `shown_col_labels`, where given, are the text the figure shows instead.
    #[new]
    #[pyo3(signature = (
        options, data=None, row_labels=None, col_labels=None, path=None, cache_dir=None,
        shown_row_labels=None, shown_col_labels=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        options: &str,
        data: Option<PyReadonlyArray2<'_, f32>>,
        row_labels: Option<Vec<String>>,
        col_labels: Option<Vec<String>>,
        path: Option<PathBuf>,
        cache_dir: Option<PathBuf>,
        shown_row_labels: Option<Vec<String>>,
        shown_col_labels: Option<Vec<String>>,
    ) -> PyResult<Figure> {
        let (input, matrix, scratch, read_only) = match (data, path) {
            (Some(data), None) => {
                // An in-memory matrix's trees and pyramid go to a folder of
                // their own, removed with the figure.
                let scratch =
                    tempfile::tempdir().map_err(|e| PyOSError::new_err(format!("no temporary folder: {e}")))?;
                let input = InputSpec::for_file(PathBuf::from("<array>"), Some(scratch.path().to_owned()));
                let (matrix, read_only) = matrix_of(data, row_labels, col_labels)?;
                (input, Some(matrix), Some(scratch), read_only)
            }
            (None, Some(path)) => (InputSpec::for_file(path, cache_dir), None, None, ReadOnly(None)),
            _ => return Err(PyValueError::new_err("give either an array or a path")),
        };
        let mut read_only = read_only;
        let prepared = spec_of(input, options).and_then(|spec| {
            let figure = spec.clone();
            Ok((run(py, move || app::prepare_opened(&figure, matrix))?, spec))
        });
        let shown = |prepared: &mut Prepared| -> PyResult<()> {
            if shown_row_labels.is_none() && shown_col_labels.is_none() {
                return Ok(());
            }
            let matrix = &prepared.matrix;
            let text = |given: Option<Vec<String>>, current: &Labels, axis: &str| match given {
                Some(labels) if labels.len() != current.len() => Err(PyValueError::new_err(format!(
                    "{} {axis} tick labels given for {} {axis}s; give one a {axis}",
                    labels.len(),
                    current.len()
                ))),
                Some(labels) => Ok(Labels::from_strings(labels)),
                None => Ok(current.clone()),
            };
            let rows = text(shown_row_labels, matrix.row_labels(), "row")?;
            let cols = text(shown_col_labels, matrix.col_labels(), "column")?;
            let matrix = std::mem::replace(&mut prepared.matrix, Matrix::from_vec(1, 1, vec![0.0]));
            prepared.matrix = matrix.with_labels(rows, cols);
            Ok(())
        };
        let (prepared, spec) =
            match prepared.and_then(|(mut prepared, spec)| shown(&mut prepared).map(|()| (prepared, spec))) {
                Ok(done) => done,
                Err(error) => {
                    read_only.restore(py);
                    return Err(error);
                }
            };
        let read_only = std::sync::Mutex::new(read_only);
        Ok(Figure { prepared: Arc::new(prepared), spec, _scratch: scratch, read_only })
    }

    /// The rows' and columns' trees as scipy linkage matrices (None for an
    /// axis kept in order).
    fn row_linkage<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        self.prepared.row_tree.as_ref().map(|t| linkage_array(py, t)).transpose()
    }

    fn col_linkage<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        self.prepared.col_tree.as_ref().map(|t| linkage_array(py, t)).transpose()
    }

    /// The rows and the columns in display order (matrix indices).
    fn row_order(&self) -> Vec<usize> {
        self.prepared.row_order.clone()
    }

    fn col_order(&self) -> Vec<usize> {
        self.prepared.col_order.clone()
    }

    /// Each row's and column's flat cluster of the cut (numbered from 1,
    /// in matrix order), None without a cut.
    fn row_clusters(&self) -> Option<Vec<usize>> {
        self.prepared.row_groups.clone()
    }

    fn col_clusters(&self) -> Option<Vec<usize>> {
        self.prepared.col_groups.clone()
    }

    /// Where the values the figure was made from start in memory (to check
    /// that an array was read in place).
    fn data_address(&self) -> usize {
        self.prepared.matrix.row(0).as_ptr() as usize
    }

    /// The row and column labels, in matrix order.
    fn labels(&self) -> (Vec<String>, Vec<String>) {
        let all = |labels: &Labels| labels.iter().map(|l| l.into_owned()).collect();
        (all(self.prepared.matrix.row_labels()), all(self.prepared.matrix.col_labels()))
    }

    /// The values the figure shows (standardised, when asked), in matrix
    /// order: a copy.
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let matrix = &self.prepared.matrix;
        let rows: Vec<Vec<f32>> = (0..matrix.rows()).map(|i| matrix.row(i).to_vec()).collect();
        PyArray2::from_vec2(py, &rows).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// Where everything lies in the figure at `width` × `height`, as JSON.
    #[pyo3(signature = (width, height, scale=1.0))]
    fn layout(&self, width: u32, height: u32, scale: f32) -> PyResult<String> {
        let spec = self.sized(width, height, scale)?;
        let mut fonts = heatscope::figure::text::font_system();
        let scene = app::scene(&mut fonts, &self.prepared, &spec, &[], [width, height], false);
        Ok(app::layout(&scene, &self.prepared).to_string())
    }

    /// The figure drawn at `width` × `height` pixels (fonts `scale` times
    /// the size asked for) as a PNG or SVG file's bytes, and the texts
    /// shortened to fit (as `layout()` lists them).
    #[pyo3(signature = (format, width, height, scale=1.0))]
    fn draw<'py>(
        &self,
        py: Python<'py>,
        format: &str,
        width: u32,
        height: u32,
        scale: f32,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<String>)> {
        let format = match format {
            "png" => Format::Png,
            "svg" => Format::Svg,
            other => return Err(PyValueError::new_err(format!("format {other:?}: give \"png\" or \"svg\""))),
        };
        let spec = self.sized(width, height, scale)?;
        let prepared = self.prepared.clone();
        let (bytes, shortened) = run(py, move || {
            let mut fonts = heatscope::figure::text::font_system();
            let scene = app::scene(&mut fonts, &prepared, &spec, &[], [width, height], false);
            let mut renderer = Renderer::new()?;
            let bytes = app::export(&mut renderer, &scene, &prepared.sources(spec.agg, &[], &scene), format)?;
            Ok((bytes, scene.shortened))
        })?;
        Ok((PyBytes::new(py, &bytes), shortened))
    }
}

/// Opens the interactive window on the file at `path` with `options`
/// (JSON: `FigureSpec` fields) and returns when it is closed; for scripts
/// and tests, it can close itself after `exit_after_frames` frames and
/// save its last frame as the PNG `screenshot`.
#[pyfunction]
#[pyo3(signature = (path, options, cache_dir=None, exit_after_frames=None, screenshot=None))]
fn view(
    py: Python<'_>,
    path: PathBuf,
    options: &str,
    cache_dir: Option<PathBuf>,
    exit_after_frames: Option<u64>,
    screenshot: Option<PathBuf>,
) -> PyResult<()> {
    let spec = spec_of(InputSpec::for_file(path, cache_dir), options)?;
    let options = heatscope::window::ViewOptions {
        gpu_cache: heatscope::window::DEFAULT_GPU_CACHE,
        exit_after_frames,
        screenshot,
        ..Default::default()
    };
    // The window's event loop runs on this thread, as the platforms want;
    // what it reports while it loads shows at once, on stderr.
    heatscope::progress::keep_notes(false);
    let viewed = py.detach(|| heatscope::window::view(spec, options));
    heatscope::progress::keep_notes(true);
    viewed.map_err(to_py_err)
}

/// heatscope's pipeline, for the `heatscope` package.
#[pymodule]
mod _core {
    #[pymodule_export]
    use super::{Figure, known_colormap, linkage, spec_fields, take_notes, view};

    #[pymodule_init]
    fn init(_module: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
        heatscope::progress::keep_notes(true);
        Ok(())
    }
}
