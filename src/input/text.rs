//! Delimited text matrices (TSV, CSV, optionally gzip-compressed), parsed in
//! parallel blocks straight into the binary cache. Row labels go to
//! temporary files beside it as they are read, so that memory stays a few
//! blocks whatever the number of rows.
//!
//! The first line holds the column names (its first field, the corner, is
//! ignored; a header with one field fewer than the data lines, as R writes
//! it, has no corner). Every later line is a row name followed by one value
//! per column. `NA`, `NaN`, `nan`, `?` and empty fields are missing (NaN);
//! blank lines are skipped; infinities are rejected. The delimiter is the
//! most frequent of tab, comma and semicolon on the header line.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::progress::Bar;
use rayon::prelude::*;

use super::cache::{CacheWriter, SourceKey};
use super::error::InputError;
use super::labels::{Labels, LabelsBuilder};
use crate::progress;
use crate::quote::quote;

/// Bytes read per block; each block is split into pieces parsed in parallel
/// while the next block is read.
const BLOCK_BYTES: usize = 16 << 20;
const PIECE_BYTES: usize = 512 << 10;

/// The longest line read (64 MiB: a row of about five million values); a
/// longer one is refused once this much of it is read, so that memory stays
/// bounded whatever the file holds.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// A UTF-8 byte-order mark, skipped at the start of a file.
const BOM: &[u8] = b"\xef\xbb\xbf";

const MISSING: [&[u8]; 5] = [b"", b"NA", b"NaN", b"nan", b"?"];

/// What a successful conversion reports besides the cache path.
pub(crate) struct Converted {
    pub cache_path: PathBuf,
    pub warnings: Vec<String>,
}

/// Parses the text matrix at `path` into a new cache file for `key` in `dir`.
pub(crate) fn convert(
    path: &Path,
    key: &SourceKey,
    dir: &Path,
    label_col: Option<&str>,
) -> Result<Converted, InputError> {
    let read_error = |source| InputError::Read { path: path.to_owned(), source };
    let file = File::open(path).map_err(read_error)?;
    let total = file.metadata().map_err(read_error)?.len();
    let bar = progress::bytes_bar(total, "parsing");
    let counted = Counted { inner: file, bar: bar.clone() };
    let mut gzip = false;
    let mut reader: Box<dyn Read + Send> = {
        let mut peek = BufReader::with_capacity(64 << 10, counted);
        let magic = io::BufRead::fill_buf(&mut peek).map_err(read_error)?;
        if magic.starts_with(&[0x1f, 0x8b]) {
            gzip = true;
            Box::new(flate2::read::MultiGzDecoder::new(peek))
        } else {
            Box::new(peek)
        }
    };
    let result = Parser { label_col, ..Parser::new(path) }.run(&mut reader, key, dir, gzip);
    bar.finish_and_clear();
    result
}

/// A reader that advances a progress bar by the bytes it reads.
struct Counted {
    inner: File,
    bar: Bar,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

struct Parser<'a> {
    path: &'a Path,
    delimiter: u8,
    column_names: Vec<String>,
    layout: LineLayout,
    /// A Cluster 3.0 CDT file: `AID` and `EWEIGHT` lines are not data.
    cdt: bool,
    /// Every column name is a number, some with a decimal point or sign.
    header_looks_like_data: bool,
    /// Line number (1-based) of the first line of the next block.
    next_line: u64,
    /// Blank lines dropped before the header, and between it and the
    /// first data line, while the header was read.
    blank_before: u64,
    blank_after: u64,
    /// The leading text column asked to label the rows (`--label-col`).
    label_col: Option<&'a str>,
    /// Leading text columns skipped besides the labels, by name.
    skipped: Vec<String>,
}

/// One parsed piece of a block.
#[derive(Default)]
struct Piece {
    values: Vec<f32>,
    labels: LabelsBuilder,
    lines: u64,
    /// The first bad line: its index within the piece and what is wrong.
    error: Option<(u64, LineError)>,
}

#[derive(Debug, PartialEq)]
enum LineError {
    Ragged { found: usize },
    NotANumber { field: usize, text: String },
    OutOfRange { field: usize, text: String },
    Infinite { field: usize },
    NotUtf8,
}

impl<'a> Parser<'a> {
    fn new(path: &'a Path) -> Self {
        Parser {
            path,
            delimiter: b'\t',
            column_names: Vec::new(),
            layout: LineLayout::plain(b'\t', 0),
            cdt: false,
            header_looks_like_data: false,
            next_line: 1,
            blank_before: 0,
            blank_after: 0,
            label_col: None,
            skipped: Vec::new(),
        }
    }

