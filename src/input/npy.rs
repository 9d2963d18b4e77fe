//! NumPy `.npy` files: little-endian `f32` in C order is used in place;
//! every other numeric dtype, byte order and Fortran order is converted once,
//! in a streaming pass, into the binary cache.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use npyz::{DType, Endianness, NpyHeader, Order, TypeChar};
use rayon::prelude::*;

use super::cache::{CacheWriter, SourceKey};
use super::error::InputError;
use crate::progress;
use crate::quote::{MAX_QUOTED, quote, quote_bytes};

/// The first bytes of every `.npy` file.
pub(crate) const MAGIC: &[u8] = b"\x93NUMPY";

/// Bytes of output per conversion band.
const BAND_BYTES: usize = 8 << 20;

/// The longest header read: numpy's own `np.load` refuses longer ones
/// (its `max_header_size`), and a plain array's takes about a hundred
/// bytes.
const MAX_HEADER: u64 = 10_000;

/// The most brackets a header may hold, quoted or not: a plain array's
/// has 2 (the dict and its shape tuple), 3 with a datetime unit
/// (`'<M8[ns]'`). The header parser backtracks over each level of nested
/// brackets, so its time doubles with every one (12 nested braces take
/// seconds, 40 would take years), and its string escapes can hide
/// brackets from a scan that skips quoted text: every opening bracket is
/// counted.
const MAX_BRACKETS: usize = 8;

/// What the header of a `.npy` file says.
pub(crate) struct NpyInfo {
    pub rows: usize,
    pub cols: usize,
    pub data_offset: u64,
    element: Element,
    big_endian: bool,
    fortran: bool,
    /// The dtype as numpy writes it, e.g. `<f8`.
    pub descr: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Element {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
}

impl Element {
    fn size(self) -> usize {
        match self {
            Element::Bool | Element::I8 | Element::U8 => 1,
            Element::I16 | Element::U16 | Element::F16 => 2,
            Element::I32 | Element::U32 | Element::F32 => 4,
            Element::I64 | Element::U64 | Element::F64 => 8,
        }
    }
}

impl NpyInfo {
    /// Reads and checks the header of `file`.
    pub(crate) fn read(path: &Path, file: &File) -> Result<Self, InputError> {
        let bad = |reason: String| InputError::BadNpy { path: path.to_owned(), reason };
        let file_len = file.metadata().map_err(|source| InputError::Read { path: path.to_owned(), source })?.len();
        if let Some((at, len)) = declared_header(file) {
            // The parser allocates the header's declared length before
            // reading it: a damaged length must not claim more than the
            // file holds.
            if at + len > file_len {
                return Err(bad(format!(
                    "its header claims {len} bytes but the file holds {}",
                    file_len.saturating_sub(at)
                )));
            }
            if len > MAX_HEADER {
                return Err(bad(format!(
                    "its header claims {len} bytes, more than the {MAX_HEADER} numpy itself reads"
                )));
            }
            let mut text = vec![0u8; len as usize];
            std::os::unix::fs::FileExt::read_exact_at(file, &mut text, at)
                .map_err(|_| bad("the header is cut short".to_owned()))?;
            let brackets = text.iter().filter(|b| matches!(b, b'{' | b'[' | b'(')).count();
            if brackets > MAX_BRACKETS {
                return Err(bad(format!(
                    "its header opens {brackets} brackets, more than the {MAX_BRACKETS} any array's needs: '{}'",
                    quote_bytes(&text)
                )));
            }
        }
        let mut counted = CountingRead { inner: file, count: 0 };
        let header = NpyHeader::from_reader(&mut counted).map_err(|e| {
            bad(match e.kind() {
                io::ErrorKind::UnexpectedEof => "the header is cut short".to_owned(),
                _ => header_problem(&e.to_string(), &header_text(file)),
            })
        })?;
        let data_offset = counted.count;
        let DType::Plain(type_str) = header.dtype() else {
            let dtype = header.dtype().descr();
            return Err(InputError::UnsupportedDtype { path: path.to_owned(), dtype });
        };
        let descr = type_str.to_string();
        let unsupported = || InputError::UnsupportedDtype { path: path.to_owned(), dtype: descr.clone() };
        let element = match (type_str.type_char(), type_str.size_field()) {
            (TypeChar::Bool, 1) => Element::Bool,
            (TypeChar::Int, 1) => Element::I8,
            (TypeChar::Int, 2) => Element::I16,
            (TypeChar::Int, 4) => Element::I32,
            (TypeChar::Int, 8) => Element::I64,
            (TypeChar::Uint, 1) => Element::U8,
            (TypeChar::Uint, 2) => Element::U16,
            (TypeChar::Uint, 4) => Element::U32,
            (TypeChar::Uint, 8) => Element::U64,
            (TypeChar::Float, 2) => Element::F16,
            (TypeChar::Float, 4) => Element::F32,
            (TypeChar::Float, 8) => Element::F64,
            _ => return Err(unsupported()),
        };
        let shape = header.shape().to_vec();
        let &[rows, cols] = shape.as_slice() else {
            return Err(InputError::NotTwoDimensional { path: path.to_owned(), shape });
        };
        if rows == 0 || cols == 0 {
            return Err(InputError::ZeroSized { path: path.to_owned(), rows, cols });
        }
        let too_large = || InputError::TooLarge { path: path.to_owned(), rows, cols };
        let expected = rows
            .checked_mul(cols)
            .and_then(|n| n.checked_mul(element.size() as u64))
            .filter(|&n| usize::try_from(n).is_ok())
            .ok_or_else(too_large)?;
        let found = file_len.saturating_sub(data_offset);
        if found < expected {
            return Err(InputError::Truncated { path: path.to_owned(), expected, found });
        }
        Ok(NpyInfo {
            rows: rows as usize,
            cols: cols as usize,
            data_offset,
            element,
            big_endian: type_str.endianness() == Endianness::Big,
            fortran: header.order() == Order::Fortran,
            descr,
        })
    }

