//! Folding: the table built by workers/dedupe/normalize.py applied to text, one code point
//! at a time, with the words that come out joined by single spaces. The table comes from
//! Python's own `unicodedata`, so a code point folds here exactly as the Python reference
//! folds it, in the Unicode version of the running interpreter.

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::boundary::{py_str, unpack};

/// What a table entry says of a code point besides "becomes this character".
const DROP: u32 = 0xFFFF_FFFF;
const SEPARATOR: u32 = 0xFFFF_FFFE;
const EXTRA: u32 = 0xFFFF_FFFD;
/// Paragraphs travel joined by the record separator (as normalize.py joins them).
pub(crate) const PARAGRAPH_MARK: char = '\u{1e}';
pub(crate) const BMP: usize = 0x1_0000;

/// Folds text that Python has already put through NFKC: each code point is dropped, made a
/// word separator or replaced by what the table built by normalize.py says (case folding
/// included, when that table folds case). Code points the BMP table sends to `extra`, and
/// those beyond the BMP found there, become a string (a space in it separates words); the
/// rest beyond the BMP are kept as they are.
#[pyclass(frozen)]
pub(crate) struct Folder {
    // Per BMP code point, what it becomes, as the loop wants it: a character's UTF-8 bytes
    // in the low three bytes and their count in the top one, or (top byte 0) one of DROP_TO,
    // SEPARATE, LOOK_UP. Encoded once here, so the loop copies bytes instead of encoding.
    // UNCHANGED marks a code point that stays itself: runs of those are copied whole.
    encoded: Vec<u32>,
    extra: HashMap<u32, String>,
}

const DROP_TO: u32 = 0;
const SEPARATE: u32 = 1;
const LOOK_UP: u32 = 2;
/// In an entry's top byte beside the length: the character folds to itself.
const UNCHANGED: u32 = 0x8000_0000;
/// In an entry's top byte: text holding the character must go through NFKC before it is
/// folded (its table entry folds it as it reads only in NFKC text; normalize.reads_raw).
const NEEDS_NFKC: u32 = 0x4000_0000;

/// A table entry of Folder::encoded for code point `cp`.
fn encoded_entry(cp: usize, value: u32) -> u32 {
    match value {
        DROP => DROP_TO,
        SEPARATOR => SEPARATE,
        EXTRA => LOOK_UP,
        beyond_bmp if beyond_bmp >= BMP as u32 => LOOK_UP, // in `extra` (Folder::new)
        // Checked to be a scalar value when the table was read.
        scalar => {
            let mut utf8 = [0u8; 4];
            let bytes = char::from_u32(scalar)
                .unwrap_or('\u{fffd}')
                .encode_utf8(&mut utf8)
                .len();
            let unchanged = if scalar as usize == cp { UNCHANGED } else { 0 };
            u32::from_le_bytes([utf8[0], utf8[1], utf8[2], bytes as u8]) | unchanged
        }
    }
}

/// The code point at the start of `bytes` (valid UTF-8) and its length in bytes.
#[inline(always)]
fn decode_utf8(bytes: &[u8]) -> (u32, usize) {
    let b0 = u32::from(bytes[0]);
    let tail = |k: usize| u32::from(bytes[k]) & 0x3F;
    match bytes[0] {
        0x00..=0x7F => (b0, 1),
        0xC0..=0xDF => (((b0 & 0x1F) << 6) | tail(1), 2),
        0xE0..=0xEF => (((b0 & 0x0F) << 12) | (tail(1) << 6) | tail(2), 3),
        _ => (
            ((b0 & 0x07) << 18) | (tail(1) << 12) | (tail(2) << 6) | tail(3),
            4,
        ),
    }
}

/// A folded paragraph: its words joined by single spaces, and how many there are.
pub(crate) struct Paragraph {
    pub(crate) text: String,
    pub(crate) words: usize,
    pub(crate) read_raw: bool, // no character of it needs NFKC first (Folder::new's `raw`)
}

