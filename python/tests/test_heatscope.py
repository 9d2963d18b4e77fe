"""The Python package against scipy, seaborn and matplotlib: every answer
here is computed by those libraries, not by heatscope. Drawing needs a GPU
adapter (Mesa's llvmpipe will do)."""

import io
import json
import os

import numpy as np
import pandas as pd
import pytest
import scipy.cluster.hierarchy as sch
from scipy.spatial.distance import pdist
from scipy.stats import rankdata

import heatscope

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PBMC = os.path.join(REPO, "data", "pbmc68k_reduced.tsv")


def pbmc(rows=120, cols=40):
    """The first rows and columns of the bundled PBMC matrix (real data)."""
    frame = pd.read_csv(PBMC, sep="\t", index_col=0)
    return frame.iloc[:rows, :cols]


def random(rows=150, cols=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, cols)) + np.repeat(rng.normal(scale=3, size=(3, cols)), rows // 3 + 1, 0)[:rows]


def scipy_linkage(x, method, metric):
    x = np.asarray(x, dtype=np.float64)
    if metric == "spearman":
        # Spearman's distance is the correlation distance of the ranks.
        return sch.linkage(pdist(np.apply_along_axis(rankdata, 1, x), "correlation"), method)
    if method in ("centroid", "median", "ward"):
        return sch.linkage(x, method, metric)
    return sch.linkage(pdist(x, metric), method)


EXACT = [
    (method, metric)
    for method in ("single", "complete", "average", "weighted")
    for metric in ("euclidean", "sqeuclidean", "cityblock", "cosine", "correlation", "spearman")
] + [(method, "euclidean") for method in ("centroid", "median", "ward")]


@pytest.mark.parametrize("method,metric", EXACT)
@pytest.mark.parametrize("data", ["random", "pbmc"])
def test_linkage_equals_scipy(method, metric, data):
    # Rank distances take few values: fewer rows, more columns, to keep
    # their merges free of ties (whose order is arbitrary).
    shape = (30, 80) if metric == "spearman" else (150, 12)
    x = random(*shape) if data == "random" else pbmc(shape[0], shape[1] if data == "random" else 40).to_numpy()
    z = heatscope.linkage(x, method=method, metric=metric)
    want = scipy_linkage(x, method, metric)
    assert z.dtype == np.float64 and z.shape == want.shape
    np.testing.assert_allclose(z[:, 2], want[:, 2], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(z[:, 3], want[:, 3])
    for k in (2, 3, 5, 8):
        np.testing.assert_array_equal(
            sch.fcluster(z, k, "maxclust"), sch.fcluster(want, k, "maxclust"), err_msg=f"k={k}"
        )


def test_linkage_with_optimal_ordering_is_as_short_as_scipys():
    x = random(60, 8, seed=3)
    z = heatscope.linkage(x, "average", optimal_ordering=True)
    want = sch.linkage(x, "average", optimal_ordering=True)
    distances = sch.distance.squareform(pdist(x))

    def length(leaves):
        return sum(distances[a, b] for a, b in zip(leaves, leaves[1:]))

    # The same tree; its leaves in an order no longer than scipy's (scipy's
    # can be longer than the optimum, scipy issue #11227; ties have several).
    np.testing.assert_allclose(np.sort(z[:, 2]), np.sort(want[:, 2]), rtol=1e-5)
    assert length(sch.leaves_list(z)) <= length(sch.leaves_list(want)) * (1 + 1e-6)
    assert length(sch.leaves_list(z)) < length(sch.leaves_list(sch.linkage(x, "average")))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"method": "ward"},
        {"method": "complete", "metric": "correlation"},
        {"z_score": 0},
        {"z_score": 1, "method": "single", "metric": "cityblock"},
        {"standard_scale": 1},
        {"standard_scale": 0, "metric": "cosine"},
    ],
)
def test_clustermap_orders_leaves_as_seaborn(options):
    seaborn = pytest.importorskip("seaborn")
    frame = pd.DataFrame(random(90, 10, seed=5), index=[f"g{i}" for i in range(90)], columns=list("abcdefghij"))
    ours = heatscope.clustermap(frame, **options)
    theirs = seaborn.clustermap(frame, **options)
    assert ours.dendrogram_row.reordered_ind == theirs.dendrogram_row.reordered_ind
    assert ours.dendrogram_col.reordered_ind == theirs.dendrogram_col.reordered_ind
    # The values drawn, in display order: seaborn's data2d (standardised as
    # it standardises).
    np.testing.assert_allclose(ours.data2d.to_numpy(), theirs.data2d.to_numpy(), rtol=1e-4, atol=1e-5)
    assert list(ours.data2d.index) == list(theirs.data2d.index)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_a_cut_gives_scipys_flat_clusters_by_label():
    frame = pd.DataFrame(random(120, 6, seed=9), index=[f"cell{i}" for i in range(120)])
    grid = heatscope.clustermap(frame, method="average", row_cut=4)
    want = sch.fcluster(sch.linkage(frame.to_numpy(), "average"), 4, "maxclust")
    assert list(grid.row_clusters.index) == list(frame.index)
    np.testing.assert_array_equal(grid.row_clusters.to_numpy(), want)
    np.testing.assert_allclose(grid.dendrogram_row.linkage, sch.linkage(frame.to_numpy(), "average"), rtol=1e-5)


def png_of(grid):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(grid.to_png())).convert("RGBA"))


