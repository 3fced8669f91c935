//! The phrase search of the tag stage (workers/tag/phrase_matcher.py says what is matched).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use rustc_hash::FxHashMap;

use crate::hashing::word_key;
use crate::words::spaces;

/// Phrases of whole words in texts whose words are split by single spaces (as normalize.py
/// folds them): at each word that starts a phrase, the longest run of words that is a
/// phrase wins, and the search goes on after it ("Papua New Guinea", not "Guinea").
#[pyclass(frozen)]
pub(crate) struct PhraseIndex {
    phrases: FxHashMap<Box<str>, usize>,
    // first word's word_key -> most words of its phrases. Keyed by a hash, not the word: each
    // word of every text is looked up here, and a hash compares without following a pointer
    // to the word's bytes (where a profile of find put much of its time). A collision
    // costs one lookup more in `phrases`, which compares the words themselves.
    longest_from: FxHashMap<u64, usize>,
    // One bit per slot of the first words' keys (remixed): a word whose bit is clear starts
    // no phrase. The place table's first words make `longest_from` several megabytes, past
    // the CPU's caches, and most words of a text start no phrase: the bits, a sixteenth of a
    // byte per slot, stay cached and spare most words a lookup there.
    first_bits: Vec<u64>,
    first_shift: u32,
}

/// A word key's slot among `1 << (64 - shift)` (the key remixed: FxHash's low bits are weak).
#[inline(always)]
fn slot(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// One paragraph's words: where each starts (bytes) and its key, read once for every index.
struct Words<'t> {
    text: &'t str,
    starts: Vec<usize>,
    keys: Vec<u64>,
}

impl<'t> Words<'t> {
    fn read(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(spaces(text).map(|at| at + 1));
        let mut words = Words {
            text,
            starts,
            keys: Vec::new(),
        };
        words.keys = (0..words.starts.len())
            .map(|w| word_key(words.run(w, w + 1)))
            .collect();
        words
    }

    /// The text of words `first..end`.
    fn run(&self, first: usize, end: usize) -> &'t str {
        let stop = self
            .starts
            .get(end)
            .map_or(self.text.len(), |&next| next - 1);
        &self.text[self.starts[first]..stop]
    }
}

impl PhraseIndex {
    #[inline(always)]
    fn may_start(&self, key: u64) -> bool {
        let at = slot(key, self.first_shift);
        self.first_bits[at / 64] & (1 << (at % 64)) != 0
    }

    /// (phrase id, offset in characters, offset in bytes) of every phrase in one
    /// paragraph's words.
    fn find_in(&self, words: &Words<'_>, hits: &mut Vec<(usize, usize, usize)>) {
        let count = words.starts.len();
        // Characters before the last hit's byte offset: counted on from there, so a
        // paragraph's characters are counted once whatever its hits.
        let (mut counted_byte, mut counted_chars) = (0, 0);
        let mut word = 0;
        while word < count {
            let mut next = word + 1;
            let key = words.keys[word];
            if self.may_start(key) {
                if let Some(&longest) = self.longest_from.get(&key) {
                    for end in (word + 1..=(word + longest).min(count)).rev() {
                        if let Some(&id) = self.phrases.get(words.run(word, end)) {
                            let at = words.starts[word];
                            counted_chars += words.text[counted_byte..at].chars().count();
                            counted_byte = at;
                            hits.push((id, counted_chars, at));
                            next = end;
                            break;
                        }
                    }
                }
            }
            word = next;
        }
    }
}

type Found = Vec<(usize, usize, usize, usize)>;

#[pymethods]
impl PhraseIndex {
    /// `phrases`: words joined by single spaces; a phrase's id is its position.
    #[new]
    fn new(phrases: Vec<String>) -> PyResult<Self> {
        let mut index = PhraseIndex {
            phrases: FxHashMap::default(),
            longest_from: FxHashMap::default(),
            first_bits: Vec::new(),
            first_shift: 0,
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
        // About 16 slots a first word: one word in 16 that starts no phrase looks it up.
        let slots = (index.longest_from.len() * 16).next_power_of_two().max(64);
        index.first_shift = 64 - slots.trailing_zeros();
        index.first_bits = vec![0; slots / 64];
        for &key in index.longest_from.keys() {
            let at = slot(key, index.first_shift);
            index.first_bits[at / 64] |= 1 << (at % 64);
        }
        Ok(index)
    }

    /// (text index, phrase id, offset in characters, offset in bytes of its UTF-8) of every
    /// phrase found, in text order: the offset as Python indexes the text, so that the
    /// caller need not search for it (and the compiled place rules need not count it).
    fn find(&self, texts: Vec<PyBackedStr>) -> Found {
        Self::find_each_of(&[self], &texts)
            .pop()
            .unwrap_or_default()
    }

    /// `find` of each index, the texts split into words once for them all (the tag stage
    /// searches one article for places, names, masks and topics).
    #[staticmethod]
    fn find_each(indexes: Vec<PyRef<'_, PhraseIndex>>, texts: Vec<PyBackedStr>) -> Vec<Found> {
        Self::find_each_of(&indexes.iter().map(|i| &**i).collect::<Vec<_>>(), &texts)
    }

    fn __len__(&self) -> usize {
        self.phrases.len()
    }
}

impl PhraseIndex {
    fn find_each_of(indexes: &[&PhraseIndex], texts: &[PyBackedStr]) -> Vec<Found> {
        let mut found: Vec<Found> = indexes.iter().map(|_| Vec::new()).collect();
        let mut in_paragraph = Vec::new();
        for (paragraph, text) in texts.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let words = Words::read(text);
            for (index, hits) in indexes.iter().zip(found.iter_mut()) {
                in_paragraph.clear();
                index.find_in(&words, &mut in_paragraph);
                hits.extend(
                    in_paragraph
                        .iter()
                        .map(|&(id, at, byte)| (paragraph, id, at, byte)),
                );
            }
        }
        found
    }
}
