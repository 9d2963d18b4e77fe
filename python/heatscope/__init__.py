"""heatscope: clustered heatmaps of huge matrices, in seaborn's words.

``heatscope.clustermap(df)`` clusters the rows and columns of a matrix and
draws the clustered heatmap, as ``seaborn.clustermap`` does, with the same
argument names; ``heatscope.linkage(X)`` is ``scipy.cluster.hierarchy.linkage``
on observation matrices, in parallel; ``heatscope.linked(left, right)`` draws
two heatmaps side by side with curves joining rows of the same name.

Arrays are read in place when they are C-contiguous ``float32``: such an
array is read-only while a figure of it lives (and during ``linkage``);
anything else numeric is converted once. Long work runs with the GIL released, and Ctrl-C stops it.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import threading
import zlib
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _core

__all__ = ["ClusterGrid", "Dendrogram", "clustermap", "linkage", "linked"]
__version__ = "0.1.0"

_METHODS = ("single", "complete", "average", "weighted", "centroid", "median", "ward")
_METRICS = ("euclidean", "sqeuclidean", "cityblock", "cosine", "correlation", "spearman")


def _as_float32(x: Any, what: str = "data") -> np.ndarray:
    """A 2-D C-contiguous float32 array of ``x``: ``x`` itself when it is one."""
    array = np.asarray(x)
    if array.ndim != 2:
        raise ValueError(
            f"{what} has {array.ndim} dimension(s), shape {array.shape}: give a 2-D matrix "
            "(rows × columns); a condensed distance vector is not accepted"
        )
    if array.dtype.kind not in "fiub":
        raise ValueError(f"{what} has dtype {array.dtype}: give numbers (any float or int dtype)")
    if array.dtype.kind == "f" and array.dtype.itemsize > 4 and array.size:
        with np.errstate(over="ignore", invalid="ignore"):
            beyond = np.isinf(array.astype(np.float32)) & np.isfinite(array)
        if beyond.any():
            row, col = np.argwhere(beyond)[0]
            raise ValueError(
                f"{what}: row {row}, column {col} (from 0) is {float(array[row, col]):g}, beyond the "
                "float32 range heatscope computes in; rescale the data (e.g. log-transform it)"
            )
    array = np.require(array, np.float32, ["C_CONTIGUOUS", "ALIGNED"])
    if array.size and np.isinf(array).any():
        row, col = np.argwhere(np.isinf(array))[0]
        raise ValueError(
            f"{what}: row {row}, column {col} is infinite; replace infinities with NaN "
            "(drawn as missing) or a finite value"
        )
    return array


def linkage(
    X: Any,
    method: str = "single",
    metric: str = "euclidean",
    optimal_ordering: bool = False,
    *,
    approx: bool = False,
    memory_budget: Optional[int] = None,
) -> np.ndarray:
    """Hierarchical clustering of the rows of ``X``, as ``scipy.cluster.hierarchy.linkage``.

    ``X`` is an observation matrix (n × features, any numeric dtype; values
    are used as float32). Returns scipy's linkage matrix, ``(n - 1) × 4``
    float64. ``method``: single, complete, average, weighted, centroid,
    median or ward; ``metric``: euclidean, sqeuclidean, cityblock, cosine,
    correlation or spearman. Exact clustering holds ``n(n-1)/2`` float32
    distances; when that exceeds ``memory_budget`` bytes (default: half the
    RAM, at most 8 GiB) a ``MemoryError`` says so, unless ``approx=True``
    asks for the approximate tree (k-means groups, exact trees inside).
    ``optimal_ordering=True`` gives the order with the least sum of
    distances between neighbouring leaves (the tests check it against every
    order of small trees); scipy's can differ where its own is not the least.
    """
    if not isinstance(method, str) or not isinstance(metric, str):
        raise TypeError("method and metric are names, e.g. method='average', metric='euclidean'")
    if method in ("ward", "centroid", "median") and metric != "euclidean":
        raise ValueError(
            f"method={method!r} requires metric='euclidean' (as scipy's linkage does); "
            f"got metric={metric!r}"
        )
    x = _as_float32(X, "X")
    with _NOTES:
        try:
            return _core.linkage(x, method, metric, bool(optimal_ordering), bool(approx), memory_budget)
        except (ValueError, MemoryError) as error:
            _raise_plain(error, {"memory_budget", "approx", "method", "metric", "optimal_ordering"})
        finally:
            _pass_notes()


class Dendrogram:
    """One axis's tree, as seaborn's ``ClusterGrid.dendrogram_row``."""

    def __init__(self, linkage: Optional[np.ndarray], reordered_ind: list):
        #: scipy's linkage matrix (float64), None when the axis was not clustered.
        self.linkage = linkage
        #: The leaves in display order (scipy's ``dendrogram(Z)["leaves"]``).
        self.reordered_ind = reordered_ind

    def __repr__(self) -> str:
        n = len(self.reordered_ind)
        return f"<heatscope.Dendrogram of {n} leaves>"


class ClusterGrid:
    """A clustered heatmap, as ``seaborn.clustermap`` returns it."""

    def __init__(
        self,
        figure: Any,
        width: float,
        height: float,
        dpi: float,
        keep: list,
        names: tuple = (None, None),
        clustered: tuple = (True, True),
        labels: Optional[tuple] = None,
        indexes: tuple = (None, None),
        font_size: float = 12.0,
    ):
        self._figure = figure
        # The figure at 100 dpi; drawn at `dpi`, text included.
        self._width = width
        self._height = height
        self._dpi = dpi
        self._keep = keep  # temporary files the figure reads
        self._font_size = font_size
        self._names = names  # the DataFrame's index and columns names
        self._row_order, self._col_order = figure.row_order(), figure.col_order()
        #: The rows' tree, as seaborn's; None when the rows were not clustered
        #: (``row_cluster=False``). Split rows have their order but no one tree.
        self.dendrogram_row = Dendrogram(figure.row_linkage(), self._row_order) if clustered[0] else None
        #: The columns' tree; None when the columns were not clustered.
        self.dendrogram_col = Dendrogram(figure.col_linkage(), self._col_order) if clustered[1] else None
        # The data's labels (the figure's own for a file; tick labels given
        # as a list change only the drawn text).
        self.row_labels, self.col_labels = labels if labels is not None else figure.labels()
        # A DataFrame's or AnnData's own index and columns (their values and
        # dtype, a MultiIndex whole), for data2d and the clusters.
        self._indexes = indexes

    @property
    def data2d(self) -> Any:
        """The matrix in display order: a DataFrame when pandas is installed
        (float32, as heatscope holds it)."""
        rows, cols = self._row_order, self._col_order
        values = self._figure.values()[np.ix_(rows, cols)]
        try:
            import pandas as pd
        except ImportError:
            return values
        return pd.DataFrame(values, index=self._index(0, rows), columns=self._index(1, cols))

    def _index(self, axis: int, order: Optional[list] = None) -> Any:
        """The data's index (0) or columns (1), in ``order``: the input's own
        where it had one, else its labels as text."""
        import pandas as pd

        own = self._indexes[axis]
        if own is not None:
            return own if order is None else own.take(order)
        labels = self.row_labels if axis == 0 else self.col_labels
        order = range(len(labels)) if order is None else order
        return pd.Index([labels[i] for i in order], name=self._names[axis])

    def _clusters(self, groups: Optional[list], axis: int, what: str) -> Any:
        if groups is None:
            raise ValueError(f"no {what} cut: pass {what}_cut=K to clustermap")
        try:
            import pandas as pd
        except ImportError:
            return np.asarray(groups)
        return pd.Series(groups, index=self._index(axis), name=f"{what} cluster")

    @property
    def row_clusters(self) -> Any:
        """Each row's flat cluster of ``row_cut`` (numbered from 1 as scipy's
        ``fcluster``), in matrix order: a Series on the data's own index."""
        return self._clusters(self._figure.row_clusters(), 0, "row")

    @property
    def col_clusters(self) -> Any:
        """Each column's flat cluster of ``col_cut``, as ``row_clusters``."""
        return self._clusters(self._figure.col_clusters(), 1, "col")

    def _size(self, dpi: Optional[float] = None) -> tuple:
        """Width, height and text scale at ``dpi`` (``clustermap``'s by default)."""
        dpi = _dpi(self._dpi if dpi is None else dpi, "dpi")
        _check_text(self._font_size, dpi, "dpi")
        scale = dpi / 100
        width, height = round(self._width * scale), round(self._height * scale)
        if max(width, height) > _LARGEST:
            raise ValueError(
                f"dpi={dpi:g}: the figure would be {width} × {height} px, over {_LARGEST:,} a side; "
                "give a smaller dpi or figsize"
            )
        return width, height, scale

    def _draw(self, format: str, dpi: Optional[float] = None) -> tuple:
        size = self._size(dpi)
        with _NOTES:
            try:
                drawn = self._figure.draw(format, *size)
            except ValueError as error:
                _raise_plain(error, {"width", "height", "font_size"})
            finally:
                _pass_notes(4)
        if format == "png":
            drawn = (_with_dpi(drawn[0], 100 * size[2]), drawn[1])
        shortened = drawn[1]
        if shortened:
            import warnings

            warnings.warn(
                f"{len(shortened)} text(s) not drawn whole or legibly for lack of room (first: {shortened[0]}); "
                "give a larger figsize, or a smaller font_size; layout()['shortened'] lists them",
                stacklevel=3,
            )
        return drawn

    def to_png(self) -> bytes:
        """The figure as a PNG file's bytes."""
        return self._draw("png")[0]

    def layout(self) -> dict:
        """Where everything lies in the figure: panels, labels, colour scale."""
        return json.loads(self._figure.layout(*self._size()))

    def savefig(
        self,
        path: Any,
        dpi: Optional[float] = None,
        *,
        format: Optional[str] = None,
        bbox_inches: Optional[str] = None,
    ) -> None:
        """Writes the figure as PNG or SVG: to a path (the format by its
        extension, or ``format``; a name without one gets ".png") or to a
        binary file object (``format``, PNG by default), as matplotlib's
        ``savefig``. A ``dpi`` other than
        ``clustermap``'s enlarges (or shrinks) the whole figure, text and
        tree lines included, as matplotlib's does, and a PNG records it
        (documents place the figure at its size in inches). ``bbox_inches="tight"``
        is taken and changes nothing: the figure is laid out to its edges."""
        if bbox_inches not in (None, "tight"):
            raise ValueError(f"bbox_inches={bbox_inches!r}: give 'tight' or nothing")
        if format is not None and str(format).lower() not in ("png", "svg"):
            raise ValueError(f"format={format!r}: give 'png' or 'svg'")
        if hasattr(path, "write"):
            path.write(self._draw((format or "png").lower(), dpi)[0])
            return
        path = os.fsdecode(os.fspath(path))
        extension = os.path.splitext(path)[1].lower()
        if format is not None:
            extension = "." + str(format).lower()
        elif extension in ("", "."):
            path, extension = path.rstrip(".") + ".png", ".png"  # as matplotlib's default format
        elif extension not in (".png", ".svg"):
            raise ValueError(f"{path}: name a .png or .svg file, or give format='png' or 'svg'")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"{path}: no such folder {directory!r}; create it first")
        data = self._draw(extension[1:], dpi)[0]
        # Written whole or not at all: a temporary file beside it, renamed.
        handle, scratch = tempfile.mkstemp(dir=directory, suffix=extension)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(scratch, 0o666 & ~umask)
            os.replace(scratch, path)
        except BaseException:
            if os.path.exists(scratch):
                os.unlink(scratch)
            raise

    def _repr_png_(self) -> bytes:
        return self.to_png()

    def view(self, *, exit_after_frames: Optional[int] = None, screenshot: Optional[str] = None) -> None:
        """Opens the interactive window on this figure (pan, zoom, search,
        cut) and returns when it is closed. Call it from the main thread.
        For scripts: ``exit_after_frames`` closes it after that many frames,
        ``screenshot`` saves its last frame as PNG."""
        if self._view is None:
            raise ValueError("this figure cannot be viewed")
        path, options, cache_dir = self._view()
        shot = None if screenshot is None else os.fspath(screenshot)
        try:
            _core.view(path, options, cache_dir, exit_after_frames, shot)
        except (OSError, RuntimeError, ValueError) as error:
            command = "`heatscope render FILE -o out.png`"
            if command not in str(error):
                raise
            raise type(error)(str(error).replace(command, "the figure's savefig('out.png')")) from error

    _view: Any = None

    def __repr__(self) -> str:
        rows, cols = len(self.row_labels), len(self.col_labels)
        width, height, _ = self._size()
        return f"<heatscope.ClusterGrid {rows} × {cols}, {width} × {height} px>"


