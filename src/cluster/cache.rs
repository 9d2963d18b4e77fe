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

use super::agreement::Agreement;
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

/// The agreement of the approximate `tree` (of `axis` of `matrix`, made
/// with `options`) with the exact tree of a sample
/// ([`super::agreement::agreement`]), measured once and kept beside the
/// tree's file `tree_path` (extension `.hsa`), so that a reused tree is
/// not measured again. The kept file is bound to the checksum of the tree
/// file it was measured for; one that fails any check is measured again
/// and replaced. Layout (little-endian): magic `HSAGREE\0`, format version
/// (`u32`), zero (`u32`), the tree file's payload checksum (`u64`), the
/// sample's size (`u64`), the cophenetic correlation (`f64`), the number
/// of cuts (`u64`), each cut's `k` (`u64`) and adjusted Rand index
/// (`f64`), then an FNV-1a checksum of everything before it (`u64`).
pub fn agreement_cached(
    matrix: &Matrix,
    axis: Axis,
    options: &ClusterOptions,
    tree: &Dendrogram,
    tree_path: Option<&Path>,
) -> Result<Option<Agreement>, ClusterError> {
    let bound = tree_path.and_then(|path| Some((path.with_extension("hsa"), tree_checksum(path)?)));
    // A kept file holds at most the cuts measured: anything longer is not one.
    let longest = 56 + 16 * super::agreement::CUTS.count() as u64;
    if let Some((path, sum)) = &bound
        && fs::metadata(path).is_ok_and(|m| m.len() <= longest)
        && let Some(kept) = fs::read(path).ok().and_then(|bytes| read_agreement(&bytes, *sum))
    {
        return Ok(Some(kept));
    }
    let measured = super::agreement::agreement(matrix, axis, options, tree, options.approx.seed)?;
    if let (Some(agreement), Some((path, sum))) = (&measured, &bound) {
        // Best effort: a file not written is measured again next time.
        let _ = write_agreement(path, *sum, agreement);
    }
    Ok(measured)
}

const AGREEMENT_MAGIC: &[u8; 8] = b"HSAGREE\0";
const AGREEMENT_VERSION: u32 = 1;

/// The payload checksum in the header of the tree file at `path`.
fn tree_checksum(path: &Path) -> Option<u64> {
    let mut header = [0u8; HEADER_LEN];
    std::io::Read::read_exact(&mut fs::File::open(path).ok()?, &mut header).ok()?;
    (&header[..8] == MAGIC).then(|| u64::from_le_bytes(header[32..40].try_into().unwrap()))
}

fn agreement_bytes(tree_sum: u64, agreement: &Agreement) -> Vec<u8> {
    let mut bytes = AGREEMENT_MAGIC.to_vec();
    bytes.extend(AGREEMENT_VERSION.to_le_bytes());
    bytes.extend(0u32.to_le_bytes());
    bytes.extend(tree_sum.to_le_bytes());
    bytes.extend((agreement.sample as u64).to_le_bytes());
    bytes.extend(agreement.cophenetic_r.to_le_bytes());
    bytes.extend((agreement.ari.len() as u64).to_le_bytes());
    for &(k, ari) in &agreement.ari {
        bytes.extend((k as u64).to_le_bytes());
        bytes.extend(ari.to_le_bytes());
    }
    let sum = fnv1a(&bytes);
    bytes.extend(sum.to_le_bytes());
    bytes
}