    fn run(
        mut self,
        reader: &mut (dyn Read + Send),
        key: &SourceKey,
        dir: &Path,
        gzip: bool,
    ) -> Result<Converted, InputError> {
        let read_error = |source| InputError::Read { path: self.path.to_owned(), source };
        let mut block = Vec::with_capacity(BLOCK_BYTES);
        let mut eof = fill(reader, &mut block, BLOCK_BYTES).map_err(read_error)?;
        if block.starts_with(super::npy::MAGIC) {
            return Err(InputError::BadNpy {
                path: self.path.to_owned(),
                reason: "a .npy read through a pipe or gzip cannot be mapped: give heatscope the .npy file itself"
                    .to_owned(),
            });
        }
        let body_start = loop {
            // The blank lines read so far go first, so that each byte is
            // scanned once however many there are.
            self.drop_blank_lines(&mut block);
            match self.read_header(&block, eof)? {
                Some(start) => break start,
                None => {
                    if block.len() > MAX_LINE_BYTES {
                        let bom = if block.starts_with(BOM) { BOM.len() } else { 0 };
                        let line = match memchr::memchr(b'\n', &block[bom..]) {
                            None => 1 + self.blank_before,
                            Some(_) => 2 + self.blank_before + self.blank_after,
                        };
                        return Err(self.too_long(&block, line));
                    }
                    let target = block.len() + BLOCK_BYTES;
                    eof = fill(reader, &mut block, target).map_err(read_error)?;
                }
            }
        };
        block.drain(..body_start);
        let mut writer = CacheWriter::create(dir, key, self.column_names.len())?;
        loop {
            if progress::interrupted() {
                return Err(InputError::Interrupted);
            }
            let cut = if eof {
                block.len()
            } else {
                match memchr::memrchr(b'\n', &block) {
                    Some(i) => i + 1,
                    None => {
                        // One line longer than a block: read on until it
                        // ends, or until it is longer than any line read.
                        if block.len() > MAX_LINE_BYTES {
                            return Err(self.too_long(&block, self.next_line));
                        }
                        let target = block.len() + BLOCK_BYTES;
                        eof = fill(reader, &mut block, target).map_err(read_error)?;
                        continue;
                    }
                }
            };
            let (complete, rest) = block.split_at(cut);
            let mut next = Vec::with_capacity(BLOCK_BYTES + rest.len());
            next.extend_from_slice(rest);
            let done = eof;
            let (pieces, filled) = rayon::join(
                || self.parse_block(complete),
                || if done { Ok(true) } else { fill(reader, &mut next, BLOCK_BYTES) },
            );
            for piece in self.check(pieces)? {
                writer.write_rows(&piece.values)?;
                writer.write_row_labels(&piece.labels)?;
            }
            if done {
                break;
            }
            eof = filled.map_err(read_error)?;
            block = next;
        }
        if writer.rows() == 0 {
            return Err(InputError::NoDataRows { path: self.path.to_owned() });
        }
        let col_labels = Labels::from_strings(&self.column_names);
        let mut warnings = Vec::new();
        // Chosen with --label-col, the other text columns are left out as asked.
        if !self.skipped.is_empty() && self.label_col.is_none() {
            let names: Vec<String> = self.skipped.iter().map(|n| format!("'{n}'")).collect();
            warnings.push(format!(
                "{}: text column(s) {} left out of the values; --label-col NAME labels the rows by another",
                self.path.display(),
                quote(&names.join(", "))
            ));
        }
        if self.header_looks_like_data {
            warnings.push(format!(
                "{}: every column name on line 1 is a number, like a data line; if the file has no header, the first row was read as column names: add a header line",
                self.path.display()
            ));
        }
        let (repeated, first) = writer.repeated_row_labels()?;
        if let Some(first) = first {
            warnings.push(super::matrix::label_repeats(self.path, "row", repeated, &first));
        }
        let name = match self.delimiter {
            b'\t' => "tab",
            b',' => "comma",
            _ => "semicolon",
        };
        let kind = if self.cdt { "CDT" } else { "text" };
        let description = format!("{kind}, {name}-separated{}", if gzip { ", gzip" } else { "" });
        let cache_path = writer.finish(None, Some(&col_labels), repeated, &description)?;
        Ok(Converted { cache_path, warnings })
    }

    /// A line over [`MAX_LINE_BYTES`] at line `line`, whose first bytes are
    /// `block`: said as carriage returns where those end its lines.
    fn too_long(&self, block: &[u8], line: u64) -> InputError {
        match memchr::memchr(b'\r', block) {
            Some(i) if block.get(i + 1) != Some(&b'\n') => InputError::CarriageReturns { path: self.path.to_owned() },
            _ => InputError::LineTooLong { path: self.path.to_owned(), line },
        }
    }