class _Scratch:
    """A temporary folder for the files a figure reads, removed once nothing
    holds it (the figure, or a call that failed), without the warning an
    unclosed ``TemporaryDirectory`` gives."""

    def __init__(self) -> None:
        import shutil
        import weakref

        self.name = tempfile.mkdtemp(prefix="heatscope-")
        weakref.finalize(self, shutil.rmtree, self.name, ignore_errors=True)


def _pixels(value: Any, name: str) -> int:
    """A figure side in pixels: a whole number from 1 to the largest."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise TypeError(f"{name}={value!r}: give a number of pixels, e.g. 800")
    if not (np.isfinite(value) and 1 <= value <= _LARGEST):
        raise ValueError(f"{name}={value!r}: give a number of pixels from 1 to {_LARGEST:,}")
    return int(round(value))


#: The largest side of a figure, in pixels.
_LARGEST = 16384


def _pass_notes(stacklevel: int = 3, known: Any = (), directory: Optional[str] = None) -> None:
    """The library's notes since the last call, in Python's words (see
    ``_plain``), each where Python users look: warnings as
    ``warnings.warn``, the rest (what was computed, in how long) at INFO
    level of the ``heatscope`` logger. The notes are the process's: the
    calls that make them hold ``_NOTES``, so that each takes its own."""
    import logging
    import warnings

    for line in _core.take_notes():
        line = _plain(line, known, directory)
        if line.startswith("warning: "):
            warnings.warn(line[len("warning: ") :], stacklevel=stacklevel)
        else:
            logging.getLogger("heatscope").info(line)


#: Held while the library works and its notes are taken (see ``_pass_notes``).
_NOTES = threading.Lock()


#: The fields of heatscope's figure spec, any of which clustermap takes by name.
_SPEC_FIELDS = frozenset(json.loads(_core.spec_fields()))

#: The figure's size when none is given, in inches (at ``dpi``).
_DEFAULT_INCHES = (12, 10)

#: The largest text, in pixels.
_LARGEST_TEXT = 200


def _check_text(font_size: Any, dpi: float, name: str) -> None:
    """Refuses a dpi at which the text would be larger than the library draws."""
    number = isinstance(font_size, (int, float, np.number)) and not isinstance(font_size, (bool, np.bool_))
    if not (number and np.isfinite(font_size) and font_size > 0):
        raise ValueError(f"font_size={font_size!r}: give a positive number of pixels at 100 dpi, e.g. 12")
    if font_size * dpi / 100 > _LARGEST_TEXT:
        raise ValueError(
            f"{name}={dpi:g}: the text would be {font_size * dpi / 100:g} px high, over {_LARGEST_TEXT}; "
            f"give a dpi up to {_LARGEST_TEXT * 100 / font_size:g}"
        )


def _with_dpi(png: bytes, dpi: float) -> bytes:
    """The PNG with its resolution recorded (a pHYs chunk after the header,
    as matplotlib writes one), so that documents place it at its size in
    inches."""
    per_metre = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    # The signature (8 bytes), then the header chunk: length, type, 13 bytes, CRC.
    after_header = 8 + 4 + 4 + 13 + 4
    return png[:after_header] + chunk + png[after_header:]


def _dpi(value: Any, name: str) -> float:
    """A positive, finite dots-per-inch value."""
    if isinstance(value, bool):
        raise TypeError(f"{name}={value!r}: give a number of dots per inch, e.g. 100")
    try:
        dpi = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={value!r}: give a number of dots per inch, e.g. 100") from None
    if not np.isfinite(dpi) or dpi <= 0:
        raise ValueError(f"{name}={value!r}: give a positive number of dots per inch, e.g. 100")
    return dpi


def _labels_mode(value: Any, n: int, what: str) -> tuple:
    """The label mode of seaborn's ``xticklabels``/``yticklabels``, and new labels."""
    if value is True:
        return "all", None
    if value is False:
        return "none", None
    if isinstance(value, str) and value == "auto":
        return "auto", None
    if isinstance(value, (int, np.integer)):
        if value < 1:
            raise ValueError(f"{what}={value}: give a step of 1 or more (every k-th label)")
        return {"every": int(value)}, None
    if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{what}={value!r}: give True, False, 'auto', a step (every k-th label) or a list of labels")
    labels = [str(v) for v in value]
    if len(labels) != n:
        raise ValueError(f"{what}: {len(labels)} labels given for {n}")
    return "all", labels


