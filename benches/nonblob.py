"""Data without round clusters, made as tests/cluster_approx.rs makes them
(not the same numbers: numpy's generator): N points along three curves in
8 dimensions (a circle, a helix, a parabola; uniform noise ±0.4), or N
points around six centres in 10 dimensions with spreads 0.3 to 3 and sizes
1 to 6 parts in 21.

usage: python benches/nonblob.py curves|unequal N OUT.npy"""
import sys
import numpy as np

kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kind == "curves":
    rng = np.random.default_rng(5)
    t = rng.random(n)
    a = t * 2 * np.pi
    k = np.arange(n) % 3
    p = np.zeros((n, 8))
    p[k == 0, 0], p[k == 0, 1] = 4 * np.cos(a[k == 0]), 4 * np.sin(a[k == 0])
    p[k == 1, 0] = 3 * np.cos(2 * a[k == 1]) + 9
    p[k == 1, 1] = 3 * np.sin(2 * a[k == 1])
    p[k == 1, 2] = 8 * t[k == 1] - 4
    p[k == 2, 0] = 12 * t[k == 2] - 6
    p[k == 2, 1] = 4 * (2 * t[k == 2] - 1) ** 2 - 10
    p[k == 2, 2] = 3
    p += rng.uniform(-0.4, 0.4, p.shape)
else:
    rng = np.random.default_rng(6)
    centres = rng.uniform(-8, 8, (6, 10))
    spreads = np.array([0.3, 0.6, 1, 1.5, 2.2, 3])
    c = np.searchsorted(np.array([1, 3, 6, 10, 15, 21]), np.arange(n) % 21, side="right")
    p = centres[c] + spreads[c, None] * rng.standard_normal((n, 10))
np.save(out, p.astype(np.float32))
