#!/usr/bin/env python3
"""numpy's SGEMM rate on this machine: the product of two 16,384 × 1,000
f32 matrices, fastest of five, for the column Gram comparison in
BENCHMARKS.md."""
import time

import numpy as np

rng = np.random.default_rng(0)
a = rng.standard_normal((16384, 1000), dtype=np.float32)
b = rng.standard_normal((16384, 1000), dtype=np.float32)
a.T @ b
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    a.T @ b
    best = min(best, time.perf_counter() - t)
print(f"numpy {np.__version__} SGEMM (1000 x 16384) @ (16384 x 1000): {2 * 16384 * 1000 * 1000 / best / 1e9:.1f} GFLOP/s")