class _Input:
    """What ``data`` holds: values (or a file), labels, and stored annotation columns."""

    def __init__(self, data: Any, layer: Optional[str] = None):
        self.path = None
        self.values = None
        self.rows = self.cols = None
        self.obs = self.var = self.uns = None
        # A DataFrame's index and columns names (seaborn's axis labels).
        self.row_name = self.col_name = None
        # A DataFrame's or AnnData's index and columns, as they are.
        self.row_index = self.col_index = None
        if isinstance(data, (str, os.PathLike)):
            self.path = os.fspath(data)
            if not os.path.exists(self.path):
                raise FileNotFoundError(f"{self.path}: no such file; check the path")
            return
        if hasattr(data, "obs_names") and hasattr(data, "var_names") and hasattr(data, "X"):
            if layer is not None and layer not in data.layers:
                known = ", ".join(map(str, data.layers.keys())) or "none"
                raise ValueError(f"layer={layer!r}: no such layer; the AnnData's layers are: {known}")
            values = data.layers[layer] if layer is not None else data.X
            if hasattr(values, "toarray"):
                values = values.toarray()
            self.values = values
            self.rows, self.cols = _label_texts(data.obs_names), _label_texts(data.var_names)
            self.row_index, self.col_index = data.obs_names, data.var_names
            self.obs, self.var = data.obs, data.var
            self.uns = getattr(data, "uns", None)
        elif hasattr(data, "index") and hasattr(data, "columns") and hasattr(data, "to_numpy"):
            self.values = data.to_numpy()
            if self.values.dtype == object and _numeric_columns(data):
                # pandas' nullable dtypes (Float64, Int64): missing values as NaN.
                self.values = data.to_numpy(dtype=np.float64, na_value=np.nan)
            elif self.values.dtype == np.float32 and np.may_share_memory(self.values, data.to_numpy()):
                # The frame's own memory, which writes through the frame would
                # change under the figure: a copy, as seaborn takes.
                self.values = np.array(self.values, dtype=np.float32, order="C", copy=True)
            self.rows, self.cols = _label_texts(data.index), _label_texts(data.columns)
            self.row_name, self.col_name = _index_name(data.index), _index_name(data.columns)
            self.row_index, self.col_index = data.index, data.columns
        elif hasattr(data, "toarray") and hasattr(data, "nnz"):
            self.values = data.astype(np.float32).toarray()  # a scipy sparse matrix, drawn dense
        else:
            self.values = data
        if layer is not None and self.obs is None:
            raise ValueError("layer= goes with an AnnData")
        self.array = _as_float32(self.values)
        n, m = self.array.shape
        if self.rows is None:
            self.rows, self.cols = [str(i) for i in range(n)], [str(j) for j in range(m)]
        for axis, labels in (("row", self.rows), ("column", self.cols)):
            if len(set(labels)) < len(labels):
                import collections
                import warnings

                label, count = collections.Counter(labels).most_common(1)[0]
                warnings.warn(
                    f"{count} {axis}s are labelled {label!r} (and perhaps other labels repeat): annotations "
                    f"and marks match {axis}s by label, so repeated ones take one value; make the labels unique",
                    stacklevel=3,
                )


