#!/usr/bin/env bash
# Makes the seed corpora in fuzz/corpus/ from the test fixtures and the
# bundled data. open_file's inputs are one byte naming the file's kind
# (0 .tsv, 1 .csv, 2 .txt, 3 .tsv.gz, 4 .npy, 5 matrix.mtx, 6 .cdt,
# 7 .h5ad, 8 matrix.mtx.gz) followed by the file; a Matrix Market kind is
# a 10x folder: two little-endian u16 lengths, barcodes.tsv, features.tsv,
# then the matrix file.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus
rm -rf "$out"
mkdir -p "$out"/{open_file,tree_file,linkage,script,annotation}

seed() { # KIND FILE NAME
    { printf "\\x$(printf '%02x' "$1")"; cat "$2"; } > "$out/open_file/$3"
}
twin=tests/fixtures/h5ad/twin.tsv
seed 0 "$twin" twin-tsv
tr '\t' ',' < "$twin" > "$out/twin.csv" && seed 1 "$out/twin.csv" twin-csv && rm "$out/twin.csv"
seed 2 data/cyano.txt cyano-txt
gzip -9n < "$twin" > "$out/twin.tsv.gz" && seed 3 "$out/twin.tsv.gz" twin-tsv-gz && rm "$out/twin.tsv.gz"
# A 3 × 2 little-endian float32 .npy, version 1.0, its header padded to 64 bytes.
python3 - "$out/m.npy" <<'PY'
import struct, sys
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"
header += " " * (64 - 10 - len(header) - 1) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<6f", 1, 2, 3, 4, 5, 6))
PY
seed 4 "$out/m.npy" m-npy && rm "$out/m.npy"
tenx() { # KIND MATRIX NAME: the v3 fixture's labels and MATRIX
    python3 - "$out/$3.in" tests/fixtures/tenx/v3 "$2" <<'PY'
import gzip, struct, sys
out, folder, matrix = sys.argv[1:]
barcodes = gzip.open(f"{folder}/barcodes.tsv.gz").read()
features = gzip.open(f"{folder}/features.tsv.gz").read()
with open(out, "wb") as f:
    f.write(struct.pack("<HH", len(barcodes), len(features)) + barcodes + features + open(matrix, "rb").read())
PY
    seed "$1" "$out/$3.in" "$3" && rm "$out/$3.in"
}
gzip -dc tests/fixtures/tenx/v3/matrix.mtx.gz > "$out/m.mtx" && tenx 5 "$out/m.mtx" tenx-mtx && rm "$out/m.mtx"
head -c 6000 data/spellman.cdt > "$out/s.cdt" && seed 6 "$out/s.cdt" spellman-cdt && rm "$out/s.cdt"
for f in tests/fixtures/h5ad/*.h5ad tests/fixtures/hostile/*.h5ad; do
    seed 7 "$f" "$(basename "$f" .h5ad)-h5ad"
done
tenx 8 tests/fixtures/tenx/v3/matrix.mtx.gz tenx-mtx-gz

# Cluster 3.0 trees over the eight leaves tree_file names GENE0X … GENE7X.
cat > "$out/tree_file/eight" <<'T'
NODEID	LEFT	RIGHT	CORRELATION
NODE1X	GENE0X	GENE1X	0.9
NODE2X	GENE2X	GENE3X	0.8
NODE3X	NODE1X	NODE2X	0.5
NODE4X	GENE4X	GENE5X	0.7
NODE5X	GENE6X	GENE7X	0.6
NODE6X	NODE4X	NODE5X	0.4
NODE7X	NODE3X	NODE6X	0.1
T
head -c 4000 data/spellman.gtr > "$out/tree_file/spellman-head"

# scipy's linkage of four points: rows of four little-endian f64.
python3 - "$out/linkage/four" <<'PY'
import struct, sys
z = [(0, 1, 1.0, 2), (2, 3, 2.0, 2), (4, 5, 3.5, 4)]
open(sys.argv[1], "wb").write(b"".join(struct.pack("<4d", *row) for row in z))
PY

printf 'zoom 0.5 0.5 2\npan 0.1 -0.2\nsearch CD7\ncut 4\nclick 0.03 0.5\nhover 0.2 0.3\nexport\nscreenshot a.png\n' \
    > "$out/script/all"

printf 'cell\tcell_type\tbatch\tscore\nr0\tB\t0\t1.5\nr1\tT\t1\tNA\nr2\tB\t2\t-3\nr7\t#ff0000\t0\t2\n' \
    > "$out/annotation/mixed"
cp tests/fixtures/h5ad/twin.obs.tsv "$out/annotation/twin"

# The caches' seeds are the files the targets themselves store first:
# written when each built target runs once.
for target in tree_cache matrix_cache pyramid_cache; do
    mkdir -p "$out/$target"
    binary=fuzz/target/x86_64-unknown-linux-gnu/release/$target
    if [ -x "$binary" ]; then
        printf 'x' > "$out/$target/.probe"
        HEATSCOPE_FUZZ_SEED_OUT="$out/$target/stored" "$binary" -runs=1 "$out/$target/.probe" > /dev/null 2>&1
        rm "$out/$target/.probe"
    fi
done
