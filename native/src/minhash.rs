//! Word shingles, MinHash signatures and their LSH band keys, and the paragraph sketches
//! with the pairs that agree: the arithmetic workers/dedupe/minhash.py states, bit for bit.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::boundary::{pack, unpack};

/// Odd 64-bit multipliers that combine consecutive word hashes into one shingle hash; the
/// same constants as minhash.py's `_MIX`.
pub(crate) const MIX: [u64; 3] = [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9];

/// Distinct hashes of word 3-grams (the words themselves when there are fewer), sorted.
#[pyfunction]
pub(crate) fn word_shingles<'py>(py: Python<'py>, hashes: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    Ok(pack::<u64>(py, &shingles_of(&unpack::<u64>(hashes)?)))
}

fn shingles_of(words: &[u64]) -> Vec<u64> {
    let mut shingles = every_shingle(words);
    shingles.sort_unstable();
    shingles.dedup();
    shingles
}

/// The hashes of word 3-grams (the words themselves when there are fewer), repeats kept.
pub(crate) fn every_shingle(words: &[u64]) -> Vec<u64> {
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
/// many slots: sorting them to count (as shingles_of does) took several times the instructions.
pub(crate) fn distinct_count(values: &[u64]) -> usize {
    let bits = (values.len() * 2)
        .max(8)
        .next_power_of_two()
        .trailing_zeros();
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
pub(crate) fn minimums(values: &[u64], a: &[u64], b: &[u64], out: &mut [u32]) {
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

pub(crate) fn permutations(a: &[u8], b: &[u8]) -> PyResult<(Vec<u64>, Vec<u64>)> {
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
pub(crate) fn min_hash<'py>(
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
pub(crate) fn band_keys<'py>(
    py: Python<'py>,
    signature: &[u8],
    rows: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let minimums = unpack::<u32>(signature)?;
    if rows == 0 || minimums.len() % rows != 0 {
        return Err(PyValueError::new_err(
            "band_keys: signature length is not bands * rows",
        ));
    }
    Ok(pack::<u64>(py, &mixed_bands(&minimums, rows)))
}

pub(crate) fn mixed_bands(minimums: &[u32], rows: usize) -> Vec<u64> {
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
pub(crate) fn paragraph_sketches<'py>(
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
pub(crate) fn sketches_of(words: &[u64], counts: &[usize], a: &[u64], b: &[u64]) -> Vec<u32> {
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
pub(crate) fn agreeing_pairs(
    sketches: &[u8],
    k: usize,
    min_agree: usize,
) -> PyResult<Vec<(usize, usize)>> {
    let values = unpack::<u32>(sketches)?;
    if k == 0 || values.len() % k != 0 {
        return Err(PyValueError::new_err(
            "agreeing_pairs: sketches length is not n * k",
        ));
    }
    Ok(pairs_agreeing(&values, k, min_agree))
}

pub(crate) fn pairs_agreeing(values: &[u32], k: usize, min_agree: usize) -> Vec<(usize, usize)> {
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