    /// Removes the complete blank lines before the header and those after
    /// it from `block`, counting them for line numbers.
    fn drop_blank_lines(&mut self, block: &mut Vec<u8>) {
        let bom = if block.starts_with(BOM) { BOM.len() } else { 0 };
        self.blank_before += drop_blank_run(block, bom);
        if let Some(end) = memchr::memchr(b'\n', &block[bom..]) {
            self.blank_after += drop_blank_run(block, bom + end + 1);
        }
    }

    /// Reads the header from the start of `block`. Returns where the data
    /// lines begin, or `None` if more bytes are needed to decide.
    fn read_header(&mut self, block: &[u8], eof: bool) -> Result<Option<usize>, InputError> {
        self.next_line = 1 + self.blank_before;
        let bom = if block.starts_with(BOM) { BOM.len() } else { 0 };
        let block = &block[bom..];
        let mut lines = LineIter { bytes: block, at: 0, eof };
        // Skip leading blank lines.
        let (header, header_line) = loop {
            let Some((line, _)) = lines.next() else {
                if eof {
                    return Err(InputError::Empty { path: self.path.to_owned() });
                }
                return Ok(None);
            };
            self.next_line += 1;
            if !trim(line).is_empty() {
                break (line, self.next_line - 1);
            }
        };
        if memchr::memchr(b'\r', header).is_some() {
            return Err(InputError::CarriageReturns { path: self.path.to_owned() });
        }
        let delimiter = detect_delimiter(header, lines.clone().find(|(l, _)| !trim(l).is_empty()).map(|(l, _)| l))
            .ok_or_else(|| InputError::NoDelimiter { path: self.path.to_owned() })?;
        let n = memchr::memchr_iter(delimiter, header).count();
        self.delimiter = delimiter;
        let mut names = Vec::with_capacity(n + 1);
        for field in header.split(|&b| b == delimiter) {
            let name = std::str::from_utf8(unquote(trim(field)))
                .map_err(|_| InputError::NotUtf8 { path: self.path.to_owned(), line: header_line })?;
            names.push(name.to_owned());
        }
        let data_start = lines.at;
        if let Some((label_field, first_value_field)) = cdt_columns(&names) {
            self.cdt = true;
            names.drain(..first_value_field);
            let trailing_delimiter = names.len() > 1 && names.last().is_some_and(|n| n.is_empty());
            if trailing_delimiter {
                names.pop();
            }
            self.layout =
                LineLayout { delimiter, cols: names.len(), label_field, first_value_field, trailing_delimiter };
            self.column_names = names;
            self.next_line += self.blank_after;
            return Ok(Some(bom + data_start));
        }
        // R writes the header without a corner field: then the first data
        // line has one field more than the header.
        let first_data = loop {
            match lines.next() {
                Some((line, _)) if trim(line).is_empty() => continue,
                Some((line, complete)) if complete || eof => break Some(line),
                Some(_) => return Ok(None),
                None if eof => break None,
                None => return Ok(None),
            }
        };
        let corner = first_data.is_none_or(|line| memchr::memchr_iter(delimiter, line).count() != names.len());
        let corner_field = names[0].clone();
        let corner_field = corner_field.as_str();
        if corner {
            names.remove(0);
        }
        let mut layout = LineLayout::plain(delimiter, 0);
        if names.len() > 1 && names.last().is_some_and(|n| n.is_empty()) {
            names.pop();
            layout.trailing_delimiter = true;
        }
        // Text columns between the labels and the values (a gene id, then
        // its symbol): the first data line's fields after its label that
        // hold a letter and are neither numbers nor missing (so that a
        // decimal comma is still a bad value), or whole numbers under a name
        // that says they are identifiers (an Entrez id), while values remain
        // after them. A column named by `--label-col` is one, and so is
        // every column before it.
        let leading = first_data.map_or(0, |line| {
            let fields: Vec<&[u8]> = line.split(|&b| b == delimiter).skip(1).collect();
            let text = |(f, name): &(&[u8], &String)| {
                let f = unquote(trim(f));
                let number = fast_float2::parse::<f64, _>(f).is_ok();
                let id = names_identifiers(name) && !f.is_empty() && f.iter().all(u8::is_ascii_digit);
                !MISSING.contains(&f) && (id || !number && f.iter().any(u8::is_ascii_alphabetic))
            };
            let detected = fields.into_iter().zip(&names).take_while(text).count();
            let named = self.label_col.and_then(|name| names.iter().position(|n| n == name)).map_or(0, |i| i + 1);
            detected.max(named).min(names.len().saturating_sub(1))
        });
        // The label column's name: the corner's, or none when the header has no corner.
        let first_name = if corner { Some(corner_field.to_owned()) } else { None };
        let text_columns: Vec<String> = first_name.iter().cloned().chain(names[..leading].iter().cloned()).collect();
        layout.label_field = match self.label_col {
            None => 0,
            Some(name) => match (first_name.is_some(), text_columns.iter().position(|c| c == name)) {
                (true, Some(i)) => i,
                (false, Some(i)) => i + 1,
                _ => {
                    return Err(InputError::BadOption {
                        path: self.path.to_owned(),
                        problem: format!(
                            "--label-col {name}: not one of the leading text columns ({}); name one of them",
                            if text_columns.is_empty() { "none".to_owned() } else { text_columns.join(", ") }
                        ),
                    });
                }
            },
        };
        layout.first_value_field = 1 + leading;
        // The text fields by field number (the first is unnamed without a corner).
        let fields: Vec<Option<String>> = std::iter::once(first_name).chain(names.drain(..leading).map(Some)).collect();
        self.skipped = fields
            .into_iter()
            .enumerate()
            .filter(|&(i, _)| i != layout.label_field)
            .map(|(_, name)| name.unwrap_or_else(|| "column 1".to_owned()))
            .collect();
        let is_number = |s: &str| fast_float2::parse::<f64, _>(s.trim()).is_ok();
        // With a corner field that is a number too, line 1 is data (R's
        // header without a corner can name its columns 0, 15, 60 freely).
        if corner && is_number(corner_field) && names.iter().all(|n| is_number(n)) {
            return Err(InputError::NoHeader { path: self.path.to_owned() });
        }
        // Names like 1.5 or -0.3 read as values: likely a data line.
        self.header_looks_like_data =
            names.iter().all(|n| is_number(n)) && names.iter().any(|n| n.contains(['.', 'e', 'E', '-']));
        layout.cols = names.len();
        self.layout = layout;
        self.column_names = names;
        self.next_line += self.blank_after;
        Ok(Some(bom + data_start))
    }

