//! What the story step reads of an article, compiled: light stems, rarity weights, the
//! weighted vectors of the whole text, the lead and the title, and the numbers.
//!
//! The rule is Python's (workers/story/words.py and features.py say what is stemmed,
//! weighed and kept, and why; `StoryReader` keeps a Python path the tests hold this one
//! to). In Python the reading was about half of the step's CPU: a dictionary lookup, a
//! hash and a few float operations per word, each paying the interpreter's dispatch.

use pyo3::prelude::*;
use pyo3::types::PyString;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::HashMap;
use xxhash_rust::xxh32::xxh32;

use crate::boundary::py_str;
use crate::words::words;

// workers/story/words.py: the same lists, in the same order (longest first).
const ARTICLE_PREFIXES: [&str; 6] = ["وال", "بال", "كال", "فال", "لل", "ال"];
const CONJUNCTION: char = 'و';
const SUFFIXES: [&str; 11] = [
    "هما", "كما", "ها", "ان", "ات", "ون", "ين", "يه", "هم", "ه", "ي",
];
const MIN_STEM: usize = 3;
const MIN_AFTER_CONJUNCTION: usize = 4;
const OTHER_STEM: usize = 6;
const MIN_WORD: usize = 2;

fn chars(text: &str) -> usize {
    text.chars().count()
}

fn is_arabic_letter(c: char) -> bool {
    ('\u{0621}'..='\u{064a}').contains(&c)
}

/// words.stem: the light stem of one folded word (borrowed from it unless a letter changed).
pub(crate) fn stem(word: &str) -> Cow<'_, str> {
    if !word.chars().next().is_some_and(is_arabic_letter) {
        return match word.char_indices().nth(OTHER_STEM) {
            Some((end, _)) => Cow::Borrowed(&word[..end]),
            None => Cow::Borrowed(word),
        };
    }
    if word.contains('ة') {
        return Cow::Owned(arabic_stem(&word.replace('ة', "ه")).to_string());
    }
    Cow::Borrowed(arabic_stem(word))
}

/// Letters of an affix: Arabic letters take two bytes of UTF-8 each.
fn letters(affix: &str) -> usize {
    affix.len() / 2
}

fn arabic_stem(word: &str) -> &str {
    let mut rest = word;
    let mut length = chars(rest);
    match ARTICLE_PREFIXES
        .iter()
        .find(|p| rest.starts_with(*p) && length - letters(p) >= MIN_STEM)
    {
        Some(prefix) => {
            rest = &rest[prefix.len()..];
            length -= letters(prefix);
        }
        None => {
            if rest.starts_with(CONJUNCTION) && length > MIN_AFTER_CONJUNCTION {
                rest = &rest[CONJUNCTION.len_utf8()..];
                length -= 1;
            }
        }
    }
    for suffix in SUFFIXES {
        if rest.ends_with(suffix) && length - letters(suffix) >= MIN_STEM {
            return &rest[..rest.len() - suffix.len()];
        }
    }
    rest
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// Years are in every article of a year: they tell no story from another.
fn is_year(word: &str) -> bool {
    word.len() == 4 && word.parse::<u32>().is_ok_and(|y| (1900..2100).contains(&y))
}

/// A vector as features.py builds it: terms in the order their stems first appear, each
/// (1 + ln count) times its stem's weight, then of unit length.
type Vector = Vec<(u32, f64)>;

fn unit(vector: Vector) -> Vector {
    let norm = vector.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if norm == 0.0 {
        return Vec::new();
    }
    vector.into_iter().map(|(t, w)| (t, w / norm)).collect()
}

/// vectors.strongest: the n heaviest, heaviest first (ties by the larger term).
fn strongest(mut vector: Vector, n: usize) -> Vector {
    if vector.len() <= n {
        return vector;
    }
    vector.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    vector.truncate(n);
    vector
}

#[pyclass(frozen)]
pub struct StoryWords {
    weights: FxHashMap<String, f64>,
    plain: bool,  // no table (a language without word lists): every word weighs 1
    unknown: f64, // a stem the table lacks: a name, a place
}

struct Stemmed<'a> {
    stem: Cow<'a, str>,
    word: &'a str,
}

impl StoryWords {
    fn weight(&self, stem: &str) -> f64 {
        if self.plain {
            return 1.0;
        }
        *self.weights.get(stem).unwrap_or(&self.unknown)
    }