impl Folder {
    /// Folds `text` up to the first paragraph mark (or its end, when `mark_ends` is false or
    /// it has none); returns the folded paragraph and what is left after the mark.
    pub(crate) fn fold_paragraph<'t>(
        &self,
        text: &'t str,
        mark_ends: bool,
    ) -> (Paragraph, Option<&'t str>) {
        let bytes = text.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len().min(1024));
        let mut words = 0;
        let mut pending_space = false;
        let mut rest = None;
        let mut at = 0;
        // bytes[run..at]: characters that fold to themselves, not yet copied. Most of a text
        // is such runs (a word of letters), and one copy per run instead of per character
        // saves a copy call per character.
        let mut run = 0;
        let mut needs_nfkc = 0;
        while at < bytes.len() {
            if mark_ends && bytes[at] == PARAGRAPH_MARK as u8 {
                rest = Some(&text[at + 1..]); // the mark is one byte in UTF-8
                break;
            }
            let (code, width) = decode_utf8(&bytes[at..]);
            let entry = match self.encoded.get(code as usize) {
                Some(&entry) => entry,
                None => LOOK_UP | NEEDS_NFKC, // beyond the BMP
            };
            needs_nfkc |= entry;
            let entry = entry & !NEEDS_NFKC;
            if entry & UNCHANGED != 0 {
                at += width;
                continue;
            }
            copy_run(&mut out, &bytes[run..at], &mut words, &mut pending_space);
            let length = (entry >> 24) as usize;
            if length > 0 {
                start_char(&mut out, &mut words, &mut pending_space);
                // All four bytes, then the count byte and any unused ones cut off: a copy of
                // a fixed size is inlined, one of one to three bytes went through memcpy.
                out.extend_from_slice(&entry.to_le_bytes());
                out.truncate(out.len() - 4 + length);
            } else if entry == SEPARATE {
                pending_space = !out.is_empty();
            } else if entry == LOOK_UP {
                match self.extra.get(&code) {
                    Some(replacement) => {
                        for word in replacement.split(' ') {
                            if !word.is_empty() {
                                start_char(&mut out, &mut words, &mut pending_space);
                                out.extend_from_slice(word.as_bytes());
                            }
                            pending_space = !out.is_empty();
                        }
                        // The last piece is followed by no space of its own.
                        pending_space = pending_space && replacement.ends_with(' ');
                    }
                    None => {
                        start_char(&mut out, &mut words, &mut pending_space);
                        out.extend_from_slice(&bytes[at..at + width]);
                    }
                }
            }
            at += width;
            run = at;
        }
        copy_run(&mut out, &bytes[run..at], &mut words, &mut pending_space);
        // SAFETY: `out` holds only whole UTF-8 sequences: table entries encoded from chars,
        // replacement strings, whole characters of `text` and spaces. (Checking it again,
        // String::from_utf8, would read every byte a second time.)
        let text = unsafe { String::from_utf8_unchecked(out) };
        let read_raw = needs_nfkc & NEEDS_NFKC == 0;
        (
            Paragraph {
                text,
                words,
                read_raw,
            },
            rest,
        )
    }

    fn paragraphs(&self, joined: &str) -> Vec<Paragraph> {
        let mut paragraphs = Vec::new();
        let mut rest = Some(joined);
        while let Some(text) = rest {
            let (paragraph, after) = self.fold_paragraph(text, true);
            paragraphs.push(paragraph);
            rest = after;
        }
        paragraphs
    }
}

/// Characters that fold to themselves go out as they came (no separator among them).
#[inline(always)]
fn copy_run(out: &mut Vec<u8>, run: &[u8], words: &mut usize, pending_space: &mut bool) {
    if !run.is_empty() {
        start_char(out, words, pending_space);
        out.extend_from_slice(run);
    }
}

