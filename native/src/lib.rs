//! newsflow's text hot paths, compiled: the dedupe and tag stages fold every article's text
//! and fingerprint it, and in Python those passes cost most of a stage's CPU (a dozen C
//! calls of one pass each, plus numpy's per-call overhead on arrays of a few hundred values).
//!
//! Every decision stays in Python (workers/dedupe/normalize.py and minhash.py say what is
//! folded and hashed, and why); this module only runs the loops. One rule is restated here,
//! with Python's thresholds passed in: which paragraphs are substantial enough to be keys
//! (internal.is_substantial; the property tests hold the two to the same answers). The
//! folding table comes from Python's own `unicodedata`, so a code point folds here exactly
//! as the Python reference folds it, in the Unicode version of the running interpreter.
//!
//! Arrays cross the boundary as little-endian bytes (u64 hashes, u32 minimums), which numpy
//! reads without a copy.

mod language_id;

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyString};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

/// Odd 64-bit multipliers that combine consecutive word hashes into one shingle hash; the
/// same constants as minhash.py's `_MIX`.
const MIX: [u64; 3] = [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9];

/// What a table entry says of a code point besides "becomes this character".
const DROP: u32 = 0xFFFF_FFFF;
const SEPARATOR: u32 = 0xFFFF_FFFE;
const EXTRA: u32 = 0xFFFF_FFFD;
/// Paragraphs travel joined by the record separator (as normalize.py joins them).
const PARAGRAPH_MARK: char = '\u{1e}';
const BMP: usize = 0x1_0000;

/// The unsigned integers that cross the boundary as little-endian bytes.
trait LittleEndian: Copy {
    const SIZE: usize;
    fn read(bytes: &[u8]) -> Self;
    fn write(self, out: &mut [u8]);
}

macro_rules! little_endian {
    ($t:ty) => {
        impl LittleEndian for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("a chunk of SIZE bytes"))
            }
            fn write(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
        }
    };
}
little_endian!(u32);
little_endian!(u64);

fn unpack<T: LittleEndian>(raw: &[u8]) -> PyResult<Vec<T>> {
    if !raw.len().is_multiple_of(T::SIZE) {
        return Err(PyValueError::new_err(format!(
            "array bytes: length {} is not a multiple of {}",
            raw.len(),
            T::SIZE
        )));
    }
    Ok(raw.chunks_exact(T::SIZE).map(T::read).collect())
}

fn pack<'py, T: LittleEndian>(py: Python<'py>, values: &[T]) -> Bound<'py, PyBytes> {
    PyBytes::new_with(py, values.len() * T::SIZE, |out| {
        for (chunk, v) in out.chunks_exact_mut(T::SIZE).zip(values) {
            v.write(chunk);
        }
        Ok(())
    })
    .expect("filling a bytes object cannot fail")
}

/// Folds text that Python has already put through NFKC: each code point is dropped, made a
/// word separator or replaced by what the table built by normalize.py says (case folding
/// included, when that table folds case). Code points the BMP table sends to `extra`, and
/// those beyond the BMP found there, become a string (a space in it separates words); the
/// rest beyond the BMP are kept as they are.
#[pyclass(frozen)]
struct Folder {
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
            let bytes = char::from_u32(scalar).unwrap_or('\u{fffd}').encode_utf8(&mut utf8).len();
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
        _ => (((b0 & 0x07) << 18) | (tail(1) << 12) | (tail(2) << 6) | tail(3), 4),
    }
}

/// A folded paragraph: its words joined by single spaces, and how many there are.
struct Paragraph {
    text: String,
    words: usize,
    read_raw: bool, // no character of it needs NFKC first (Folder::new's `raw`)
}

impl Folder {
    /// Folds `text` up to the first paragraph mark (or its end, when `mark_ends` is false or
    /// it has none); returns the folded paragraph and what is left after the mark.
    fn fold_paragraph<'t>(&self, text: &'t str, mark_ends: bool) -> (Paragraph, Option<&'t str>) {
        let bytes = text.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len().min(1024));
        let mut words = 0;
        let mut pending_space = false;
        let mut rest = None;
        let mut at = 0;
        // bytes[run..at]: characters that fold to themselves, not yet copied. Most of a text
        // is such runs (a word of letters), and one copy per run instead of per character
        // took a fifth off the loop's instructions (callgrind: 229k to 187k for an article
        // of 3,700 characters).
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
        // String::from_utf8, cost a third as much as the folding.)
        let text = unsafe { String::from_utf8_unchecked(out) };
        let read_raw = needs_nfkc & NEEDS_NFKC == 0;
        (Paragraph { text, words, read_raw }, rest)
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
        let needs_nfkc = |cp: usize| if raw.is_some_and(|r| r[cp] == 1) { 0 } else { NEEDS_NFKC };
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
}