    /// Whether the data can be read in place: `f32`, native (little-endian)
    /// byte order, C order, 4-byte aligned.
    pub(crate) fn maps_in_place(&self) -> bool {
        self.element == Element::F32 && !self.big_endian && !self.fortran && self.data_offset.is_multiple_of(4)
    }

    /// A short description of how the file stores its values.
    pub(crate) fn description(&self) -> String {
        format!("npy {}{}", self.descr, if self.fortran { ", Fortran order" } else { "" })
    }

    fn decode(&self, bytes: &[u8]) -> f32 {
        macro_rules! num {
            ($t:ty) => {{
                let raw = bytes.try_into().expect("element-sized chunk");
                if self.big_endian { <$t>::from_be_bytes(raw) } else { <$t>::from_le_bytes(raw) }
            }};
        }
        match self.element {
            Element::Bool => f32::from(bytes[0] != 0),
            Element::I8 => f32::from(bytes[0] as i8),
            Element::U8 => f32::from(bytes[0]),
            Element::I16 => f32::from(num!(i16)),
            Element::U16 => f32::from(num!(u16)),
            Element::I32 => num!(i32) as f32,
            Element::U32 => num!(u32) as f32,
            Element::I64 => num!(i64) as f32,
            Element::U64 => num!(u64) as f32,
            Element::F16 => half::f16::from_bits(num!(u16)).to_f32(),
            Element::F32 => num!(f32),
            Element::F64 => num!(f64) as f32,
        }
    }
}

/// Converts the array into a new cache file for `key` in `dir`. C-order data
/// is read sequentially; Fortran-order data needs `map` for its column reads.
pub(crate) fn convert(
    path: &Path,
    info: &NpyInfo,
    mut file: File,
    map: Option<&Mmap>,
    key: &SourceKey,
    dir: &Path,
) -> Result<PathBuf, InputError> {
    let read_error = |source| InputError::Read { path: path.to_owned(), source };
    let (rows, cols, size) = (info.rows, info.cols, info.element.size());
    let band_rows = (BAND_BYTES / (cols * 4)).max(1);
    super::cache::check_space(path, dir, rows, cols, 0)?;
    let mut writer = CacheWriter::create(dir, key, cols)?;
    let bar = progress::bytes_bar((rows * cols * size) as u64, "converting");
    let mut source = Vec::new();
    let mut band = Vec::new();
    file.seek(SeekFrom::Start(info.data_offset)).map_err(read_error)?;
    for first_row in (0..rows).step_by(band_rows) {
        if progress::interrupted() {
            return Err(InputError::Interrupted);
        }
        let n = band_rows.min(rows - first_row);
        band.resize(n * cols, 0.0);
        if info.fortran {
            let map = map
                .ok_or_else(|| read_error(io::Error::other("Fortran-order arrays must be memory-mapped to convert")))?;
            let data = &map[info.data_offset as usize..];
            // Rows of a band in groups, each reading a short contiguous run
            // of every column.
            band.par_chunks_mut(64 * cols).enumerate().for_each(|(group, out)| {
                let row0 = first_row + group * 64;
                let group_rows = out.len() / cols;
                for c in 0..cols {
                    let column = &data[(c * rows + row0) * size..(c * rows + row0 + group_rows) * size];
                    for (r, bytes) in column.chunks_exact(size).enumerate() {
                        out[r * cols + c] = info.decode(bytes);
                    }
                }
            });
        } else {
            source.resize(n * cols * size, 0);
            file.read_exact(&mut source).map_err(read_error)?;
            band.par_chunks_mut(cols).zip(source.par_chunks(cols * size)).for_each(|(out, row)| {
                for (value, bytes) in out.iter_mut().zip(row.chunks_exact(size)) {
                    *value = info.decode(bytes);
                }
            });
        }
        if let Some(i) = band.iter().position(|v| v.is_infinite()) {
            let (row, column) = ((first_row + i / cols) as u64, (i % cols) as u64);
            // A float64 value can be finite and still beyond what f32 holds.
            let size = info.element.size();
            let index = if info.fortran {
                column as usize * rows + row as usize
            } else {
                row as usize * cols + column as usize
            };
            let at = info.data_offset as usize + index * size;
            let source_finite = info.element == Element::F64
                && map.is_some_and(|m| {
                    let bytes: [u8; 8] = m[at..at + 8].try_into().expect("8 bytes");
                    let v = if info.big_endian { f64::from_be_bytes(bytes) } else { f64::from_le_bytes(bytes) };
                    v.is_finite()
                });
            let path = path.to_owned();
            return Err(if source_finite {
                InputError::ValueOutOfRange { path, row, column }
            } else {
                InputError::InfiniteValue { path, row, column }
            });
        }
        writer.write_rows(&band)?;
        bar.inc((n * cols * size) as u64);
    }
    bar.finish_and_clear();
    writer.finish(None, None, 0, &info.description())
}

/// What is wrong with a header npyz refused with `message`, on one line:
/// npyz's parse errors echo the header over several lines, so those are
/// named here and the header quoted short.
fn header_problem(message: &str, header: &[u8]) -> String {
    let cause = if message.starts_with("could not parse Python expression") {
        "the header is not a Python dict literal".to_owned()
    } else if message.starts_with("could not parse utf-8") {
        "the header is not UTF-8 text".to_owned()
    } else {
        format!("damaged header: {}", quote(message))
    };
    format!("{cause}: '{}'", quote_bytes(header))
}

/// Where a `.npy` file's header text starts and the length its preamble
/// declares (2 bytes in version 1, 4 after), or `None` when the file is
/// too short to say.
fn declared_header(file: &File) -> Option<(u64, u64)> {
    use std::os::unix::fs::FileExt;
    let mut start = [0u8; 12];
    file.read_exact_at(&mut start, 0).ok()?;
    Some(match start[6] {
        1 => (10, u64::from(u16::from_le_bytes([start[8], start[9]]))),
        _ => (12, u64::from(u32::from_le_bytes(start[8..12].try_into().expect("4 bytes")))),
    })
}

/// The header text of a `.npy` file as far as a message quotes it (empty
/// where it cannot be read): after the magic, the version and the header
/// length (2 bytes in version 1, 4 after).
fn header_text(file: &File) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let Some((at, len)) = declared_header(file) else { return Vec::new() };
    let mut text = vec![0u8; len.min(4 * MAX_QUOTED as u64 + 4) as usize];
    let read = file.read_at(&mut text, at).unwrap_or(0);
    text.truncate(read);
    text
}

/// Counts the bytes the header parser consumes: that is the data offset.
struct CountingRead<'a> {
    inner: &'a File,
    count: u64,
}

impl Read for CountingRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}
