//! Row and column labels: generated (`row_0…`), packed in memory, or read
//! straight from a mapped cache file.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;
use rayon::prelude::*;
use std::hash::BuildHasher;
use xxhash_rust::xxh3::xxh3_128;

/// The labels of one axis, in storage order.
#[derive(Clone)]
pub struct Labels(Repr);

#[derive(Clone)]
enum Repr {
    /// `prefix_0`, `prefix_1`, … for a file that carries no labels.
    Generated { prefix: &'static str, len: usize },
    /// All labels concatenated, with the end offset of each one.
    Packed { text: String, ends: Vec<u64> },
    /// The same layout, read in place from a mapped cache file.
    Mapped { map: Arc<Mmap>, ends_at: usize, text_at: usize, len: usize },
}

impl Labels {
    /// Labels `prefix_0 … prefix_{len-1}`.
    pub fn generated(prefix: &'static str, len: usize) -> Self {
        Labels(Repr::Generated { prefix, len })
    }

    /// Labels from owned strings.
    pub fn from_strings<S: AsRef<str>>(labels: impl IntoIterator<Item = S>) -> Self {
        let mut builder = LabelsBuilder::default();
        for label in labels {
            builder.push(label.as_ref());
        }
        builder.finish()
    }

    /// Labels laid out in a mapped file as `len + 1` little-endian `u64` end
    /// offsets (the first is 0) at `ends_at`, then the text at `text_at`.
    /// The caller has checked that the layout is in bounds and 8-aligned.
    pub(crate) fn mapped(map: Arc<Mmap>, ends_at: usize, text_at: usize, len: usize) -> Self {
        Labels(Repr::Mapped { map, ends_at, text_at, len })
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Generated { len, .. } | Repr::Mapped { len, .. } => *len,
            Repr::Packed { ends, .. } => ends.len(),
        }
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether these labels were made up because the file had none.
    pub fn is_generated(&self) -> bool {
        matches!(self.0, Repr::Generated { .. })
    }

    /// Label `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn get(&self, i: usize) -> Cow<'_, str> {
        assert!(i < self.len(), "label {i} out of range ({})", self.len());
        match &self.0 {
            Repr::Generated { prefix, .. } => Cow::Owned(format!("{prefix}_{i}")),
            Repr::Packed { text, ends } => {
                let start = if i == 0 { 0 } else { ends[i - 1] as usize };
                Cow::Borrowed(&text[start..ends[i] as usize])
            }
            Repr::Mapped { map, ends_at, text_at, .. } => {
                let ends: &[u64] = bytemuck::cast_slice(&map[*ends_at..*ends_at + 8 * (i + 2)]);
                let bytes = &map[text_at + ends[i] as usize..text_at + ends[i + 1] as usize];
                // The cache was validated as UTF-8 when opened; lossy keeps a
                // damaged file from ever panicking here.
                String::from_utf8_lossy(bytes)
            }
        }
    }

    /// All labels in order.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Labels from text with one label per line (`\n` or `\r\n`); blank
    /// lines at the end are not labels.
    pub(crate) fn from_lines(text: &str) -> Self {
        let body = text.trim_end_matches(['\n', '\r']);
        let lines = memchr::memchr_iter(b'\n', body.as_bytes()).count() + 1;
        let mut builder = LabelsBuilder { text: String::with_capacity(body.len()), ends: Vec::with_capacity(lines) };
        if !body.is_empty() {
            for line in body.split('\n') {
                builder.push(line.strip_suffix('\r').unwrap_or(line));
            }
        }
        builder.finish()
    }