/// A Python str of `text`, handed to CPython as UTF-16 (or as it is when ASCII): CPython
/// builds a str from UTF-16 about three times faster than from UTF-8 when the text is
/// Arabic (7 against 19 us for 4,000 characters, `bytes.decode`).
fn py_str<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
    if text.is_ascii() {
        return Ok(PyString::new(py, text));
    }
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut order: std::os::raw::c_int = if cfg!(target_endian = "little") { -1 } else { 1 };
    // SAFETY: `units` is valid UTF-16 (from a str) of the length given, in native byte order,
    // as `order` says; CPython copies it and returns a new reference, or NULL with an error.
    unsafe {
        let made = pyo3::ffi::PyUnicode_DecodeUTF16(
            units.as_ptr().cast(),
            (units.len() * 2) as pyo3::ffi::Py_ssize_t,
            std::ptr::null(),
            &mut order,
        );
        Ok(Bound::from_owned_ptr_or_err(py, made)?.cast_into_unchecked())
    }
}

const FINGERPRINT_BYTES: usize = 8;

/// The content hash of a body's words (joined by single spaces): XXH3-128 of its UTF-8, in
/// hex, as core.text_hash makes it with the xxhash package; "" for a body without words,
/// which must never match anything.
fn content_hash(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// A normalized paragraph's fingerprint: XXH3-64 of its UTF-8 in the canonical (big-endian)
/// byte order, the bytes of xxhash.xxh3_64_digest, which the Redis index's keys (layout v4)
/// are written with. BLAKE2b had been 30 % of this pass (perf record, bench-dedupe's
/// articles). Nothing here needs a cryptographic hash: an article crafted to collide with a
/// story gains nothing over one that copies the story's text.
fn paragraph_fingerprint(text: &str) -> [u8; FINGERPRINT_BYTES] {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes()).to_be_bytes()
}

/// Byte offsets of the spaces of `text`, found eight bytes at a time: words are short (about
/// 11 bytes of UTF-8 in Arabic news), too short for str::split's searcher, which `perf
/// record` found taking half of a phrase search, and a byte-by-byte loop mispredicts a
/// branch at every word. A space byte is always a whole character in UTF-8.
fn spaces(text: &str) -> std::vec::IntoIter<usize> {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let bytes = text.as_bytes();
    let mut found = Vec::with_capacity(bytes.len() / 8);
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ SPACES;
        // The high bit of each byte that was a space, exactly (no borrow between bytes).
        word = !(((word & LOW7) + LOW7) | word | LOW7);
        while word != 0 {
            found.push(base + (word.trailing_zeros() / 8) as usize);
            word &= word - 1;
        }
        base += 8;
    }
    let rest = chunks.remainder().iter().enumerate();
    found.extend(rest.filter_map(|(at, &b)| (b == b' ').then_some(base + at)));
    found.into_iter()
}

/// The words of `text` split at every single space (as str::split(' ') splits them).
fn words(text: &str) -> impl Iterator<Item = &str> {
    let ends = spaces(text).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        let word = &text[start..end];
        start = end + 1;
        word
    })
}

/// zlib's CRC-32 of each word (words split by single spaces), as u64s.
fn crc32_words(text: &str) -> Vec<u64> {
    if text.is_empty() {
        return Vec::new();
    }
    // One hasher made, then copied per word: crc32fast::hash makes a new one each call,
    // which costs more than a short word's CRC.
    let fresh = crc32fast::Hasher::new();
    words(text)
        .map(|w| {
            let mut hasher = fresh.clone();
            hasher.update(w.as_bytes());
            u64::from(hasher.finalize())
        })
        .collect()
}

/// crc32 of each word's UTF-8 bytes, as u64s; `text` holds words split by single spaces.
#[pyfunction]
fn word_hashes<'py>(py: Python<'py>, text: &str) -> Bound<'py, PyBytes> {
    pack::<u64>(py, &crc32_words(text))
}

/// Distinct hashes of word 3-grams (the words themselves when there are fewer), sorted.
#[pyfunction]
fn word_shingles<'py>(py: Python<'py>, hashes: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    Ok(pack::<u64>(py, &shingles_of(&unpack::<u64>(hashes)?)))
}

fn shingles_of(words: &[u64]) -> Vec<u64> {
    let mut shingles = every_shingle(words);
    shingles.sort_unstable();
    shingles.dedup();
    shingles
}

/// The hashes of word 3-grams (the words themselves when there are fewer), repeats kept.
fn every_shingle(words: &[u64]) -> Vec<u64> {
    if words.len() < 3 {
        return words.to_vec();
    }
    words
        .windows(3)
        .map(|w| {
            w[0].wrapping_mul(MIX[0])
                .wrapping_add(w[1].wrapping_mul(MIX[1]))
                .wrapping_add(w[2].wrapping_mul(MIX[2]))
        })
        .collect()
}

