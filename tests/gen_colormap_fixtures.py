#!/usr/bin/env python3
"""Writes matplotlib's 256-entry tables of the colour maps heatscope names.

    pip install matplotlib seaborn
    python3 tests/gen_colormap_fixtures.py

tests/fixtures/colormaps/matplotlib.json maps each name to 256 [r, g, b]
entries, 0-255, as matplotlib draws them (`cmap(i / 255, bytes=True)`);
seaborn's maps (rocket, mako, flare, crest, vlag, icefire) are those that
importing seaborn registers with matplotlib.
The colour-map tests compare heatscope's tables with these, within 1/255.
"""

import json
import os

import matplotlib
import numpy as np
import seaborn

NAMES = [
    "viridis", "inferno", "magma", "plasma", "cividis", "turbo",
    "RdBu", "RdYlBu", "RdYlGn", "RdGy", "PuOr", "PiYG", "PRGn", "BrBG", "Spectral",
    "Blues", "Greens", "Greys", "Oranges", "Purples", "Reds",
    "YlOrRd", "YlOrBr", "YlGnBu", "YlGn", "OrRd", "PuBu", "BuGn", "BuPu", "GnBu", "PuRd", "RdPu",
    "cubehelix", "coolwarm", "bwr", "seismic", "gray", "twilight",
    "rocket", "mako", "flare", "crest", "vlag", "icefire",
]


def main() -> None:
    tables = {}
    for name in NAMES:
        cmap = matplotlib.colormaps[name].resampled(256)
        rgba = cmap(np.arange(256) / 255.0, bytes=True)
        tables[name] = rgba[:, :3].tolist()
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "fixtures", "colormaps", "matplotlib.json")
    with open(path, "w") as out:
        versions = {"matplotlib": matplotlib.__version__, "seaborn": seaborn.__version__}
        json.dump({**versions, "tables": tables}, out, separators=(",", ":"))
        out.write("\n")


if __name__ == "__main__":
    main()