    /// features.StoryReader._vector over these stems: the vector, and each term's first
    /// form (for the evidence).
    fn vector<'a, 'b>(
        &self,
        stems: impl Iterator<Item = &'b Stemmed<'a>>,
    ) -> (Vector, FxHashMap<u32, &'a str>)
    where
        'a: 'b,
    {
        let (low, _) = stems.size_hint();
        let mut counts: FxHashMap<&'b str, (usize, &'a str)> =
            FxHashMap::with_capacity_and_hasher(low, Default::default());
        let mut order: Vec<&'b str> = Vec::with_capacity(low);
        for s in stems {
            counts
                .entry(&s.stem)
                .and_modify(|(n, _)| *n += 1)
                .or_insert_with(|| {
                    order.push(&s.stem);
                    (1, s.word)
                });
        }
        let mut vector: Vector = Vec::with_capacity(order.len());
        let mut at: FxHashMap<u32, usize> =
            FxHashMap::with_capacity_and_hasher(order.len(), Default::default());
        let mut surface: FxHashMap<u32, &'a str> =
            FxHashMap::with_capacity_and_hasher(order.len(), Default::default());
        for stem in order {
            let weight = self.weight(stem);
            if weight > 0.0 {
                let (n, word) = counts[stem];
                let term = xxh32(stem.as_bytes(), 0);
                let value = (1.0 + (n as f64).ln()) * weight;
                // Two stems of one hash: the later value in the first one's place, as a
                // Python dict assignment does.
                match at.get(&term) {
                    Some(&i) => vector[i].1 = value,
                    None => {
                        at.insert(term, vector.len());
                        vector.push((term, value));
                    }
                }
                surface.entry(term).or_insert(word);
            }
        }
        (unit(vector), surface)
    }
}

type Pairs = Vec<(u32, f64)>;

#[pymethods]
impl StoryWords {
    #[new]
    fn new(weights: HashMap<String, f64>, unknown: f64) -> Self {
        let plain = weights.is_empty();
        StoryWords {
            weights: weights.into_iter().collect(),
            plain,
            unknown,
        }
    }

    /// The light stem of one folded word (words.stem).
    #[staticmethod]
    #[pyo3(name = "stem")]
    fn py_stem(word: &str) -> String {
        stem(word).into_owned()
    }

    /// Of a folded title and body: the body's word count, the unit vectors of the whole
    /// text (title and body), the lead (the body's first `lead_words` words) and the title,
    /// each cut to its heaviest terms and made unit again; the first form of each kept term
    /// of the whole text; the telling numbers; and the title's first `head_title` and the
    /// body's first `head_body` words.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn read<'py>(
        &self,
        py: Python<'py>,
        title: &'py str,
        body: &'py str,
        lead_words: usize,
        body_terms: usize,
        lead_terms: usize,
        title_terms: usize,
        head_title: usize,
        head_body: usize,
    ) -> PyResult<(
        usize,
        Pairs,
        Pairs,
        Pairs,
        Vec<(u32, Bound<'py, PyString>)>,
        Vec<Bound<'py, PyString>>,
        Vec<Bound<'py, PyString>>,
    )> {
        let title_words: Vec<&str> = words(title).filter(|w| chars(w) >= MIN_WORD).collect();
        let body_words: Vec<&str> = words(body).filter(|w| chars(w) >= MIN_WORD).collect();
        let stemmed = |list: &[&'py str]| -> Vec<Stemmed<'py>> {
            list.iter()
                .filter(|w| !is_number(w))
                .map(|&word| Stemmed {
                    stem: stem(word),
                    word,
                })
                .collect()
        };
        let title_stems = stemmed(&title_words);
        let body_stems = stemmed(&body_words);
        let (whole, surface) = self.vector(title_stems.iter().chain(body_stems.iter()));
        let lead_end = lead_words.min(body_stems.len());
        let (lead, _) = self.vector(body_stems[..lead_end].iter());
        let (title_vector, _) = self.vector(title_stems.iter());
        let whole = unit(strongest(whole, body_terms));
        let mut kept_surface = Vec::with_capacity(whole.len());
        for (term, _) in &whole {
            if let Some(word) = surface.get(term) {
                kept_surface.push((*term, py_str(py, word)?));
            }
        }
        let mut numbers: Vec<&str> = Vec::new();
        for w in title_words.iter().chain(body_words.iter()) {
            if is_number(w) && !is_year(w) && !numbers.contains(w) {
                numbers.push(w);
            }
        }
        let head = title_words
            .iter()
            .take(head_title)
            .chain(body_words.iter().take(head_body))
            .map(|w| py_str(py, w))
            .collect::<PyResult<Vec<_>>>()?;
        Ok((
            body_words.len(),
            whole,
            unit(strongest(lead, lead_terms)),
            unit(strongest(title_vector, title_terms)),
            kept_surface,
            numbers
                .into_iter()
                .map(|n| py_str(py, n))
                .collect::<PyResult<Vec<_>>>()?,
            head,
        ))
    }
}