def test_the_png_has_the_asked_size_and_a_picture():
    grid = heatscope.clustermap(pbmc(), figsize=(6, 5), dpi=100)
    pixels = png_of(grid)
    assert pixels.shape == (500, 600, 4)
    assert len(np.unique(pixels.reshape(-1, 4), axis=0)) > 200
    assert grid._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_savefig_writes_png_and_svg(tmp_path):
    grid = heatscope.clustermap(random(40, 5), width=400, height=300)
    grid.savefig(tmp_path / "a.png")
    grid.savefig(tmp_path / "a.svg")
    grid.savefig(tmp_path / "b.png", dpi=200)
    from PIL import Image

    assert Image.open(tmp_path / "a.png").size == (400, 300)
    assert Image.open(tmp_path / "b.png").size == (800, 600)
    assert (os.stat(tmp_path / "a.png").st_mode & 0o777) == (0o666 & ~current_umask())
    # Twice the dpi is the same figure twice as large, text included.
    small = grid.layout()
    assert small["width"] == 400
    assert (tmp_path / "a.svg").read_text().lstrip().startswith("<svg") or "<svg" in (tmp_path / "a.svg").read_text()
    with pytest.raises(ValueError, match="png or .svg"):
        grid.savefig(tmp_path / "a.jpg")


def current_umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def bar_pixel(grid, pixels, name, row_position):
    """The colour of a row bar's cell, found through the layout."""
    layout = grid.layout()
    heatmap = layout["heatmaps"][0]
    row = heatmap["rows"][row_position]
    panel = next(p for p in layout["panels"] if p["name"] == name)
    rect = panel["rect"]
    x = int(rect["x"] + rect["w"] / 2)
    y = int((row["from"] + row["to"]) / 2)
    return tuple(pixels[y, x, :3])


def test_anndata_with_an_obs_column_as_row_colors():
    anndata = pytest.importorskip("anndata")
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    frame = pbmc(60, 30)
    kinds = np.array(["B", "T", "NK"])[np.arange(60) % 3]
    adata = anndata.AnnData(
        X=frame.to_numpy(dtype=np.float32),
        obs=pd.DataFrame({"cell_type": kinds}, index=frame.index),
        var=pd.DataFrame(index=frame.columns),
    )
    grid = heatscope.clustermap(adata, row_colors="cell_type", width=800, height=700)
    assert grid.row_labels == list(frame.index)
    pixels = png_of(grid)
    bar = "row_colors:cell_type"
    # Categories in sorted order (B, NK, T) take tab10's first colours.
    tab10 = [tuple(round(255 * c) for c in to_rgb(color)) for color in colormaps["tab10"].colors]
    for position in (0, 30, 59):
        kind = kinds[grid.dendrogram_row.reordered_ind[position]]
        want = tab10[sorted(set(kinds)).index(kind)]
        assert bar_pixel(grid, pixels, bar, position) == want, (position, kind)


@pytest.mark.parametrize(
    "options",
    [
        {"robust": True, "center": 0},
        {"robust": True},
        {"vmin": -1.0, "vmax": 3.0, "center": 0, "cmap": "RdBu_r"},
        {"center": 1.0, "cmap": "vlag"},
        {"vmax": 1.5, "cmap": "coolwarm"},
        # Maps only matplotlib or seaborn know, map objects, a list of colours.
        {"cmap": "jet"},
        {"make_cmap": lambda sns: sns.diverging_palette(220, 20, as_cmap=True), "center": 0},
        {"make_cmap": lambda sns: ["#ff0000", "green", (0.0, 0.0, 1.0)]},
        {"make_cmap": lambda sns: sns.color_palette("Blues", 9)},
    ],
)
def test_cells_have_seaborns_colours(options):
    """Each cell's pixel is the colour seaborn's heatmap gives it, and the
    colour bar runs over seaborn's limits."""
    seaborn = pytest.importorskip("seaborn")
    import matplotlib.pyplot as plt

    options = dict(options)
    if "make_cmap" in options:
        options["cmap"] = options.pop("make_cmap")(seaborn)

    rng = np.random.default_rng(3)
    values = (np.exp(rng.normal(0.0, 0.8, size=(20, 8))) - 1.2).astype(np.float32)
    frame = pd.DataFrame(values, index=[f"r{i}" for i in range(20)], columns=[f"c{j}" for j in range(8)])
    grid = heatscope.clustermap(frame, row_cluster=False, col_cluster=False, width=600, height=600, **options)
    fig, ax = plt.subplots()
    seaborn.heatmap(frame, ax=ax, **options)
    mesh = ax.collections[0]
    want = mesh.to_rgba(mesh.get_array(), bytes=True).reshape(20, 8, 4)[:, :, :3].astype(int)
    limits = (mesh.norm.vmin, mesh.norm.vmax)
    # A map of fewer than 256 colours (a list's bands) is drawn through 256
    # steps: within half a step of a band's edge, a cell may take the band
    # beside it.
    bands = mesh.cmap.N
    t = np.asarray(mesh.norm(mesh.get_array())).reshape(20, 8) * bands
    edge = (np.abs(t - np.round(t)) < bands / 512) if bands < 256 else np.zeros(t.shape, bool)
    assert edge.sum() <= 16
    plt.close(fig)
    heatmap = grid.layout()["heatmaps"][0]
    assert (heatmap["norm"]["vmin"], heatmap["norm"]["vmax"]) == pytest.approx(limits, rel=1e-6)
    pixels = png_of(grid)
    for i, row in enumerate(heatmap["rows"]):
        for j, col in enumerate(heatmap["cols"]):
            y, x = int((row["from"] + row["to"]) / 2), int((col["from"] + col["to"]) / 2)
            got = pixels[y, x, :3].astype(int)
            assert edge[i, j] or np.abs(got - want[i, j]).max() <= 1, (i, j, got, want[i, j])


def test_bad_colour_scales_are_one_line_errors():
    frame = pd.DataFrame(random(10, 4))
    with pytest.raises(ValueError, match="cmap='nonesuch': no colour map of that name in heatscope, matplotlib"):
        heatscope.clustermap(frame, cmap="nonesuch")
    with pytest.raises(ValueError, match="vmax must be above vmin"):
        heatscope.clustermap(frame, vmin=2.0, vmax=1.0)
    with pytest.raises(ValueError, match="^the matrix: vmin 1000 is above the data's largest value"):
        heatscope.clustermap(frame, vmin=1000.0)


