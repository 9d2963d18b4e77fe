//! How much memory exact clustering needs, and the budget it must fit.

use super::ClusterError;
use super::linkage::F64_WORKSPACE_MAX;

/// The largest default budget: beyond it a machine is likely shared.
const DEFAULT_CAP: u64 = 8 << 30;

/// The budget when physical memory cannot be read (`/proc/meminfo`).
const FALLBACK: u64 = 2 << 30;

/// The most memory exact clustering may use, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryBudget(pub u64);

impl Default for MemoryBudget {
    /// Half of physical memory, at most 8 GiB; 2 GiB where physical memory
    /// cannot be read.
    fn default() -> Self {
        MemoryBudget(physical_memory().map_or(FALLBACK, |t| (t / 2).min(DEFAULT_CAP)))
    }
}

/// The machine's physical memory in bytes, where `/proc/meminfo` says it.
pub(crate) fn physical_memory() -> Option<u64> {
    std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| mem_total(&text))
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

impl MemoryBudget {
    /// Whether exact clustering of `n` items of dimension `dim` fits, as an
    /// error that says how much it needs and what to do otherwise.
    pub fn check(self, n: usize, dim: usize, optimal_ordering: bool) -> Result<(), ClusterError> {
        let needed = exact_memory_bytes(n, dim, optimal_ordering);
        if needed > self.0 {
            return Err(ClusterError::OverBudget { n, needed, budget: self.0 });
        }
        Ok(())
    }
}

/// Bytes exact clustering of `n` items of dimension `dim` needs at its
/// peak: the `f32` distances, the prepared `f64` panel of items (at most
/// 256 MiB), per-item bookkeeping, the `f64` working copy small problems
/// link in and, for optimal ordering, a copy of the distances and two
/// `n × n` tables (`f32` distances, `f64` path lengths).
pub fn exact_memory_bytes(n: usize, dim: usize, optimal_ordering: bool) -> u64 {
    let wide = n <= F64_WORKSPACE_MAX;
    let (n, dim) = (n as u64, dim as u64);
    // n(n−1)/2 values, plus the unused halves of the 4 × 4 diagonal blocks.
    let condensed = (n * n.saturating_sub(1) / 2 + 8 * n + 16) * 4;
    let panel = (n * dim * 8).min(256 << 20);
    // Per item: the linkage's bookkeeping (neighbour lists, sizes, the
    // position table twice), and 44 bytes for each of the runs of tiles
    // that collect the first neighbour lists, and for their union.
    let runs = super::condensed::MAX_RUNS as u64 + 1;
    let per_item = n * (128 + runs * 44) + if wide { 2 * condensed } else { 0 };
    let ordering = if optimal_ordering { condensed + n * n * 12 } else { 0 };
    condensed + panel + per_item + ordering
}

/// `bytes` in the largest binary unit that keeps a number ≥ 1.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_total() {
        let text = "MemTotal:       16318480 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total(text), Some(16318480 * 1024));
        assert_eq!(mem_total("nothing"), None);
    }

    #[test]
    fn over_budget_says_what_it_needs_and_what_to_do() {
        // 100,000 items: 4,999,950,000 distances of 4 bytes ≈ 18.6 GiB, with
        // the diagonal blocks, the 8 MB panel and 876 bytes an item 18.7.
        let err = MemoryBudget(8 << 30).check(100_000, 10, false).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("100000 items needs 18.7 GiB"), "{text}");
        assert!(text.contains("8.0 GiB") && text.contains("raise --memory-budget"), "{text}");
        assert!(MemoryBudget(8 << 30).check(20_000, 100, false).is_ok());
    }

    #[test]
    fn default_budget_is_capped() {
        let b = MemoryBudget::default().0;
        assert!(b > 0 && b <= DEFAULT_CAP);
    }
}
