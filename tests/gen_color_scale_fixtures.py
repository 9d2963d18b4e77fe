#!/usr/bin/env python3
"""Writes the colours seaborn's heatmap gives cells for a few colour-scale options.

    pip install matplotlib seaborn
    python3 tests/gen_color_scale_fixtures.py

tests/fixtures/colormaps/seaborn_scale.json holds, per case, a small float32
matrix (row-major; null for a missing value), the options given to
`seaborn.heatmap` (`cmap`, `vmin`, `vmax`, `center`, `robust`), the options
heatscope is given for the same picture (the same, except that one case
leaves the map to heatscope's default), and what seaborn drew: the colour
bar's limits, its 256 colours, and each cell's colour (0-255). The
colour-scale tests compare heatscope's with these.
"""

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn  # noqa: E402

ROWS, COLS = 12, 9


def skewed(seed: int) -> np.ndarray:
    """Values spanning 0 unevenly (a long positive tail), with one missing."""
    rng = np.random.default_rng(seed)
    values = (np.exp(rng.normal(0.0, 0.8, size=(ROWS, COLS))) - 1.2).astype(np.float32)
    values[3, 4] = np.nan
    return values


def positive(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(2.0, 9.0, size=(ROWS, COLS)).astype(np.float32)


# name, data, seaborn's options, heatscope's options where they differ
CASES = [
    # seaborn's default map with a centre (icefire), robust limits kept.
    ("robust_center_default_map", skewed(1), {"robust": True, "center": 0.0, "cmap": "icefire"}, None),
    # seaborn's default map without a centre (rocket): no re-centring on data spanning 0.
    ("robust_no_center", skewed(2), {"robust": True, "cmap": "rocket"}, None),
    # heatscope's own default on data spanning 0: RdBu_r centred at 0.
    ("default_map_on_data_spanning_zero", skewed(3), {"robust": True, "center": 0.0, "cmap": "RdBu_r"},
     {"robust": True}),
    ("given_limits_center_zero", skewed(4), {"vmin": -1.0, "vmax": 3.0, "center": 0.0, "cmap": "RdBu_r"}, None),
    ("center_off_middle", skewed(5), {"center": 1.0, "cmap": "vlag"}, None),
    ("center_below_the_data", positive(6), {"center": 0.0, "cmap": "coolwarm"}, None),
    ("vmax_only_robust", skewed(7), {"vmax": 1.5, "robust": True, "cmap": "viridis"}, None),
    ("vmin_only_center", skewed(8), {"vmin": -0.5, "center": 0.5, "cmap": "mako_r"}, None),
]


def main() -> None:
    cases = []
    for name, data, options, heatscope_options in CASES:
        fig, ax = plt.subplots()
        seaborn.heatmap(data, ax=ax, **options)
        mesh = ax.collections[0]
        cells = mesh.to_rgba(mesh.get_array(), bytes=True).reshape(ROWS, COLS, 4)[:, :, :3]
        colorbar = mesh.colorbar
        lut = colorbar.cmap(np.arange(256) / 255.0, bytes=True)[:, :3]
        plt.close(fig)
        ours = dict(heatscope_options or options)
        cases.append({
            "name": name,
            "rows": ROWS,
            "cols": COLS,
            "data": [None if np.isnan(v) else float(v) for v in data.ravel()],
            "seaborn": options,
            "heatscope": {key: ours.get(key) for key in ("cmap", "vmin", "vmax", "center")}
            | {"robust": bool(ours.get("robust", False))},
            "vmin": float(colorbar.norm.vmin),
            "vmax": float(colorbar.norm.vmax),
            "colorbar": lut.tolist(),
            "cells": [None if np.isnan(v) else c for v, c in zip(data.ravel(), cells.reshape(-1, 3).tolist())],
        })
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "fixtures", "colormaps", "seaborn_scale.json")
    with open(path, "w") as out:
        versions = {"matplotlib": matplotlib.__version__, "seaborn": seaborn.__version__}
        json.dump({**versions, "cases": cases}, out, separators=(",", ":"))
        out.write("\n")


if __name__ == "__main__":
    main()
