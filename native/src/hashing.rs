//! The hashes of words and paragraphs: zlib's CRC-32 of each word (the start of every
//! MinHash), XXH3 for the paragraph fingerprints and the content hash (the digests the
//! xxhash package gives in Python), and FxHash for tables keyed by words.

use std::hash::{Hash, Hasher};

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rustc_hash::FxHasher;

use crate::boundary::pack;
use crate::words::words;

pub(crate) const FINGERPRINT_BYTES: usize = 8;

/// The content hash of a body's words (joined by single spaces): XXH3-128 of its UTF-8, in
/// hex, as core.text_hash makes it with the xxhash package; "" for a body without words,
/// which must never match anything.
pub(crate) fn content_hash(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// A normalized paragraph's fingerprint: XXH3-64 of its UTF-8 in the canonical (big-endian)
/// byte order, the bytes of xxhash.xxh3_64_digest, which the Redis index's keys (layout v4)
/// are written with. BLAKE2b had been a large share of this pass, and nothing here needs a
/// cryptographic hash: an article crafted to collide with a story gains nothing over one
/// that copies the story's text.
pub(crate) fn paragraph_fingerprint(text: &str) -> [u8; FINGERPRINT_BYTES] {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes()).to_be_bytes()
}

/// zlib's CRC-32 of each word (words split by single spaces), as u64s.
pub(crate) fn crc32_words(text: &str) -> Vec<u64> {
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
pub(crate) fn word_hashes<'py>(py: Python<'py>, text: &str) -> Bound<'py, PyBytes> {
    pack::<u64>(py, &crc32_words(text))
}

/// A word's 64-bit key in tables that hold hashes instead of words.
pub(crate) fn word_key(word: &str) -> u64 {
    let mut hasher = FxHasher::default();
    word.hash(&mut hasher);
    hasher.finish()
}