def _label(value: Any) -> str:
    """A label as text, tabs and line breaks as spaces (labels are one
    field of a line in the tables the figure reads)."""
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _label_texts(index: Any) -> list:
    """An index's labels as text: a MultiIndex's levels joined by "-", as seaborn writes them."""
    if getattr(index, "nlevels", 1) > 1:
        return [_label("-".join(map(str, key))) for key in index]
    return [_label(v) for v in index]


def _index_name(index: Any) -> Any:
    """An index's name, a MultiIndex's names joined by "-" (None if it has none)."""
    names = [n for n in getattr(index, "names", [index.name]) if n is not None]
    return "-".join(map(str, names)) if names else None


def _numeric_columns(frame: Any) -> bool:
    """Whether every column of a DataFrame holds numbers (nullable ones included)."""
    try:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype
    except ImportError:
        return False
    return all(is_numeric_dtype(t) or is_bool_dtype(t) for t in frame.dtypes)


def _is_series(value: Any) -> bool:
    """Whether ``value`` is a pandas Series (labelled values), not a list."""
    return hasattr(value, "index") and hasattr(value, "name") and hasattr(value, "to_numpy")


def _is_colour(value: Any, loose: bool = False) -> bool:
    """Whether a bar value names a colour: #hex, an RGB(A) tuple, or a
    colour name of letters ("red", "tab:blue"); ``loose`` (seaborn's reading
    of a bar of colours) also takes one-letter names ("r"), matplotlib's
    cycle ("C1") and grey levels written with a point ("0.5"), where "0"
    and "1" stay cluster names."""
    try:
        from matplotlib.colors import is_color_like
    except ImportError:
        return isinstance(value, str) and value.startswith("#")
    if isinstance(value, tuple):
        return is_color_like(value)
    if not isinstance(value, str) or not is_color_like(value):
        return False
    if value.startswith("#"):
        return True
    try:
        float(value)
        return loose and "." in value
    except ValueError:
        return loose or (len(value) > 1 and value.replace(":", "").isalpha())


def _cells(values: Any, categorical: bool = False, colours: bool = True) -> list:
    """A bar's values as table cells (empty where missing): colours as
    #rrggbb when ``colours`` may be given and every value present is a
    colour, as seaborn reads ``row_colors`` ("r", "0.5", "tab:blue" too,
    and "none" for a blank cell; for pandas' categorical dtype, as scanpy's
    obs columns are, only #hex, tuples and names of letters), else each as
    text (a category or a number)."""
    values = list(values)
    missing = [v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)) for v in values]
    present = [v for v, m in zip(values, missing) if not m]
    distinct = {v if not isinstance(v, list) else tuple(v) for v in present}
    blank = {v for v in distinct if isinstance(v, str) and v.lower() == "none"}
    named = distinct - blank
    if colours and named and all(_is_colour(v, not categorical) for v in named):
        from matplotlib.colors import to_hex

        hexes = {v: to_hex(v) for v in named}
        hexes.update({v: "" for v in blank})
        return ["" if m else hexes[v if not isinstance(v, list) else tuple(v)] for v, m in zip(values, missing)]
    return ["" if m else str(v) for v, m in zip(values, missing)]