    /// Parses a block of whole lines in parallel pieces.
    fn parse_block(&self, block: &[u8]) -> Vec<Piece> {
        let mut bounds = vec![0];
        while let Some(&start) = bounds.last() {
            if start >= block.len() {
                break;
            }
            let target = (start + PIECE_BYTES).min(block.len());
            let end = memchr::memchr(b'\n', &block[target..]).map_or(block.len(), |i| target + i + 1);
            bounds.push(end);
        }
        bounds.par_windows(2).map(|w| self.parse_piece(&block[w[0]..w[1]])).collect()
    }

    fn parse_piece(&self, piece: &[u8]) -> Piece {
        let mut out = Piece { values: Vec::with_capacity(piece.len() / 4), ..Piece::default() };
        for (line, _) in (LineIter { bytes: piece, at: 0, eof: true }) {
            out.lines += 1;
            if trim(line).is_empty() {
                continue;
            }
            if self.cdt && is_cdt_extra_row(line, self.delimiter) {
                continue;
            }
            let before = out.values.len();
            match parse_line(line, &self.layout, &mut out.values) {
                Ok(label) => out.labels.push(label),
                Err(e) => {
                    out.values.truncate(before);
                    out.error = Some((out.lines - 1, e));
                    break;
                }
            }
        }
        out
    }

    /// Turns the first line error of a block into an [`InputError`] with its
    /// line number in the file, and advances the line count.
    fn check(&mut self, pieces: Vec<Piece>) -> Result<Vec<Piece>, InputError> {
        for piece in &pieces {
            if let Some((index, error)) = &piece.error {
                let line = self.next_line + index;
                let path = self.path.to_owned();
                let first_value = self.layout.first_value_field + 1;
                let column_name = |field: usize| {
                    self.column_names.get(field.saturating_sub(first_value)).cloned().unwrap_or_default()
                };
                return Err(match error {
                    LineError::Ragged { found } => InputError::Ragged {
                        path,
                        line,
                        found: *found,
                        expected: self.layout.first_value_field + self.layout.cols,
                    },
                    LineError::NotANumber { field, text } => InputError::NotANumber {
                        path,
                        line,
                        column: *field,
                        column_name: column_name(*field),
                        advice: advice_for(text),
                        text: text.clone(),
                    },
                    LineError::OutOfRange { field, text } => InputError::OutOfRange {
                        path,
                        line,
                        column: *field,
                        column_name: column_name(*field),
                        text: text.clone(),
                    },
                    LineError::Infinite { field } => {
                        InputError::InfiniteText { path, line, column: *field, column_name: column_name(*field) }
                    }
                    LineError::NotUtf8 => InputError::NotUtf8 { path, line },
                });
            }
            self.next_line += piece.lines;
        }
        Ok(pieces)
    }
}

/// Splits bytes into lines without their `\n` or `\r\n`; a last line without
/// a newline counts only at the end of the input. Yields whether the line
/// ended with a newline.
#[derive(Clone)]
struct LineIter<'a> {
    bytes: &'a [u8],
    at: usize,
    eof: bool,
}

