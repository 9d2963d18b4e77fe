#!/usr/bin/env python3
"""Writes the reference fixtures of the split tests (tests/split.rs).

    pip install numpy scipy
    python3 tests/gen_split_fixtures.py

A 90 × 12 matrix (tests/fixtures/split/matrix.tsv) with planted row and
column groups, row categories (rows.tsv: group) that cut across the
planted groups, and column categories (cols.tsv: part). For average
linkage of euclidean distances it writes scipy's answers to
tests/fixtures/split/expected.json:
  * each row category's rows clustered alone: dendrogram leaves, as labels;
  * the categories in the order of a tree over their mean profiles;
  * the same for the column categories;
  * the whole rows' tree cut into 4 (fcluster maxclust) in leaf order.
As in gen_scipy_fixtures.py, distances are computed in float64 from the
float32 values and rounded to float32 before the linkage.
"""

import json
import os

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "split")


def tree(x):
    d = pdist(x.astype(np.float64), "euclidean").astype(np.float32).astype(np.float64)
    return hierarchy.linkage(d, "average")


def leaves(x):
    if len(x) < 2:
        return list(range(len(x)))
    return [int(i) for i in hierarchy.dendrogram(tree(x), no_plot=True)["leaves"]]


def main():
    rng = np.random.default_rng(20261206)
    n, m = 90, 12
    planted = rng.integers(0, 3, n)
    offsets = rng.normal(0, 3, (3, m))
    x = (rng.normal(0, 1, (n, m)) + offsets[planted]).astype(np.float32)
    # Round to what the TSV holds, so both sides read the same float32s.
    x = np.array([[float(f"{v:.4f}") for v in row] for row in x], dtype=np.float32)
    rows = [f"gene{i}" for i in range(n)]
    cols = [f"s{j}" for j in range(m)]
    # Categories across the planted groups; one category of a single row.
    names = ["alpha", "beta", "gamma", "delta"]
    category = rng.choice([0, 1, 2], n, p=[0.4, 0.35, 0.25])
    category[17] = 3
    parts = ["left", "middle", "right"]
    part = np.array([0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 2, 1])
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "matrix.tsv"), "w") as f:
        f.write("gene\t" + "\t".join(cols) + "\n")
        for label, row in zip(rows, x):
            f.write(label + "\t" + "\t".join(f"{v:.4f}" for v in row) + "\n")
    with open(os.path.join(OUT, "rows.tsv"), "w") as f:
        f.write("gene\tgroup\n")
        for label, c in zip(rows, category):
            f.write(f"{label}\t{names[c]}\n")
    with open(os.path.join(OUT, "cols.tsv"), "w") as f:
        f.write("sample\tpart\n")
        for label, p in zip(cols, part):
            f.write(f"{label}\t{parts[p]}\n")

    def split(values, labels, assignment, k_names):
        present = [k for k in range(len(k_names)) if (assignment == k).any()]
        within = {}
        means = []
        for k in present:
            members = np.flatnonzero(assignment == k)
            within[k_names[k]] = [labels[members[i]] for i in leaves(values[members])]
            means.append(values[members].astype(np.float64).mean(axis=0).astype(np.float32))
        order = [k_names[present[i]] for i in leaves(np.array(means))]
        return {"within": within, "order": order}

    whole = tree(x)
    groups = hierarchy.fcluster(whole, 4, "maxclust")
    order = hierarchy.dendrogram(whole, no_plot=True)["leaves"]
    expected = {
        "rows": split(x, rows, category, names),
        "cols": split(x.T, cols, part, parts),
        "cut4": {"labels": [rows[i] for i in order], "clusters": [int(groups[i]) for i in order]},
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
