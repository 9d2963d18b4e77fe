#!/usr/bin/env python3
"""Times scipy's or fastcluster's linkage end to end (distances included)
on a raw little-endian f32 matrix written by the cluster_timing example,
for the comparison in the clustering section of BENCHMARKS.md. Peak
memory: run it under /usr/bin/time -v.

    python3 benches/cluster_reference.py RAW ROWS COLS METHOD scipy|fastcluster
"""

import sys
import time

import numpy as np


def main():
    raw, rows, cols, method, lib = sys.argv[1:6]
    x = np.fromfile(raw, dtype="<f4").reshape(int(rows), int(cols)).astype(np.float64)
    start = time.perf_counter()
    if lib == "fastcluster":
        import fastcluster

        z = fastcluster.linkage(x, method=method, metric="euclidean")
    else:
        from scipy.cluster.hierarchy import linkage

        z = linkage(x, method=method, metric="euclidean")
    total = time.perf_counter() - start
    print(f"lib={lib} rows={rows} cols={cols} method={method} total_s={total:.3f} top_height={z[-1, 2]:.4f}")


if __name__ == "__main__":
    main()
