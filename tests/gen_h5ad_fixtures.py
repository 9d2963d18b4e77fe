"""Writes the AnnData and 10x fixtures under tests/fixtures/h5ad and
tests/fixtures/tenx, with dense text twins the tests compare against.

    pip install anndata==0.12.19 h5py scipy
    python3 tests/gen_h5ad_fixtures.py

The outputs are committed, so the tests need no Python. Every file is made
from one seeded matrix M (40 cells x 25 genes, 80% zeros, values that are
multiples of 0.25, so every float type holds them exactly):

- csr.h5ad   current layout, X CSR float32, gzip-compressed and chunked;
             obs: cell_type (categorical), n_counts (float), batch (int);
             var: gene_ids (strings), highly_variable (bool);
             layers/counts = 4 M as CSR int32, layers/dense = M as dense float64
- csc.h5ad   X CSC float64, no compression
- dense.h5ad X dense int16 (= 4 M), obs_names as fixed-length strings
- old.h5ad   the pre-0.7 layout: obs/var compound datasets (fixed-length
             index, categorical codes with uns/<col>_categories) and X as an
             h5sparse CSR group
- twin.tsv   M as text (header = var_names, first column = obs_names)
- twin.obs.tsv  the obs table as text
- bad_*.h5ad broken files: indptr past the data, a shape attribute that
             disagrees with indptr, an HDF5 file that is not AnnData
- tenx/v3/   matrix.mtx.gz (genes x cells, integer 4 M, column-major as
             Cell Ranger writes it), features.tsv.gz, barcodes.tsv.gz
- tenx/v2/   the same, uncompressed, with genes.tsv (id, name)
- tenx/twin.tsv  4 M transposed (genes x cells), gene names as row labels
"""

import gzip
import os
import shutil

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "h5ad")
TENX = os.path.join(HERE, "fixtures", "tenx")

rng = np.random.default_rng(9)
N_OBS, N_VAR = 40, 25
M = rng.integers(1, 40, size=(N_OBS, N_VAR)) * 0.25
M[rng.random((N_OBS, N_VAR)) < 0.8] = 0.0
M[3, :] = 0.0  # an all-zero row: an empty CSR row
M[:, 7] = 0.0  # an all-zero column: an empty CSC column
obs_names = [f"cell{i:02d}-{'AC'[i % 2]}" for i in range(N_OBS)]
var_names = [f"GENE{j}" for j in range(N_VAR)]
gene_ids = [f"ENSG{j:05d}" for j in range(N_VAR)]
cell_types = np.array(["T", "B", "NK", "Mono"])[rng.integers(0, 4, N_OBS)]
obs = pd.DataFrame(
    {
        "cell_type": pd.Categorical(cell_types, categories=["B", "Mono", "NK", "T"]),
        "n_counts": M.sum(axis=1),
        "batch": np.arange(N_OBS) % 3,
    },
    index=obs_names,
)
highly_variable = np.zeros(N_VAR, dtype=bool)
highly_variable[[0, 2, 5, 7, 11, 24]] = True
var = pd.DataFrame({"gene_ids": gene_ids, "highly_variable": highly_variable}, index=var_names)


def fresh(path):
    if os.path.exists(path):
        os.remove(path)
    return path


def write_twin(path, matrix, rows, cols):
    with open(path, "w") as f:
        f.write("\t".join(["name"] + list(cols)) + "\n")
        for name, row in zip(rows, matrix):
            f.write("\t".join([name] + ["%.9g" % v for v in row]) + "\n")


os.makedirs(OUT, exist_ok=True)

csr = ad.AnnData(X=sp.csr_matrix(M.astype(np.float32)), obs=obs, var=var)
csr.layers["counts"] = sp.csr_matrix((4 * M).astype(np.int32))
csr.layers["dense"] = M.astype(np.float64)
csr.write_h5ad(fresh(os.path.join(OUT, "csr.h5ad")), compression="gzip")

ad.AnnData(X=sp.csc_matrix(M.astype(np.float64)), obs=obs, var=var).write_h5ad(fresh(os.path.join(OUT, "csc.h5ad")))