    /// The labels that occur more than once: how many repeated entries there
    /// are, and the first repeated label (in label order).
    ///
    /// Labels are hashed in parallel and split by hash into buckets small
    /// enough for a hash set to stay in cache; the buckets are then checked
    /// in parallel. A million labels take a few milliseconds, where one big
    /// hash set would wait on memory for every insert.
    pub fn duplicates(&self) -> (usize, Option<String>) {
        if self.is_generated() {
            return (0, None);
        }
        const BUCKET_BITS: u32 = 10;
        let bucket_of = |hash: u64| (hash >> (64 - BUCKET_BITS)) as usize;
        let hasher = foldhash::quality::FixedState::with_seed(0);
        let hashes: Vec<u64> = (0..self.len()).into_par_iter().map(|i| hasher.hash_one(&*self.get(i))).collect();
        // A counting sort of (hash, index) pairs by bucket, into one array,
        // so that each bucket is checked without touching the labels unless
        // two full hashes collide.
        let mut starts = vec![0usize; (1 << BUCKET_BITS) + 1];
        for &hash in &hashes {
            starts[bucket_of(hash) + 1] += 1;
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        let mut next = starts.clone();
        let mut sorted = vec![(0u64, 0usize); hashes.len()];
        for (i, &hash) in hashes.iter().enumerate() {
            let slot = &mut next[bucket_of(hash)];
            sorted[*slot] = (hash, i);
            *slot += 1;
        }
        let repeated: Vec<usize> = starts
            .par_windows(2)
            .map_init(foldhash::HashMap::default, |first_with_hash, w| {
                first_with_hash.clear();
                let mut repeated = Vec::new();
                for &(hash, i) in &sorted[w[0]..w[1]] {
                    // Indices within a bucket rise, so `first` precedes `i`.
                    // Two different labels sharing a 64-bit hash (odds about
                    // n² / 2⁶⁵) would only hide a repeat of the second one.
                    match first_with_hash.entry(hash) {
                        Entry::Vacant(slot) => {
                            slot.insert(i);
                        }
                        Entry::Occupied(first) if self.get(*first.get()) == self.get(i) => repeated.push(i),
                        Entry::Occupied(_) => {}
                    }
                }
                repeated
            })
            .flatten_iter()
            .collect();
        let first = repeated.iter().min().map(|&i| self.get(i).into_owned());
        (repeated.len(), first)
    }

    /// The packed layout (end offsets, then text) as it is written to a cache
    /// file, or `None` for generated labels, which are not stored.
    pub(crate) fn packed_bytes(&self) -> Option<(Vec<u64>, Cow<'_, [u8]>)> {
        match &self.0 {
            Repr::Generated { .. } => None,
            Repr::Packed { text, ends } => {
                let mut offsets = Vec::with_capacity(ends.len() + 1);
                offsets.push(0);
                offsets.extend_from_slice(ends);
                Some((offsets, Cow::Borrowed(text.as_bytes())))
            }
            Repr::Mapped { map, ends_at, text_at, len } => {
                let ends: &[u64] = bytemuck::cast_slice(&map[*ends_at..*ends_at + 8 * (len + 1)]);
                let text = &map[*text_at..*text_at + ends[*len] as usize];
                Some((ends.to_vec(), Cow::Borrowed(text)))
            }
        }
    }
}

impl std::fmt::Debug for Labels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for label in self.iter().take(5) {
            list.entry(&label);
        }
        if self.len() > 5 {
            list.entry(&format_args!("… {} in all", self.len()));
        }
        list.finish()
    }
}

/// Collects labels one at a time into the packed layout.
#[derive(Default)]
pub(crate) struct LabelsBuilder {
    text: String,
    ends: Vec<u64>,
}

impl LabelsBuilder {
    pub(crate) fn push(&mut self, label: &str) {
        self.text.push_str(label);
        self.ends.push(self.text.len() as u64);
    }

    pub(crate) fn finish(self) -> Labels {
        Labels(Repr::Packed { text: self.text, ends: self.ends })
    }
}

/// Labels written to unnamed temporary files as they arrive, so that
/// converting a file of any number of rows holds only a block of them: the
/// text in one file, the end offsets in another, as the cache stores them,
/// and the repeats counted on the way ([`RepeatCounter`]).
pub(crate) struct LabelSpool {
    text: BufWriter<File>,
    ends: BufWriter<File>,
    len: u64,
    text_len: u64,
    repeats: RepeatCounter,
}