def _bar_table(
    colors: Any,
    labels: list,
    stored: Any,
    directory: str,
    name: str,
    categorical: Optional[list] = None,
    palettes: Optional[dict] = None,
    uns: Any = None,
    colours: bool = True,
) -> list:
    """``row_colors``/``col_colors`` as bar table specs: one TSV keyed by
    label. Columns of pandas' categorical dtype are added to ``categorical``
    (they stay categories whatever their values look like), and to
    ``palettes`` when ordered or coloured: their categories' order, with the
    colours an AnnData keeps for them in ``uns`` (scanpy's
    ``<column>_colors``) where it has them."""
    if colors is None:
        return []
    columns: list = []
    if isinstance(colors, str):
        if stored is None:
            raise ValueError(f"{name}={colors!r}: a column name goes with an AnnData; give the values (a Series or list)")
        if colors not in stored.columns:
            table = "obs" if name.startswith("row") else "var"
            known = ", ".join(map(str, stored.columns)) or "none"
            raise ValueError(f"{name}={colors!r}: no such column of the AnnData's {table}; its columns are: {known}")
        colors = stored[colors]
    names = list(colors) if isinstance(colors, (list, tuple)) else []
    if stored is not None and names and all(isinstance(c, str) and c in stored.columns for c in names):
        colors = stored[names]  # several obs/var columns by name: a bar each
    if hasattr(colors, "columns") and hasattr(colors, "index"):  # a DataFrame
        for column in colors.columns:
            columns.append((str(column), colors[column]))
    elif _is_series(colors):
        columns.append((str(colors.name) if colors.name is not None else name, colors))
    else:
        values = list(colors)
        first = values[0] if values else None
        one = first is None or isinstance(first, str) or np.ndim(first) == 0
        if not one and np.ndim(first) == 1 and _is_colour(tuple(first)):
            one = True  # a list of RGB(A) tuples
        if one:
            columns.append((name, [tuple(v) if np.ndim(v) == 1 else v for v in values]))
        else:
            # seaborn's list of lists (or of Series): one bar each.
            for i, bar in enumerate(values):
                if _is_series(bar):
                    columns.append((str(bar.name) if bar.name is not None else f"{name} {i + 1}", bar))
                else:
                    columns.append((f"{name} {i + 1}", [tuple(v) if np.ndim(v) == 1 else v for v in bar]))
    table = {}
    for column, values in columns:
        column = _label(column).strip()
        if _is_series(values):
            keys = _label_texts(values.index)
            cells = dict(zip(keys, _cells(values, hasattr(values, "cat"), colours)))
            if not set(keys) & set(labels):
                raise ValueError(f"{name}: none of its labels is among the data's")
        else:
            if len(values) != len(labels):
                raise ValueError(f"{name}: {len(values)} values given for {len(labels)} labels")
            cells = dict(zip(labels, _cells(values, colours=colours)))
        table[column] = cells
        hexes = all(v.startswith("#") for v in cells.values() if v)
        if categorical is not None and hasattr(values, "cat") and not hexes:
            categorical.append(column)
            palette = _palette(values.cat.categories, uns, column)
            # The categories' order where it means something: an ordered
            # categorical, or one whose colours scanpy keeps in that order
            # (else heatscope's natural order: "2" before "10").
            if palettes is not None and (values.cat.ordered or any(c for _, c in palette)):
                palettes[column] = palette
    path = os.path.join(directory, f"{name}.tsv")
    with open(path, "w", encoding="utf-8") as out:
        out.write("label\t" + "\t".join(table) + "\n")
        for label in labels:
            row = [table[c].get(label, "") for c in table]
            out.write(label + "\t" + "\t".join(_label(v) for v in row) + "\n")
    return [path]


def _palette(categories: Any, uns: Any, column: str) -> list:
    """``[category, colour or None]`` pairs in the categories' order, the
    colours from ``uns[column + "_colors"]`` where it has one for each."""
    # As the cells are written, and read back (trimmed).
    names = [_label(c).strip() for c in categories]
    stored = None
    try:
        stored = list(uns[f"{column}_colors"]) if uns is not None and f"{column}_colors" in uns else None
    except (TypeError, KeyError):
        stored = None
    if stored is None or len(stored) != len(names):
        return [[c, None] for c in names]
    try:
        from matplotlib.colors import to_hex

        return [[c, to_hex(k)] for c, k in zip(names, stored)]
    except (ImportError, ValueError):
        return [[c, str(k) if str(k).startswith("#") else None] for c, k in zip(names, stored)]


def _split(split: Any, labels: list, source: Any, directory: str, name: str, bars: tuple = ()) -> Optional[str]:
    """``row_split``/``col_split`` as the spec takes it: ``K``, or a table's column."""
    if split is None:
        return None
    if isinstance(split, (int, np.integer)) and not isinstance(split, bool):
        if split < 1:
            raise ValueError(f"{name}={split}: give at least one slice")
        return str(int(split))
    if source.path is not None:
        if not isinstance(split, str):
            raise ValueError(f"for a file, give {name} as K, 'TABLE.tsv:COLUMN' or 'obs:NAME'")
        return _stored(source.path, split, "obs" if name == "row_split" else "var")
    if hasattr(split, "columns") and len(split.columns) != 1:
        raise ValueError(f"{name}: give one column of categories")
    stored = source.obs if name == "row_split" else source.var
    # A split's values are categories whatever they look like, in the order
    # of an ordered (or coloured) categorical column; its table column (and
    # palette) go by the argument's name, apart from the bars'.
    if isinstance(split, str):
        if stored is None:
            raise ValueError(f"{name}={split!r}: a column name goes with an AnnData; give the values")
        if split not in stored.columns:
            known = ", ".join(map(str, stored.columns)) or "none"
            raise ValueError(f"{name}={split!r}: no such column; the AnnData's columns are: {known}")
        split = stored[split]
    elif hasattr(split, "columns"):
        split = split.iloc[:, 0]
    if _is_series(split):
        split = split.rename(name)
    [path] = _bar_table(split, labels, None, directory, name, colours=False)
    if hasattr(split, "cat") and bars:
        bars[1][name] = [[_label(c).strip(), None] for c in split.cat.categories]
    return f"{path}:{name}"


def _linkage_file(z: Any, directory: str, name: str) -> Optional[str]:
    if z is None:
        return None
    path = os.path.join(directory, f"{name}.npy")
    np.save(path, np.ascontiguousarray(np.asarray(z, dtype=np.float64)))
    return path


def _matrix_file(source: _Input, directory: str, name: str) -> str:
    """A matrix as a .npy with its labels beside it (for a linked panel or the window)."""
    path = os.path.join(directory, f"{name}.npy")
    np.save(path, source.array)
    for suffix, labels in (("rows", source.rows), ("cols", source.cols)):
        with open(os.path.join(directory, f"{name}.{suffix}.txt"), "w", encoding="utf-8") as out:
            out.write("".join(label.replace("\n", " ") + "\n" for label in labels))
    return path


def _axis(value: Optional[int], name: str) -> Optional[str]:
    if value is None:
        return None
    if value in (0, 1):
        return "rows" if value == 0 else "cols"
    raise ValueError(f"{name}={value!r}: give 0 (rows) or 1 (columns)")


