//! newsflow's text hot paths, compiled: the dedupe and tag stages fold every article's text
//! and fingerprint it, and in Python those passes cost most of a stage's CPU (a dozen C
//! calls of one pass each, plus numpy's per-call overhead on arrays of a few hundred values).
//!
//! Every decision stays in Python (workers/dedupe/normalize.py and minhash.py say what is
//! folded and hashed, and why); these modules only run the loops:
//!
//! - `fold`: the folding table applied to text (`Folder`);
//! - `words`, `hashing`: words split at spaces, and their hashes and the paragraphs';
//! - `minhash`: shingles, MinHash signatures, band keys, paragraph sketches;
//! - `body`: every fingerprint of a body in one pass (`BodyFingerprinter`);
//! - `phrase_index`, `place_rules`, `char_classes`, `keyword_window`: the tag stage's
//!   phrase search, place rules, character classes and keywords;
//! - `language_id` (the model) and `language_model` (its Python class): language detection;
//! - `story_words`, `story_probe`: the story step's reading of an article (stems, weights,
//!   vectors) and its comparison with the stories' packed centroids;
//! - `boundary`: how arrays and text cross to Python.
//!
//! This file only registers what Python sees.

mod body;
mod boundary;
mod char_classes;
mod fold;
mod hashing;
mod keyword_window;
mod language_id;
mod language_model;
mod minhash;
mod phrase_index;
mod place_rules;
mod story_probe;
mod story_words;
mod words;

use pyo3::prelude::*;

#[pymodule]
fn newsflow_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<fold::Folder>()?;
    m.add_class::<body::BodyFingerprinter>()?;
    m.add_class::<body::BodyFingerprints>()?;
    m.add_class::<body::FoldedParagraphs>()?;
    m.add_class::<char_classes::CharClasses>()?;
    m.add_class::<phrase_index::PhraseIndex>()?;
    m.add_class::<place_rules::PlaceRules>()?;
    m.add_class::<keyword_window::TermFilter>()?;
    m.add_class::<keyword_window::TermWindow>()?;
    m.add_class::<language_model::LanguageModel>()?;
    m.add_class::<story_words::StoryWords>()?;
    m.add_class::<story_probe::StoryProbe>()?;
    m.add_function(wrap_pyfunction!(hashing::word_hashes, m)?)?;
    m.add_function(wrap_pyfunction!(minhash::word_shingles, m)?)?;
    m.add_function(wrap_pyfunction!(minhash::min_hash, m)?)?;
    m.add_function(wrap_pyfunction!(minhash::band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(minhash::paragraph_sketches, m)?)?;
    m.add_function(wrap_pyfunction!(minhash::agreeing_pairs, m)?)?;
    Ok(())
}
