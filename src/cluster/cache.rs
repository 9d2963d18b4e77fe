//! Clustering results kept on disk beside the matrix cache, so that
//! rendering or viewing a matrix never clusters it twice.
//!
//! A tree file is named by a hash of the matrix fingerprint, the axis, the
//! method, the metric, the leaf ordering and, for an approximate tree, its
//! parameters ([`Plan::Approx`]). Layout (little-endian): magic
//! `HSTREE\0\0`, format version (`u32`), axis (`u32`: 0 rows, 1 columns),
//! leaves (`u64`), the key (`u64`), an FNV-1a checksum of the payload
//! (`u64`), then scipy's linkage matrix, `(n − 1) × 4` `f64`. Written to a
//! temporary file and renamed; a file that fails any check is recomputed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::progress::Bar;

use super::{Axis, ClusterError, ClusterOptions, Dendrogram, Plan, approx, cluster, plan};
use crate::hash::{Fnv, fnv1a};
use crate::input::Matrix;

const MAGIC: &[u8; 8] = b"HSTREE\0\0";
/// Bump when the layout or the clustering definitions change.
/// Bumped to 2 when the columns of a tall matrix came to be measured by the
/// streamed Gram pass (near-ties may then merge in another order).
const FORMAT_VERSION: u32 = 2;
const HEADER_LEN: usize = 40;

/// Whether a tree came from the cache or was computed now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeOrigin {
    Reused(PathBuf),
    Computed(PathBuf),
    /// Computed now in place of a damaged file, which the user should
    /// hear of.
    Replaced(PathBuf),
    /// Computed, but the cache file could not be written (the reason): the
    /// tree is good, the next run computes it again.
    NotStored(String),
}

impl TreeOrigin {
    /// The one-line warning a tree computed in place of a damaged file
    /// comes with.
    pub fn damage_warning(&self) -> Option<String> {
        match self {
            TreeOrigin::Replaced(path) => {
                Some(format!("warning: {}: the tree cache file is damaged; it was recomputed", path.display()))
            }
            _ => None,
        }
    }
}

/// What the cache holds under a tree's name.
enum Stored {
    Tree(Dendrogram),
    Missing,
    /// A file that fails its checks: its name is its key, so it can only
    /// have been damaged.
    Damaged,
}

/// The tree of `matrix` along `axis`: read from `dir` when it was computed
/// before for the same values and options, otherwise computed and stored.
pub fn cluster_cached(
    matrix: &Matrix,
    axis: Axis,
    options: &ClusterOptions,
    dir: &Path,
    progress: Option<&Bar>,
) -> Result<(Dendrogram, TreeOrigin), ClusterError> {
    let axis_code = match axis {
        Axis::Rows => 0u32,
        Axis::Cols => 1,
    };
    let key = Fnv::default()
        .u64(matrix.fingerprint())
        .u64(u64::from(axis_code))
        .bytes(options.method.name().as_bytes())
        .bytes(b"/")
        .bytes(options.metric.name().as_bytes())
        .u64(u64::from(options.optimal_ordering))
        .u64(u64::from(FORMAT_VERSION));
    // Exact trees keep the key they always had.
    let key = match plan(matrix, axis, options) {
        Plan::Exact => key,
        Plan::Approx { groups, sample_rows, seed } => key
            .bytes(b"approx")
            .u64(approx::VERSION)
            .u64(groups.map_or(0, |k| k as u64))
            .u64(sample_rows.map_or(0, |r| r as u64))
            .u64(seed),
    }
    .finish();
    let path = dir.join(format!("tree-{key:016x}.hst"));
    let n = axis.len(matrix);
    let damaged = match read(&path, key, axis_code, n) {
        Stored::Tree(tree) => return Ok((tree, TreeOrigin::Reused(path))),
        Stored::Missing => false,
        Stored::Damaged => true,
    };
    let tree = cluster(matrix, axis, options, progress)?;
    match write(&path, key, axis_code, &tree) {
        Ok(()) if damaged => Ok((tree, TreeOrigin::Replaced(path))),
        Ok(()) => Ok((tree, TreeOrigin::Computed(path))),
        Err(e) => Ok((tree, TreeOrigin::NotStored(format!("cannot write {} ({e})", path.display())))),
    }
}

