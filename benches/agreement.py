"""Agreement of two scipy linkage matrices over the same items: the mean
adjusted Rand index of their cuts into k = 2..10 clusters (fcluster,
maxclust) and the Pearson correlation of their cophenetic distances.

usage: python benches/agreement.py EXACT_Z.npy APPROX_Z.npy"""
import sys
import numpy as np
from scipy.cluster.hierarchy import fcluster, cophenet


def comb2(x):
    x = np.asarray(x, dtype=np.float64)
    return (x * (x - 1) / 2).sum()


def ari(a, b):
    """Adjusted Rand index of two labellings (Hubert and Arabie)."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    table = np.zeros((a.max() + 1, b.max() + 1), dtype=np.int64)
    np.add.at(table, (a, b), 1)
    index, rows, cols = comb2(table), comb2(table.sum(1)), comb2(table.sum(0))
    expected = rows * cols / comb2([len(a)])
    return (index - expected) / ((rows + cols) / 2 - expected)


if __name__ == "__main__":
    exact, approx = np.load(sys.argv[1]), np.load(sys.argv[2])
    scores = [ari(fcluster(exact, k, "maxclust"), fcluster(approx, k, "maxclust")) for k in range(2, 11)]
    r = np.corrcoef(cophenet(exact), cophenet(approx))[0, 1]
    print(f"mean ARI {np.mean(scores):.3f}  cophenetic r {r:.3f}  (k = 2..10: {' '.join(f'{s:.2f}' for s in scores)})")
