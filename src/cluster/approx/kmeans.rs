//! k-means in the geometry of a metric: each item is prepared (centred,
//! normalised, ranked) so that squared Euclidean distances between prepared
//! vectors order items as the metric does; seeding by k-means++ on a sample,
//! Lloyd passes on the sample, then over every item with blocked matrix
//! products.
//!
//! Every pass is deterministic whatever the thread count: items are cut
//! into fixed blocks whose results land at fixed places, and centroids are
//! summed group by group over members in index order.

use crate::progress::Bar;
use ndarray::{ArrayView2, ArrayViewMut2, linalg::general_mat_mul};
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::cluster::ClusterError;
use crate::cluster::metric::{self, Metric};
use crate::input::Matrix;
use crate::progress;

/// Items assigned per block: a block's prepared rows and its products with
/// the centroids stay in a core's cache for typical widths.
const BLOCK: usize = 256;

/// Items per block of the validation pass, at most: fewer for wide items,
/// so that a block read from the file stays within [`SCAN_BYTES`].
const SCAN_BLOCK: usize = 8192;
const SCAN_BYTES: usize = 32 << 20;

/// Rows of a matrix whose mean centres its items when it has more (see
/// [`Space::of_rows`]).
const CENTRE_SAMPLE: usize = 16_384;

/// Seeding and the first Lloyd passes run on a sample of this many items
/// per group (at least [`MIN_SAMPLE`]): enough to place every centroid,
/// small enough that seeding costs little beside one full pass.
const SAMPLE_PER_GROUP: usize = 16;
const MIN_SAMPLE: usize = 4096;

/// Lloyd passes on the sample (fewer when the assignment stops changing).
const SAMPLE_PASSES: usize = 8;

/// Lloyd passes over every item after the sample passes: one suffices to
/// turn the sample's centroids into the means of their groups, and each
/// costs as much as all the sample's work together.
pub(super) const FULL_PASSES: usize = 1;

/// The items being clustered, row-major, and how they are prepared.
pub(crate) struct Space<'a> {
    data: Rows<'a>,
    dim: usize,
    item: &'static str,
    metric: Metric,
    /// The mean of each coordinate over the finite values: euclidean-type
    /// items are centred on it, so that `|a|² + |b|² − 2a·b` does not cancel.
    center: Vec<f64>,
    /// The same in `f32`, for items without a missing value: rounding the
    /// centre shifts every item alike, which distances do not see.
    center32: Vec<f32>,
}