def test_row_colors_given_as_colours_are_drawn_as_given():
    frame = pd.DataFrame(random(30, 4), index=[f"r{i}" for i in range(30)])
    colours = pd.Series(["red" if i % 2 else "#00ff00" for i in range(30)], index=frame.index, name="parity")
    grid = heatscope.clustermap(frame, row_colors=colours, width=600, height=500)
    pixels = png_of(grid)
    bar = "row_colors:parity"
    for position in range(0, 30, 7):
        i = grid.dendrogram_row.reordered_ind[position]
        assert bar_pixel(grid, pixels, bar, position) == ((255, 0, 0) if i % 2 else (0, 255, 0))


def test_float32_c_contiguous_input_is_read_in_place():
    x = np.ascontiguousarray(random(50, 8), dtype=np.float32)
    grid = heatscope.clustermap(x)
    assert grid._figure.data_address() == x.__array_interface__["data"][0]
    order = grid.dendrogram_row.reordered_ind
    # Read-only while the figure lives, writeable again after.
    with pytest.raises(ValueError, match="read-only"):
        x[0, 0] = 1.0
    del grid
    import gc

    gc.collect()
    converted = heatscope.clustermap(np.asfortranarray(x))
    assert converted._figure.data_address() != x.__array_interface__["data"][0]
    assert converted.dendrogram_row.reordered_ind == order
    assert x.flags.writeable
    heatscope.linkage(x)
    assert x.flags.writeable
    x[0, 0] = 1.0


def test_a_precomputed_linkage_is_drawn_as_given():
    x = random(40, 6)
    z = sch.linkage(x, "complete")
    grid = heatscope.clustermap(x, row_linkage=z)
    assert grid.dendrogram_row.reordered_ind == sch.leaves_list(z).tolist()


def test_a_linked_pair_joins_rows_by_label():
    left = pd.DataFrame(random(40, 5, seed=1), index=[f"g{i}" for i in range(40)])
    right = pd.DataFrame(random(30, 3, seed=2), index=[f"g{i}" for i in range(10, 40)])
    grid = heatscope.linked(left, right, width=900, height=600)
    layout = grid.layout()
    assert len(layout["heatmaps"]) == 2
    assert layout["gaps"][0]["links"] == 30


def test_bad_input_raises_the_right_exception(tmp_path):
    with pytest.raises(ValueError, match="2-D"):
        heatscope.linkage(np.arange(10.0))
    with pytest.raises(ValueError, match="dtype"):
        heatscope.clustermap(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="infinite"):
        heatscope.clustermap(np.array([[1.0, np.inf], [2.0, 3.0]]))
    with pytest.raises(ValueError):
        heatscope.clustermap(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="method"):
        heatscope.linkage(random(10, 3), method="nearest")
    with pytest.raises(FileNotFoundError):
        heatscope.clustermap(tmp_path / "missing.tsv")
    ragged = tmp_path / "ragged.tsv"
    ragged.write_text("id\ta\tb\nr1\t1\t2\nr2\t3\n")
    with pytest.raises(ValueError, match="ragged.tsv"):
        heatscope.clustermap(ragged)
    with pytest.raises(MemoryError, match="approx=True"):
        heatscope.linkage(random(3000, 4), memory_budget=1 << 20)
    with pytest.raises(ValueError, match="z_score"):
        heatscope.clustermap(random(10, 3), z_score=2)
    with pytest.raises(ValueError, match="vmax"):
        heatscope.clustermap(random(10, 3), vmin=2, vmax=1)


def test_over_the_budget_approx_true_clusters_approximately():
    x = random(3000, 4)
    z = heatscope.linkage(x, "ward", approx=True, memory_budget=1 << 20)
    assert z.shape == (2999, 4)
    assert sorted(sch.leaves_list(z).tolist()) == list(range(3000))


def test_a_file_path_is_read_like_the_command_line_reads_it():
    grid = heatscope.clustermap(PBMC, metric="correlation", cache_dir=None)
    frame = pd.read_csv(PBMC, sep="\t", index_col=0)
    assert grid.row_labels == [str(i) for i in frame.index]
    want = sch.linkage(pdist(frame.to_numpy(dtype=np.float64), "correlation"), "average")
    np.testing.assert_allclose(grid.dendrogram_row.linkage[:, 2], want[:, 2], rtol=1e-4, atol=1e-6)
    assert json.loads(json.dumps(grid.layout()))["width"] == 1200