impl<'a> Iterator for LineIter<'a> {
    type Item = (&'a [u8], bool);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.bytes[self.at..];
        if rest.is_empty() {
            return None;
        }
        let (line, complete) = match memchr::memchr(b'\n', rest) {
            Some(i) => {
                self.at += i + 1;
                (&rest[..i], true)
            }
            None if self.eof => {
                self.at = self.bytes.len();
                (rest, false)
            }
            None => return None,
        };
        Some((line.strip_suffix(b"\r").unwrap_or(line), complete))
    }
}

/// Where things are on a data line.
#[derive(Clone, Copy, Debug)]
struct LineLayout {
    delimiter: u8,
    /// Number of value columns.
    cols: usize,
    /// 0-based field holding the row label.
    label_field: usize,
    /// 0-based field of the first value; the fields between the label and
    /// the values are annotations (a CDT's NAME and GWEIGHT), skipped.
    first_value_field: usize,
    /// The header ended with a delimiter (a spreadsheet's trailing empty
    /// column): each line may end with one more delimiter and nothing after.
    trailing_delimiter: bool,
}

impl LineLayout {
    /// A plain matrix: the label, then the values.
    fn plain(delimiter: u8, cols: usize) -> Self {
        LineLayout { delimiter, cols, label_field: 0, first_value_field: 1, trailing_delimiter: false }
    }
}

/// Parses one data line: pushes its values and returns its row label.
/// Fields are numbered from 1 in errors, as a spreadsheet shows them.
fn parse_line<'l>(line: &'l [u8], layout: &LineLayout, values: &mut Vec<f32>) -> Result<&'l str, LineError> {
    let LineLayout { delimiter, cols, label_field, first_value_field, trailing_delimiter } = *layout;
    let count_fields = |bytes: &[u8]| memchr::memchr_iter(delimiter, bytes).count() + 1;
    // Field starts up to the first value.
    let mut at = 0;
    let mut label = "";
    for field in 0..first_value_field {
        let Some(end) = memchr::memchr(delimiter, &line[at..]).map(|i| at + i) else {
            return Err(LineError::Ragged { found: field + 1 });
        };
        if field == label_field {
            label = std::str::from_utf8(unquote(trim(&line[at..end]))).map_err(|_| LineError::NotUtf8)?;
        }
        at = end + 1;
    }
    for c in 0..cols {
        let field = first_value_field + c + 1;
        let rest = &line[at..];
        let (value, len) = match fast_float2::parse_partial::<f32, _>(rest) {
            Ok((value, len)) if len == rest.len() || rest[len] == delimiter => (value, len),
            _ => {
                let len = memchr::memchr(delimiter, rest).unwrap_or(rest.len());
                (parse_field(&rest[..len], field)?, len)
            }
        };
        if value.is_infinite() {
            let text = unquote(trim(&rest[..len]));
            // Only a number spelled as infinity is one; any other number
            // that parses as infinite (1e39, or 5,000 digits: beyond f64
            // too) is beyond what f32 holds.
            if !names_infinity(text) {
                return Err(LineError::OutOfRange { field, text: quoted_field(text) });
            }
            return Err(LineError::Infinite { field });
        }
        values.push(value);
        at += len;
        let last = c + 1 == cols;
        let only_trailing_delimiter = trailing_delimiter && at + 1 == line.len();
        match (at == line.len() || (last && only_trailing_delimiter), last) {
            (true, true) => return Ok(label),
            (true, false) => return Err(LineError::Ragged { found: field }),
            (false, true) => return Err(LineError::Ragged { found: field + count_fields(&line[at + 1..]) }),
            (false, false) => at += 1,
        }
    }
    unreachable!("a matrix has at least one column")
}

/// The ids a CDT gives its rows and columns, which its `.gtr` and `.atr`
/// trees refer to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CdtIds {
    /// The `GID` column, in file order; `None` without one.
    pub rows: Option<Vec<String>>,
    /// The `AID` line; `None` without one.
    pub cols: Option<Vec<String>>,
}

