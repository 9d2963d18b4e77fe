//! Trees saved by Cluster 3.0 beside a CDT file, as Java TreeView reads
//! them: `.gtr` for the rows, `.atr` for the columns.
//!
//! Each line is one merge, in merge order: `NODE<k>X`, the two merged items
//! (leaves `GENE<i>X` / `ARRY<j>X` as named in the CDT's `GID` column or
//! `AID` row, or earlier nodes), and the similarity at which they merge; an
//! optional first line is a header (`NODEID LEFT RIGHT CORRELATION`, or
//! `… TIME`). The height of a merge is `1 − similarity`, the distance that
//! a correlation similarity stands for.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{ClusterError, Dendrogram};
use crate::input::Matrix;
use crate::output::{one_field, write_atomically};
use crate::quote::quote;

/// Reads the tree at `path` over leaves named `leaf_ids`, in the order the
/// CDT shows them. Each merge's children are ordered so that the tree draws
/// its leaves in that order, as Java TreeView shows them.
pub fn read_tree(path: &Path, leaf_ids: &[String]) -> Result<Dendrogram, ClusterError> {
    let error = |line: usize, message: String| ClusterError::TreeFile { path: path.to_owned(), line, message };
    let text = std::fs::read_to_string(path).map_err(|e| error(0, format!("cannot read it ({e})")))?;
    let n = leaf_ids.len();
    let mut ids: HashMap<&str, usize> = leaf_ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    if ids.len() != n {
        return Err(error(0, "its CDT gives two rows (or columns) the same id".to_owned()));
    }
    // Leftmost display position and size of every cluster so far.
    let mut leftmost: Vec<usize> = (0..n).collect();
    let mut size = vec![1usize; n];
    let mut rows: Vec<[f64; 4]> = Vec::with_capacity(n.saturating_sub(1));
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let fields: Vec<&str> = line.trim_end_matches('\r').split('\t').map(str::trim).collect();
        if fields.iter().all(|f| f.is_empty()) || (index == 0 && fields[0].eq_ignore_ascii_case("NODEID")) {
            continue;
        }
        let [node, left, right, similarity, ..] = fields[..] else {
            return Err(error(
                number,
                format!("{} fields where 4 are needed (node, left, right, similarity)", fields.len()),
            ));
        };
        let child = |name: &str| {
            ids.get(name).copied().ok_or_else(|| {
                error(number, format!("'{}' is neither a leaf of the CDT nor an earlier node", quote(name)))
            })
        };
        let (mut a, mut b) = (child(left)?, child(right)?);
        let similarity: f64 = similarity
            .parse()
            .map_err(|_| error(number, format!("similarity '{}' is not a number", quote(similarity))))?;
        if !similarity.is_finite() {
            return Err(error(number, format!("similarity '{similarity}' is not finite")));
        }
        if leftmost[b] < leftmost[a] {
            std::mem::swap(&mut a, &mut b);
        }
        let cluster = n + rows.len();
        if ids.insert(node, cluster).is_some() {
            return Err(error(number, format!("node '{}' is defined twice, or has a leaf's name", quote(node))));
        }
        leftmost.push(leftmost[a]);
        size.push(size[a] + size[b]);
        rows.push([a as f64, b as f64, 1.0 - similarity, size[cluster] as f64]);
    }
    if rows.len() + 1 != n {
        return Err(error(
            0,
            format!("{} merges for {n} leaves; a tree over them has {}", rows.len(), n.saturating_sub(1)),
        ));
    }
    Dendrogram::from_linkage_matrix(&rows).map_err(|e| error(0, e.to_string()))
}