def test_ctrl_c_stops_a_long_clustering_with_keyboard_interrupt():
    import signal
    import subprocess
    import sys

    # Python's own Ctrl-C handler, as a terminal or notebook has it, even
    # when this test runs where SIGINT is ignored (a background job).
    script = (
        "import signal, sys, numpy as np, heatscope\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "x = np.random.default_rng(0).normal(size=(600_000, 60)).astype(np.float32)\n"
        "print('started', flush=True)\n"
        "try:\n"
        "    heatscope.linkage(x, 'ward', approx=True)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(3)\n"
        "print('finished', flush=True)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    import time

    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    # A bound against a hang, not a speed check.
    out, _ = child.communicate(timeout=120)
    assert (child.returncode, out.strip()) == (3, "interrupted")


def test_view_opens_the_window_twice_in_one_process_under_xvfb(tmp_path):
    import shutil
    import subprocess
    import sys
    import time

    assert shutil.which("Xvfb"), "Xvfb is not installed (apt-get install xvfb, or .ci/deps)"
    for number in range(140, 170):
        if not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
    try:
        for _ in range(100):
            if os.path.exists(f"/tmp/.X11-unix/X{number}"):
                break
            time.sleep(0.05)
        script = (
            "import sys, numpy as np, heatscope\n"
            "x = np.random.default_rng(0).normal(size=(80, 12)).astype(np.float32)\n"
            "grid = heatscope.clustermap(x)\n"
            "grid.view(exit_after_frames=3, screenshot=sys.argv[1])\n"
            "grid.view(exit_after_frames=3, screenshot=sys.argv[2])\n"
        )
        first, second = tmp_path / "first.png", tmp_path / "second.png"
        env = dict(os.environ, DISPLAY=f":{number}")
        done = subprocess.run(
            [sys.executable, "-c", script, str(first), str(second)], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    finally:
        server.terminate()
        server.wait()
    from PIL import Image

    pixels = [np.asarray(Image.open(path).convert("RGB")) for path in (first, second)]
    assert pixels[0].shape == pixels[1].shape and pixels[0].shape[0] > 100
    # The same figure both times, and a picture, not a blank window.
    np.testing.assert_array_equal(pixels[0], pixels[1])
    assert len(np.unique(pixels[0].reshape(-1, 3), axis=0)) > 100


def test_cluster_numbers_as_row_colors_stay_categories_with_a_legend():
    frame = pd.DataFrame(random(30, 4), index=[f"r{i}" for i in range(30)])
    leiden = pd.Series([str(i % 3) for i in range(30)], index=frame.index, name="leiden")
    grid = heatscope.clustermap(frame, row_colors=leiden, width=600, height=500)
    names = [p["name"] for p in grid.layout()["panels"]]
    assert "row_colors:leiden" in names and "legend:leiden" in names


def test_a_dataframes_index_and_columns_names_name_the_axes_as_in_seaborn():
    frame = pd.DataFrame(random(30, 4), index=pd.Index([f"c{i}" for i in range(30)], name="cell"))
    frame.columns = pd.Index(["g0", "g1", "g2", "g3"], name="gene")
    texts = heatscope.clustermap(frame, width=600, height=500).layout()["texts"]
    assert sorted(t["text"] for t in texts if t["kind"] == "axis_name") == ["cell", "gene"]
    # Integer cluster ids drawn as categories when asked.
    ids = pd.Series([i % 12 for i in range(30)], index=frame.index, name="cluster")
    grid = heatscope.clustermap(frame, row_colors=ids, categorical=["cluster"], width=600, height=700)
    entries = [t["text"] for t in grid.layout()["texts"] if t["kind"] == "legend_entry"]
    assert entries == [str(i) for i in range(12)]


def test_row_split_clusters_each_category_alone_in_the_given_order():
    frame = pd.DataFrame(random(90, 6, seed=4), index=[f"g{i}" for i in range(90)])
    kinds = pd.Series(np.array(["b", "a", "c"])[np.arange(90) % 3], index=frame.index, name="kind")
    grid = heatscope.clustermap(frame, method="average", row_split=kinds, split_order="given")
    drawn = [frame.index[i] for i in grid.dendrogram_row.reordered_ind]
    # scipy's tree of each category's rows alone (their float32 values, as
    # heatscope holds them), the categories in their sorted order.
    want = []
    for kind in ["a", "b", "c"]:
        members = frame[kinds == kind]
        z = sch.linkage(members.to_numpy(np.float32).astype(np.float64), "average")
        want += [members.index[i] for i in sch.dendrogram(z, no_plot=True)["leaves"]]
    assert drawn == want
    # Split by the tree's K clusters: the whole tree's order.
    grid = heatscope.clustermap(frame, method="average", row_split=4)
    z = sch.linkage(frame.to_numpy(np.float32).astype(np.float64), "average")
    assert list(grid.dendrogram_row.reordered_ind) == sch.dendrogram(z, no_plot=True)["leaves"]
    with pytest.raises(ValueError, match="row_split=0"):
        heatscope.clustermap(frame, row_split=0)


def panel_named(grid, ending):
    return next(p["name"] for p in grid.layout()["panels"] if p["name"].endswith(ending))


def test_a_layer_and_a_bare_obs_column_of_an_h5ad_file(tmp_path):
    anndata = pytest.importorskip("anndata")
    frame = pbmc(60, 30)
    kinds = np.array(["B", "T", "NK"])[np.arange(60) % 3]
    x = frame.to_numpy(dtype=np.float32)
    adata = anndata.AnnData(
        X=x, obs=pd.DataFrame({"cell_type": kinds}, index=frame.index), var=pd.DataFrame(index=frame.columns)
    )
    adata.layers["scaled"] = x * 100 + 5
    path = tmp_path / "layered.h5ad"
    adata.write_h5ad(path)
    grid = heatscope.clustermap(
        str(path), layer="scaled", row_colors="cell_type", row_cluster=False, col_cluster=False, width=800, height=700
    )
    # seaborn's: no tree where an axis is not clustered.
    assert grid.dendrogram_row is None and grid.dendrogram_col is None
    np.testing.assert_array_equal(grid.data2d.to_numpy(), x * 100 + 5)
    pixels = png_of(grid)
    bar = panel_named(grid, "cell_type")
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    tab10 = [tuple(round(255 * c) for c in to_rgb(color)) for color in colormaps["tab10"].colors]
    for position in (0, 1, 2, 59):
        assert bar_pixel(grid, pixels, bar, position) == tab10[["B", "NK", "T"].index(kinds[position])]
    with pytest.raises(ValueError, match="no layer 'nope'"):
        heatscope.clustermap(str(path), layer="nope")
    with pytest.raises(ValueError, match="no such layer; the AnnData's layers are: scaled"):
        heatscope.clustermap(adata, layer="nope")


def test_row_colors_as_lists_make_one_bar_or_one_bar_each():
    from matplotlib.colors import to_rgb

    frame = pd.DataFrame(random(30, 4), index=[f"r{i}" for i in range(30)])
    parity = ["red" if i % 2 else "#00ff00" for i in range(30)]
    thirds = [(0.0, 0.0, 1.0) if i < 10 else (1.0, 1.0, 0.0) for i in range(30)]
    nested = ([parity, thirds], [parity, thirds])
    arrays = (np.array([thirds, thirds[::-1]]), [thirds, thirds[::-1]])
    for given, bars in ((parity, [parity]), (np.array(thirds), [thirds]), nested, arrays):
        grid = heatscope.clustermap(frame, row_colors=given, width=600, height=500)
        pixels = png_of(grid)
        names = [p["name"] for p in grid.layout()["panels"] if p["name"].startswith("row_colors:")]
        assert len(names) == len(bars)
        for name, colours in zip(names, bars):
            for position in range(0, 30, 7):
                i = grid.dendrogram_row.reordered_ind[position]
                want = tuple(round(255 * c) for c in to_rgb(colours[i]))
                assert bar_pixel(grid, pixels, name, position) == want


def text_height(grid, kind):
    return max(t["box"][3] for t in grid.layout()["texts"] if t["kind"] == kind)


def test_dpi_scales_the_text_as_matplotlib_scales_points(tmp_path):
    frame = pbmc(40, 12)
    at_100 = heatscope.clustermap(frame, figsize=(6, 5), dpi=100, title="Cells")
    at_300 = heatscope.clustermap(frame, figsize=(6, 5), dpi=300, title="Cells")
    assert png_of(at_100).shape[:2] == (500, 600) and png_of(at_300).shape[:2] == (1500, 1800)
    assert text_height(at_300, "title") == pytest.approx(3 * text_height(at_100, "title"), abs=3)
    # savefig's dpi likewise: the figure at 300 dpi either way.
    at_100.savefig(tmp_path / "saved.png", dpi=300)
    assert (tmp_path / "saved.png").read_bytes() == at_300.to_png()
    # The PNG records its dpi, as matplotlib's do, so that a document
    # places it at 6 × 5 inches.
    from PIL import Image

    with Image.open(tmp_path / "saved.png") as saved:
        assert saved.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    with Image.open(io.BytesIO(at_100.to_png())) as drawn:
        assert drawn.info["dpi"] == pytest.approx((100, 100), abs=0.01)
    with pytest.raises(ValueError, match="positive number of dots per inch"):
        heatscope.clustermap(frame, figsize=(6, 5), dpi=0)
    with pytest.raises(TypeError, match="inches"):
        heatscope.clustermap(frame, figsize="big")


def test_seaborns_and_scipys_refusals_and_plain_messages(tmp_path):
    frame = pd.DataFrame(random(20, 4), index=pd.Index([f"r{i}" for i in range(20)], name="cell"))
    with pytest.raises(ValueError, match="not both"):
        heatscope.clustermap(frame, z_score=0, standard_scale=1)
    with pytest.raises(ValueError, match="requires metric='euclidean'"):
        heatscope.linkage(frame.to_numpy(), "ward", "correlation")
    with pytest.raises(ValueError, match="metric=<function"):
        heatscope.clustermap(frame, metric=lambda a, b: 0.0)
    with pytest.raises(ValueError, match="metric='minkowski': give one of euclidean"):
        heatscope.clustermap(frame, metric="minkowski")
    with pytest.raises(ValueError, match="vmin=True: give a finite number"):
        heatscope.clustermap(frame, vmin=True)
    with pytest.raises(ValueError, match="width=0: give a number of pixels from 1"):
        heatscope.clustermap(frame, width=0)
    with pytest.raises(TypeError, match="dpi=True"):
        heatscope.clustermap(frame, dpi=True)
    with pytest.raises(ValueError, match=r"dpi=20000: the text would be 2400 px high, over 200; give a dpi up to 1666\.67"):
        heatscope.clustermap(frame).savefig(tmp_path / "huge.png", dpi=20000)
    with pytest.raises(ValueError, match="dpi=1500: the figure would be 18000 × 15000 px"):
        heatscope.clustermap(frame).savefig(tmp_path / "huge.png", dpi=1500)
    with pytest.raises(ValueError, match="vmin=nan: give a finite number"):
        heatscope.clustermap(frame, vmin=float("nan"))
    with pytest.raises(ValueError, match="beyond the float32 range"):
        heatscope.clustermap(np.array([[1e300, 1.0], [2.0, 3.0]]))
    with pytest.raises(FileNotFoundError, match="no such folder"):
        heatscope.clustermap(frame).savefig(tmp_path / "missing" / "x.png")
    with pytest.raises(ValueError) as refused:
        heatscope.clustermap(frame, row_linkage=sch.linkage(random(10, 4), "average"))
    assert str(refused.value).startswith("row_linkage") and "heatscope-" not in str(refused.value)
    empty_row = random(30, 5)
    empty_row[6] = np.nan
    with pytest.raises(ValueError, match=r"^the matrix: row 'g6' \(row 7 of 30\) has no finite value"):
        heatscope.clustermap(pd.DataFrame(empty_row, index=[f"g{i}" for i in range(30)]))
    # pandas' nullable numbers, missing values included, are numbers.
    nullable = frame.astype("Float64")
    nullable.iloc[3, 2] = pd.NA
    grid = heatscope.clustermap(nullable, row_cluster=False, col_cluster=False)
    want = frame.to_numpy(dtype=np.float32)
    want[3, 2] = np.nan
    np.testing.assert_array_equal(grid.data2d.to_numpy(), want)
    assert grid.data2d.index.name == "cell"


def test_tick_labels_given_as_a_list_change_the_text_not_the_matching():
    from matplotlib.colors import to_rgb

    frame = pd.DataFrame(random(30, 4), index=[f"r{i}" for i in range(30)])
    colours = pd.Series([f"C{i % 10}" for i in range(30)], index=frame.index, name="colour")
    shuffled = colours.sample(frac=1.0, random_state=1)  # matched by label, not position
    for ticks in (["same"] * 30, [f"t{29 - i}" for i in range(30)]):
        grid = heatscope.clustermap(frame, yticklabels=ticks, row_colors=shuffled, mark_rows=["r3"], width=700, height=800)
        order = grid.dendrogram_row.reordered_ind
        assert list(grid.data2d.index) == [frame.index[i] for i in order]
        rows = grid.layout()["heatmaps"][0]["rows"]
        assert [row["label"] for row in rows] == [ticks[i] for i in order]
        pixels = png_of(grid)
        for position in range(0, 30, 4):
            want = tuple(round(255 * c) for c in to_rgb(colours.iloc[order[position]]))
            assert bar_pixel(grid, pixels, "row_colors:colour", position) == want


def test_figures_keep_their_values_while_they_live():
    import gc

    # Two figures of one array: it stays read-only until both are gone.
    x = np.ascontiguousarray(random(30, 4), dtype=np.float32)
    first, second = heatscope.clustermap(x), heatscope.clustermap(x)
    del first
    gc.collect()
    with pytest.raises(ValueError, match="read-only"):
        x[0, 0] = 1.0
    del second
    gc.collect()
    x[0, 0] = 1.0
    # A float32 DataFrame is copied: writing through the frame leaves the figure as it was.
    frame = pd.DataFrame(np.ascontiguousarray(random(30, 4), dtype=np.float32))
    before = frame.to_numpy().copy()
    grid = heatscope.clustermap(frame, row_cluster=False, col_cluster=False)
    frame.iloc[:5] = -50.0
    np.testing.assert_array_equal(grid.data2d.to_numpy(), before)
    # A figure dropped while an exception unwinds leaves that exception as it was.
    with pytest.raises(TypeError, match="transparent"):
        heatscope.clustermap(random(20, 3).astype(np.float32)).savefig("x.png", transparent=True)


def test_numpy_scalars_one_letter_colours_and_categorical_columns():
    from matplotlib.colors import to_rgb

    frame = pd.DataFrame(random(30, 4), index=[f"r{i}" for i in range(30)])
    named = ["red", "k", "g"]
    colours = pd.Series([named[i % 3] for i in range(30)], index=frame.index, name="c")
    grid = heatscope.clustermap(
        frame, row_colors=colours, vmin=np.float32(-3), center=np.float64(0), row_cut=np.int64(3), width=600, height=500
    )
    pixels = png_of(grid)
    for position in range(0, 30, 5):
        want = tuple(round(255 * c) for c in to_rgb(colours.iloc[grid.dendrogram_row.reordered_ind[position]]))
        assert bar_pixel(grid, pixels, "row_colors:c", position) == want
    assert len(grid.row_clusters.unique()) == 3
    # Eleven clusters named 0 to 10, of pandas' categorical dtype: categories, with a legend.
    clusters = pd.Series(pd.Categorical([str(i % 11) for i in range(30)]), index=frame.index, name="leiden")
    layout = heatscope.clustermap(frame, row_colors=clusters, width=700, height=600).layout()
    assert "legend:leiden" in [p["name"] for p in layout["panels"]]
    entries = [t["text"] for t in layout["texts"] if t["kind"] == "legend_entry"]
    assert entries == [str(i) for i in range(11)]


def test_repeated_labels_are_warned_about():
    frame = pd.DataFrame(random(6, 3), index=["A", "A", "A", "B", "C", "D"])
    with pytest.warns(UserWarning, match="3 rows are labelled 'A'"):
        heatscope.clustermap(frame)


def test_tree_lines_scale_with_the_dpi_as_the_text_does():
    frame = pbmc(60, 20)

    def inked(grid):
        """Dark pixels in the column tree's panel, and the panel's area."""
        panel = next(p["rect"] for p in grid.layout()["panels"] if p["name"] == "col_dendrogram")
        x, y, w, h = (int(panel[k]) for k in ("x", "y", "w", "h"))
        tree = png_of(grid)[y : y + h, x : x + w, :3]
        return int((tree.max(axis=2) < 128).sum()), w * h

    thin, area = inked(heatscope.clustermap(frame, figsize=(6, 5), dpi=100))
    thick, area_3 = inked(heatscope.clustermap(frame, figsize=(6, 5), dpi=300))
    # Lines 3 px wide and 3 times as long in a panel about 9 times the
    # area: about the same share of it inked (a third with hairlines).
    assert 0.75 < (thick / area_3) / (thin / area) < 1.35


def test_savefig_as_matplotlibs_and_multiindex_labels_as_seaborns(tmp_path):
    index = pd.MultiIndex.from_tuples([(f"r{i}", "ab"[i % 2]) for i in range(20)], names=["gene", "kind"])
    frame = pd.DataFrame(random(20, 3), index=index)
    grid = heatscope.clustermap(frame, width=500, height=400)
    # seaborn writes a MultiIndex's levels joined with "-", and keeps it whole in data2d.
    order = grid.dendrogram_row.reordered_ind
    assert grid.row_labels == [f"r{i}-{'ab'[i % 2]}" for i in range(20)]
    assert list(grid.data2d.index) == [(f"r{i}", "ab"[i % 2]) for i in order]
    assert list(grid.data2d.index.names) == ["gene", "kind"]
    buffer = io.BytesIO()
    grid.savefig(buffer, bbox_inches="tight")
    assert buffer.getvalue() == grid.to_png()
    grid.savefig(tmp_path / "figure", format="svg")
    assert "<svg" in (tmp_path / "figure").read_text()
    grid.savefig(tmp_path / "plain")  # no extension: PNG, as matplotlib's default
    assert (tmp_path / "plain.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="format='jpg'"):
        grid.savefig(buffer, format="jpg")


def test_an_anndatas_categories_keep_their_order_and_scanpys_colours():
    anndata = pytest.importorskip("anndata")
    from matplotlib.colors import to_rgb

    frame = pbmc(44, 20)
    clusters = pd.Categorical([str(i % 11) for i in range(44)], categories=[str(i) for i in range(11)])
    levels = pd.Categorical(["low", "mid", "high", "mid"] * 11, categories=["low", "mid", "high"], ordered=True)
    adata = anndata.AnnData(
        X=frame.to_numpy(dtype=np.float32),
        obs=pd.DataFrame({"louvain": clusters, "level": levels}, index=frame.index),
        var=pd.DataFrame(index=frame.columns),
    )
    stored = ["#%02x%02x%02x" % (20 * i, 255 - 20 * i, (97 * i) % 256) for i in range(11)]
    adata.uns["louvain_colors"] = np.array(stored, dtype=object)
    grid = heatscope.clustermap(adata, row_colors="louvain", width=800, height=700)
    pixels = png_of(grid)
    bar = panel_named(grid, "louvain")
    for position in range(0, 44, 5):
        cluster = int(clusters[grid.dendrogram_row.reordered_ind[position]])
        assert bar_pixel(grid, pixels, bar, position) == tuple(round(255 * c) for c in to_rgb(stored[cluster]))
    layout = heatscope.clustermap(adata, row_colors=adata.obs[["level"]], width=700, height=600).layout()
    entries = [t["text"] for t in layout["texts"] if t["kind"] == "legend_entry"]
    assert entries == ["low", "mid", "high"]
    # Several obs columns by name: a bar each.
    both = heatscope.clustermap(adata, row_colors=["louvain", "level"], width=800, height=700).layout()
    assert {"legend:louvain", "legend:level"} <= {p["name"] for p in both["panels"]}


def test_labels_with_tabs_and_line_breaks_keep_their_bars_and_slices():
    from matplotlib.colors import to_rgb

    frame = pd.DataFrame(random(4, 3), index=["a\n", "tab\there", "new\nline", "\td"])
    grid = heatscope.clustermap(frame, row_colors=["r", "b", "r", "b"], row_split=["A", "A", "B", "B"])
    assert grid.row_labels == ["a ", "tab here", "new line", " d"]
    titles = [t["text"] for t in grid.layout()["texts"] if t["kind"] == "slice_title"]
    assert sorted(titles) == ["A", "B"]
    pixels = png_of(grid)
    rows = grid.layout()["heatmaps"][0]["rows"]
    for position, row in enumerate(rows):
        want = tuple(round(255 * c) for c in to_rgb("rb"[grid.dendrogram_row.reordered_ind[position] % 2]))
        assert bar_pixel(grid, pixels, "row_colors:row_colors", position) == want


def test_an_ordered_categorys_order_orders_the_slices():
    frame = pd.DataFrame(random(24, 4), index=[f"r{i}" for i in range(24)])
    levels = pd.Categorical(["hi", "mid", "lo"] * 8, categories=["lo", "mid", "hi"], ordered=True)
    split = pd.Series(levels, index=frame.index, name="level")
    layout = heatscope.clustermap(frame, row_split=split, split_order="given").layout()
    assert [t["text"] for t in layout["texts"] if t["kind"] == "slice_title"] == ["lo", "mid", "hi"]
    # A bar of the same name keeps its own order; the split its own.
    named = pd.Series(["hi", "mid", "lo"] * 8, index=frame.index, name="level")
    grid = heatscope.clustermap(frame, row_colors=named, row_split=split, split_order="given")
    texts = grid.layout()["texts"]
    assert [t["text"] for t in texts if t["kind"] == "slice_title"] == ["lo", "mid", "hi"]
    assert [t["text"] for t in texts if t["kind"] == "legend_entry"] == ["hi", "lo", "mid"]
    # The bars of a DataFrame: each column read as colours or categories on its own.
    bars = pd.DataFrame({"kind": ["x", "y"] * 12, "col": ["r", "b"] * 12}, index=frame.index)
    panels = [p["name"] for p in heatscope.clustermap(frame, row_colors=bars).layout()["panels"]]
    assert "legend:kind" in panels and "legend:col" not in panels


def test_seaborns_own_colour_letters_and_greys_are_colours():
    from matplotlib.colors import to_rgb

    frame = pd.DataFrame(random(30, 4), index=[f"r{i}" for i in range(30)])
    # seaborn's documented example: species mapped to "r", "b", "g"; and grey levels.
    for named in (["r", "b", "g"], ["0.2", "0.5", "0.8"]):
        colours = pd.Series([named[i % 3] for i in range(30)], index=frame.index, name="c")
        grid = heatscope.clustermap(frame, row_colors=colours, width=600, height=500)
        pixels = png_of(grid)
        for position in range(0, 30, 4):
            want = tuple(round(255 * c) for c in to_rgb(colours.iloc[grid.dendrogram_row.reordered_ind[position]]))
            assert bar_pixel(grid, pixels, "row_colors:c", position) == want
        assert "legend:c" not in [p["name"] for p in grid.layout()["panels"]]
    # Clusters named 0 and 1 are not greys: categories, with a legend.
    clusters = pd.Series([str(i % 2) for i in range(30)], index=frame.index, name="k")
    layout = heatscope.clustermap(frame, row_colors=clusters, width=600, height=500).layout()
    assert "legend:k" in [p["name"] for p in layout["panels"]]
    # "none" is a category among categories, and a split's values are categories.
    treatment = pd.Series([["none", "drugA", "drugB"][i % 3] for i in range(30)], index=frame.index, name="t")
    layout = heatscope.clustermap(frame, row_colors=treatment, width=600, height=500).layout()
    assert sorted(t["text"] for t in layout["texts"] if t["kind"] == "legend_entry") == ["drugA", "drugB", "none"]
    split = heatscope.clustermap(frame, row_split=["b", "c"] * 15, width=600, height=500)
    titles = [t["text"] for t in split.layout()["texts"] if t["kind"] == "slice_title"]
    assert sorted(titles) == ["b", "c"]


def test_a_numeric_index_stays_numbers_in_data2d_and_the_clusters():
    frame = pd.DataFrame(random(25, 6), index=pd.Index(np.arange(100, 125), name="id"))
    grid = heatscope.clustermap(frame, row_cut=3)
    assert grid.row_clusters.index.equals(frame.index)
    frame["cluster"] = grid.row_clusters
    assert frame["cluster"].notna().all()
    want = sch.fcluster(sch.linkage(frame.iloc[:, :6].to_numpy(), "average"), 3, "maxclust")
    assert (frame["cluster"].to_numpy() == want).all()
    order = grid.dendrogram_row.reordered_ind
    assert list(grid.data2d.index) == [100 + i for i in order]
    assert grid.data2d.index.name == "id"
    cols = grid.dendrogram_col.reordered_ind
    want_row = frame.iloc[order[0], cols].to_numpy(np.float32)
    np.testing.assert_array_equal(grid.data2d.loc[100 + order[0]].to_numpy(), want_row)


def test_a_dpi_alone_sizes_the_default_figure_in_inches():
    grid = heatscope.clustermap(random(20, 4), dpi=50)
    assert png_of(grid).shape[:2] == (500, 600)  # 12 × 10 inches at 50 dpi
    # One side in pixels: the other's default in pixels (1,000 high).
    assert png_of(heatscope.clustermap(random(20, 4), width=700, dpi=200)).shape[:2] == (1000, 700)
    with pytest.raises(ValueError, match="figsize .* or width and height .*, not both"):
        heatscope.clustermap(random(20, 4), figsize=(5, 5), width=300)


def test_an_integer_tick_label_step_shows_every_kth_label_in_display_order():
    frame = pd.DataFrame(random(40, 6), index=[f"r{i}" for i in range(40)])
    grid = heatscope.clustermap(frame, yticklabels=5, figsize=(6, 8))
    shown = [t["text"] for t in grid.layout()["texts"] if t["kind"] == "row_label"]
    assert shown == [f"r{i}" for i in grid.dendrogram_row.reordered_ind[::5]]
    with pytest.raises(ValueError, match="yticklabels=0: give a step of 1 or more"):
        heatscope.clustermap(frame, yticklabels=0)
    with pytest.raises(TypeError, match="yticklabels='none': give True, False, 'auto', a step"):
        heatscope.clustermap(frame, yticklabels="none")


def test_linked_panels_take_their_own_axis_names():
    genes = [f"g{i}" for i in range(12)]
    left = pd.DataFrame(random(12, 4), index=pd.Index(genes, name="gene"), columns=pd.Index(list("ABCD"), name="tissue"))
    right = pd.DataFrame(random(10, 3, seed=1), index=pd.Index(genes[:10], name="gene_R"))
    right.columns = pd.Index(["t0", "t1", "t2"], name="timepoint")
    texts = heatscope.linked(left, right, figsize=(10, 6)).layout()["texts"]
    assert sorted(t["text"] for t in texts if t["kind"] == "axis_name") == ["gene_R", "timepoint", "tissue"]
    # Rows unnamed on the right: the left's name, the rows being the ones joined.
    right.index.name = None
    texts = heatscope.linked(left, right, figsize=(10, 6)).layout()["texts"]
    assert sorted(t["text"] for t in texts if t["kind"] == "axis_name") == ["gene", "timepoint", "tissue"]


def test_keywords_and_values_heatscope_does_not_take_are_named():
    frame = pd.DataFrame(random(20, 4))
    texts = heatscope.clustermap(frame, cbar_kws={"label": "z-score"}, center=0).layout()["texts"]
    assert [t["text"] for t in texts if t["kind"] == "colorbar_label"] == ["z-score"]
    # Negative ticks with matplotlib's minus sign.
    ticks = [t["text"] for t in texts if t["kind"] == "colorbar_tick"]
    assert any(t.startswith("\u2212") for t in ticks) and not any(t.startswith("-") for t in ticks)
    with pytest.raises(ValueError, match="cbar_kws=.*heatscope takes 'label'"):
        heatscope.clustermap(frame, cbar_kws={"shrink": 0.5})
    with pytest.raises(TypeError, match="unexpected keyword argument 'mask'"):
        heatscope.clustermap(frame, mask=frame > 0)
    with pytest.raises(ValueError, match="row_cut=-3: give a number of clusters"):
        heatscope.clustermap(frame, row_cut=-3)
    with pytest.raises(TypeError, match="xticklabels=None"):
        heatscope.clustermap(frame, xticklabels=None)
    with pytest.raises(ValueError, match="agg='foo': give 'mean' or 'extremes'"):
        heatscope.clustermap(frame, agg="foo")
    with pytest.raises(ValueError, match=r"^dendrogram_ratio=\(0.1, 0.2\): give one number"):
        heatscope.clustermap(frame, dendrogram_ratio=(0.1, 0.2))
    with pytest.raises(ValueError, match="'bulk_labels': a file other than .h5ad has no obs columns"):
        heatscope.clustermap(PBMC, row_colors="bulk_labels")
    # A table's path names all its columns, as --row-colors takes it.
    obs = os.path.join(REPO, "data", "pbmc68k_reduced.obs.tsv")
    panels = [p["name"] for p in heatscope.clustermap(PBMC, row_colors=obs, col_cluster=False).layout()["panels"]]
    assert "row_colors:bulk_labels" in panels
    with pytest.raises(TypeError, match="unexpected keyword argument 'row_colours'; did you mean 'row_colors'"):
        heatscope.clustermap(frame, row_colours=["red"] * 20)
    with pytest.raises(ValueError, match="^split_gap: invalid type: string .*, expected a number"):
        heatscope.clustermap(frame, split_gap="wide")


def test_notes_go_to_logging_and_warnings_not_to_stderr(capfd, caplog):
    import logging

    frame = pd.DataFrame(random(30, 4), index=[f"a long row label number {i}" for i in range(30)])
    with caplog.at_level(logging.INFO, logger="heatscope"):
        grid = heatscope.clustermap(frame, figsize=(3, 3))
    assert capfd.readouterr().err == ""
    assert any(r.getMessage().startswith("rows: 30 leaves, average linkage of euclidean") for r in caplog.records)
    # Text cut for lack of room is a warning, as the command line's.
    with pytest.warns(UserWarning, match="not drawn whole or legibly for lack of room"):
        grid.to_png()