/// Before a character goes out: the space owed between two words, and the word count.
#[inline(always)]
fn start_char(out: &mut Vec<u8>, words: &mut usize, pending_space: &mut bool) {
    if out.is_empty() {
        *words = 1;
    } else if *pending_space {
        out.push(b' ');
        *words += 1;
    }
    *pending_space = false;
}

#[pymethods]
impl Folder {
    /// `table`: 65,536 little-endian u32, one per BMP code point: the code point it becomes,
    /// 0xFFFFFFFF to drop it, 0xFFFFFFFE to make it a word separator, 0xFFFFFFFD to look it
    /// up in `extra` (code point -> its folded string).
    /// `raw`, when given: 65,536 bytes, one per BMP code point, 1 where text holding it
    /// may be folded before NFKC with the same result (every other one, and every code
    /// point beyond the BMP, sends such text through NFKC first).
    #[new]
    #[pyo3(signature = (table, extra, raw=None))]
    fn new(table: &[u8], extra: HashMap<u32, String>, raw: Option<&[u8]>) -> PyResult<Self> {
        let table = unpack::<u32>(table)?;
        if table.len() != BMP || raw.is_some_and(|r| r.len() != BMP) {
            return Err(PyValueError::new_err(
                "folding table: need one entry per BMP code point",
            ));
        }
        let scalar = |v: u32| matches!(v, DROP | SEPARATOR | EXTRA) || char::from_u32(v).is_some();
        if let Some(bad) = table.iter().position(|&v| !scalar(v)) {
            return Err(PyValueError::new_err(format!(
                "folding table: bad entry at {bad:#x}"
            )));
        }
        if let Some(missing) = table
            .iter()
            .enumerate()
            .position(|(cp, &v)| v == EXTRA && !extra.contains_key(&(cp as u32)))
        {
            return Err(PyValueError::new_err(format!(
                "folding table: {missing:#x} has no extra"
            )));
        }
        // A BMP code point that becomes one beyond the BMP (four UTF-8 bytes, one more than an
        // entry holds; none do today) goes through `extra` instead.
        let mut extra = extra;
        for (cp, &v) in table.iter().enumerate() {
            if let Some(c) = char::from_u32(v).filter(|c| c.len_utf8() == 4) {
                extra.insert(cp as u32, c.to_string());
            }
        }
        let needs_nfkc = |cp: usize| {
            if raw.is_some_and(|r| r[cp] == 1) {
                0
            } else {
                NEEDS_NFKC
            }
        };
        let encoded = table
            .iter()
            .enumerate()
            .map(|(cp, &v)| encoded_entry(cp, v) | needs_nfkc(cp))
            .collect();
        Ok(Folder { encoded, extra })
    }

    /// The words of `text`, folded, joined by single spaces.
    fn normalize<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
        py_str(py, &self.fold_paragraph(text, false).0.text)
    }

    /// `joined`: paragraphs joined by U+001E; each one's `normalize`, in order.
    fn normalize_paragraphs<'py>(
        &self,
        py: Python<'py>,
        joined: &str,
    ) -> PyResult<Vec<Bound<'py, PyString>>> {
        self.paragraphs(joined)
            .iter()
            .map(|p| py_str(py, &p.text))
            .collect()
    }

    /// `normalize_paragraphs` of text not put through NFKC, read as it is: None when a
    /// character of it may fold otherwise in NFKC (the `raw` table of `new`; the caller
    /// then folds its NFKC form).
    fn normalize_paragraphs_raw<'py>(
        &self,
        py: Python<'py>,
        joined: &str,
    ) -> PyResult<Option<Vec<Bound<'py, PyString>>>> {
        let paragraphs = self.paragraphs(joined);
        if paragraphs.iter().any(|p| !p.read_raw) {
            return Ok(None);
        }
        paragraphs
            .iter()
            .map(|p| py_str(py, &p.text))
            .collect::<PyResult<_>>()
            .map(Some)
    }
}
