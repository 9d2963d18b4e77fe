//! Stable hashes: FNV-1a, 64-bit, for cache file names, fingerprints and
//! header checksums; xxh3 for checksums of whole cache files. Neither is
//! cryptographic: they guard against damage and staleness, not against
//! tampering.
//!
//! A file's checksum is the wrapping sum, over the pieces it is cut into,
//! of each piece's xxh3 seeded with the piece's offset in the file. Pieces
//! are hashed independently, so a writer hashes them as it finishes them,
//! in any order, and a reader checks them in parallel; the seed ties each
//! piece to its place, so the same bytes elsewhere do not pass.

use std::ops::Range;

use memmap2::Mmap;
use rayon::prelude::*;
use xxhash_rust::xxh3::{Xxh3, xxh3_64_with_seed};

use crate::mmap;
use crate::progress::{self, Bar};

/// A running FNV-1a hash.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Feeds bytes.
    pub fn bytes(mut self, bytes: &[u8]) -> Self {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self
    }

    /// Feeds a `u64`, little-endian.
    pub fn u64(self, value: u64) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    /// The hash so far.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// FNV-1a of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    Fnv::default().bytes(bytes).finish()
}

/// The checksum term of the piece `bytes` that starts `offset` bytes into
/// its file.
pub(crate) fn piece_hash(bytes: &[u8], offset: u64) -> u64 {
    xxh3_64_with_seed(bytes, offset)
}

/// Files from this size on show a bar while their checksum is computed
/// (a second or more from disk); smaller ones are checked too fast to see.
const CHECK_BAR_BYTES: u64 = 1 << 30;

/// The bar of a check over `total` bytes: `message` on the terminal from
/// [`CHECK_BAR_BYTES`] on, hidden below.
pub(crate) fn check_bar(total: u64, message: &str) -> Bar {
    if total >= CHECK_BAR_BYTES { progress::bytes_bar(total, message) } else { Bar::hidden() }
}

/// Pieces of [`ChunkSum`] and [`chunk_sum`]: large enough that one costs
/// far more than its task, small enough to spread over the cores and to
/// release behind a pass.
const CHUNK: u64 = 16 << 20;

/// The checksum of a region written front to back, cut into pieces of
/// [`CHUNK`] bytes from its start: computed as the bytes go by, so that
/// writing a file costs no second pass over it.
pub(crate) struct ChunkSum {
    at: u64,
    chunk_start: u64,
    chunk: Xxh3,
    sum: u64,
}

impl ChunkSum {
    /// A region starting `start` bytes into its file.
    pub(crate) fn new(start: u64) -> Self {
        ChunkSum { at: start, chunk_start: start, chunk: Xxh3::with_seed(start), sum: 0 }
    }

    /// Adds the bytes that follow those added so far.
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = (self.chunk_start + CHUNK - self.at) as usize;
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.chunk.update(now);
            self.at += now.len() as u64;
            if self.at == self.chunk_start + CHUNK {
                self.sum = self.sum.wrapping_add(self.chunk.digest());
                self.chunk_start = self.at;
                self.chunk = Xxh3::with_seed(self.at);
            }
            bytes = rest;
        }
    }

    /// The checksum of everything added so far.
    pub(crate) fn finish(&self) -> u64 {
        if self.at > self.chunk_start { self.sum.wrapping_add(self.chunk.digest()) } else { self.sum }
    }
}

/// The [`ChunkSum`] of `map[range]`, read in parallel; each chunk's pages
/// are released once hashed, so that checking a file larger than RAM does
/// not fill the resident set. `done` is told the bytes of each chunk.
pub(crate) fn chunk_sum(map: &Mmap, range: Range<usize>, done: impl Fn(u64) + Sync) -> u64 {
    let starts: Vec<usize> = range.clone().step_by(CHUNK as usize).collect();
    starts
        .into_par_iter()
        .map(|start| {
            let end = (start + CHUNK as usize).min(range.end);
            let hash = piece_hash(&map[start..end], start as u64);
            mmap::release(map, start, end - start);
            done((end - start) as u64);
            hash
        })
        .reduce(|| 0, u64::wrapping_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_streamed_chunk_sum_is_the_sum_of_its_seeded_chunks() {
        let bytes: Vec<u8> = (0..(2 * CHUNK + 1000)).map(|i| (i * 7 % 251) as u8).collect();
        let start = 4096u64;
        let mut streamed = ChunkSum::new(start);
        // Uneven writes that straddle the chunk boundaries.
        for part in bytes.chunks(3_000_017) {
            streamed.update(part);
        }
        let c = CHUNK as usize;
        let expected = xxh3_64_with_seed(&bytes[..c], start)
            .wrapping_add(xxh3_64_with_seed(&bytes[c..2 * c], start + CHUNK))
            .wrapping_add(xxh3_64_with_seed(&bytes[2 * c..], start + 2 * CHUNK));
        assert_eq!(streamed.finish(), expected);
        assert_eq!(ChunkSum::new(start).finish(), 0, "an empty region");
        let mut whole = ChunkSum::new(0);
        whole.update(&bytes[..c]);
        assert_eq!(whole.finish(), xxh3_64_with_seed(&bytes[..c], 0), "one whole chunk");
    }

    #[test]
    fn a_mapped_chunk_sum_matches_the_streamed_one() {
        use std::io::Write;
        let bytes: Vec<u8> = (0..(CHUNK + 5000)).map(|i| (i * 13 % 241) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&[0; 4096]).unwrap();
        file.write_all(&bytes).unwrap();
        let map = crate::mmap::map_readonly(&file).unwrap();
        let mut streamed = ChunkSum::new(4096);
        streamed.update(&bytes);
        let counted = std::sync::atomic::AtomicU64::new(0);
        let mapped = chunk_sum(&map, 4096..map.len(), |n| {
            counted.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        });
        assert_eq!(mapped, streamed.finish());
        assert_eq!(counted.into_inner(), bytes.len() as u64);
    }
}