/// The agreement a kept file's `bytes` hold, if they pass every check and
/// were measured for the tree whose checksum is `tree_sum`.
fn read_agreement(bytes: &[u8], tree_sum: u64) -> Option<Agreement> {
    let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().unwrap()));
    let body = bytes.len().checked_sub(8)?;
    let cuts = usize::try_from(u64_at(40)?).ok()?;
    let ok = cuts <= super::agreement::CUTS.count()
        && bytes.len() == 48 + 16 * cuts + 8
        && &bytes[..8] == AGREEMENT_MAGIC
        && bytes[8..12] == AGREEMENT_VERSION.to_le_bytes()
        && bytes[12..16] == [0; 4]
        && u64_at(16)? == tree_sum
        && u64_at(body)? == fnv1a(&bytes[..body]);
    if !ok {
        return None;
    }
    let ari = (0..cuts)
        .map(|c| Some((usize::try_from(u64_at(48 + 16 * c)?).ok()?, f64::from_bits(u64_at(56 + 16 * c)?))))
        .collect::<Option<Vec<_>>>()?;
    let sample = usize::try_from(u64_at(24)?).ok()?;
    Some(Agreement { sample, cophenetic_r: f64::from_bits(u64_at(32)?), ari })
}

fn write_agreement(path: &Path, tree_sum: u64, agreement: &Agreement) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = crate::temp::create_in(dir, "agreement")?;
    temp.write_all(&agreement_bytes(tree_sum, agreement))?;
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

    #[test]
    fn an_agreement_is_kept_beside_its_tree_and_never_trusted_damaged_or_for_another_tree() {
        // 40 items in 4 groups, clustered approximately.
        let values: Vec<f32> = (0..40)
            .flat_map(|i| {
                let centre = (i % 4) as f32 * 10.0;
                [centre + (i as f32 * 0.37).sin(), centre + (i as f32 * 0.91).cos()]
            })
            .collect();
        let m = Matrix::from_vec(40, 2, values);
        let options = ClusterOptions {
            method: Method::Average,
            metric: Metric::Euclidean,
            optimal_ordering: false,
            budget: MemoryBudget(1 << 30),
            approx: ApproxOptions { when: When::Always, groups: Some(4), col_sample: None, seed: 0 },
        };
        let dir = tempfile::tempdir().unwrap();
        let (tree, origin) = cluster_cached(&m, Axis::Rows, &options, dir.path(), None).unwrap();
        let TreeOrigin::Computed(path) = origin else { panic!("expected a computed tree") };
        let measure = || agreement_cached(&m, Axis::Rows, &options, &tree, Some(&path)).unwrap();
        let fresh = crate::cluster::agreement::agreement(&m, Axis::Rows, &options, &tree, 0).unwrap().unwrap();
        assert_eq!(measure(), Some(fresh.clone()));
        let kept = path.with_extension("hsa");
        assert!(kept.exists());
        // A reused tree reports what is kept: a planted value shows it was read.
        let sum = tree_checksum(&path).unwrap();
        let planted = Agreement { cophenetic_r: 0.25, ..fresh.clone() };
        let good = agreement_bytes(sum, &planted);
        std::fs::write(&kept, &good).unwrap();
        assert_eq!(measure(), Some(planted.clone()));
        // Any byte damaged, the file cut short or kept for another tree:
        // measured again, and the measurement kept in its place.
        for at in 0..good.len() {
            let mut bytes = good.clone();
            bytes[at] ^= 0x10;
            std::fs::write(&kept, &bytes).unwrap();
            assert_eq!(measure(), Some(fresh.clone()), "byte {at} damaged");
            assert_eq!(std::fs::read(&kept).unwrap(), agreement_bytes(sum, &fresh), "byte {at} damaged");
        }
        let mut huge_count = good.clone();
        huge_count[40..48].copy_from_slice(&0x0FFF_FFFF_FFFF_FFFDu64.to_le_bytes());
        let longer = [good.clone(), vec![0; 16]].concat();
        for bytes in [good[..good.len() - 1].to_vec(), longer, huge_count, agreement_bytes(sum ^ 1, &planted)] {
            std::fs::write(&kept, &bytes).unwrap();
            assert_eq!(measure(), Some(fresh.clone()));
        }
        // A tree that is not stored has nothing kept for it.
        let unstored = agreement_cached(&m, Axis::Rows, &options, &tree, None).unwrap();
        assert_eq!(unstored, Some(fresh));
    }
}