/// Where the items' values are read.
#[derive(Clone, Copy)]
enum Rows<'a> {
    /// In memory (a sample of columns, a test).
    Slice(&'a [f32]),
    /// The rows of a matrix, read with `pread`: a pass in any order leaves
    /// no mapped pages behind it, so a file larger than RAM is clustered in
    /// bounded memory.
    File(&'a Matrix),
}

/// Buffers one thread reuses from item to item.
#[derive(Default)]
pub(super) struct Scratch {
    values: Vec<f64>,
    missing: Vec<u32>,
    row: Vec<f32>,
    raw: Vec<f32>,
}

/// What one thread of the assignment pass reuses from block to block.
#[derive(Default)]
struct BlockScratch {
    item: Scratch,
    rows: Vec<f32>,
    products: Vec<f32>,
    /// Each row's left-out coordinates.
    missing: Vec<Vec<u32>>,
}

impl<'a> Space<'a> {
    /// The `data.len() / dim` items of `data` (called `item` in messages);
    /// refuses an item without a finite value, naming the first one.
    pub fn new(data: &'a [f32], dim: usize, item: &'static str, metric: Metric) -> Result<Self, ClusterError> {
        Self::scan(Rows::Slice(data), data.len() / dim.max(1), dim, item, metric)
    }

    /// The rows of `matrix`, read from its file as they are needed. Up to
    /// [`CENTRE_SAMPLE`] rows, one pass finds the centre and refuses an
    /// empty row first; beyond, the centre is the mean of a seeded sample of
    /// that many rows (any centre keeps distances; the mean keeps their
    /// terms small), and an empty row is refused by [`Space::prepare`] on
    /// the first pass that reads it, which every clustering makes.
    pub fn of_rows(matrix: &'a Matrix, item: &'static str, metric: Metric, seed: u64) -> Result<Self, ClusterError> {
        let (n, dim) = (matrix.rows(), matrix.cols());
        if n <= CENTRE_SAMPLE || dim == 0 {
            return Self::scan(Rows::File(matrix), n, dim, item, metric);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6365_6e74_7265);
        let mut picked = index::sample(&mut rng, n, CENTRE_SAMPLE).into_vec();
        picked.sort_unstable();
        // Chunks summed in order: the same centre whatever the thread count.
        let parts: Vec<(Vec<f64>, Vec<u64>)> = picked
            .par_chunks(256)
            .map_init(Vec::new, |row: &mut Vec<f32>, chunk| {
                row.resize(dim, 0.0);
                let (mut sum, mut count) = (vec![0.0f64; dim], vec![0u64; dim]);
                for &i in chunk {
                    matrix.read_row(i, row).map_err(|e| ClusterError::Read(e.to_string()))?;
                    for ((s, c), &v) in sum.iter_mut().zip(&mut count).zip(row.iter()) {
                        if v.is_finite() {
                            *s += f64::from(v);
                            *c += 1;
                        }
                    }
                }
                Ok((sum, count))
            })
            .collect::<Result<_, ClusterError>>()?;
        let (mut sum, mut count) = (vec![0.0f64; dim], vec![0u64; dim]);
        for (s, c) in parts {
            sum.iter_mut().zip(s).for_each(|(a, b)| *a += b);
            count.iter_mut().zip(c).for_each(|(a, b)| *a += b);
        }
        let center: Vec<f64> = sum.iter().zip(&count).map(|(&s, &c)| if c > 0 { s / c as f64 } else { 0.0 }).collect();
        let center32 = center.iter().map(|&c| c as f32).collect();
        Ok(Self { data: Rows::File(matrix), dim, item, metric, center, center32 })
    }

    /// The first of `items` without a finite value, read in order: the
    /// item an error names, whichever thread met an empty one first.
    pub fn first_empty(&self, items: &[u32]) -> Result<Option<usize>, ClusterError> {
        let mut buffer = Vec::new();
        for &i in items {
            if progress::interrupted() {
                return Err(ClusterError::Interrupted);
            }
            if !self.item(i, &mut buffer)?.iter().any(|v| v.is_finite()) {
                return Ok(Some(i as usize));
            }
        }
        Ok(None)
    }

    /// The space of `n` items of `dim` values in `data`, after one pass
    /// that finds the coordinates' means and refuses an empty item.
    fn scan(data: Rows<'a>, n: usize, dim: usize, item: &'static str, metric: Metric) -> Result<Self, ClusterError> {
        if dim == 0 {
            return Err(ClusterError::NoFiniteValue { item, index: 0 });
        }
        // Blocks reduced in order: the same sums whatever the thread count
        // (their size depends on the width alone).
        let per_block = SCAN_BLOCK.min(SCAN_BYTES / (dim * 4)).max(1);
        let blocks: Vec<(Option<usize>, Vec<f64>, Vec<u64>)> = (0..n.div_ceil(per_block))
            .into_par_iter()
            .map_init(Vec::new, |buffer, b| {
                let rows = b * per_block..((b + 1) * per_block).min(n);
                let block: &[f32] = match data {
                    Rows::Slice(values) => &values[rows.start * dim..rows.end * dim],
                    Rows::File(matrix) => {
                        buffer.resize(rows.len() * dim, 0.0);
                        matrix.read_rows(rows.start, buffer).map_err(|e| ClusterError::Read(e.to_string()))?;
                        buffer
                    }
                };
                let mut sum = vec![0.0f64; dim];
                let mut count = vec![0u64; dim];
                let mut empty = None;
                for (r, row) in block.chunks_exact(dim).enumerate() {
                    let mut finite = false;
                    for ((s, c), &v) in sum.iter_mut().zip(&mut count).zip(row) {
                        if v.is_finite() {
                            *s += f64::from(v);
                            *c += 1;
                            finite = true;
                        }
                    }
                    if !finite && empty.is_none() {
                        empty = Some(b * per_block + r);
                    }
                }
                Ok((empty, sum, count))
            })
            .collect::<Result<_, ClusterError>>()?;
        let mut sum = vec![0.0f64; dim];
        let mut count = vec![0u64; dim];
        for (empty, s, c) in blocks {
            if let Some(index) = empty {
                return Err(ClusterError::NoFiniteValue { item, index });
            }
            sum.iter_mut().zip(s).for_each(|(a, b)| *a += b);
            count.iter_mut().zip(c).for_each(|(a, b)| *a += b);
        }
        let center: Vec<f64> = sum.iter().zip(&count).map(|(&s, &c)| if c > 0 { s / c as f64 } else { 0.0 }).collect();
        let center32 = center.iter().map(|&c| c as f32).collect();
        Ok(Self { data, dim, item, metric, center, center32 })
    }

    /// The same space over other values held in memory (a group's rows,
    /// gathered): items are numbered from 0 in `values`, and prepared
    /// exactly as here (the same centre).
    pub fn local<'b>(&self, values: &'b [f32]) -> Space<'b> {
        Space {
            data: Rows::Slice(values),
            dim: self.dim,
            item: self.item,
            metric: self.metric,
            center: self.center.clone(),
            center32: self.center32.clone(),
        }
    }

    /// The raw values of `items`, one after another: a group's rows read
    /// once, for everything below it to work on in memory.
    pub fn gather(&self, items: &[u32]) -> Result<Vec<f32>, ClusterError> {
        let mut values = Vec::with_capacity(items.len() * self.dim);
        let mut buffer = Vec::new();
        for &i in items {
            values.extend_from_slice(self.item(i, &mut buffer)?);
        }
        Ok(values)
    }

    /// Length of each item.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// What an item is called in messages.
    pub fn item_name(&self) -> &'static str {
        self.item
    }

    /// The metric the items are prepared for.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The raw values of item `i`: in place, or read into `buffer`.
    pub fn item<'b>(&'b self, i: u32, buffer: &'b mut Vec<f32>) -> Result<&'b [f32], ClusterError> {
        let i = i as usize;
        match self.data {
            Rows::Slice(values) => Ok(&values[i * self.dim..(i + 1) * self.dim]),
            Rows::File(matrix) => {
                buffer.resize(self.dim, 0.0);
                matrix.read_row(i, buffer).map_err(|e| ClusterError::Read(e.to_string()))?;
                Ok(buffer)
            }
        }
    }

    /// Whether a missing coordinate is left out of distances (and the sum
    /// rescaled), as the euclidean types do; the other metrics prepare over
    /// the finite values and count a missing coordinate as 0, the mean of a
    /// centred vector.
    fn leaves_out_missing(&self) -> bool {
        matches!(self.metric, Metric::Euclidean | Metric::SqEuclidean | Metric::Cityblock)
    }

    /// Writes the prepared item `i` into `out` and the coordinates it
    /// leaves out into `s.missing`; returns its squared length.
    /// Refuses an item without a finite value.
    pub(super) fn prepare(&self, i: u32, out: &mut [f32], s: &mut Scratch) -> Result<f32, ClusterError> {
        let mut buffer = std::mem::take(&mut s.raw);
        let norm = self.item(i, &mut buffer).map(|raw| self.prepare_raw(raw, out, s));
        s.raw = buffer;
        norm?.ok_or(ClusterError::NoFiniteValue { item: self.item, index: i as usize })
    }

    /// The prepared item's squared length; `None` when it has no finite value.
    fn prepare_raw(&self, raw: &[f32], out: &mut [f32], s: &mut Scratch) -> Option<f32> {
        s.values.clear();
        s.missing.clear();
        // A fold without early exit, so that the check vectorises.
        if self.leaves_out_missing() && raw.iter().fold(true, |all, v| all & v.is_finite()) {
            // The common case, in `f32` with the squared length summed in
            // lanes, in one loop that vectorises.
            const L: usize = 16;
            let mut lanes = [0.0f32; L];
            let whole = raw.len() / L * L;
            let (out_main, out_tail) = out.split_at_mut(whole);
            let (raw_main, raw_tail) = raw.split_at(whole);
            let (center_main, center_tail) = self.center32.split_at(whole);
            let blocks = out_main.chunks_exact_mut(L).zip(raw_main.chunks_exact(L)).zip(center_main.chunks_exact(L));
            for ((o, r), c) in blocks {
                for l in 0..L {
                    let x = r[l] - c[l];
                    o[l] = x;
                    lanes[l] += x * x;
                }
            }
            let mut tail = 0.0f32;
            for ((o, &v), &c) in out_tail.iter_mut().zip(raw_tail).zip(center_tail) {
                *o = v - c;
                tail += *o * *o;
            }
            return Some(lanes.iter().sum::<f32>() + tail);
        }
        for (j, &v) in raw.iter().enumerate() {
            if v.is_finite() {
                s.values.push(f64::from(v));
            } else {
                s.missing.push(j as u32);
            }
        }
        if s.values.is_empty() {
            return None;
        }
        match self.metric {
            Metric::Euclidean | Metric::SqEuclidean | Metric::Cityblock => {}
            Metric::Cosine => metric::normalise(&mut s.values),
            Metric::Correlation => metric::centre_and_normalise(&mut s.values),
            Metric::Spearman => {
                metric::rank_in_place(&mut s.values);
                metric::centre_and_normalise(&mut s.values);
            }
        }
        let centred = self.leaves_out_missing();
        let mut finite = s.values.iter();
        let mut norm = 0.0f64;
        for ((o, &v), &c) in out.iter_mut().zip(raw).zip(&self.center) {
            let x = if v.is_finite() {
                let x = *finite.next().expect("one prepared value per finite value");
                if centred { x - c } else { x }
            } else {
                0.0
            };
            *o = x as f32;
            norm += x * x;
        }
        if !centred {
            s.missing.clear();
        }
        Some(norm as f32)
    }
}

