#!/usr/bin/env python3
"""The columns' Gram matrix of a tall f32 .npy as numpy computes it, streamed
in 16,384-row blocks of the memory-mapped file (each row centred, as
heatscope centres euclidean columns), for the column comparison in
BENCHMARKS.md. Usage: gram_numpy.py MATRIX.npy"""
import sys
import time

import numpy as np

x = np.load(sys.argv[1], mmap_mode="r")
n, c = x.shape
t = time.perf_counter()
g = np.zeros((c, c))
step = 16384
for r in range(0, n, step):
    b = np.array(x[r:r + step])
    b -= b.mean(axis=1, keepdims=True)
    g += b.T @ b
s = time.perf_counter() - t
print(f"numpy {np.__version__}: Gram of {n} x {c} in {s:.2f} s, {2 * n * c * c / s / 1e9:.0f} GFLOP/s counted as a full product")
