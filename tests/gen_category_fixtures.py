"""Writes tests/fixtures/h5ad/colors.h5ad: csr.h5ad (see gen_h5ad_fixtures.py)
with its obs column cell_type stored in the order T, NK, Mono, B (codes
remapped to match) and scanpy's colours for it in uns/cell_type_colors.

    pip install h5py numpy
    python3 tests/gen_category_fixtures.py

The output is committed, so the tests need no Python.
"""

import os
import shutil

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "h5ad")
ORDER = ["T", "NK", "Mono", "B"]
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]

path = os.path.join(OUT, "colors.h5ad")
shutil.copy(os.path.join(OUT, "csr.h5ad"), path)
strings = h5py.string_dtype("utf-8")
with h5py.File(path, "r+") as f:
    group = f["obs/cell_type"]
    old = [c.decode() if isinstance(c, bytes) else c for c in group["categories"][:]]
    codes = group["codes"][:]
    remap = np.array([ORDER.index(c) for c in old], dtype=codes.dtype)
    group["codes"][:] = np.where(codes >= 0, remap[np.maximum(codes, 0)], codes)
    attrs = dict(group["categories"].attrs)
    del group["categories"]
    group.create_dataset("categories", data=np.array(ORDER, dtype=object), dtype=strings)
    for key, value in attrs.items():
        group["categories"].attrs[key] = value
    uns = f.require_group("uns")
    uns.create_dataset("cell_type_colors", data=np.array(COLORS, dtype=object), dtype=strings)
    uns["cell_type_colors"].attrs["encoding-type"] = "string-array"
    uns["cell_type_colors"].attrs["encoding-version"] = "0.2.0"
print("wrote", path)