/// Prepared items held in memory, for sets small enough that preparing
/// them once beats preparing them on every pass (samples, groups).
pub(super) struct Held {
    dim: usize,
    rows: Vec<f32>,
    /// Item `p`'s left-out coordinates are `missing[missing_at[p]..missing_at[p + 1]]`.
    missing_at: Vec<usize>,
    missing: Vec<u32>,
}

impl Held {
    pub(super) fn new(space: &Space, items: &[u32]) -> Result<Self, ClusterError> {
        let dim = space.dim();
        let mut rows = vec![0.0f32; items.len() * dim];
        let lists: Vec<Vec<u32>> = rows
            .par_chunks_mut(dim)
            .zip(items)
            .map_init(Scratch::default, |s, (row, &i)| {
                space.prepare(i, row, s)?;
                Ok(s.missing.clone())
            })
            .collect::<Result<_, ClusterError>>()?;
        let mut missing_at = vec![0];
        let mut missing = Vec::new();
        for list in lists {
            missing.extend(list);
            missing_at.push(missing.len());
        }
        Ok(Self { dim, rows, missing_at, missing })
    }

    /// The prepared items, one after another.
    pub(super) fn rows(&self) -> &[f32] {
        &self.rows
    }

    fn row(&self, p: usize) -> &[f32] {
        &self.rows[p * self.dim..(p + 1) * self.dim]
    }
}

