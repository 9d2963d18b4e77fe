"""The same TSV read with pandas' C parser, for comparison with heatscope.

python3 benches/pandas_read.py FILE.tsv
"""
import sys
import time

import pandas as pd

path = sys.argv[1]
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    frame = pd.read_csv(path, sep="\t", index_col=0, engine="c")
    best = min(best, time.perf_counter() - start)
size = frame.shape
print(f"{path}: {size[0]} x {size[1]}, best of 3: {best:.2f} s")
