//! newsflow's text hot paths, compiled: the dedupe and tag stages fold every article's text
//! and fingerprint it, and in Python those passes cost most of a stage's CPU (a dozen C
//! calls of one pass each, plus numpy's per-call overhead on arrays of a few hundred values).
//!
//! Every decision stays in Python (workers/dedupe/normalize.py and minhash.py say what is
//! folded and hashed, and why); this module only runs the loops. The folding table comes
//! from Python's own `unicodedata`, so a code point folds here exactly as the Python
//! reference folds it, in the Unicode version of the running interpreter.
//!
//! Arrays cross the boundary as little-endian bytes (u64 hashes, u32 minimums), which numpy
//! reads without a copy.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Odd 64-bit multipliers that combine consecutive word hashes into one shingle hash; the
/// same constants as minhash.py's `_MIX`.
const MIX: [u64; 3] = [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9];

/// What a table entry says of a code point besides "becomes this character".
const DROP: u32 = 0xFFFF_FFFF;
const SEPARATOR: u32 = 0xFFFF_FFFE;
/// Paragraphs travel joined by the record separator (as normalize.py joins them).
const PARAGRAPH_MARK: char = '\u{1e}';
const BMP: usize = 0x1_0000;

fn u64s(raw: &[u8]) -> PyResult<Vec<u64>> {
    if raw.len() % 8 != 0 {
        return Err(PyValueError::new_err(
            "u64 array bytes: length is not a multiple of 8",
        ));
    }
    Ok(raw
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect())
}

fn u32s(raw: &[u8]) -> PyResult<Vec<u32>> {
    if raw.len() % 4 != 0 {
        return Err(PyValueError::new_err(
            "u32 array bytes: length is not a multiple of 4",
        ));
    }
    Ok(raw
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect())
}

fn u64_bytes<'py>(py: Python<'py>, values: &[u64]) -> Bound<'py, PyBytes> {
    PyBytes::new_with(py, values.len() * 8, |out| {
        for (chunk, v) in out.chunks_exact_mut(8).zip(values) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    })
    .expect("filling a bytes object cannot fail")
}

fn u32_bytes<'py>(py: Python<'py>, values: &[u32]) -> Bound<'py, PyBytes> {
    PyBytes::new_with(py, values.len() * 4, |out| {
        for (chunk, v) in out.chunks_exact_mut(4).zip(values) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    })
    .expect("filling a bytes object cannot fail")
}

/// Folds text that Python has already put through NFKC (and case folding, when asked):
/// each Basic Multilingual Plane code point is dropped, made a word separator or replaced
/// by one character, as the table built by normalize.py says; code points beyond the BMP
/// are kept as they are (the Python reference's character classes cover the BMP only).
#[pyclass(frozen)]
struct Folder {
    table: Vec<u32>,
}

impl Folder {
    /// Appends the words of `text` to `out`, separated by single spaces.
    fn fold_into(&self, text: &str, out: &mut String, mark_ends_paragraph: bool) -> bool {
        let mut pending_space = false;
        for c in text.chars() {
            if mark_ends_paragraph && c == PARAGRAPH_MARK {
                return true;
            }
            let code = c as usize;
            let folded = if code < BMP {
                self.table[code]
            } else {
                code as u32
            };
            match folded {
                DROP => {}
                SEPARATOR => pending_space = !out.is_empty(),
                value => {
                    if pending_space {
                        out.push(' ');
                        pending_space = false;
                    }
                    // The table holds only scalar values (checked when it was built).
                    out.push(char::from_u32(value).unwrap());
                }
            }
        }
        false
    }
}

#[pymethods]
impl Folder {
    /// `table`: 65,536 little-endian u32, one per BMP code point: the code point it becomes,
    /// 0xFFFFFFFF to drop it, 0xFFFFFFFE to make it a word separator.
    #[new]
    fn new(table: &[u8]) -> PyResult<Self> {
        let table = u32s(table)?;
        if table.len() != BMP {
            return Err(PyValueError::new_err(
                "folding table: need one entry per BMP code point",
            ));
        }
        let scalar = |v: u32| v == DROP || v == SEPARATOR || char::from_u32(v).is_some();
        if let Some(bad) = table.iter().position(|&v| !scalar(v)) {
            return Err(PyValueError::new_err(format!(
                "folding table: bad entry at {bad:#x}"
            )));
        }
        Ok(Folder { table })
    }

    /// The words of `text`, folded, joined by single spaces.
    fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.fold_into(text, &mut out, false);
        out
    }

    /// `joined`: paragraphs joined by U+001E; each one's `normalize`, in order.
    fn normalize_paragraphs(&self, joined: &str) -> Vec<String> {
        let mut paragraphs = Vec::new();
        let mut rest = joined;
        loop {
            let mut out = String::with_capacity(rest.len().min(4096));
            let ended = self.fold_into(rest, &mut out, true);
            paragraphs.push(out);
            if !ended {
                return paragraphs;
            }
            // Past the mark of the paragraph just folded (the mark is one byte in UTF-8).
            let end = rest
                .find(PARAGRAPH_MARK)
                .expect("fold_into stopped at a mark");
            rest = &rest[end + 1..];
        }
    }
}