/// Where a pass reads its prepared items, by position.
#[derive(Clone, Copy)]
enum Vectors<'a> {
    /// `items` of the space, prepared as they are read: a pass over every
    /// row of a large matrix holds only a block at a time.
    Streamed(&'a Space<'a>, &'a [u32]),
    /// Prepared once.
    Held(&'a Held),
}

impl Vectors<'_> {
    fn dim(self) -> usize {
        match self {
            Vectors::Streamed(space, _) => space.dim(),
            Vectors::Held(held) => held.dim,
        }
    }

    fn len(self) -> usize {
        match self {
            Vectors::Streamed(_, items) => items.len(),
            Vectors::Held(held) => held.missing_at.len() - 1,
        }
    }

    /// Writes the item at position `p` into `out` and its left-out
    /// coordinates into `s.missing`.
    fn load(self, p: usize, out: &mut [f32], s: &mut Scratch) -> Result<(), ClusterError> {
        match self {
            Vectors::Streamed(space, items) => {
                space.prepare(items[p], out, s)?;
            }
            Vectors::Held(held) => {
                out.copy_from_slice(held.row(p));
                s.missing.clear();
                s.missing.extend_from_slice(&held.missing[held.missing_at[p]..held.missing_at[p + 1]]);
            }
        }
        Ok(())
    }
}

