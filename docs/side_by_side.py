"""Draws one real matrix with heatscope (the command line) and with seaborn's
clustermap on the same options, and puts the two side by side:

    python docs/side_by_side.py spellman docs/spellman-heatscope-vs-seaborn.png
    python docs/side_by_side.py cyano docs/cyano-heatscope-vs-seaborn.png

Needs the heatscope binary on PATH (or HEATSCOPE=path) and numpy, pandas,
matplotlib, seaborn and pillow. Both figures are 900 × 700 px.

- spellman: data/spellman.cdt (97 yeast genes × 60 arrays, Spellman et al.
  1998), its 404 missing values as 0 for both (scipy, under seaborn, does
  not take NaN), systematic gene names as labels; average linkage of correlation
  distances, centred at 0.
- cyano: cyanobacteria time course (90 genes × 5 time points, Biopython's
  Cluster test data, data/cyano.txt); average
  linkage of euclidean distances, centred at 0, columns in time order.
"""

import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def spellman() -> tuple:
    cdt = pd.read_csv(os.path.join(ROOT, "data", "spellman.cdt"), sep="\t", dtype=str)
    cdt = cdt[cdt["GID"] != "AID"]
    values = cdt.iloc[:, 4:].apply(pd.to_numeric).fillna(0.0)
    values.index = cdt["YORF"].to_numpy()
    values.index.name = "gene"
    values.columns.name = "array"
    return values, {"metric": "correlation", "center": 0.0}, []


def cyano() -> tuple:
    values = pd.read_csv(os.path.join(ROOT, "data", "cyano.txt"), sep="\t", index_col=0)
    values.index.name = "gene"
    values.columns.name = "time"
    return values, {"metric": "euclidean", "center": 0.0, "col_cluster": False}, ["--no-col-cluster"]


def main() -> None:
    name, out = sys.argv[1], sys.argv[2]
    frame, options, flags = {"spellman": spellman, "cyano": cyano}[name]()
    heatscope = os.environ.get("HEATSCOPE", "heatscope")
    with tempfile.TemporaryDirectory() as scratch:
        tsv = os.path.join(scratch, f"{name}.tsv")
        frame.to_csv(tsv, sep="\t")
        ours = os.path.join(scratch, "heatscope.png")
        command = [heatscope, "render", tsv, "-o", ours, "--width", "900", "--height", "700", "-q"]
        command += ["--metric", options["metric"], "--center", str(options["center"]), "--cmap", "RdBu_r"]
        command += ["--xlabel", frame.columns.name, "--ylabel", frame.index.name, *flags]
        env = dict(os.environ, HEATSCOPE_CACHE_DIR=os.path.join(scratch, "cache"))
        subprocess.run(command, check=True, env=env)
        theirs = os.path.join(scratch, "seaborn.png")
        grid = sns.clustermap(
            frame,
            method="average",
            metric=options["metric"],
            center=options["center"],
            cmap="RdBu_r",
            col_cluster=options.get("col_cluster", True),
            figsize=(9, 7),
        )
        grid.savefig(theirs, dpi=100)
        images = [Image.open(p).convert("RGB") for p in (ours, theirs)]
        height = max(i.height for i in images) + 30
        both = Image.new("RGB", (sum(i.width for i in images) + 20, height), "white")
        x = 0
        draw = ImageDraw.Draw(both)
        for image, title in zip(images, ("heatscope", "seaborn.clustermap")):
            both.paste(image, (x, 30))
            draw.text((x + image.width // 2 - 40, 8), title, fill="black")
            x += image.width + 20
        both.save(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