/// Writes `PREFIX.cdt`, with `PREFIX.gtr` for a row tree and `PREFIX.atr`
/// for a column tree, in the layout Cluster 3.0 writes and Java TreeView
/// opens: rows and columns in leaf order, `GENE<i>X` / `ARRY<j>X` ids
/// (matrix indices), every weight 1, similarity = `1 − height`, missing
/// values as empty fields.
pub fn write_cdt(
    prefix: &Path,
    matrix: &Matrix,
    rows: Option<&Dendrogram>,
    cols: Option<&Dendrogram>,
) -> std::io::Result<Vec<PathBuf>> {
    let path = |extension: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(".");
        name.push(extension);
        PathBuf::from(name)
    };
    let row_order = rows.map_or_else(|| (0..matrix.rows()).collect(), Dendrogram::leaves);
    let col_order = cols.map_or_else(|| (0..matrix.cols()).collect(), Dendrogram::leaves);
    let cdt = path("cdt");
    write_atomically(&cdt, |w| {
        write!(w, "GID\tUNIQID\tNAME\tGWEIGHT")?;
        for &c in &col_order {
            write!(w, "\t{}", one_field(&matrix.col_labels().get(c)))?;
        }
        writeln!(w)?;
        if cols.is_some() {
            write!(w, "AID\t\t\t")?;
            for &c in &col_order {
                write!(w, "\tARRY{c}X")?;
            }
            writeln!(w)?;
        }
        write!(w, "EWEIGHT\t\t\t")?;
        for _ in &col_order {
            write!(w, "\t1")?;
        }
        writeln!(w)?;
        for &r in &row_order {
            let label = one_field(&matrix.row_labels().get(r));
            write!(w, "GENE{r}X\t{label}\t{label}\t1")?;
            let values = matrix.row(r);
            for &c in &col_order {
                let v = values[c];
                if v.is_nan() { write!(w, "\t")? } else { write!(w, "\t{v}")? }
            }
            writeln!(w)?;
        }
        Ok(())
    })?;
    let mut written = vec![cdt];
    for (tree, extension, leaf) in [(rows, "gtr", "GENE"), (cols, "atr", "ARRY")] {
        let Some(tree) = tree else { continue };
        let n = tree.n_leaves();
        let name = |id: usize| if id < n { format!("{leaf}{id}X") } else { format!("NODE{}X", id - n + 1) };
        let file = path(extension);
        write_atomically(&file, |w| {
            writeln!(w, "NODEID\tLEFT\tRIGHT\tCORRELATION")?;
            for (k, merge) in tree.merges().iter().enumerate() {
                writeln!(w, "NODE{}X\t{}\t{}\t{}", k + 1, name(merge.a), name(merge.b), 1.0 - merge.height)?;
            }
            Ok(())
        })?;
        written.push(file);
    }
    Ok(written)
}

/// A label as one tab-separated field: tabs and line breaks become spaces.
#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_small_tree_reads_with_its_heights_and_display_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.gtr");
        // Display order: GENE2X, GENE0X, GENE1X. GENE1X joins the first pair last.
        std::fs::write(
            &path,
            "NODEID\tLEFT\tRIGHT\tCORRELATION\nNODE1X\tGENE0X\tGENE2X\t0.9\nNODE2X\tGENE1X\tNODE1X\t0.25\n",
        )
        .unwrap();
        let tree = read_tree(&path, &ids(&["GENE2X", "GENE0X", "GENE1X"])).unwrap();
        let z = tree.to_linkage_matrix();
        assert_eq!(z[0], [0.0, 1.0, 1.0 - 0.9, 2.0]);
        assert_eq!(z[1], [3.0, 2.0, 0.75, 3.0]);
        assert_eq!(tree.leaves(), [0, 1, 2]);
    }

    #[test]
    fn a_tree_naming_a_missing_node_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gtr");
        std::fs::write(&path, "NODE1X\tGENE0X\tGENE1X\t0.9\nNODE2X\tGENE2X\tNODE7X\t0.5\n").unwrap();
        let err = read_tree(&path, &ids(&["GENE0X", "GENE1X", "GENE2X"])).unwrap_err();
        assert!(err.to_string().contains("line 2: 'NODE7X' is neither a leaf of the CDT nor an earlier node"), "{err}");
    }
}