/// A partition of items into groups, with each group's centroid (in the
/// prepared space) and spread (the mean squared distance of its members to
/// the centroid).
pub(crate) struct Partition {
    dim: usize,
    offsets: Vec<usize>,
    members: Vec<u32>,
    centroids: Vec<f64>,
    spread: Vec<f64>,
}

impl Partition {
    /// Groups `items` (read through `vectors`, position by position) by
    /// `assignment` (a group in `0..k` per item), members in the order of
    /// `items`; a group left empty keeps its centroid from `old`.
    fn new(vectors: Vectors, items: &[u32], assignment: &[u32], old: &[f64]) -> Result<Self, ClusterError> {
        let dim = vectors.dim();
        let k = old.len() / dim;
        let mut offsets = vec![0usize; k + 1];
        for &a in assignment {
            offsets[a as usize + 1] += 1;
        }
        for g in 0..k {
            offsets[g + 1] += offsets[g];
        }
        let mut next = offsets.clone();
        let mut positions = vec![0u32; items.len()];
        for (p, &a) in assignment.iter().enumerate() {
            positions[next[a as usize]] = p as u32;
            next[a as usize] += 1;
        }
        let stats: Vec<(Vec<f64>, f64)> = (0..k)
            .into_par_iter()
            .map_init(Scratch::default, |s, g| {
                if progress::interrupted() {
                    return Err(ClusterError::Interrupted);
                }
                let group = &positions[offsets[g]..offsets[g + 1]];
                if group.is_empty() {
                    return Ok((old[g * dim..(g + 1) * dim].to_vec(), 0.0));
                }
                mean_and_spread(vectors, dim, group, s)
            })
            .collect::<Result<_, _>>()?;
        let mut centroids = Vec::with_capacity(k * dim);
        let mut spread = Vec::with_capacity(k);
        for (c, v) in stats {
            centroids.extend(c);
            spread.push(v);
        }
        let members = positions.iter().map(|&p| items[p as usize]).collect();
        Ok(Self { dim, offsets, members, centroids, spread })
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.spread.len()
    }

    /// The members of group `g`, in increasing order.
    pub fn members(&self, g: usize) -> &[u32] {
        &self.members[self.offsets[g]..self.offsets[g + 1]]
    }

    /// The centroid of group `g`, prepared.
    pub fn centroid(&self, g: usize) -> &[f64] {
        &self.centroids[g * self.dim..(g + 1) * self.dim]
    }

    /// The same partition without its empty groups.
    fn without_empty(self) -> Self {
        let dim = self.dim;
        let kept: Vec<usize> = (0..self.len()).filter(|&g| !self.members(g).is_empty()).collect();
        let mut offsets = vec![0];
        let mut members = Vec::with_capacity(self.members.len());
        for &g in &kept {
            members.extend_from_slice(self.members(g));
            offsets.push(members.len());
        }
        Self {
            dim,
            offsets,
            members,
            centroids: kept.iter().flat_map(|&g| self.centroid(g).iter().copied()).collect(),
            spread: kept.iter().map(|&g| self.spread[g]).collect(),
        }
    }

    /// `items` cut into runs of at most `size`, in order: the partition
    /// used where k-means cannot split a set (all its items prepare to the
    /// same vector).
    pub fn runs(space: &Space, items: &[u32], size: usize) -> Result<Self, ClusterError> {
        let assignment: Vec<u32> = (0..items.len()).map(|p| (p / size) as u32).collect();
        let k = items.len().div_ceil(size);
        Self::new(Vectors::Streamed(space, items), items, &assignment, &vec![0.0; k * space.dim()])
    }
}