def clustermap(
    data: Any,
    *,
    method: str = "average",
    metric: str = "euclidean",
    z_score: Optional[int] = None,
    standard_scale: Optional[int] = None,
    figsize: Optional[Sequence[float]] = None,
    dpi: float = 100,
    width: Optional[int] = None,
    height: Optional[int] = None,
    row_cluster: bool = True,
    col_cluster: bool = True,
    row_linkage: Any = None,
    col_linkage: Any = None,
    row_colors: Any = None,
    col_colors: Any = None,
    dendrogram_ratio: float = 0.2,
    colors_ratio: float = 0.03,
    cmap: Any = None,
    center: Optional[float] = None,
    robust: bool = False,
    vmin: Optional[float] = None,
    vmax: Optional[float] = None,
    xticklabels: Any = "auto",
    yticklabels: Any = "auto",
    row_cut: Optional[int] = None,
    col_cut: Optional[int] = None,
    row_split: Any = None,
    col_split: Any = None,
    optimal_ordering: bool = False,
    agg: str = "mean",
    title: Optional[str] = None,
    link: Any = None,
    layer: Optional[str] = None,
    font_size: float = 12.0,
    cache_dir: Optional[str] = None,
    cbar_kws: Optional[dict] = None,
    **heatscope_options: Any,
) -> ClusterGrid:
    """Clusters the rows and columns of ``data`` and draws the clustered heatmap.

    The arguments are ``seaborn.clustermap``'s, with its meanings:
    ``method``, ``metric``, ``z_score`` (0: rows, 1: columns),
    ``standard_scale``, ``row_cluster``, ``col_cluster``, ``row_linkage`` /
    ``col_linkage`` (scipy linkage matrices), ``row_colors`` / ``col_colors``
    (a Series, DataFrame or list of colours or categories, a list of such
    lists for a bar each, or the name of an ``obs``/``var`` column of an
    AnnData or ``.h5ad`` file; text, and up to 10 distinct numbers, are
    categories, more numbers a continuous bar unless named in
    ``categorical`` or of pandas' categorical dtype; values that all name colours, "r" and "0.5"
    included, are colours, except in pandas' categorical columns, where only
    #hex, tuples and longer names are), ``cmap``, ``center``, ``robust``,
    ``vmin``, ``vmax``, ``figsize`` (inches at ``dpi``, 12 × 10 unless
    given, the text scaled with ``dpi`` as matplotlib scales points; or
    ``width`` and ``height`` in pixels), ``dendrogram_ratio``,
    ``colors_ratio``, ``cbar_kws`` (its ``label``), ``xticklabels`` / ``yticklabels`` (True, False,
    "auto", a step k for every k-th, or a list, which changes the text
    shown, not the labels annotations match). ``dendrogram_row`` is None
    when the rows are not clustered, as in seaborn. Unlike scipy (and so
    seaborn), ward, centroid and median accept any metric here, as
    ``heatscope cluster`` does; ``heatscope.linkage`` refuses them as scipy.
    The colours are seaborn's: ``vmin``/``vmax`` where given, else the
    data's extremes (2nd and 98th percentiles with ``robust``); ``center``
    gets the map's middle colour without moving those limits; with no
    ``cmap``, seaborn's ``rocket`` (``icefire`` with a ``center``). ``cmap``
    is a matplotlib or seaborn map's name (``_r`` reverses), a matplotlib
    ``Colormap`` or a list of colours (drawn through 256 steps).

    heatscope's own: ``row_cut`` / ``col_cut`` (K flat clusters, as scipy's
    ``fcluster(Z, K, "maxclust")``, shown as a bar and in
    ``ClusterGrid.row_clusters``), ``row_split`` / ``col_split``
    (ComplexHeatmap's: slices drawn apart, each clustered on its own: K
    for the tree's K clusters, or categories as ``row_colors`` takes them;
    ``split_order="given"`` keeps the categories' order, ``split_gap`` the
    pixels between slices), ``optimal_ordering``, ``agg`` ("mean" or
    "extremes": what a pixel over many cells shows), ``title``, ``link``
    (another matrix drawn to the right, rows joined by label), ``layer``
    (of an AnnData or ``.h5ad`` file). A DataFrame's index and columns names become the axes'
    names, as in seaborn. Any other field of heatscope's figure spec may be
    given by name, e.g. ``xlabel="gene"``, ``categorical=["leiden"]``.
    What the library reports goes to the ``heatscope`` logger (INFO), its
    warnings to ``warnings``.

    ``data``: a 2-D numpy array (any float or int dtype), a pandas
    DataFrame (index and columns as labels, kept as they are in ``data2d``
    and ``row_clusters``), an AnnData (``obs_names`` × ``var_names``), a
    scipy sparse matrix (drawn dense), or the path of any file heatscope
    reads.
    """
    unknown = sorted(set(heatscope_options) - _SPEC_FIELDS)
    if unknown:
        import difflib
        import inspect

        ours = set(inspect.signature(clustermap).parameters) - {"data", "heatscope_options"}
        close = difflib.get_close_matches(unknown[0], sorted(ours | _SPEC_FIELDS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see help(heatscope.clustermap) for what it takes"
        raise TypeError(f"clustermap() got an unexpected keyword argument {unknown[0]!r}; {hint}")
    source = _Input(data, layer)
    scratch = _Scratch()
    directory = scratch.name
    dpi = _dpi(dpi, "dpi")
    if figsize is not None and (width is not None or height is not None):
        raise ValueError("give figsize (inches) or width and height (pixels), not both")
    if figsize is not None:
        try:
            inches = [float(v) for v in figsize]
        except (TypeError, ValueError):
            raise TypeError(f"figsize={figsize!r}: give (width, height) in inches, e.g. (10, 8)") from None
        if len(inches) != 2 or not all(np.isfinite(v) and v > 0 for v in inches):
            raise ValueError(f"figsize={figsize!r}: give two positive numbers of inches, e.g. (10, 8)")
        width, height = round(inches[0] * dpi), round(inches[1] * dpi)
        if max(width, height) > _LARGEST:
            raise ValueError(
                f"figsize={figsize!r} at dpi={dpi:g} is {width} × {height} px, over {_LARGEST:,} a side; "
                "give inches (e.g. (10, 8)) or a smaller dpi"
            )
    # Unless given, the size is in inches, as matplotlib's: more dpi, more pixels.
    if figsize is None and width is None and height is None:
        largest = round(max(_DEFAULT_INCHES) * dpi)
        if largest > _LARGEST:
            raise ValueError(
                f"dpi={dpi:g}: the default {_DEFAULT_INCHES[0]} × {_DEFAULT_INCHES[1]} inches would be "
                f"{largest:,} px a side, over {_LARGEST:,}; give a smaller dpi or figsize"
            )
    # One side in pixels: the other's default in pixels too (at 100 dpi).
    scale = dpi if width is None and height is None else 100
    width = _pixels(round(_DEFAULT_INCHES[0] * scale) if width is None else width, "width")
    height = _pixels(round(_DEFAULT_INCHES[1] * scale) if height is None else height, "height")
    _check_text(font_size, dpi, "dpi")
    for name, value in (("row_cut", row_cut), ("col_cut", col_cut)):
        whole = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
        if value is not None and not (whole and value >= 1):
            raise ValueError(f"{name}={value!r}: give a number of clusters, 1 or more")
    for name, value in (("dendrogram_ratio", dendrogram_ratio), ("colors_ratio", colors_ratio)):
        if np.ndim(value) != 0:
            raise ValueError(f"{name}={value!r}: give one number; heatscope uses one ratio for both axes")
    if agg not in ("mean", "extremes"):
        raise ValueError(f"agg={agg!r}: give 'mean' or 'extremes'")
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method={method!r}: give one of {', '.join(_METHODS)}")
    if not isinstance(metric, str) or metric not in _METRICS:
        raise ValueError(f"metric={metric!r}: give one of {', '.join(_METRICS)} (by name)")
    if z_score is not None and standard_scale is not None:
        raise ValueError("give z_score or standard_scale, not both (as seaborn)")
    for name, value in (("vmin", vmin), ("vmax", vmax), ("center", center)):
        number = isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))
        if value is not None and not (number and np.isfinite(value)):
            raise ValueError(f"{name}={value!r}: give a finite number")
    cmap = _colormap(cmap, center)
    options: dict = {
        "method": method,
        "metric": metric,
        "optimal_ordering": bool(optimal_ordering),
        "no_row_cluster": not row_cluster,
        "no_col_cluster": not col_cluster,
        "z_score": _axis(z_score, "z_score"),
        "standard_scale": _axis(standard_scale, "standard_scale"),
        "cmap": cmap,
        "center": center,
        "robust": bool(robust),
        "vmin": vmin,
        "vmax": vmax,
        "row_cut": row_cut,
        "col_cut": col_cut,
        "dendrogram_ratio": dendrogram_ratio,
        "colors_ratio": colors_ratio,
        "width": width,
        "height": height,
        "font_size": font_size,
        "agg": agg,
        "title": title,
        # seaborn names the axes after the DataFrame's index and columns.
        "xlabel": None if source.col_name is None else str(source.col_name),
        "ylabel": None if source.row_name is None else str(source.row_name),
    }
    rows, cols = source.rows, source.cols
    row_mode, new_rows = _labels_mode(yticklabels, len(rows) if rows else 0, "yticklabels")
    col_mode, new_cols = _labels_mode(xticklabels, len(cols) if cols else 0, "xticklabels")
    if (new_rows or new_cols) and source.path is not None:
        raise ValueError("for a file, give xticklabels/yticklabels as True, False, 'auto' or a step")
    # Labels given as a list are only the text the figure shows: bars,
    # splits, marks and links match the data's own labels, which data2d,
    # row_clusters and the window keep.
    options["input"] = {"row_label_mode": row_mode, "col_label_mode": col_mode}
    if source.path is not None and layer is not None:
        options["input"]["layer"] = str(layer)
    options["row_linkage"] = _linkage_file(row_linkage, directory, "row_linkage")
    options["col_linkage"] = _linkage_file(col_linkage, directory, "col_linkage")
    categories: list = []
    palettes: dict = {}
    bars = (categories, palettes, source.uns)
    if source.path is None:
        options["row_colors"] = _bar_table(row_colors, rows, source.obs, directory, "row_colors", *bars)
        options["col_colors"] = _bar_table(col_colors, cols, source.var, directory, "col_colors", *bars)
    else:
        if not (row_colors is None or isinstance(row_colors, str)) or not (
            col_colors is None or isinstance(col_colors, str)
        ):
            raise ValueError("for a file, give row_colors/col_colors as 'TABLE.tsv:COLUMN' or 'obs:NAME'")
        options["row_colors"] = [_stored(source.path, row_colors, "obs")] if row_colors else []
        options["col_colors"] = [_stored(source.path, col_colors, "var")] if col_colors else []
    options["row_split"] = _split(row_split, rows, source, directory, "row_split", bars)
    options["col_split"] = _split(col_split, cols, source, directory, "col_split", bars)
    if link is not None:
        linked = _Input(link)
        options["link"] = [linked.path or _matrix_file(linked, directory, "link")]
        if not {"xlabel", "ylabel"} & set(heatscope_options):
            # Its own axes' names: its columns' (none where they have none,
            # not the left one's), its rows' (the left one's where they have
            # none: the rows are the ones joined).
            col = "" if linked.path is not None or linked.col_name is None else str(linked.col_name)
            row = None if linked.row_name is None else str(linked.row_name)
            options["link_axis_names"] = [[col, row]]
    if cbar_kws:
        if not isinstance(cbar_kws, dict) or set(cbar_kws) - {"label"}:
            raise ValueError(f"cbar_kws={cbar_kws!r}: of seaborn's colour-bar options, heatscope takes 'label'")
        options["cbar_label"] = str(cbar_kws["label"])
    options.update(heatscope_options)
    if source.path is None:
        given = list(options.get("categorical") or [])
        options["categorical"] = given + [c for c in categories if c not in given]
        options["palettes"] = {**palettes, **(options.get("palettes") or {})}
    text = json.dumps(options, default=_plain_json)
    known = set(options) | {"memory_budget", "layer"}
    with _NOTES:
        try:
            if source.path is not None:
                figure = _core.Figure(text, path=source.path, cache_dir=cache_dir)
            else:
                figure = _core.Figure(
                    text,
                    data=source.array,
                    row_labels=rows,
                    col_labels=cols,
                    shown_row_labels=new_rows,
                    shown_col_labels=new_cols,
                )
        except (ValueError, MemoryError, OSError) as error:
            _raise_plain(error, known, directory)
        finally:
            _pass_notes(known=known, directory=directory)
    # The figure is kept at 100 dpi and drawn at `dpi`: pixels as asked,
    # text `dpi / 100` times its size, as matplotlib scales points.
    base = (width * 100 / dpi, height * 100 / dpi)
    names = (source.row_name, source.col_name)
    labels = None if source.path is not None else (list(rows), list(cols))
    clustered = (bool(row_cluster), bool(col_cluster))
    indexes = (source.row_index, source.col_index)
    grid = ClusterGrid(figure, base[0], base[1], dpi, [scratch], names, clustered, labels, indexes, font_size)
    # The window reads a file: an array is written once, when first viewed.
    written: list = []

    def viewed() -> tuple:
        if source.path is not None:
            return source.path, text, cache_dir
        if not written:
            written.append(_matrix_file(source, directory, "data"))
        return written[0], text, os.path.join(directory, "cache")

    grid._view = viewed
    return grid


