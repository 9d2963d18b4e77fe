//! The one place heatscope maps files into memory: the only `unsafe` code.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;

use memmap2::Mmap;

/// Maps `file` read-only.
///
/// Callers fall back when this fails: a `.npy` that cannot be mapped is
/// converted into the cache by a streaming read, and text is never mapped.
pub(crate) fn map_readonly(file: &File) -> io::Result<Mmap> {
    // SAFETY: the mapping is only ever read. Its contract is that no one
    // truncates or rewrites the file while it is mapped: heatscope's own cache
    // and pyramid files are replaced by rename (the old inode, and so the mapping, stays
    // intact), and users are told in the README not to overwrite an input
    // while heatscope has it open. Violating that would make reads fault
    // (SIGBUS) or see new bytes, never write memory.
    unsafe { Mmap::map(file) }
}

/// Alignment of released ranges: a multiple of every common page size.
const RELEASE_ALIGN: usize = 64 << 10;

/// Lets the pages of `map[offset..offset + len]` leave memory. Used behind a
/// streaming pass so that reading a file larger than RAM does not fill the
/// process's resident set. Only whole aligned chunks inside the range are
/// released; failure only means the pages stay, so it is ignored.
pub(crate) fn release(map: &Mmap, offset: usize, len: usize) {
    let start = offset.next_multiple_of(RELEASE_ALIGN);
    let end = (offset + len) / RELEASE_ALIGN * RELEASE_ALIGN;
    if end > start {
        // SAFETY: the mapping is a read-only view of a file. MADV_DONTNEED
        // drops its clean pages; the next read faults them in again from the
        // file, so every byte reads the same before and after. No `&mut`
        // into the mapping exists.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
    }
}
