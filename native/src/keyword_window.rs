//! Keywords of the tag stage (workers/tag/keywords.py says which): the terms of an
//! article's text, scored by TF-IDF against a window of the last articles.

use std::collections::{HashMap, VecDeque};

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::hashing::word_key;
use crate::words::words;

/// Which words of a folded, case-folded text can be keywords, and how often each occurs:
/// a leading Arabic article or preposition comes off when `min_chars` characters remain
/// (الحكومة, والحكومة, بالحكومة are one term; الذي and التي stay stopwords); stopwords,
/// numbers and words under `min_chars` characters are not terms.
#[pyclass(frozen)]
pub(crate) struct TermFilter {
    // by their word keys: a term's key is computed once, for the count, this test and the
    // window. Two words whose keys (64-bit FxHash) collide are one term: their counts merge,
    // and both are stopwords if one is. That moves a keyword hint, never a verdict; text made
    // to collide could keep a word out of the keywords, no more.
    stopwords: FxHashSet<u64>,
    digits: FxHashSet<char>,
    min_chars: usize,
    prefixes: Vec<Box<str>>,
    // the prefixes' first letters: most words start with none of them
    prefix_starts: Vec<char>,
}

/// A term of an article: the word, and how often the article says it.
struct Term<'t> {
    word: &'t str,
    count: u32,
}

impl TermFilter {
    /// The article's terms by their word keys.
    fn counts<'t>(&self, texts: &[&'t str]) -> FxHashMap<u64, Term<'t>> {
        // about one distinct term per 16 bytes of text: sized once, not grown step by step
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        let mut counts: FxHashMap<u64, Term<'t>> =
            FxHashMap::with_capacity_and_hasher(bytes / 16, Default::default());
        for word in texts
            .iter()
            .flat_map(|&text| words(text))
            .filter(|w| !w.is_empty())
        {
            let prefixed = word
                .chars()
                .next()
                .is_some_and(|c| self.prefix_starts.contains(&c));
            let prefix = if prefixed {
                self.prefixes.iter().find(|p| word.starts_with(&***p))
            } else {
                None
            };
            let term = match prefix {
                Some(p) if word[p.len()..].chars().count() >= self.min_chars => &word[p.len()..],
                _ => word,
            };
            counts
                .entry(word_key(term))
                .or_insert(Term {
                    word: term,
                    count: 0,
                })
                .count += 1;
        }
        counts.retain(|key, term| {
            term.word.chars().count() >= self.min_chars
                && !self.stopwords.contains(key)
                && !term.word.chars().all(|c| self.digits.contains(&c))
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
        let mut prefix_starts: Vec<char> =
            prefixes.iter().filter_map(|p| p.chars().next()).collect();
        prefix_starts.sort_unstable();
        prefix_starts.dedup();
        TermFilter {
            stopwords: stopwords.iter().map(|w| word_key(w)).collect(),
            digits: digits.chars().collect(),
            min_chars,
            prefixes: prefixes.into_iter().map(String::into_boxed_str).collect(),
            prefix_starts,
        }
    }

    /// Term -> how often the text says it.
    fn candidates(&self, text: &str) -> HashMap<String, u32> {
        self.counts(&[text])
            .into_values()
            .map(|t| (t.word.to_owned(), t.count))
            .collect()
    }
}

/// TF-IDF keywords against the last `size` articles' terms (document frequencies). Terms are
/// kept as 64-bit hashes (no allocation per term); two terms whose hashes collided would only
/// share a document frequency, which moves a keyword hint, never a verdict.
#[pyclass]
pub(crate) struct TermWindow {
    size: usize,
    documents: VecDeque<Vec<u64>>,
    frequency: FxHashMap<u64, u32>,
}

impl TermWindow {
    /// The k terms of highest tf-idf (ties by term), preferring terms said at least twice when
    /// there are k of them; then the article's terms join the window.
    fn choose(&mut self, counts: &FxHashMap<u64, Term<'_>>, k: usize) -> Vec<String> {
        let n = self.documents.len() as f64;
        let repeated = counts.values().filter(|t| t.count > 1).count();
        let mut keys: Vec<u64> = Vec::with_capacity(counts.len());
        let mut scored: Vec<(f64, &str)> = Vec::with_capacity(counts.len());
        for (&key, t) in counts {
            // one lookup a term: its document frequency before this article, then the
            // article counted in (the window's own update, `remember`, does the rest)
            let slot = self.frequency.entry(key).or_insert(0);
            let df = f64::from(*slot);
            *slot += 1;
            keys.push(key);
            if repeated < k || t.count > 1 {
                scored.push((
                    -f64::from(t.count) * (((n + 1.0) / (df + 1.0)).ln() + 1.0),
                    t.word,
                ));
            }
        }
        let order =
            |a: &(f64, &str), b: &(f64, &str)| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1));
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

    /// The article joins the window (its terms already counted in `frequency`), and the
    /// oldest leaves it when the window is full.
    fn remember(&mut self, document: Vec<u64>) {
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
        let borrowed: FxHashMap<u64, Term<'_>> = counts
            .iter()
            .map(|(t, &count)| (word_key(t), Term { word: t, count }))
            .collect();
        self.choose(&borrowed, k)
    }

    /// Keywords of folded, case-folded texts (an article's title and paragraphs), their terms
    /// found by `filter`. The texts come as they are, not joined: each was read as UTF-8
    /// already (by the phrase search), which CPython keeps, where a joined copy would be
    /// encoded again.
    fn keywords_in(
        &mut self,
        filter: &TermFilter,
        texts: Vec<PyBackedStr>,
        k: usize,
    ) -> Vec<String> {
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