fn read(path: &Path, key: u64, axis: u32, n: usize) -> Stored {
    match fs::read(path) {
        Ok(bytes) => check(&bytes, key, axis, n).map_or(Stored::Damaged, Stored::Tree),
        Err(_) => Stored::Missing,
    }
}

/// The tree a file's `bytes` hold, if they pass every check.
fn check(bytes: &[u8], key: u64, axis: u32, n: usize) -> Option<Dendrogram> {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let payload_len = (n.checked_sub(1)?).checked_mul(32)?;
    let ok = bytes.len() == HEADER_LEN + payload_len
        && &bytes[..8] == MAGIC
        && u32_at(8) == FORMAT_VERSION
        && u32_at(12) == axis
        && u64_at(16) == n as u64
        && u64_at(24) == key
        && u64_at(32) == fnv1a(&bytes[HEADER_LEN..]);
    if !ok {
        return None;
    }
    let z: Vec<[f64; 4]> = bytes[HEADER_LEN..]
        .chunks_exact(32)
        .map(|row| std::array::from_fn(|k| f64::from_le_bytes(row[8 * k..8 * k + 8].try_into().unwrap())))
        .collect();
    Dendrogram::from_linkage_matrix(&z).ok()
}

fn write(path: &Path, key: u64, axis: u32, tree: &Dendrogram) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let payload: Vec<u8> = tree.to_linkage_matrix().iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
    let mut temp = crate::temp::create_in(dir, "tree")?;
    temp.write_all(MAGIC)?;
    temp.write_all(&FORMAT_VERSION.to_le_bytes())?;
    temp.write_all(&axis.to_le_bytes())?;
    temp.write_all(&(tree.n_leaves() as u64).to_le_bytes())?;
    temp.write_all(&key.to_le_bytes())?;
    temp.write_all(&fnv1a(&payload).to_le_bytes())?;
    temp.write_all(&payload)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{ApproxOptions, MemoryBudget, Method, Metric, When};

    #[test]
    fn a_tree_is_reused_until_its_options_change_and_never_trusted_damaged() {
        let m = Matrix::from_vec(5, 2, vec![0.0, 0.0, 5.0, 5.0, 0.5, 0.0, 5.0, 6.0, 9.0, 9.0]);
        let dir = tempfile::tempdir().unwrap();
        let options = ClusterOptions {
            method: Method::Average,
            metric: Metric::Euclidean,
            optimal_ordering: false,
            budget: MemoryBudget(1 << 30),
            approx: ApproxOptions::default(),
        };
        let (tree, origin) = cluster_cached(&m, Axis::Rows, &options, dir.path(), None).unwrap();
        let TreeOrigin::Computed(path) = origin else { panic!("expected a computed tree") };
        let (again, origin) = cluster_cached(&m, Axis::Rows, &options, dir.path(), None).unwrap();
        assert_eq!(origin, TreeOrigin::Reused(path.clone()));
        assert_eq!(again.to_linkage_matrix(), tree.to_linkage_matrix());

        let ward = ClusterOptions { method: Method::Ward, ..options };
        assert!(matches!(cluster_cached(&m, Axis::Rows, &ward, dir.path(), None).unwrap().1, TreeOrigin::Computed(_)));
        let columns = cluster_cached(&m, Axis::Cols, &options, dir.path(), None).unwrap();
        assert!(matches!(columns.1, TreeOrigin::Computed(p) if p != path));

        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let (repaired, origin) = cluster_cached(&m, Axis::Rows, &options, dir.path(), None).unwrap();
        assert_eq!(origin, TreeOrigin::Replaced(path.clone()));
        assert_eq!(repaired.to_linkage_matrix(), tree.to_linkage_matrix());

        // An approximate tree has its own file, one per seed and group count.
        let approx = |seed, groups| ClusterOptions {
            approx: ApproxOptions { when: When::Always, groups, col_sample: None, seed },
            ..options
        };
        let mut seen = vec![path];
        for (seed, groups) in [(0, None), (1, None), (0, Some(2))] {
            let (_, origin) = cluster_cached(&m, Axis::Rows, &approx(seed, groups), dir.path(), None).unwrap();
            let TreeOrigin::Computed(p) = origin else { panic!("a new key computes") };
            assert!(!seen.contains(&p), "{p:?}");
            seen.push(p.clone());
            let again = cluster_cached(&m, Axis::Rows, &approx(seed, groups), dir.path(), None).unwrap().1;
            assert_eq!(again, TreeOrigin::Reused(p));
        }
    }
}