/// Reads a CDT's [`CdtIds`] (both `None` for a file that is not a CDT).
pub fn cdt_ids(path: &Path) -> Result<CdtIds, InputError> {
    let read_error = |source| InputError::Read { path: path.to_owned(), source };
    let mut bytes = std::fs::read(path).map_err(read_error)?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut text).map_err(read_error)?;
        bytes = text;
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| InputError::NotUtf8 {
        path: path.to_owned(),
        line: bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1,
    })?;
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.trim().is_empty()).peekable();
    let header_line = lines.next().unwrap_or_default();
    let delimiter = detect_delimiter(header_line.as_bytes(), lines.peek().map(|l| l.as_bytes())).unwrap_or(b'\t');
    let field = |f: &str| String::from_utf8_lossy(unquote(trim(f.as_bytes()))).into_owned();
    let header: Vec<String> = header_line.split(delimiter as char).map(field).collect();
    let Some((_, first_value)) = cdt_columns(&header) else {
        return Ok(CdtIds::default());
    };
    let has_gid = header[0].eq_ignore_ascii_case("GID");
    let (mut genes, mut arrays) = (Vec::new(), None);
    for line in lines {
        let fields: Vec<String> = line.split(delimiter as char).map(field).collect();
        match fields[0].as_str() {
            "AID" => arrays = Some(fields.into_iter().skip(first_value).collect()),
            "EWEIGHT" => {}
            _ => genes.push(fields.into_iter().next().unwrap_or_default()),
        }
    }
    Ok(CdtIds { rows: has_gid.then_some(genes), cols: arrays })
}

/// The delimiter of a text matrix: tab, comma or semicolon. A candidate that
/// splits the header and the first data line into matching field counts
/// (equal, or one more on the data line, as R writes) wins, so commas
/// inside tab-separated column names ("T cell, naive") do not mislead; then
/// the most frequent on the header, tab first on ties.
fn detect_delimiter(header: &[u8], first_data: Option<&[u8]>) -> Option<u8> {
    let count = |line: &[u8], d: u8| memchr::memchr_iter(d, line).count();
    let candidates = [b'\t', b',', b';'];
    let consistent = |d: u8| {
        let h = count(header, d);
        first_data.is_some_and(|line| h > 0 && (count(line, d) == h || count(line, d) == h + 1))
    };
    if let Some(d) = candidates.into_iter().filter(|&d| consistent(d)).max_by_key(|&d| (count(header, d), d == b'\t')) {
        return Some(d);
    }
    let (d, n) = candidates.into_iter().map(|d| (d, count(header, d))).max_by_key(|&(d, n)| (n, d == b'\t'))?;
    (n > 0).then_some(d)
}

/// For a Cluster 3.0 / Java TreeView CDT header, the fields holding the
/// row label and the first value. Its annotation columns run up to
/// `GWEIGHT` (or are `GID`, the unique id and `NAME` without it); the unique
/// id (`UID`, `YORF`, … : the column after `GID`, or the first) is the label.
fn cdt_columns(names: &[String]) -> Option<(usize, usize)> {
    let has_gid = names.first().is_some_and(|n| n.eq_ignore_ascii_case("GID"));
    let gweight = names.iter().position(|n| n.eq_ignore_ascii_case("GWEIGHT"));
    if !has_gid && gweight.is_none() {
        return None;
    }
    let label_field = usize::from(has_gid);
    let first_value_field = gweight.map_or(label_field + 2, |g| g + 1);
    (first_value_field < names.len()).then_some((label_field, first_value_field))
}

/// A CDT's `AID` (array ids) or `EWEIGHT` (array weights) line.
fn is_cdt_extra_row(line: &[u8], delimiter: u8) -> bool {
    let first = line.split(|&b| b == delimiter).next().unwrap_or_default();
    matches!(unquote(trim(first)), b"AID" | b"EWEIGHT")
}

/// What to say about a field that is not a number, from what it looks like.
fn advice_for(text: &str) -> &'static str {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.trim().trim_start_matches(['-', '+']);
    if let Some((whole, fraction)) = unsigned.split_once(',')
        && digits(whole)
        && digits(fraction)
    {
        "decimal commas are not read: save the file with '.' as the decimal mark"
    } else if text.starts_with('"') || text.starts_with('\'') {
        "quoted fields holding the delimiter are not supported: save without quotes or with another delimiter"
    } else {
        "write missing values as NA, NaN, ? or an empty field"
    }
}

/// The slow path for one field: surrounding spaces and quotes, missing-value
/// markers, and the error message.
fn parse_field(raw: &[u8], field: usize) -> Result<f32, LineError> {
    let text = unquote(trim(raw));
    if MISSING.contains(&text) {
        return Ok(f32::NAN);
    }
    fast_float2::parse::<f32, _>(text).map_err(|_| LineError::NotANumber { field, text: quoted_field(raw) })
}

/// Whether `text` (a number that parses) spells infinity: `inf` or
/// `infinity` in any case, with an optional sign.
fn names_infinity(text: &[u8]) -> bool {
    let unsigned = text.strip_prefix(b"+").or_else(|| text.strip_prefix(b"-")).unwrap_or(text);
    unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity")
}

/// The start of a field as an error keeps it: enough for
/// [`crate::quote::quote`] to show, however long the field.
fn quoted_field(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(4 * crate::quote::MAX_QUOTED + 4)]).into_owned()
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn unquote(bytes: &[u8]) -> &[u8] {
    match bytes {
        [b'"', inner @ .., b'"'] | [b'\'', inner @ .., b'\''] => inner,
        _ => bytes,
    }
}

