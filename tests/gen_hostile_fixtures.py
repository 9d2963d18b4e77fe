"""Writes the hostile .h5ad fixtures under tests/fixtures/hostile: small
files whose headers claim far more than they hold.

    pip install h5py numpy
    python3 tests/gen_hostile_fixtures.py

The outputs are committed, so the tests need no Python.

- huge_indptr.h5ad  a 3 x 2 CSR X whose indptr dataspace claims 2^40
                    int64 entries (chunked, no chunk written)
- huge_names.h5ad   obs/_index claims 2^40 names (contiguous, never written)
- huge_var_names.h5ad  var/_index claims 2^40 names (contiguous, never written)
- number_var.h5ad    var/_index holds 2 * 10^7 numbers (int8, gzip), not names
- huge_old_var.h5ad   the pre-0.7 layout: a compound var dataset claiming
                    2^40 rows (contiguous, never written)
- huge_dense.h5ad   a dense float32 X claiming 2^20 x 2^20 values; obs and
                    var hold that many (empty) names, gzip-compressed
- empty_huge.h5ad   an empty 10^6 x 10^6 CSR X (no entries), 10^6 empty
                    obs and var names, gzip-compressed
- huge_unreadable_names.h5ad  the same, but obs/_index holds 10^6 bytes
                    0xff, not UTF-8: refused for its size before the names
                    are read
- beyond_f32_dense.h5ad  a 3 x 2 dense float64 X holding 1e300 at (2, 1)
- beyond_f32_csr.h5ad    a 3 x 2 CSR float64 X holding -1e300 at (1, 1)
- infinite_csr.h5ad      the same with -inf at (1, 1)
- short_obs_column.h5ad  3 obs names, a numeric obs column n_counts of 2 values
- short_obs_codes.h5ad   3 obs names, a categorical obs column cell_type of
                         2 codes
- long_var_column.h5ad   2 var names, a boolean var column highly_variable of 5
- indptr_start.h5ad      a CSR X whose indptr starts at 1
- line_break_names.h5ad  obs names "c0", "c\\n1" (a line break) and " c2 "
"""

import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "hostile")
os.makedirs(OUT, exist_ok=True)
STR = h5py.string_dtype()


def frame(f, name, n=None, names=None, claim=None):
    """A dataframe group: its names given, n empty ones, or a dataspace
    claiming `claim` names that are never written."""
    g = f.create_group(name)
    g.attrs["encoding-type"] = "dataframe"
    g.attrs["encoding-version"] = "0.2.0"
    g.attrs["_index"] = "_index"
    g.attrs["column-order"] = np.array([], dtype=STR)
    if claim is not None:
        g.create_dataset("_index", shape=(claim,), dtype=STR)
        return
    if names is not None:
        g.create_dataset("_index", data=np.array(names, dtype=object), dtype=STR)
    else:
        g.create_dataset("_index", data=np.zeros(n, dtype="S1"), compression="gzip", chunks=(min(n, 1 << 20),))
    g["_index"].attrs["encoding-type"] = "string-array"
    g["_index"].attrs["encoding-version"] = "0.2.0"


def csr(f, shape, indptr=None):
    x = f.create_group("X")
    x.attrs["encoding-type"] = "csr_matrix"
    x.attrs["encoding-version"] = "0.1.0"
    x.attrs["shape"] = np.array(shape)
    x["data"] = np.ones(0 if indptr is not None and indptr[-1] == 0 else 2, dtype=np.float32)
    x["indices"] = np.zeros(len(x["data"]), dtype=np.int32)
    if indptr is None:
        x.create_dataset("indptr", shape=(1 << 40,), dtype=np.int64, chunks=(1 << 16,))
    else:
        x.create_dataset("indptr", data=np.array(indptr, dtype=np.int64), compression="gzip")


def root(f):
    f.attrs["encoding-type"] = "anndata"
    f.attrs["encoding-version"] = "0.1.0"


with h5py.File(os.path.join(OUT, "huge_indptr.h5ad"), "w") as f:
    root(f)
    frame(f, "obs", names=["c0", "c1", "c2"])
    frame(f, "var", names=["g0", "g1"])
    csr(f, (3, 2))

with h5py.File(os.path.join(OUT, "huge_names.h5ad"), "w") as f:
    root(f)
    frame(f, "obs", claim=1 << 40)
    frame(f, "var", names=["g0", "g1"])
    csr(f, (3, 2), indptr=[0, 1, 2, 2])