/// How many distinct values there are, by an open-addressing table of at least twice as
/// many slots: sorting them to count (as shingles_of does) took four times the instructions.
fn distinct_count(values: &[u64]) -> usize {
    let bits = (values.len() * 2).max(8).next_power_of_two().trailing_zeros();
    let mut slots = vec![0u64; 1 << bits];
    let mask = slots.len() - 1;
    let mut count = usize::from(values.contains(&0)); // 0 marks an empty slot
    for &v in values.iter().filter(|&&v| v != 0) {
        // Fibonacci hashing: the top bits of v times 2^64 / golden ratio pick the slot.
        let mut at = (v.wrapping_mul(MIX[0]) >> (64 - bits)) as usize;
        while slots[at] != 0 && slots[at] != v {
            at = (at + 1) & mask;
        }
        if slots[at] == 0 {
            slots[at] = v;
            count += 1;
        }
    }
    count
}

/// For each permutation k, the minimum over `values` of the top 32 bits of a[k]*v + b[k]
/// (a multiply-shift hash, wrapping in 64 bits); all-ones when `values` is empty.
fn minimums(values: &[u64], a: &[u64], b: &[u64], out: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512dq") {
        // SAFETY: the CPU has the features the function is compiled for (checked above).
        unsafe { minimums_avx512(values, a, b, out) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: as above.
        unsafe { minimums_avx2(values, a, b, out) };
        return;
    }
    minimums_portable(values, a, b, out);
}

/// The same loop compiled for AVX2: four lanes at once, each 64-bit multiply made of three
/// 32-bit ones (vpmuludq), which is still faster than one scalar multiply per value.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn minimums_avx2(values: &[u64], a: &[u64], b: &[u64], out: &mut [u32]) {
    minimums_portable(values, a, b, out);
}

/// The same loop compiled for AVX-512 (eight 64-bit multiplies at once, vpmullq), which
/// the portable x86-64 build cannot assume; the results are the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
unsafe fn minimums_avx512(values: &[u64], a: &[u64], b: &[u64], out: &mut [u32]) {
    minimums_portable(values, a, b, out);
}

#[inline(always)]
fn minimums_portable(values: &[u64], a: &[u64], b: &[u64], out: &mut [u32]) {
    for ((m, &ak), &bk) in out.iter_mut().zip(a).zip(b) {
        let mut least = u32::MAX;
        for &v in values {
            least = least.min((ak.wrapping_mul(v).wrapping_add(bk) >> 32) as u32);
        }
        *m = least;
    }
}

fn permutations(a: &[u8], b: &[u8]) -> PyResult<(Vec<u64>, Vec<u64>)> {
    let (a, b) = (unpack::<u64>(a)?, unpack::<u64>(b)?);
    if a.len() != b.len() {
        return Err(PyValueError::new_err(
            "permutations: a and b differ in length",
        ));
    }
    Ok((a, b))
}

/// The MinHash signature of a set of u64 hashes: one u32 minimum per permutation (a, b).
#[pyfunction]
fn min_hash<'py>(
    py: Python<'py>,
    hashes: &[u8],
    a: &[u8],
    b: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let values = unpack::<u64>(hashes)?;
    let (a, b) = permutations(a, b)?;
    let mut signature = vec![0u32; a.len()];
    minimums(&values, &a, &b, &mut signature);
    Ok(pack::<u32>(py, &signature))
}

/// One 64-bit key per LSH band: the band's `rows` minimums mixed (as minhash.py documents).
#[pyfunction]
fn band_keys<'py>(py: Python<'py>, signature: &[u8], rows: usize) -> PyResult<Bound<'py, PyBytes>> {
    let minimums = unpack::<u32>(signature)?;
    if rows == 0 || minimums.len() % rows != 0 {
        return Err(PyValueError::new_err(
            "band_keys: signature length is not bands * rows",
        ));
    }
    Ok(pack::<u64>(py, &mixed_bands(&minimums, rows)))
}

fn mixed_bands(minimums: &[u32], rows: usize) -> Vec<u64> {
    minimums
        .chunks_exact(rows)
        .map(|band| {
            band.iter().enumerate().fold(0u64, |acc, (r, &m)| {
                acc.wrapping_add(u64::from(m).wrapping_mul(MIX[r % MIX.len()]))
            })
        })
        .collect()
}

/// A MinHash of each paragraph's word pairs: `counts` words per paragraph, in order, over
/// `hashes`; k = len(a) u32s per paragraph, all-ones for a paragraph under two words.
#[pyfunction]
fn paragraph_sketches<'py>(
    py: Python<'py>,
    hashes: &[u8],
    counts: Vec<usize>,
    a: &[u8],
    b: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let words = unpack::<u64>(hashes)?;
    let (a, b) = permutations(a, b)?;
    if counts.iter().sum::<usize>() != words.len() {
        return Err(PyValueError::new_err(
            "paragraph_sketches: counts do not add up to the words",
        ));
    }
    Ok(pack::<u32>(py, &sketches_of(&words, &counts, &a, &b)))
}