/// The centroid of the items at `positions` (the mean of each coordinate
/// over the members that have it; 0, the overall mean, where none has) and
/// its spread, the sum over coordinates of the members' variance.
fn mean_and_spread(
    vectors: Vectors,
    dim: usize,
    positions: &[u32],
    s: &mut Scratch,
) -> Result<(Vec<f64>, f64), ClusterError> {
    let mut sum = vec![0.0f64; dim];
    let mut squares = vec![0.0f64; dim];
    let mut count = vec![positions.len() as u64; dim];
    let mut row = std::mem::take(&mut s.row);
    row.resize(dim, 0.0);
    for &p in positions {
        if let Err(e) = vectors.load(p as usize, &mut row, s) {
            s.row = row;
            return Err(e);
        }
        for ((a, q), &x) in sum.iter_mut().zip(&mut squares).zip(&row) {
            let x = f64::from(x);
            *a += x;
            *q += x * x;
        }
        for &j in &s.missing {
            count[j as usize] -= 1;
        }
    }
    s.row = row;
    let mut spread = 0.0;
    for ((a, q), &c) in sum.iter_mut().zip(&squares).zip(&count) {
        if c == 0 {
            continue;
        }
        *a /= c as f64;
        spread += (q / c as f64 - *a * *a).max(0.0);
    }
    Ok((sum, spread))
}

/// Centroids as the assignment pass reads them: `f32` rows and their
/// squared lengths.
struct Centres {
    k: usize,
    values: Vec<f32>,
    sqnorm: Vec<f32>,
    /// `k` zeros: the offsets of rows whose products are already adjusted.
    zeros: Vec<f32>,
}

impl Centres {
    fn new(centroids: &[f64], dim: usize) -> Self {
        let values: Vec<f32> = centroids.iter().map(|&v| v as f32).collect();
        let sqnorm =
            values.chunks_exact(dim).map(|c| c.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() as f32).collect();
        let k = centroids.len() / dim;
        Self { k, values, sqnorm, zeros: vec![0.0; k] }
    }
}

/// The nearest centroid of each of `items` (the first one on ties), in
/// blocks: one matrix product per block gives every item-centroid dot
/// product, `|c|² − 2x·c` orders the centroids for item `x`, and for an item
/// with left-out coordinates `|c|²` counts only the coordinates it has.
fn assign(vectors: Vectors, centroids: &[f64], progress: Option<&Bar>) -> Result<Vec<u32>, ClusterError> {
    let dim = vectors.dim();
    let centres = Centres::new(centroids, dim);
    let k = centres.k;
    let c_view = ArrayView2::from_shape((k, dim), &centres.values).expect("centroid shape");
    let mut out = vec![0u32; vectors.len()];
    out.par_chunks_mut(BLOCK).enumerate().try_for_each_init(BlockScratch::default, |s, (block, out)| {
        if progress::interrupted() {
            return Err(ClusterError::Interrupted);
        }
        let b = out.len();
        s.rows.resize(b * dim, 0.0);
        s.products.resize(b * k, 0.0);
        s.missing.resize_with(b, Vec::new);
        for r in 0..b {
            vectors.load(block * BLOCK + r, &mut s.rows[r * dim..(r + 1) * dim], &mut s.item)?;
            s.missing[r].clone_from(&s.item.missing);
        }
        let x_view = ArrayView2::from_shape((b, dim), &s.rows[..]).expect("block shape");
        let mut g = ArrayViewMut2::from_shape((b, k), &mut s.products[..]).expect("product shape");
        general_mat_mul(-2.0, &x_view, &c_view.t(), 0.0, &mut g);
        for ((line, missing), o) in s.products.chunks_exact_mut(k).zip(&s.missing).zip(out.iter_mut()) {
            if missing.is_empty() {
                *o = first_minimum(line, &centres.sqnorm);
                continue;
            }
            for ((v, &n), c) in line.iter_mut().zip(&centres.sqnorm).zip(centres.values.chunks_exact(dim)) {
                *v += n;
                *v -= missing.iter().map(|&j| c[j as usize] * c[j as usize]).sum::<f32>();
            }
            *o = first_minimum(line, &centres.zeros);
        }
        if let Some(p) = progress {
            p.inc(b as u64);
        }
        Ok(())
    })?;
    Ok(out)
}