with h5py.File(os.path.join(OUT, "huge_var_names.h5ad"), "w") as f:
    root(f)
    frame(f, "obs", names=["c0", "c1", "c2"])
    frame(f, "var", claim=1 << 40)
    csr(f, (3, 2), indptr=[0, 1, 2, 2])

with h5py.File(os.path.join(OUT, "number_var.h5ad"), "w") as f:
    root(f)
    frame(f, "obs", names=["c0", "c1", "c2"])
    frame(f, "var", n=2 * 10**7)
    del f["var/_index"]
    f["var"].create_dataset("_index", data=np.zeros(2 * 10**7, dtype=np.int8), compression="gzip", chunks=(1 << 20,))
    csr(f, (3, 2), indptr=[0, 1, 2, 2])

with h5py.File(os.path.join(OUT, "huge_old_var.h5ad"), "w") as f:
    index = np.dtype([("index", "S8")])
    f["obs"] = np.array([(b"c0",), (b"c1",), (b"c2",)], dtype=index)
    f.create_dataset("var", shape=(1 << 40,), dtype=index)
    f["X"] = np.ones((3, 2), dtype=np.float32)

n = 1 << 20
with h5py.File(os.path.join(OUT, "huge_dense.h5ad"), "w") as f:
    root(f)
    frame(f, "obs", n=n)
    frame(f, "var", n=n)
    f.create_dataset("X", shape=(n, n), dtype=np.float32)

n = 10**6
with h5py.File(os.path.join(OUT, "empty_huge.h5ad"), "w") as f:
    root(f)
    frame(f, "obs", n=n)
    frame(f, "var", n=n)
    csr(f, (n, n), indptr=np.zeros(n + 1))

with h5py.File(os.path.join(OUT, "huge_unreadable_names.h5ad"), "w") as f:
    root(f)
    frame(f, "obs", n=n)
    del f["obs/_index"]
    f["obs"].create_dataset("_index", data=np.full(n, b"\xff", dtype="S1"), compression="gzip", chunks=(n,))
    frame(f, "var", n=n)
    csr(f, (n, n), indptr=np.zeros(n + 1))


def small(name, x):
    with h5py.File(os.path.join(OUT, name), "w") as f:
        root(f)
        frame(f, "obs", names=["c0", "c1", "c2"])
        frame(f, "var", names=["g0", "g1"])
        x(f)


def dense_x(f):
    f.create_dataset("X", data=np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 1e300]]))


def csr_x(value):
    def write(f):
        csr(f, (3, 2), indptr=[0, 1, 2, 2])
        del f["X/data"]
        f["X/data"] = np.array([1.0, value], dtype=np.float64)
        f["X/indices"][...] = np.array([0, 1], dtype=np.int32)

    return write


small("beyond_f32_dense.h5ad", dense_x)
small("beyond_f32_csr.h5ad", csr_x(-1e300))
small("infinite_csr.h5ad", csr_x(-np.inf))


def column(f, axis, name, write):
    """Adds an annotation column to `axis` (obs or var) and its column order."""
    g = f[axis]
    write(g, name)
    g.attrs["column-order"] = np.array([name], dtype=STR)


def categorical(codes, categories):
    def write(g, name):
        c = g.create_group(name)
        c.attrs["encoding-type"] = "categorical"
        c.attrs["encoding-version"] = "0.2.0"
        c.attrs["ordered"] = False
        c["codes"] = np.array(codes, dtype=np.int8)
        c.create_dataset("categories", data=np.array(categories, dtype=object), dtype=STR)

    return write


def plain(values):
    def write(g, name):
        g[name] = values

    return write


small("short_obs_column.h5ad", lambda f: (csr_x(1.0)(f), column(f, "obs", "n_counts", plain(np.array([1.0, 2.0])))))
small("short_obs_codes.h5ad", lambda f: (csr_x(1.0)(f), column(f, "obs", "cell_type", categorical([0, 1], ["a", "b"]))))
small("long_var_column.h5ad", lambda f: (csr_x(1.0)(f), column(f, "var", "highly_variable", plain(np.ones(5, dtype=bool)))))
small("indptr_start.h5ad", lambda f: (csr(f, (3, 2), indptr=[1, 1, 2, 2]),))


with h5py.File(os.path.join(OUT, "line_break_names.h5ad"), "w") as f:
    root(f)
    frame(f, "obs", names=["c0", "c\n1", " c2 "])
    frame(f, "var", names=["g0", "g1"])
    csr(f, (3, 2), indptr=[0, 1, 2, 2])