/// paragraph_sketches of `words`, whose counts add up (checked by the callers).
fn sketches_of(words: &[u64], counts: &[usize], a: &[u64], b: &[u64]) -> Vec<u32> {
    let k = a.len();
    let mut sketches = vec![u32::MAX; counts.len() * k];
    let mut start = 0;
    let mut pairs = Vec::new();
    for (p, &count) in counts.iter().enumerate() {
        let paragraph = &words[start..start + count];
        start += count;
        pairs.clear();
        pairs.extend(paragraph.windows(2).map(|w| {
            w[0].wrapping_mul(MIX[0])
                .wrapping_add(w[1].wrapping_mul(MIX[1]))
        }));
        if !pairs.is_empty() {
            minimums(&pairs, a, b, &mut sketches[p * k..(p + 1) * k]);
        }
    }
    sketches
}

/// Pairs (i, j), j < i, of sketches (k u32s each) that agree on at least `min_agree`
/// positions, in row order: i ascending, then j ascending.
#[pyfunction]
fn agreeing_pairs(sketches: &[u8], k: usize, min_agree: usize) -> PyResult<Vec<(usize, usize)>> {
    let values = unpack::<u32>(sketches)?;
    if k == 0 || values.len() % k != 0 {
        return Err(PyValueError::new_err(
            "agreeing_pairs: sketches length is not n * k",
        ));
    }
    Ok(pairs_agreeing(&values, k, min_agree))
}

fn pairs_agreeing(values: &[u32], k: usize, min_agree: usize) -> Vec<(usize, usize)> {
    let rows: Vec<&[u32]> = values.chunks_exact(k).collect();
    let mut pairs = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        for (j, other) in rows[..i].iter().enumerate() {
            if row.iter().zip(other.iter()).filter(|(x, y)| x == y).count() >= min_agree {
                pairs.push((i, j));
            }
        }
    }
    pairs
}

/// A body's folded paragraphs, made into Python strs only when asked for: most bodies are
/// done with once fingerprinted, and the pass takes about 28 % less time without making the
/// strs (bench-dedupe's 3,000 articles, a one-off loop in turns with the code before).
#[pyclass(frozen)]
struct FoldedParagraphs {
    texts: Vec<String>,
}

#[pymethods]
impl FoldedParagraphs {
    fn texts<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyString>>> {
        self.texts.iter().map(|text| py_str(py, text)).collect()
    }
}

/// Every fingerprint of a body in one pass, for the dedupe stage (workers/dedupe/body.py says
/// what each is and why): crossing to Python between the steps, with numpy arrays built and
/// read at each, cost more than the steps. The rules come from Python as numbers.
#[pyclass(frozen)]
struct BodyPrinter {
    folder: Py<Folder>,
    // The MinHash permutations, and the rows per LSH band.
    a: Vec<u64>,
    b: Vec<u64>,
    rows: usize,
    // The paragraph sketches' permutations; how many values two near-exact sketches share;
    // beyond how many paragraphs no pairs are looked for.
    sketch_a: Vec<u64>,
    sketch_b: Vec<u64>,
    min_agree: usize,
    max_near: usize,
    // What a substantial paragraph is (internal.is_substantial), and how many keys at most.
    min_words: usize,
    min_chars_without_spaces: usize,
    max_keys: usize,
}

/// What crosses back of a body's MinHash (see BodyPrinter::fingerprint).
type MinHashParts<'py> = (usize, Bound<'py, PyBytes>, Vec<Bound<'py, PyBytes>>);