/// The index of the smallest `values[i] + offsets[i]` (the first of equal
/// ones), over eight lanes so that it vectorises: the products and the
/// centroids' squared lengths are added as they are compared, in one pass.
fn first_minimum(values: &[f32], offsets: &[f32]) -> u32 {
    const L: usize = 8;
    let mut best = [f32::INFINITY; L];
    let mut at = [0u32; L];
    let mut index = [0u32; L];
    for (l, i) in index.iter_mut().enumerate() {
        *i = l as u32;
    }
    let whole = values.len() / L * L;
    let blocks = values[..whole].chunks_exact(L).zip(offsets[..whole].chunks_exact(L));
    for (chunk, offset) in blocks {
        for l in 0..L {
            let v = chunk[l] + offset[l];
            let better = v < best[l];
            best[l] = if better { v } else { best[l] };
            at[l] = if better { index[l] } else { at[l] };
            index[l] += L as u32;
        }
    }
    let mut pick = (f32::INFINITY, u32::MAX);
    let tail = values[whole..].iter().zip(&offsets[whole..]).map(|(&v, &o)| v + o);
    let candidates = best.into_iter().zip(at).chain(tail.zip(whole as u32..)).filter(|&(v, _)| v < f32::INFINITY);
    for (v, i) in candidates {
        if v < pick.0 || (v == pick.0 && i < pick.1) {
            pick = (v, i);
        }
    }
    // Every value NaN cannot happen (prepared values are finite); 0 is safe.
    if pick.1 == u32::MAX { 0 } else { pick.1 }
}

/// Partitions `items` into at most `k` non-empty groups by k-means:
/// k-means++ seeding and Lloyd passes on a seeded sample, then
/// `full_passes` Lloyd passes over every item (fewer when the assignment
/// stops changing; [`FULL_PASSES`] where a pass is costly). Centroids are
/// the means of the final groups. `progress` follows the seeding and the
/// full passes.
pub(crate) fn kmeans(
    space: &Space,
    items: &[u32],
    k: usize,
    seed: u64,
    full_passes: usize,
    progress: Option<&Bar>,
) -> Result<Partition, ClusterError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let m = items.len();
    let wanted = (k * SAMPLE_PER_GROUP).max(MIN_SAMPLE);
    let sample: Vec<u32> = if m <= wanted {
        items.to_vec()
    } else {
        let mut picked = index::sample(&mut rng, m, wanted).into_vec();
        picked.sort_unstable();
        picked.iter().map(|&p| items[p]).collect()
    };
    let held_sample = Held::new(space, &sample)?;
    let mut centroids = plus_plus(&held_sample, k, &mut rng, progress)?;
    let everything = sample.len() == m;
    if !everything {
        let mut last: Option<Vec<u32>> = None;
        for _ in 0..SAMPLE_PASSES {
            let a = assign(Vectors::Held(&held_sample), &centroids, None)?;
            if last.as_ref() == Some(&a) {
                break;
            }
            centroids = Partition::new(Vectors::Held(&held_sample), &sample, &a, &centroids)?.centroids;
            last = Some(a);
        }
    }
    let (vectors, passes) = if everything {
        (Vectors::Held(&held_sample), SAMPLE_PASSES + full_passes)
    } else {
        (Vectors::Streamed(space, items), full_passes)
    };
    let mut last: Option<(Vec<u32>, Partition)> = None;
    for pass in 0..passes {
        if let Some(p) = progress {
            p.set_length(m as u64);
            p.set_position(0);
            p.set_message(format!("k-means {}/{passes}", pass + 1));
        }
        let a = assign(vectors, &centroids, progress)?;
        if last.as_ref().is_some_and(|(previous, _)| *previous == a) {
            break;
        }
        let partition = Partition::new(vectors, items, &a, &centroids)?;
        centroids.clone_from(&partition.centroids);
        last = Some((a, partition));
    }
    Ok(last.expect("at least one pass").1.without_empty())
}

/// The centroid of `items` (prepared) and their spread, as a
/// [`Partition`] of them would give for their group.
pub(crate) fn centroid_of(space: &Space, items: &[u32]) -> Result<(Vec<f64>, f64), ClusterError> {
    let positions: Vec<u32> = (0..items.len() as u32).collect();
    mean_and_spread(Vectors::Streamed(space, items), space.dim(), &positions, &mut Scratch::default())
}