/// crc32 of each word's UTF-8 bytes, as u64s; `text` holds words split by single spaces.
#[pyfunction]
fn word_hashes<'py>(py: Python<'py>, text: &str) -> Bound<'py, PyBytes> {
    if text.is_empty() {
        return PyBytes::new(py, b"");
    }
    let hashes: Vec<u64> = text
        .split(' ')
        .map(|w| u64::from(crc32fast::hash(w.as_bytes())))
        .collect();
    u64_bytes(py, &hashes)
}

/// Distinct hashes of word 3-grams (the words themselves when there are fewer), sorted.
#[pyfunction]
fn word_shingles<'py>(py: Python<'py>, hashes: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let words = u64s(hashes)?;
    let mut shingles: Vec<u64> = if words.len() < 3 {
        words
    } else {
        words
            .windows(3)
            .map(|w| {
                w[0].wrapping_mul(MIX[0])
                    .wrapping_add(w[1].wrapping_mul(MIX[1]))
                    .wrapping_add(w[2].wrapping_mul(MIX[2]))
            })
            .collect()
    };
    shingles.sort_unstable();
    shingles.dedup();
    Ok(u64_bytes(py, &shingles))
}

/// For each permutation k, the minimum over `values` of the top 32 bits of a[k]*v + b[k]
/// (a multiply-shift hash, wrapping in 64 bits); all-ones when `values` is empty.
fn minimums(values: &[u64], a: &[u64], b: &[u64], out: &mut [u32]) {
    for ((m, &ak), &bk) in out.iter_mut().zip(a).zip(b) {
        let mut least = u32::MAX;
        for &v in values {
            least = least.min((ak.wrapping_mul(v).wrapping_add(bk) >> 32) as u32);
        }
        *m = least;
    }
}

fn permutations(a: &[u8], b: &[u8]) -> PyResult<(Vec<u64>, Vec<u64>)> {
    let (a, b) = (u64s(a)?, u64s(b)?);
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
    let values = u64s(hashes)?;
    let (a, b) = permutations(a, b)?;
    let mut signature = vec![0u32; a.len()];
    minimums(&values, &a, &b, &mut signature);
    Ok(u32_bytes(py, &signature))
}

/// One 64-bit key per LSH band: the band's `rows` minimums mixed (as minhash.py documents).
#[pyfunction]
fn band_keys<'py>(py: Python<'py>, signature: &[u8], rows: usize) -> PyResult<Bound<'py, PyBytes>> {
    let minimums = u32s(signature)?;
    if rows == 0 || minimums.len() % rows != 0 {
        return Err(PyValueError::new_err(
            "band_keys: signature length is not bands * rows",
        ));
    }
    let keys: Vec<u64> = minimums
        .chunks_exact(rows)
        .map(|band| {
            band.iter().enumerate().fold(0u64, |acc, (r, &m)| {
                acc.wrapping_add(u64::from(m).wrapping_mul(MIX[r % MIX.len()]))
            })
        })
        .collect();
    Ok(u64_bytes(py, &keys))
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
    let words = u64s(hashes)?;
    let (a, b) = permutations(a, b)?;
    if counts.iter().sum::<usize>() != words.len() {
        return Err(PyValueError::new_err(
            "paragraph_sketches: counts do not add up to the words",
        ));
    }
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
            minimums(&pairs, &a, &b, &mut sketches[p * k..(p + 1) * k]);
        }
    }
    Ok(u32_bytes(py, &sketches))
}

/// Pairs (i, j), j < i, of sketches (k u32s each) that agree on at least `min_agree`
/// positions, in row order: i ascending, then j ascending.
#[pyfunction]
fn agreeing_pairs(sketches: &[u8], k: usize, min_agree: usize) -> PyResult<Vec<(usize, usize)>> {
    let values = u32s(sketches)?;
    if k == 0 || values.len() % k != 0 {
        return Err(PyValueError::new_err(
            "agreeing_pairs: sketches length is not n * k",
        ));
    }
    let rows: Vec<&[u32]> = values.chunks_exact(k).collect();
    let mut pairs = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        for (j, other) in rows[..i].iter().enumerate() {
            if row.iter().zip(other.iter()).filter(|(x, y)| x == y).count() >= min_agree {
                pairs.push((i, j));
            }
        }
    }
    Ok(pairs)
}

#[pymodule]
fn newsflow_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Folder>()?;
    m.add_function(wrap_pyfunction!(word_hashes, m)?)?;
    m.add_function(wrap_pyfunction!(word_shingles, m)?)?;
    m.add_function(wrap_pyfunction!(min_hash, m)?)?;
    m.add_function(wrap_pyfunction!(band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(paragraph_sketches, m)?)?;
    m.add_function(wrap_pyfunction!(agreeing_pairs, m)?)?;
    Ok(())
}