#[pymethods]
impl BodyPrinter {
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (folder, a, b, rows, sketch_a, sketch_b, min_agree, max_near, min_words,
                        min_chars_without_spaces, max_keys))]
    fn new(
        folder: Py<Folder>,
        a: &[u8],
        b: &[u8],
        rows: usize,
        sketch_a: &[u8],
        sketch_b: &[u8],
        min_agree: usize,
        max_near: usize,
        min_words: usize,
        min_chars_without_spaces: usize,
        max_keys: usize,
    ) -> PyResult<Self> {
        let (a, b) = permutations(a, b)?;
        let (sketch_a, sketch_b) = permutations(sketch_a, sketch_b)?;
        if rows == 0 || a.len() % rows != 0 || sketch_a.is_empty() {
            return Err(PyValueError::new_err(
                "body printer: permutations are not bands * rows, or no sketch permutations",
            ));
        }
        Ok(BodyPrinter {
            folder, a, b, rows, sketch_a, sketch_b, min_agree, max_near, min_words,
            min_chars_without_spaces, max_keys,
        })
    }

    /// `paragraphs`: in NFKC, or as they are when `raw` (then None when a character needs
    /// NFKC first: Folder::new's `raw`); a U+001E inside one is a word separator, as
    /// Folder.normalize_paragraphs reads it. Each str is read as CPython's UTF-8 of it, which
    /// CPython keeps: orjson writes the same strs later without encoding them again (the
    /// paragraphs joined into one new str were encoded twice). Gives the folded paragraphs
    /// (Folder.normalize_paragraphs), kept on this side until Python asks for their text, and
    /// of them: the characters of the non-empty ones joined by single spaces; every word's
    /// crc32 (u64 bytes) in that text; the words of each; each one's fingerprint, 8 bytes apiece;
    /// the content hash of the joined words ("" for none); the pairs (i, j), j < i, of
    /// paragraphs whose sketches agree on min_agree values (none beyond max_near
    /// paragraphs); the keys: fingerprints of the substantial paragraphs, first occurrences
    /// in order, at most max_keys; and the MinHash of the word 3-grams: how many distinct,
    /// the low 16 bits of each minimum (u16 bytes) and one 8-byte key per band. For a script
    /// written without spaces Python takes character shingles instead and drops this one.
    #[allow(clippy::type_complexity)]
    #[pyo3(signature = (paragraphs, raw=false))]
    fn fingerprint<'py>(
        &self,
        py: Python<'py>,
        paragraphs: Vec<Bound<'py, PyString>>,
        raw: bool,
    ) -> PyResult<Option<(
        FoldedParagraphs,
        usize,
        Bound<'py, PyBytes>,
        Vec<usize>,
        Bound<'py, PyBytes>,
        String,
        Vec<(usize, usize)>,
        Vec<Bound<'py, PyBytes>>,
        MinHashParts<'py>,
    )>> {
        let folder = self.folder.get();
        let mut folded = Vec::with_capacity(paragraphs.len());
        for paragraph in &paragraphs {
            folded.push(folder.fold_paragraph(paragraph.to_str()?, false).0);
        }
        let paragraphs = folded;
        if raw && !paragraphs.iter().all(|p| p.read_raw) {
            return Ok(None);
        }
        let counts: Vec<usize> = paragraphs.iter().map(|p| p.words).collect();
        let text = paragraphs
            .iter()
            .filter(|p| !p.text.is_empty())
            .map(|p| p.text.as_str());
        let text = text.collect::<Vec<_>>().join(" ");
        let hashes = crc32_words(&text);
        let fingerprints: Vec<[u8; FINGERPRINT_BYTES]> =
            paragraphs.iter().map(|p| paragraph_fingerprint(&p.text)).collect();
        let near = if paragraphs.len() <= self.max_near {
            let sketches = sketches_of(&hashes, &counts, &self.sketch_a, &self.sketch_b);
            pairs_agreeing(&sketches, self.sketch_a.len(), self.min_agree)
        } else {
            Vec::new()
        };
        let keys = self
            .keys(&paragraphs, &fingerprints)
            .into_iter()
            .map(|key| PyBytes::new(py, key))
            .collect();
        let minhash = self.minhash(py, &hashes);
        let chars = text.chars().count();
        let hash = content_hash(&text);
        let folded = FoldedParagraphs { texts: paragraphs.into_iter().map(|p| p.text).collect() };
        Ok(Some((
            folded,
            chars,
            pack::<u64>(py, &hashes),
            counts,
            PyBytes::new(py, fingerprints.as_flattened()),
            hash,
            near,
            keys,
            minhash,
        )))
    }
}

impl BodyPrinter {
    fn keys<'f>(
        &self,
        paragraphs: &[Paragraph],
        fingerprints: &'f [[u8; FINGERPRINT_BYTES]],
    ) -> Vec<&'f [u8; FINGERPRINT_BYTES]> {
        let mut keys: Vec<&[u8; FINGERPRINT_BYTES]> = Vec::new();
        for (p, fingerprint) in paragraphs.iter().zip(fingerprints) {
            if keys.len() == self.max_keys {
                break;
            }
            if self.substantial(p) && !keys.contains(&fingerprint) {
                keys.push(fingerprint);
            }
        }
        keys
    }

    fn substantial(&self, p: &Paragraph) -> bool {
        p.words >= self.min_words
            || (p.words <= 2 && p.text.chars().count() >= self.min_chars_without_spaces)
    }

    fn minhash<'py>(&self, py: Python<'py>, hashes: &[u64]) -> MinHashParts<'py> {
        // A repeated shingle changes no minimum: only the count needs them distinct.
        let shingles = every_shingle(hashes);
        let mut signature = vec![0u32; self.a.len()];
        minimums(&shingles, &self.a, &self.b, &mut signature);
        let low: Vec<u8> = signature.iter().flat_map(|&m| (m as u16).to_le_bytes()).collect();
        let bands = mixed_bands(&signature, self.rows);
        let bands = bands.iter().map(|key| PyBytes::new(py, &key.to_le_bytes())).collect();
        (distinct_count(&shingles), PyBytes::new(py, &low), bands)
    }
}