dense_path = fresh(os.path.join(OUT, "dense.h5ad"))
ad.AnnData(X=(4 * M).astype(np.int16), obs=obs, var=var).write_h5ad(dense_path)
with h5py.File(dense_path, "r+") as f:
    # Fixed-length strings, as older writers and other tools store names.
    attrs = dict(f["obs/_index"].attrs)
    del f["obs/_index"]
    f["obs/_index"] = np.array([n.encode() for n in obs_names], dtype="S16")
    for k, v in attrs.items():
        f["obs/_index"].attrs[k] = v

with h5py.File(fresh(os.path.join(OUT, "old.h5ad")), "w") as f:
    codes = obs["cell_type"].cat.codes.to_numpy().astype(np.int8)
    f["obs"] = np.array(
        list(zip([n.encode() for n in obs_names], codes, obs["n_counts"], obs["batch"])),
        dtype=[("index", "S16"), ("cell_type", "i1"), ("n_counts", "<f4"), ("batch", "<i8")],
    )
    f["var"] = np.array(
        list(zip([n.encode() for n in var_names], highly_variable)),
        dtype=[("index", "S13"), ("highly_variable", "?")],
    )
    f["uns/cell_type_categories"] = np.array([c.encode() for c in obs["cell_type"].cat.categories], dtype="S4")
    x = sp.csr_matrix(M.astype(np.float32))
    g = f.create_group("X")
    g.attrs["h5sparse_format"] = "csr"
    g.attrs["h5sparse_shape"] = np.array([N_OBS, N_VAR])
    g["data"], g["indices"], g["indptr"] = x.data, x.indices, x.indptr

write_twin(os.path.join(OUT, "twin.tsv"), M, obs_names, var_names)
pd.DataFrame({"cell_type": cell_types, "n_counts": obs["n_counts"], "batch": obs["batch"]}, index=obs_names).to_csv(
    os.path.join(OUT, "twin.obs.tsv"), sep="\t", index_label="name"
)

# Broken files, each small and each wrong in one way.
shutil.copy(os.path.join(OUT, "csc.h5ad"), fresh(os.path.join(OUT, "bad_indptr.h5ad")))
with h5py.File(os.path.join(OUT, "bad_indptr.h5ad"), "r+") as f:
    indptr = f["X/indptr"][:]
    indptr[-1] += 5  # past the end of data and indices
    f["X/indptr"][:] = indptr
shutil.copy(os.path.join(OUT, "csc.h5ad"), fresh(os.path.join(OUT, "bad_shape.h5ad")))
with h5py.File(os.path.join(OUT, "bad_shape.h5ad"), "r+") as f:
    f["X"].attrs["shape"] = np.array([N_OBS, N_VAR + 3])  # indptr has N_VAR + 1 entries
with h5py.File(fresh(os.path.join(OUT, "not_anndata.h5")), "w") as f:
    f["measurements"] = np.arange(12.0).reshape(3, 4)

# 10x folders: genes x cells, integer counts.
counts = sp.csc_matrix((4 * M).astype(np.int64).T)  # genes x cells, column-major
for sub in ("v3", "v2"):
    shutil.rmtree(os.path.join(TENX, sub), ignore_errors=True)
    os.makedirs(os.path.join(TENX, sub))
coo = counts.tocoo()
order = np.lexsort((coo.row, coo.col))  # by cell, then gene: Cell Ranger's order
coo = sp.coo_matrix((coo.data[order], (coo.row[order], coo.col[order])), shape=coo.shape)
mtx_plain = os.path.join(TENX, "v2", "matrix.mtx")
scipy.io.mmwrite(mtx_plain, coo, field="integer")
with open(mtx_plain, "rb") as src, gzip.open(os.path.join(TENX, "v3", "matrix.mtx.gz"), "wb") as dst:
    dst.write(src.read())
with gzip.open(os.path.join(TENX, "v3", "features.tsv.gz"), "wt") as f:
    for i, n in zip(gene_ids, var_names):
        f.write(f"{i}\t{n}\tGene Expression\n")
with gzip.open(os.path.join(TENX, "v3", "barcodes.tsv.gz"), "wt") as f:
    f.write("".join(n + "\n" for n in obs_names))
with open(os.path.join(TENX, "v2", "genes.tsv"), "w") as f:
    f.write("".join(f"{i}\t{n}\n" for i, n in zip(gene_ids, var_names)))
with open(os.path.join(TENX, "v2", "barcodes.tsv"), "w") as f:
    f.write("".join(n + "\n" for n in obs_names))
write_twin(os.path.join(TENX, "twin.tsv"), (4 * M).T, var_names, obs_names)