/// k-means++ seeding on `sample`: the first centroid uniformly, each next
/// one with probability proportional to its squared distance to the
/// nearest centroid so far. Stops early when every item sits on a centroid.
fn plus_plus(sample: &Held, k: usize, rng: &mut ChaCha8Rng, progress: Option<&Bar>) -> Result<Vec<f64>, ClusterError> {
    let dim = sample.dim;
    let prepared: Vec<f64> = sample.rows.iter().map(|&v| f64::from(v)).collect();
    let n = prepared.len() / dim;
    let item = |p: usize| &prepared[p * dim..(p + 1) * dim];
    if let Some(p) = progress {
        p.set_length(k as u64);
        p.set_position(0);
        p.set_message("k-means++");
    }
    let mut chosen = vec![rng.random_range(0..n)];
    let mut nearest = vec![f64::INFINITY; n];
    while chosen.len() < k {
        if progress::interrupted() {
            return Err(ClusterError::Interrupted);
        }
        let c = item(*chosen.last().expect("one chosen"));
        nearest.par_iter_mut().enumerate().for_each(|(p, d)| *d = d.min(metric::squared_difference(item(p), c)));
        let total: f64 = nearest.iter().sum();
        if total <= 0.0 {
            break;
        }
        let target = rng.random::<f64>() * total;
        let mut running = 0.0;
        let next = nearest
            .iter()
            .position(|&d| {
                running += d;
                running > target
            })
            .unwrap_or_else(|| nearest.iter().rposition(|&d| d > 0.0).expect("a positive distance"));
        chosen.push(next);
        if let Some(p) = progress {
            p.inc(1);
        }
    }
    Ok(chosen.iter().flat_map(|&p| item(p).iter().copied()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_minimum_wins_ties() {
        assert_eq!(first_minimum(&[3.0, 1.0, 2.0, 1.0], &[0.0; 4]), 1);
        let mut v = vec![5.0f32; 21];
        v[9] = 0.5;
        v[17] = 0.5;
        v[20] = 0.5;
        let zeros = [0.0f32; 21];
        assert_eq!(first_minimum(&v, &zeros), 9);
        v[20] = 0.25;
        assert_eq!(first_minimum(&v, &zeros), 20);
        // The offsets count: 9 and 17 fall behind 20 (0.25 + 0), and 3
        // (5 − 4.9 = 0.1) comes first.
        let mut offsets = zeros;
        offsets[9] = 1.0;
        assert_eq!(first_minimum(&v, &offsets), 20);
        offsets[3] = -4.9;
        assert_eq!(first_minimum(&v, &offsets), 3);
    }

    #[test]
    fn the_first_minimum_skips_missing_and_infinite_scores() {
        assert_eq!(first_minimum(&[f32::NAN, 2.0, f32::INFINITY, 2.0], &[0.0; 4]), 1);
        // Every score infinite: the first group.
        assert_eq!(first_minimum(&[f32::INFINITY; 11], &[0.0; 11]), 0);
    }

    #[test]
    fn missing_coordinates_are_left_out_of_euclidean_assignment() {
        // Item 2 lacks its second coordinate: on the first alone it is
        // nearest the centroid at 10, though 0-filled it would not be.
        let data = [0.0, 0.0, 10.0, 10.0, 9.0, f32::NAN];
        let space = Space::new(&data, 2, "row", Metric::Euclidean).unwrap();
        let centroids: Vec<f64> = [[0.0f32, 0.0], [10.0, 10.0]]
            .iter()
            .flat_map(|c| c.iter().zip(&space.center).map(|(&v, m)| f64::from(v) - m))
            .collect();
        assert_eq!(assign(Vectors::Streamed(&space, &[0, 1, 2]), &centroids, None).unwrap(), vec![0, 1, 1]);
    }

    #[test]
    fn spread_is_the_summed_variance() {
        // Two items at (0, 0) and (2, 4): centroid (1, 2), spread 1 + 4.
        let data = [0.0, 0.0, 2.0, 4.0];
        let space = Space::new(&data, 2, "row", Metric::Euclidean).unwrap();
        let vectors = Vectors::Streamed(&space, &[0, 1]);
        let (centroid, spread) = mean_and_spread(vectors, 2, &[0, 1], &mut Scratch::default()).unwrap();
        assert_eq!(centroid, vec![0.0, 0.0]);
        assert!((spread - 5.0).abs() < 1e-9);
    }

    #[test]
    fn an_item_without_a_finite_value_is_named() {
        let data = [1.0, 2.0, f32::NAN, f32::NAN, 3.0, 4.0];
        let err = Space::new(&data, 2, "row", Metric::Correlation).err().unwrap();
        assert!(matches!(err, ClusterError::NoFiniteValue { item: "row", index: 1 }));
    }
}