/// A word's 64-bit key in tables that hold hashes instead of words.
fn word_key(word: &str) -> u64 {
    let mut hasher = FxHasher::default();
    word.hash(&mut hasher);
    hasher.finish()
}

/// Phrases of whole words in texts whose words are split by single spaces (as normalize.py
/// folds them): at each word that starts a phrase, the longest run of words that is a
/// phrase wins, and the search goes on after it ("Papua New Guinea", not "Guinea").
#[pyclass(frozen)]
struct PhraseIndex {
    phrases: FxHashMap<Box<str>, usize>,
    // first word's word_key -> most words of its phrases. Keyed by a hash, not the word: each
    // word of every text is looked up here, and a hash compares without following a pointer
    // to the word's bytes (`perf record` put a third of find's time in those compares). A
    // collision costs one lookup more in `phrases`, which compares the words themselves.
    longest_from: FxHashMap<u64, usize>,
}

#[pymethods]
impl PhraseIndex {
    /// `phrases`: words joined by single spaces; a phrase's id is its position.
    #[new]
    fn new(phrases: Vec<String>) -> PyResult<Self> {
        let mut index = PhraseIndex {
            phrases: FxHashMap::default(),
            longest_from: FxHashMap::default(),
        };
        for (id, phrase) in phrases.into_iter().enumerate() {
            let words: Vec<&str> = phrase.split(' ').collect();
            if words.iter().any(|w| w.is_empty()) {
                return Err(PyValueError::new_err(format!(
                    "phrase {phrase:?}: words must be split by single spaces"
                )));
            }
            let longest = index.longest_from.entry(word_key(words[0])).or_insert(0);
            *longest = (*longest).max(words.len());
            index.phrases.insert(phrase.into_boxed_str(), id);
        }
        Ok(index)
    }

    /// (text index, phrase id) of every phrase found, in text order.
    fn find(&self, texts: Vec<PyBackedStr>) -> Vec<(usize, usize)> {
        let mut hits = Vec::new();
        let mut starts: Vec<usize> = Vec::new(); // byte offset of each word
        for (paragraph, text) in texts.iter().enumerate() {
            let text: &str = text;
            if text.is_empty() {
                continue;
            }
            starts.clear();
            starts.push(0);
            starts.extend(spaces(text).map(|at| at + 1));
            let end_of = |word: usize| starts.get(word + 1).map_or(text.len(), |&next| next - 1);
            let mut word = 0;
            while word < starts.len() {
                let first = &text[starts[word]..end_of(word)];
                let mut next = word + 1;
                if let Some(&longest) = self.longest_from.get(&word_key(first)) {
                    let last = (word + longest).min(starts.len());
                    for end in (word + 1..=last).rev() {
                        if let Some(&id) = self.phrases.get(&text[starts[word]..end_of(end - 1)]) {
                            hits.push((paragraph, id));
                            next = end;
                            break;
                        }
                    }
                }
                word = next;
            }
        }
        hits
    }

    fn __len__(&self) -> usize {
        self.phrases.len()
    }
}

/// Code points sorted into classes by inclusive ranges of the BMP (scripts, by their
/// letters): how many characters of a text fall in each class. A table lookup a character,
/// where Python ran a regular expression over the text per class.
#[pyclass(frozen)]
struct CharClasses {
    class_of: Vec<u8>, // per BMP code point: 0 for none, else class index + 1
    beyond_bmp: Option<usize>, // the class of every code point beyond the BMP, if any
    classes: usize,
    // The smallest UTF-8 lead byte of a classed code point: a text whose bytes all lie
    // below it holds none (lead bytes grow with the code point), which one vectorized pass
    // over the bytes tells. 0 when a class holds ASCII, where the test would not hold.
    lowest_lead: u8,
}

impl CharClasses {
    fn class(&self, c: char) -> Option<usize> {
        let code = c as usize;
        match self.class_of.get(code) {
            Some(&k) if k > 0 => Some(usize::from(k) - 1),
            Some(_) => None,
            None => self.beyond_bmp,
        }
    }
}