/// Removes the complete blank lines that start at `from` in `block`;
/// returns how many.
fn drop_blank_run(block: &mut Vec<u8>, from: usize) -> u64 {
    // The run ends where the line holding the first other byte starts.
    let rest = &block[from..];
    let scanned = rest.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(rest.len());
    let end = memchr::memrchr(b'\n', &rest[..scanned]).map_or(0, |i| i + 1);
    let count = memchr::memchr_iter(b'\n', &rest[..end]).count() as u64;
    block.drain(from..from + end);
    count
}

/// Reads until `buf` holds at least `target` bytes or the input ends.
/// Returns whether the input ended. The room read into is zeroed first in
/// steps that start at 64 KiB and double while reads fill them, so a small
/// file does not pay for clearing a 16 MiB block.
fn fill(reader: &mut (dyn Read + Send), buf: &mut Vec<u8>, target: usize) -> io::Result<bool> {
    let mut step = 64 << 10;
    while buf.len() < target {
        let start = buf.len();
        buf.resize(target.min(start + step), 0);
        match reader.read(&mut buf[start..]) {
            Ok(0) => {
                buf.truncate(start);
                return Ok(true);
            }
            Ok(n) => {
                if start + n == buf.len() {
                    step = (step * 2).min(BLOCK_BYTES);
                }
                buf.truncate(start + n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(start),
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    }
    Ok(false)
}

/// Whether a column's name says it holds identifiers rather than values:
/// `id`, `entrez`, `gene_id`, `Entrez ID`, `GeneID` and the like.
fn names_identifiers(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    let last = name.rsplit([' ', '_', '.', '-']).next().unwrap_or("");
    last == "id" || last == "ids" || name.ends_with("geneid") || name.starts_with("entrez")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str, cols: usize) -> Result<(String, Vec<f32>), LineError> {
        let mut values = Vec::new();
        let label = parse_line(line.as_bytes(), &LineLayout::plain(b'\t', cols), &mut values)?;
        Ok((label.to_owned(), values))
    }

    /// Hands out its bytes three at a time, interrupted before each read.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        interrupt: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = out.len().min(3).min(self.bytes.len() - self.at);
            out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn blocks_fill_to_their_target_across_short_and_interrupted_reads() {
        let bytes: Vec<u8> = (0..25).collect();
        let mut reader = Trickle { bytes: bytes.clone(), at: 0, interrupt: false };
        let mut block = Vec::with_capacity(10);
        assert!(!fill(&mut reader, &mut block, 10).unwrap());
        assert_eq!(block, bytes[..10]);
        assert!(!fill(&mut reader, &mut block, 20).unwrap());
        assert_eq!(block, bytes[..20]);
        // Five bytes are left: the input ends short of the target.
        assert!(fill(&mut reader, &mut block, 30).unwrap());
        assert_eq!(block, bytes);
        assert!(fill(&mut reader, &mut block, 40).unwrap());
        assert_eq!(block.len(), 25);
    }

    #[test]
    fn a_line_yields_its_label_and_values() {
        let (label, values) = parse("g1\t1.5\t-2e3\t0", 3).unwrap();
        assert_eq!(label, "g1");
        assert_eq!(values, [1.5, -2000.0, 0.0]);
    }

    #[test]
    fn missing_markers_become_nan_and_spaces_and_quotes_are_ignored() {
        let (label, values) = parse("\"g 2\"\tNA\t\tnan\t?\tNaN\t 3.25 \t\"4\"", 7).unwrap();
        assert_eq!(label, "g 2");
        assert!(values[..5].iter().all(|v| v.is_nan()));
        assert_eq!(values[5..], [3.25, 4.0]);
    }

    #[test]
    fn wrong_field_counts_are_ragged() {
        assert_eq!(parse("g\t1\t2", 3).unwrap_err(), LineError::Ragged { found: 3 });
        assert_eq!(parse("g\t1\t2\t3\t4\t5", 3).unwrap_err(), LineError::Ragged { found: 6 });
        assert_eq!(parse("g", 3).unwrap_err(), LineError::Ragged { found: 1 });
    }

    #[test]
    fn text_and_infinity_are_rejected_with_their_field() {
        assert_eq!(
            parse("g\t1\tnanog\t3", 3).unwrap_err(),
            LineError::NotANumber { field: 3, text: "nanog".to_owned() }
        );
        assert_eq!(parse("g\t1\t2\t-inf", 3).unwrap_err(), LineError::Infinite { field: 4 });
    }

    #[test]
    fn numbers_beyond_f32_are_out_of_range_not_infinite() {
        assert_eq!(parse("g\t1e39\t1", 2).unwrap_err(), LineError::OutOfRange { field: 2, text: "1e39".to_owned() });
        // Beyond f64 too: still a number, not an infinity.
        assert_eq!(
            parse("g\t1\t-1e400", 2).unwrap_err(),
            LineError::OutOfRange { field: 3, text: "-1e400".to_owned() }
        );
        let digits = "9".repeat(5000);
        let Err(LineError::OutOfRange { field: 2, text }) = parse(&format!("g\t{digits}\t1"), 2) else {
            panic!("5,000 digits are out of range");
        };
        assert_eq!(text, "9".repeat(4 * crate::quote::MAX_QUOTED + 4), "kept as far as a message shows");
        for infinity in ["inf", "-Infinity", "+INF", "\"inf\""] {
            assert_eq!(
                parse(&format!("g\t{infinity}"), 1).unwrap_err(),
                LineError::Infinite { field: 2 },
                "{infinity}"
            );
        }
    }

    #[test]
    fn a_trailing_delimiter_is_allowed_when_the_header_has_one() {
        let mut values = Vec::new();
        let layout = LineLayout { trailing_delimiter: true, ..LineLayout::plain(b'\t', 2) };
        assert_eq!(parse_line(b"g\t1\t2\t", &layout, &mut values), Ok("g"));
        assert_eq!(values, [1.0, 2.0]);
        assert_eq!(parse("g\t1\t2\t", 2).unwrap_err(), LineError::Ragged { found: 4 });
    }

    #[test]
    fn the_delimiter_is_the_one_the_data_lines_agree_with() {
        let header = b"gene\tT cell, naive\tB cell, memory\tNK, CD56 bright, CD16 neg";
        assert_eq!(detect_delimiter(header, Some(b"r1\t1\t2\t3")), Some(b'\t'));
        assert_eq!(detect_delimiter(b"g,a,b", Some(b"r,1,2")), Some(b','));
        assert_eq!(detect_delimiter(b"a;b", Some(b"r;1;2")), Some(b';'), "R style: one more field");
        assert_eq!(detect_delimiter(b"g\ta", None), Some(b'\t'));
        assert_eq!(detect_delimiter(b"names", Some(b"a")), None);
    }

    #[test]
    fn advice_follows_what_the_field_looks_like() {
        assert!(advice_for("1,5").starts_with("decimal commas"));
        assert!(advice_for("-12,25").starts_with("decimal commas"));
        assert!(advice_for("\"1").starts_with("quoted fields"));
        assert!(advice_for("abc").starts_with("write missing values"));
    }

    /// One field as a file might write it, with the value it stands for.
    fn field() -> impl proptest::strategy::Strategy<Value = (String, f32)> {
        use proptest::prelude::*;
        let number = (any::<f32>().prop_filter("finite", |v| v.is_finite()), 0..3usize, " {0,2}", " {0,2}").prop_map(
            |(v, style, before, after)| {
                let text = match style {
                    0 => format!("{v}"),
                    1 => format!("{v:e}"),
                    _ => format!("\"{v}\""),
                };
                (format!("{before}{text}{after}"), v)
            },
        );
        let missing =
            prop::sample::select(vec!["", "NA", "NaN", "nan", "?", " NA "]).prop_map(|m| (m.to_owned(), f32::NAN));
        prop_oneof![4 => number, 1 => missing]
    }

    proptest::proptest! {
        /// The fast path (parse in place, fall back per field) agrees with
        /// splitting the line and parsing each field with the standard library.
        #[test]
        fn lines_parse_as_a_plain_split_would(label in "[A-Za-z][A-Za-z0-9_.-]{0,12}", fields in proptest::collection::vec(field(), 1..12)) {
            let line = std::iter::once(label.clone()).chain(fields.iter().map(|(t, _)| t.clone())).collect::<Vec<_>>().join("\t");
            let (got_label, values) = parse(&line, fields.len()).unwrap();
            proptest::prop_assert_eq!(got_label, label);
            for (got, (text, _)) in values.iter().zip(&fields) {
                let trimmed = text.trim().trim_matches('"');
                let want = if MISSING.contains(&trimmed.as_bytes()) { f32::NAN } else { trimmed.parse::<f32>().unwrap() };
                proptest::prop_assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "{text:?}: {got} vs {want}");
            }
            // One field fewer or one more: ragged, never a misread.
            let short = parse(&line, fields.len() + 1).unwrap_err();
            proptest::prop_assert_eq!(short, LineError::Ragged { found: fields.len() + 1 });
        }
    }

    #[test]
    fn windows_line_endings_are_stripped() {
        let lines: Vec<_> = LineIter { bytes: b"a\r\nb\nc", at: 0, eof: true }.map(|(l, _)| l).collect();
        assert_eq!(lines, [&b"a"[..], b"b", b"c"]);
    }
}
