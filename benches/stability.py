"""How stable an exact tree's own cuts are: the exact tree (scipy) of a
seeded random 95 % of the items against the exact tree of all of them
restricted to the same items, as the mean adjusted Rand index of the cuts
into k = 2..10 clusters and the cophenetic correlation, over 5 seeds. An
approximation can hardly agree with the exact tree better than the exact
tree agrees with itself on 95 % of its data.

usage: python benches/stability.py X.npy METHOD   (rows are the items)"""
import sys
import numpy as np
from scipy.cluster.hierarchy import linkage, fcluster, cophenet
from scipy.spatial.distance import squareform
from agreement import ari

x = np.load(sys.argv[1]).astype(np.float64)
method = sys.argv[2]
n = len(x)
z = linkage(x, method)
coph = squareform(cophenet(z))
scores, rs = [], []
for seed in range(5):
    keep = np.sort(np.random.default_rng(seed).choice(n, int(0.95 * n), replace=False))
    zk = linkage(x[keep], method)
    scores.append(np.mean([ari(fcluster(z, k, "maxclust")[keep], fcluster(zk, k, "maxclust")) for k in range(2, 11)]))
    rs.append(np.corrcoef(squareform(coph[np.ix_(keep, keep)]), cophenet(zk))[0, 1])
print(f"mean ARI {np.mean(scores):.3f} ({min(scores):.2f}-{max(scores):.2f})  cophenetic r {np.mean(rs):.3f}")