#[pymethods]
impl CharClasses {
    /// `classes`: each class's inclusive (first, last) code point ranges of the BMP; no two
    /// overlap. `beyond_bmp`: the class (an index into `classes`) of every code point beyond
    /// the BMP, if they are to count.
    #[new]
    #[pyo3(signature = (classes, beyond_bmp=None))]
    fn new(classes: Vec<Vec<(u32, u32)>>, beyond_bmp: Option<usize>) -> PyResult<Self> {
        if classes.len() >= usize::from(u8::MAX) {
            return Err(PyValueError::new_err("char classes: at most 254 classes"));
        }
        if beyond_bmp.is_some_and(|k| k >= classes.len()) {
            return Err(PyValueError::new_err("char classes: beyond_bmp names no class"));
        }
        let mut class_of = vec![0u8; BMP];
        for (k, ranges) in classes.iter().enumerate() {
            for &(first, last) in ranges {
                if first > last || last as usize >= BMP {
                    return Err(PyValueError::new_err(format!(
                        "char classes: bad range {first:#x}-{last:#x} (BMP only)"
                    )));
                }
                for code in first..=last {
                    let slot = &mut class_of[code as usize];
                    if *slot != 0 {
                        return Err(PyValueError::new_err(format!(
                            "char classes: {code:#x} is in two classes"
                        )));
                    }
                    *slot = (k + 1) as u8;
                }
            }
        }
        let lowest = class_of.iter().position(|&k| k > 0).unwrap_or(BMP - 1);
        let mut lowest_lead = match char::from_u32(lowest as u32) {
            Some(c) if lowest >= 0x80 => c.encode_utf8(&mut [0; 4]).as_bytes()[0],
            _ => 0,
        };
        if beyond_bmp.is_some() {
            lowest_lead = lowest_lead.min(0xF0); // the lead byte of four-byte sequences
        }
        Ok(CharClasses {
            class_of,
            beyond_bmp,
            classes: classes.len(),
            lowest_lead,
        })
    }

    /// How many characters of `text` each class holds.
    fn counts(&self, text: &str) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for k in text.chars().filter_map(|c| self.class(c)) {
            counts[k] += 1;
        }
        counts
    }

    /// Whether some character of some text is in a class.
    fn any(&self, texts: Vec<PyBackedStr>) -> bool {
        texts.iter().any(|text| {
            let highest = text.bytes().fold(0, u8::max);
            highest >= self.lowest_lead && text.chars().any(|c| self.class(c).is_some())
        })
    }
}

/// Which words of a folded, case-folded text can be keywords, and how often each occurs:
/// a leading Arabic article or preposition comes off when `min_chars` characters remain
/// (الحكومة, والحكومة, بالحكومة are one term; الذي and التي stay stopwords); stopwords,
/// numbers and words under `min_chars` characters are not terms.
#[pyclass(frozen)]
struct TermFilter {
    stopwords: FxHashSet<Box<str>>,
    digits: FxHashSet<char>,
    min_chars: usize,
    prefixes: Vec<Box<str>>,
}

impl TermFilter {
    fn counts<'t>(&self, texts: &[&'t str]) -> FxHashMap<&'t str, u32> {
        let mut counts: FxHashMap<&str, u32> = FxHashMap::default();
        for word in texts.iter().flat_map(|&text| words(text)).filter(|w| !w.is_empty()) {
            let term = match self.prefixes.iter().find(|p| word.starts_with(&***p)) {
                Some(p) if word[p.len()..].chars().count() >= self.min_chars => &word[p.len()..],
                _ => word,
            };
            *counts.entry(term).or_insert(0) += 1;
        }
        counts.retain(|term, _| {
            term.chars().count() >= self.min_chars
                && !self.stopwords.contains(*term)
                && !term.chars().all(|c| self.digits.contains(&c))
        });
        counts
    }
}

#[pymethods]
impl TermFilter {
    /// `digits`: every character Python's str.isdigit accepts; `prefixes`: tried in order,
    /// the first one a word starts with is the only one that may come off.
    #[new]
    fn new(stopwords: Vec<String>, digits: &str, min_chars: usize, prefixes: Vec<String>) -> Self {
        TermFilter {
            stopwords: stopwords.into_iter().map(String::into_boxed_str).collect(),
            digits: digits.chars().collect(),
            min_chars,
            prefixes: prefixes.into_iter().map(String::into_boxed_str).collect(),
        }
    }

    /// Term -> how often the text says it.
    fn candidates(&self, text: &str) -> HashMap<String, u32> {
        self.counts(&[text])
            .into_iter()
            .map(|(t, n)| (t.to_owned(), n))
            .collect()
    }
}

/// TF-IDF keywords against the last `size` articles' terms (document frequencies). Terms are
/// kept as 64-bit hashes (no allocation per term); two terms whose hashes collided would only
/// share a document frequency, which moves a keyword hint, never a verdict.
#[pyclass]
struct TermWindow {
    size: usize,
    documents: VecDeque<Vec<u64>>,
    frequency: FxHashMap<u64, u32>,
}


