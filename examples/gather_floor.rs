//! How fast this machine can read what an exact linkage must read: for each
//! merge of `x` and `y`, the distances `d(i, x)` and `d(i, y)` of every other
//! cluster `i`, from an `n(n−1)/2` triangle stored as the linkage stores it
//! (4 × 4 blocks of `f32`, anonymous memory). Nothing else is done with
//! them, so the time is a floor for the Lance–Williams passes; a whole
//! linkage makes `n(n−1)/2` such pairs at least. `fill_s` is the time to
//! get the triangle's fresh memory and write it once, asking for huge pages
//! (as the linkage does) or, with `system`, in the system's default pages.
//!
//! cargo run --release --example gather_floor -- [ROWS] [MERGES] [huge|system]

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Side of a block, as in the linkage's triangle.
const B: usize = 4;

/// Where each row of blocks starts, as `Blocks` lays out the triangle.
fn block_rows(n: usize) -> Vec<usize> {
    let nb = n.div_ceil(B);
    let mut row = Vec::with_capacity(nb + 1);
    let mut at = 0;
    for i in 0..=nb {
        row.push(at);
        at += (nb - i.min(nb)) * B * B;
    }
    row
}

fn pos(row: &[usize], i: usize, j: usize) -> usize {
    let (i, j) = (i.min(j), i.max(j));
    let (bi, bj) = (i / B, j / B);
    row[bi] + (bj - bi) * B * B + (i % B) * B + j % B
}

/// `pos(i, j) = lead[min(i, j)] + (max(i, j) / 4)·16 + max(i, j) % 4`.
fn leads(row: &[usize], n: usize) -> Vec<usize> {
    (0..n).map(|i| row[i / B] - (i / B) * B * B + (i % B) * B).collect()
}

#[inline]
fn tail(j: usize) -> usize {
    (j / B) * B * B + j % B
}

/// Reads both columns for `merges` random pairs `x < y` with `read`;
/// returns the pairs read and a sum that keeps the loads from being
/// optimised away.
fn gather(n: usize, merges: usize, seed: u64, read: impl Fn(usize, usize, &mut [(f32, f32)])) -> (usize, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = vec![(0.0f32, 0.0f32); n];
    let (mut pairs, mut sum) = (0, 0.0f64);
    for _ in 0..merges {
        let x = rng.random_range(0..n);
        let y = (x + rng.random_range(1..n)) % n;
        read(x.min(y), x.max(y), &mut out);
        pairs += n - 2;
        sum += f64::from(out[n / 2].0 + out[n / 3].1);
    }
    (pairs, sum)
}

/// Every position from the block layout's formula.
fn read_by_pos(d: &[f32], row: &[usize], x: usize, y: usize, out: &mut [(f32, f32)]) {
    for (i, o) in out.iter_mut().enumerate() {
        if i != x && i != y {
            *o = (d[pos(row, i, x)], d[pos(row, i, y)]);
        }
    }
}

/// Positions from [`leads`], in three ranges, as the linkage reads them.
fn read_by_lead(d: &[f32], lead: &[usize], x: usize, y: usize, out: &mut [(f32, f32)]) {
    let (tx, ty) = (tail(x), tail(y));
    for (o, &l) in out[..x].iter_mut().zip(&lead[..x]) {
        *o = (d[l + tx], d[l + ty]);
    }
    for (i, (o, &l)) in out[x + 1..y].iter_mut().zip(&lead[x + 1..y]).enumerate() {
        *o = (d[lead[x] + tail(x + 1 + i)], d[l + ty]);
    }
    for (i, o) in out[y + 1..].iter_mut().enumerate() {
        let t = tail(y + 1 + i);
        *o = (d[lead[x] + t], d[lead[y] + t]);
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(20_000), |a| a.parse())?;
    let merges: usize = args.get(2).map_or(Ok(2_000), |a| a.parse())?;
    let pages = args.get(3).map_or("huge", String::as_str);
    anyhow::ensure!(matches!(pages, "huge" | "system"), "pages {pages:?}: give huge or system");
    let row = block_rows(n);
    let len = *row.last().expect("total");
    let start = Instant::now();
    let mut map = memmap2::MmapMut::map_anon(len * size_of::<f32>())?;
    if pages == "huge" {
        // Only a hint, as in the linkage.
        let _ = map.advise(memmap2::Advice::HugePage);
    }
    let d: &mut [f32] = bytemuck::cast_slice_mut(&mut map);
    for (k, v) in d.iter_mut().enumerate() {
        *v = (k % 1009) as f32;
    }
    let fill = start.elapsed().as_secs_f64();
    let linkage_pairs = (n * (n - 1) / 2) as f64;
    let (d, row): (&[f32], &[usize]) = (d, &row);
    let lead = leads(row, n);
    let lead = &lead[..];
    for (threads, tables) in [(1usize, false), (2, false), (1, true), (2, true)] {
        let start = Instant::now();
        let results: Vec<(usize, f64)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        if tables {
                            gather(n, merges / threads, t as u64, |x, y, out| read_by_lead(d, lead, x, y, out))
                        } else {
                            gather(n, merges / threads, t as u64, |x, y, out| read_by_pos(d, row, x, y, out))
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("gather thread")).collect()
        });
        let seconds = start.elapsed().as_secs_f64();
        let pairs: usize = results.iter().map(|r| r.0).sum();
        let check: f64 = results.iter().map(|r| r.1).sum();
        let ns = seconds * 1e9 / pairs as f64;
        println!(
            "rows={n} pages={pages} threads={threads} tables={tables} fill_s={fill:.3} ns_per_pair={ns:.2} linkage_floor_s={:.2} check={check}",
            ns * linkage_pairs * 1e-9
        );
    }
    Ok(())
}