def _colormap(cmap: Any, center: Optional[float]) -> str:
    """``cmap`` as the library takes it: a map's name it knows, or the 256
    colours of any other map (matplotlib's or seaborn's by name, a
    ``Colormap`` object, a list of colours as seaborn's ``ListedColormap``),
    comma-separated."""
    if cmap is None:
        # seaborn's defaults, so that a ported call gets seaborn's colours.
        return "rocket" if center is None else "icefire"
    if isinstance(cmap, str) and _core.known_colormap(cmap):
        return cmap
    try:
        import matplotlib
        from matplotlib.colors import Colormap, ListedColormap, to_hex
    except ImportError:
        raise ValueError(f"cmap={cmap!r}: give a colour map's name; other maps need matplotlib") from None
    table = None
    if isinstance(cmap, str):
        try:
            table = matplotlib.colormaps[cmap]
        except KeyError:
            try:
                import seaborn

                table = seaborn.color_palette(cmap, as_cmap=True)
            except (ImportError, ValueError):
                table = None
        if not isinstance(table, Colormap):
            raise ValueError(f"cmap={cmap!r}: no colour map of that name in heatscope, matplotlib or seaborn")
    elif isinstance(cmap, Colormap):
        # A stock map goes by its name (Colormap's == compares the tables).
        name = getattr(cmap, "name", None)
        if isinstance(name, str) and _core.known_colormap(name) and matplotlib.colormaps.get(name) == cmap:
            return name
        table = cmap
    else:
        try:
            table = ListedColormap(list(cmap))
        except (TypeError, ValueError):
            raise ValueError(f"cmap={cmap!r}: give a map's name, a matplotlib Colormap or a list of colours") from None
    # At the middle of each of the library's 256 steps: a 256-colour map's
    # own table, and a shorter one's bands where matplotlib puts them (to
    # within half a step).
    return ",".join(to_hex(c) for c in table((np.arange(256) + 0.5) / 256))


