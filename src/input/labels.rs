//! Row and column labels: generated (`row_0…`), packed in memory, or read
//! straight from a mapped cache file.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use memmap2::Mmap;

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

    /// The labels that occur more than once: how many repeated entries there
    /// are, and the first repeated label.
    pub fn duplicates(&self) -> (usize, Option<String>) {
        if self.is_generated() {
            return (0, None);
        }
        let mut seen: HashMap<Cow<'_, str>, ()> = HashMap::with_capacity(self.len());
        let mut count = 0;
        let mut first = None;
        for label in self.iter() {
            if seen.insert(label.clone(), ()).is_some() {
                count += 1;
                first.get_or_insert_with(|| label.into_owned());
            }
        }
        (count, first)
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

    /// Appends everything another builder collected, in order.
    pub(crate) fn append(&mut self, other: &LabelsBuilder) {
        let base = self.text.len() as u64;
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|end| base + end));
    }

    pub(crate) fn finish(self) -> Labels {
        Labels(Repr::Packed { text: self.text, ends: self.ends })
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
}
