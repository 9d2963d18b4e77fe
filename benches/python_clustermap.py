"""One side of the Python comparison in BENCHMARKS.md, in a process of its own:

    python benches/python_clustermap.py heatscope|seaborn ROWS COLS OUT.png
    python benches/python_clustermap.py linkage-heatscope|linkage-fastcluster ROWS COLS [METHOD]

The matrix: ROWS × COLS float32 with 20 planted row clusters (seed 0),
made in the process before the clock starts. METHOD: the linkage method
(average by default). Prints the seconds the call took; the peak memory
is the whole process's.
"""

import sys
import time

import numpy as np


def matrix(rows: int, cols: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=2.0, size=(20, cols)).astype(np.float32)
    return centres[rng.integers(0, 20, rows)] + rng.normal(size=(rows, cols)).astype(np.float32)


def main() -> None:
    which, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    x = matrix(rows, cols)
    if which in ("heatscope", "seaborn"):
        import pandas as pd

        frame = pd.DataFrame(x, index=[f"r{i}" for i in range(rows)], columns=[f"c{j}" for j in range(cols)])
        out = sys.argv[4]
        start = time.perf_counter()
        if which == "heatscope":
            import heatscope

            heatscope.clustermap(frame, figsize=(10, 10)).savefig(out)
        else:
            import matplotlib

            matplotlib.use("Agg")
            import seaborn

            seaborn.clustermap(frame, figsize=(10, 10)).savefig(out)
    else:
        method = sys.argv[4] if len(sys.argv) > 4 else "average"
        which = f"{which} {method}"
        start = time.perf_counter()
        if which.startswith("linkage-heatscope"):
            import heatscope

            heatscope.linkage(x, method)
        else:
            import fastcluster

            fastcluster.linkage(x, method)
    print(f"{which} {rows}x{cols}: {time.perf_counter() - start:.2f} s")


main()