impl LabelSpool {
    /// A spool whose files lie in `dir` (unnamed: the system removes them
    /// when they are closed, however the run ends).
    pub(crate) fn new(dir: &Path) -> io::Result<Self> {
        Ok(LabelSpool {
            text: BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir)?),
            ends: BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir)?),
            len: 0,
            text_len: 0,
            repeats: RepeatCounter::new(dir)?,
        })
    }

    /// Appends the labels a builder collected, in order.
    pub(crate) fn append(&mut self, labels: &LabelsBuilder) -> io::Result<()> {
        self.text.write_all(labels.text.as_bytes())?;
        let mut start = 0;
        for &end in &labels.ends {
            self.ends.write_all(&(self.text_len + end).to_le_bytes())?;
            self.repeats.push(&labels.text.as_bytes()[start as usize..end as usize], self.len)?;
            self.len += 1;
            start = end;
        }
        self.text_len += labels.text.len() as u64;
        Ok(())
    }

    /// Number of labels.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Bytes of text.
    pub(crate) fn text_len(&self) -> u64 {
        self.text_len
    }

    /// How many labels repeat an earlier one, and the first that does (in
    /// label order), as [`Labels::duplicates`] says it.
    pub(crate) fn duplicates(&mut self) -> io::Result<(u64, Option<String>)> {
        let (count, first) = self.repeats.count()?;
        let first = first.map(|i| self.get(i)).transpose()?;
        Ok((count, first))
    }

    /// Label `i`, read back from the files.
    fn get(&mut self, i: u64) -> io::Result<String> {
        self.text.flush()?;
        self.ends.flush()?;
        let mut bytes = [0u8; 16];
        let (at, ends) = if i == 0 { (0, &mut bytes[8..]) } else { (8 * (i - 1), &mut bytes[..]) };
        self.ends.get_ref().read_exact_at(ends, at)?;
        let end = u64::from_le_bytes(ends[ends.len() - 8..].try_into().expect("8 bytes"));
        let start = if i == 0 { 0 } else { u64::from_le_bytes(ends[..8].try_into().expect("8 bytes")) };
        let mut text = vec![0; (end - start) as usize];
        self.text.get_ref().read_exact_at(&mut text, start)?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    /// Writes the labels as a cache's label block stores them after its
    /// count: `len + 1` little-endian end offsets from 0, then the text.
    pub(crate) fn write_to(self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&0u64.to_le_bytes())?;
        for file in [self.ends, self.text] {
            let mut file = file.into_inner().map_err(|e| e.into_error())?;
            file.seek(SeekFrom::Start(0))?;
            io::copy(&mut file, out)?;
        }
        Ok(())
    }
}

/// Counts repeated labels in bounded memory: each label's 128-bit xxh3
/// and index are held in memory up to [`IN_MEMORY`] labels; beyond, they
/// go to one of [`BUCKETS`] temporary files by the hash's top byte, and
/// each file is then sorted alone, holding 1/256 of the entries. Two
/// different labels whose 128-bit hashes agree (odds about n² / 2¹²⁹)
/// would count as a repeat.
struct RepeatCounter {
    dir: PathBuf,
    held: Vec<(u128, u64)>,
    /// How many entries are held before they spill.
    limit: usize,
    buckets: Vec<BufWriter<File>>,
}

const BUCKETS: usize = 256;
/// Labels whose hashes are held in memory (24 MiB) before they spill to files.
const IN_MEMORY: usize = 1 << 20;
/// Bytes of one entry: the hash, then the index.
const ENTRY: usize = 24;

impl RepeatCounter {
    fn new(dir: &Path) -> io::Result<Self> {
        Ok(RepeatCounter { dir: dir.to_owned(), held: Vec::new(), limit: IN_MEMORY, buckets: Vec::new() })
    }

