#!/usr/bin/env python3
"""Writes the scipy reference fixtures of the clustering tests.

    pip install numpy scipy
    python3 tests/gen_scipy_fixtures.py

For each small matrix (float32 values, NaN as null) it writes
tests/fixtures/scipy/<name>.json with, for every metric, scipy's condensed
distances and, for every method, scipy's linkage matrix, dendrogram leaves,
fcluster maxclust labels for k = 2..10 and the optimal leaf ordering (its
leaves and summed neighbour distance). The linkage references are computed
on the distances rounded to float32, the precision heatscope stores them in,
so that the trees must agree exactly, ties included.

scipy has no missing-value convention, so for matrices with NaN (and for
correlation-type distances of constant vectors, where scipy gives NaN) the
distances are computed here with heatscope's documented convention and the
linkage is scipy's on those distances:
  * pairwise-complete: only coordinates finite in both vectors count;
  * euclidean, sqeuclidean, cityblock sums are scaled by d / n_common;
  * cosine, correlation, spearman use the common coordinates (spearman
    ranks each vector over its own finite values, ties averaged);
  * an undefined correlation (zero norm) counts as 0, so distance 1;
  * a pair with no common coordinate gets the largest finite distance.
"""

import json
import os

import numpy as np
from scipy.cluster import hierarchy
from scipy.cluster.tests.hierarchy_test_data import Q_X, ytdist
from scipy.spatial.distance import pdist
from scipy.stats import rankdata

METRICS = ["euclidean", "sqeuclidean", "cityblock", "cosine", "correlation", "spearman"]
METHODS = ["single", "complete", "average", "weighted", "centroid", "median", "ward"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "scipy")


def rank_finite(v):
    """Ranks of the finite values of v (average ties); NaN stays NaN."""
    r = np.full(v.shape, np.nan)
    ok = ~np.isnan(v)
    r[ok] = rankdata(v[ok])
    return r


def convention_pdist(x, metric):
    """Distances with heatscope's documented missing-value convention."""
    n, d = x.shape
    if metric == "spearman":
        x = np.array([rank_finite(row) for row in x])
        metric = "correlation"
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            ok = ~np.isnan(x[i]) & ~np.isnan(x[j])
            m = ok.sum()
            if m == 0:
                out.append(np.nan)
                continue
            a, b = x[i][ok], x[j][ok]
            if metric in ("euclidean", "sqeuclidean"):
                s = ((a - b) ** 2).sum() * d / m
                out.append(np.sqrt(s) if metric == "euclidean" else s)
            elif metric == "cityblock":
                out.append(np.abs(a - b).sum() * d / m)
            else:
                if metric == "correlation":
                    a, b = a - a.mean(), b - b.mean()
                norms = (a * a).sum() * (b * b).sum()
                r = (a * b).sum() / np.sqrt(norms) if norms > 0 else 0.0
                out.append(min(max(1.0 - r, 0.0), 2.0))
    y = np.array(out)
    y[np.isnan(y)] = np.nanmax(y)
    return y


def scipy_pdist(x, metric):
    if np.isnan(x).any():
        return convention_pdist(x, metric)
    if metric == "spearman":
        x = np.array([rankdata(row) for row in x])
        metric = "correlation"
    with np.errstate(all="ignore"):
        y = pdist(x, metric)
    if np.isnan(y).any():  # constant or zero vectors
        return convention_pdist(x, metric)
    return y


def cases(y, n):
    y = y.astype(np.float32).astype(np.float64)
    out = {}
    for method in METHODS:
        z = hierarchy.linkage(y, method)
        assert hierarchy.is_valid_linkage(z)
        zo = hierarchy.optimal_leaf_ordering(z, y)
        leaves_o = hierarchy.leaves_list(zo)
        sq = np.zeros((n, n))
        sq[np.triu_indices(n, 1)] = y
        sq = sq + sq.T
        out[method] = {
            "Z": z.tolist(),
            "leaves": hierarchy.dendrogram(z, no_plot=True)["leaves"],
            "fcluster": [
                hierarchy.fcluster(z, k, "maxclust").tolist() for k in range(2, 11)
            ],
            "olo_leaves": leaves_o.tolist(),
            "olo_length": float(sum(sq[a, b] for a, b in zip(leaves_o, leaves_o[1:]))),
        }
    return out


def write(name, x=None, y=None):
    doc = {"name": name}
    if x is not None:
        x = np.asarray(x, dtype=np.float32)
        doc["rows"], doc["cols"] = x.shape
        doc["data"] = [None if np.isnan(v) else float(v) for v in x.ravel()]
        x64 = x.astype(np.float64)
        doc["metrics"] = {}
        for metric in METRICS:
            y = scipy_pdist(x64, metric)
            doc["metrics"][metric] = {"pdist": y.tolist(), "methods": cases(y, x.shape[0])}
    else:
        n = int(round((1 + np.sqrt(1 + 8 * len(y))) / 2))
        doc["n"] = n
        doc["pdist"] = [float(v) for v in y]
        doc["methods"] = cases(np.asarray(y, dtype=np.float64), n)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def main():
    rng = np.random.default_rng(20261121)
    # Real data from scipy's own test suite.
    write("q_x", Q_X)
    write("ytdist", y=ytdist)  # distances between six Italian cities
    write("random_normal", rng.normal(size=(16, 5)))
    # Small integers: many tied distances, and duplicated rows.
    write("ties", rng.integers(0, 4, size=(18, 3)))
    dup = rng.normal(size=(8, 4))
    write("duplicates", np.vstack([dup, dup[[0, 3, 5]], dup[[0]]]))
    centers = rng.normal(scale=6.0, size=(3, 6))
    write("blobs", np.vstack([c + rng.normal(size=(12, 6)) for c in centers]))
    # Missing values: scattered NaN, two rows with no common coordinate, a
    # constant row (undefined correlation) and a row with one value.
    x = rng.normal(size=(14, 6))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[0] = [1.0, 2.0, 3.0, np.nan, np.nan, np.nan]
    x[1] = [np.nan, np.nan, np.nan, 4.0, 0.5, -1.0]
    x[2] = [2.5, 2.5, 2.5, 2.5, 2.5, 2.5]
    x[3] = [np.nan, np.nan, 7.0, np.nan, np.nan, np.nan]
    write("missing", x)


if __name__ == "__main__":
    main()