def _plain_json(value: Any) -> Any:
    """numpy's scalars and arrays as JSON takes them."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    import reprlib

    raise TypeError(f"{reprlib.repr(value)} ({type(value).__name__}) is not an option value heatscope takes")


def _stored(path: str, column: Any, table: str) -> Any:
    """An annotation of a file as the spec takes it: a bare column name of
    an ``.h5ad`` is its ``obs``/``var`` column."""
    if isinstance(column, str) and ":" not in column:
        if path.lower().endswith(".h5ad"):
            return f"{table}:{column}"
        if os.path.exists(column) or os.sep in column or "." in os.path.basename(column):
            return column  # a table, all its columns
        raise ValueError(
            f"{column!r}: a file other than .h5ad has no {table} columns; give 'TABLE.tsv:COLUMN' "
            "(a table keyed by label), or read the file with pandas and pass a Series"
        )
    return column


def _plain(message: str, known: Any = (), directory: Optional[str] = None) -> str:
    """A library message in Python's words: the files written for arguments
    (``DIR/row_colors.tsv``) named by their argument (``row_colors``), the
    library's command-line options (``--row-cut``) by the keyword arguments
    they are here (``row_cut``) where ``known`` has that name, outside
    quoted text (labels, values)."""
    import re

    plain = message
    if directory is not None:
        # "--link DIR/link.npy": the argument's name once.
        written = re.escape(directory) + r"[/\\]([A-Za-z_]+)\.[a-z]+"
        same = re.compile(r"--([a-z]+(?:-[a-z]+)*) " + written)
        plain = same.sub(lambda m: m.group(2) if m.group(1).replace("-", "_") == m.group(2) else m.group(0), plain)
        plain = re.sub(written, r"\1", plain)
    # An array has no file name: the library calls it "<array>".
    plain = plain.replace("<array>", "the matrix")

    def keyword(match: Any) -> str:
        name = match.group(1).replace("-", "_")
        return name if name in known else match.group(0)

    option = re.compile(r"(?<![\w/.-])--([a-z]+(?:-[a-z]+)*)\b")
    # Quoted text ('a label', not the apostrophe of "data's") stays as it is.
    quoted = re.compile(r"(?<![A-Za-z])'[^']*'(?![A-Za-z])")
    pieces, at = [], 0
    for span in quoted.finditer(plain):
        pieces += [option.sub(keyword, plain[at : span.start()]), span.group(0)]
        at = span.end()
    return "".join(pieces) + option.sub(keyword, plain[at:])


def _raise_plain(error: BaseException, known: Any, directory: Optional[str] = None) -> None:
    """Raises ``error`` again with its message in Python's words (``_plain``)."""
    message = str(error)
    plain = _plain(message, known, directory)
    if plain == message:
        raise error
    raise type(error)(plain) from None


def linked(left: Any, right: Any, *, connector_color: str = "#404040", link_order: str = "own", **kwargs: Any) -> ClusterGrid:
    """Two heatmaps side by side, rows of the same label joined by curves.

    ``left`` and ``right`` are what ``clustermap`` takes; ``link_order``
    "own" clusters the right panel's rows itself, "follow" keeps them in the
    left panel's order; ``connector_color`` is a colour (#rrggbb) or
    "clusters" (the colours of the left panel's ``row_cut``). Other
    arguments are ``clustermap``'s.
    """
    if link_order not in ("own", "follow"):
        raise ValueError(f"link_order={link_order!r}: give 'own' or 'follow'")
    return clustermap(left, link=right, connector_color=connector_color, link_order=link_order, **kwargs)


del annotations  # the __future__ import's name, not part of the package
