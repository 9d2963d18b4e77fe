"""Adjusted Rand index of a scipy linkage cut into K clusters (fcluster,
maxclust) against a planted truth file written by `heatscope generate`.

usage: python benches/ari.py Z.npy TRUTH.tsv K"""
import sys
import numpy as np
from scipy.cluster.hierarchy import fcluster

def comb2(x):
    x = np.asarray(x, dtype=np.float64)
    return (x * (x - 1) / 2).sum()

z = np.load(sys.argv[1])
lines = open(sys.argv[2]).read().split("\n")
truth = [l.split("\t")[-1] for l in lines if l.strip()]
if not truth[0].lstrip("-").isdigit():
    truth = truth[1:]
truth = np.unique(np.array(truth), return_inverse=True)[1]
k = int(sys.argv[3])
pred = fcluster(z, k, criterion="maxclust")
assert len(pred) == len(truth), (len(pred), len(truth))
_, pi = np.unique(pred, return_inverse=True)
cont = np.zeros((pi.max() + 1, truth.max() + 1), dtype=np.int64)
np.add.at(cont, (pi, truth), 1)
n = len(truth)
index = comb2(cont)
a, b = comb2(cont.sum(1)), comb2(cont.sum(0))
expected = a * b / comb2([n])
ari = (index - expected) / ((a + b) / 2 - expected)
print(f"ARI {ari:.4f} at {k} clusters ({len(np.unique(pred))} found)")
