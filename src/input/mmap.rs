//! The one place heatscope maps a file into memory.
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
    // files are replaced by rename (the old inode, and so the mapping, stays
    // intact), and users are told in the README not to overwrite an input
    // while heatscope has it open. Violating that would make reads fault
    // (SIGBUS) or see new bytes, never write memory.
    unsafe { Mmap::map(file) }
}