impl TermWindow {
    /// The k terms of highest tf-idf (ties by term), preferring terms said at least twice when
    /// there are k of them; then the article's terms join the window.
    fn choose(&mut self, counts: &FxHashMap<&str, u32>, k: usize) -> Vec<String> {
        let n = self.documents.len() as f64;
        let repeated = counts.values().filter(|&&c| c > 1).count();
        let keys: Vec<u64> = counts.keys().map(|term| word_key(term)).collect();
        let mut scored: Vec<(f64, &str)> = counts
            .iter()
            .zip(&keys)
            .filter(|((_, &c), _)| repeated < k || c > 1)
            .map(|((&term, &tf), key)| {
                let df = f64::from(self.frequency.get(key).copied().unwrap_or(0));
                (-f64::from(tf) * (((n + 1.0) / (df + 1.0)).ln() + 1.0), term)
            })
            .collect();
        let order = |a: &(f64, &str), b: &(f64, &str)| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1));
        if scored.len() > k && k > 0 {
            scored.select_nth_unstable_by(k - 1, order); // the k best first, in no order
            scored.truncate(k);
        }
        scored.sort_by(order);
        let best = scored
            .iter()
            .take(k)
            .map(|(_, t)| (*t).to_owned())
            .collect();
        self.remember(keys);
        best
    }

    fn remember(&mut self, document: Vec<u64>) {
        for key in &document {
            *self.frequency.entry(*key).or_insert(0) += 1;
        }
        self.documents.push_back(document);
        if self.documents.len() > self.size {
            for key in self.documents.pop_front().unwrap_or_default() {
                if let Some(count) = self.frequency.get_mut(&key) {
                    *count -= 1;
                    if *count == 0 {
                        self.frequency.remove(&key);
                    }
                }
            }
        }
    }
}

#[pymethods]
impl TermWindow {
    #[new]
    fn new(size: usize) -> Self {
        TermWindow {
            size,
            documents: VecDeque::new(),
            frequency: FxHashMap::default(),
        }
    }

    /// Keywords of an article's term counts (as TermFilter.candidates gives them).
    fn keywords(&mut self, counts: HashMap<String, u32>, k: usize) -> Vec<String> {
        let borrowed: FxHashMap<&str, u32> = counts.iter().map(|(t, &n)| (t.as_str(), n)).collect();
        self.choose(&borrowed, k)
    }

    /// Keywords of folded, case-folded texts (an article's title and paragraphs), their terms
    /// found by `filter`. The texts come as they are, not joined: each was read as UTF-8
    /// already (by the phrase search), which CPython keeps, where a joined copy would be
    /// encoded again (11 us for a 600-word Arabic article).
    fn keywords_in(&mut self, filter: &TermFilter, texts: Vec<PyBackedStr>, k: usize) -> Vec<String> {
        let texts: Vec<&str> = texts.iter().map(|t| &**t).collect();
        let counts = filter.counts(&texts);
        self.choose(&counts, k)
    }

    /// Articles in the window.
    fn __len__(&self) -> usize {
        self.documents.len()
    }

    /// In how many of the window's articles the term is.
    fn frequency(&self, term: &str) -> u32 {
        self.frequency.get(&word_key(term)).copied().unwrap_or(0)
    }
}

/// A quantized fastText classifier (lid.176.ftz) predicting as fastText does; see
/// language_id.rs for why it is not fastText itself.
#[pyclass(frozen)]
struct LanguageModel {
    model: language_id::Model,
}

#[pymethods]
impl LanguageModel {
    #[new]
    fn new(model: &[u8]) -> PyResult<Self> {
        let model = language_id::Model::from_bytes(model)
            .map_err(|e| PyValueError::new_err(format!("fastText model: {e}")))?;
        Ok(LanguageModel { model })
    }

    /// The best label (without "__label__") and its probability, or None for a text that
    /// reaches no row of the model.
    fn predict(&self, text: &str) -> Option<(String, f32)> {
        self.model.predict(text).map(|(label, p)| (label.to_owned(), p))
    }
}

#[pymodule]
fn newsflow_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Folder>()?;
    m.add_class::<BodyPrinter>()?;
    m.add_class::<FoldedParagraphs>()?;
    m.add_class::<CharClasses>()?;
    m.add_class::<PhraseIndex>()?;
    m.add_class::<TermFilter>()?;
    m.add_class::<TermWindow>()?;
    m.add_class::<LanguageModel>()?;
    m.add_function(wrap_pyfunction!(word_hashes, m)?)?;
    m.add_function(wrap_pyfunction!(word_shingles, m)?)?;
    m.add_function(wrap_pyfunction!(min_hash, m)?)?;
    m.add_function(wrap_pyfunction!(band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(paragraph_sketches, m)?)?;
    m.add_function(wrap_pyfunction!(agreeing_pairs, m)?)?;
    Ok(())
}