    fn push(&mut self, label: &[u8], index: u64) -> io::Result<()> {
        self.held.push((xxh3_128(label), index));
        if self.held.len() >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Moves the held entries to the bucket files (made on the first spill).
    fn spill(&mut self) -> io::Result<()> {
        if self.buckets.is_empty() {
            self.buckets = (0..BUCKETS)
                .map(|_| Ok(BufWriter::with_capacity(8 << 10, tempfile::tempfile_in(&self.dir)?)))
                .collect::<io::Result<_>>()?;
        }
        for (hash, index) in self.held.drain(..) {
            let bucket = &mut self.buckets[(hash >> 120) as usize];
            bucket.write_all(&hash.to_le_bytes())?;
            bucket.write_all(&index.to_le_bytes())?;
        }
        Ok(())
    }

    /// How many labels repeat an earlier one, and the index of the first.
    fn count(&mut self) -> io::Result<(u64, Option<u64>)> {
        let (mut count, mut first) = (0, None::<u64>);
        let mut tally = |entries: &mut Vec<(u128, u64)>| {
            entries.sort_unstable();
            // Within a run of one hash the indices rise: all but the first
            // repeat it, the second is the earliest repeat.
            for run in entries.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
                count += run.len() as u64 - 1;
                first = Some(first.map_or(run[1].1, |f: u64| f.min(run[1].1)));
            }
        };
        if self.buckets.is_empty() {
            tally(&mut self.held);
            return Ok((count, first));
        }
        self.spill()?;
        let mut bytes = Vec::new();
        let mut entries: Vec<(u128, u64)> = Vec::new();
        for bucket in &mut self.buckets {
            bucket.flush()?;
            let file = bucket.get_mut();
            file.seek(SeekFrom::Start(0))?;
            bytes.clear();
            file.read_to_end(&mut bytes)?;
            entries.clear();
            entries.extend(bytes.chunks_exact(ENTRY).map(|e| {
                let hash = u128::from_le_bytes(e[..16].try_into().expect("16 bytes"));
                (hash, u64::from_le_bytes(e[16..].try_into().expect("8 bytes")))
            }));
            tally(&mut entries);
        }
        Ok((count, first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_labels_are_numbered_from_zero() {
        let labels = Labels::generated("row", 3);
        assert_eq!(labels.iter().collect::<Vec<_>>(), ["row_0", "row_1", "row_2"]);
        assert!(labels.is_generated());
    }

    #[test]
    fn packed_labels_round_trip_and_report_duplicates() {
        let labels = Labels::from_strings(["a", "", "ccc", "a", "ccc", "a"]);
        assert_eq!(labels.len(), 6);
        assert_eq!(labels.get(1), "");
        assert_eq!(labels.get(2), "ccc");
        assert_eq!(labels.duplicates(), (3, Some("a".to_owned())));
        let (offsets, text) = labels.packed_bytes().unwrap();
        assert_eq!(offsets, [0, 1, 1, 4, 5, 8, 9]);
        assert_eq!(&*text, b"acccaccca");
    }

    #[test]
    fn spooled_labels_are_stored_and_counted_as_packed_ones_are() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = LabelSpool::new(dir.path()).unwrap();
        let all = ["a", "", "ccc", "a", "ccc", "a", "dd"];
        let fill = |spool: &mut LabelSpool| {
            for part in [&all[..2], &all[2..2], &all[2..]] {
                let mut builder = LabelsBuilder::default();
                for label in part {
                    builder.push(label);
                }
                spool.append(&builder).unwrap();
            }
        };
        fill(&mut spool);
        assert_eq!((spool.len(), spool.text_len()), (7, 11));
        assert_eq!(spool.duplicates().unwrap(), (3, Some("a".to_owned())));
        // The same counted from bucket files, two labels held at a time.
        let mut spilled = LabelSpool::new(dir.path()).unwrap();
        spilled.repeats.limit = 2;
        fill(&mut spilled);
        assert_eq!(spilled.repeats.buckets.len(), BUCKETS);
        assert_eq!(spilled.duplicates().unwrap(), (3, Some("a".to_owned())));
        assert_eq!(spool.get(0).unwrap(), "a");
        assert_eq!(spool.get(1).unwrap(), "");
        assert_eq!(spool.get(6).unwrap(), "dd");
        let mut block = Vec::new();
        spool.write_to(&mut block).unwrap();
        let ends: Vec<u64> = block[..64].chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(ends, [0, 1, 1, 4, 5, 8, 9, 11]);
        assert_eq!(&block[64..], b"acccacccadd");
    }
}
