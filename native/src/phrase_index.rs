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

    /// (text index, phrase id, offset in characters) of every phrase found, in text order:
    /// the offset as Python indexes the text, so that the caller need not search for it.
    fn find(&self, texts: Vec<PyBackedStr>) -> Vec<(usize, usize, usize)> {
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
            // Characters before the last hit's byte offset: counted on from there, so a
            // paragraph's characters are counted once whatever its hits.
            let (mut counted_byte, mut counted_chars) = (0, 0);
            let mut word = 0;
            while word < starts.len() {
                let first = &text[starts[word]..end_of(word)];
                let mut next = word + 1;
                if let Some(&longest) = self.longest_from.get(&word_key(first)) {
                    let last = (word + longest).min(starts.len());
                    for end in (word + 1..=last).rev() {
                        if let Some(&id) = self.phrases.get(&text[starts[word]..end_of(end - 1)]) {
                            counted_chars += text[counted_byte..starts[word]].chars().count();
                            counted_byte = starts[word];
                            hits.push((paragraph, id, counted_chars));
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
