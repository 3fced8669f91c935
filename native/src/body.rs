//! Every fingerprint of a body in one pass, for the dedupe stage (workers/dedupe/body.py says
//! what each is and why). One rule is restated here, with Python's thresholds passed in:
//! which paragraphs are substantial enough to be keys (internal_duplication.is_substantial;
//! the property tests hold the two to the same answers).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::boundary::{pack, py_str};
use crate::fold::{Folder, Paragraph};
use crate::hashing::{content_hash, crc32_words, paragraph_fingerprint, FINGERPRINT_BYTES};
use crate::minhash::{
    distinct_count, every_shingle, minimums, mixed_bands, pairs_agreeing, sketches_of,
};

/// A body's folded paragraphs, made into Python strs only when asked for: most bodies are
/// done with once fingerprinted, and making the strs was a large part of the pass's time.
#[pyclass(frozen)]
pub(crate) struct FoldedParagraphs {
    texts: Vec<String>,
}

#[pymethods]
impl FoldedParagraphs {
    fn texts<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyString>>> {
        self.texts.iter().map(|text| py_str(py, text)).collect()
    }
}

/// What BodyFingerprinter.fingerprint gives of a body, each value made into its Python
/// object once. "The text" is the characters of the non-empty folded paragraphs joined by
/// single spaces.
#[pyclass(frozen, get_all)]
pub(crate) struct BodyFingerprints {
    /// The folded paragraphs (Folder.normalize_paragraphs), kept on this side until Python
    /// asks for their text.
    folded: Py<FoldedParagraphs>,
    /// How many characters the text has.
    char_count: usize,
    /// Every word's crc32 in the text, as little-endian u64 bytes.
    word_hashes: Py<PyBytes>,
    /// A tuple of the words of each paragraph.
    word_counts: Py<PyTuple>,
    /// Each paragraph's fingerprint, FINGERPRINT_BYTES apiece, joined.
    paragraph_fingerprints: Py<PyBytes>,
    /// The content hash of the text ("" when it has no words).
    content_hash: String,
    /// A tuple of the pairs (i, j), j < i, of paragraphs whose sketches agree on
    /// `sketch_agreement` values (none beyond `max_near_paragraphs` paragraphs).
    near_pairs: Py<PyTuple>,
    /// A tuple of the fingerprints of the substantial paragraphs, first occurrences in
    /// order, at most `max_keys`.
    paragraph_keys: Py<PyTuple>,
    /// The MinHash of the word 3-grams: how many distinct 3-grams there are,
    distinct_shingles: usize,
    /// the low 16 bits of each minimum (little-endian u16 bytes),
    signature_bytes: Py<PyBytes>,
    /// and a tuple of one 8-byte key per LSH band.
    band_keys: Py<PyTuple>,
}

/// Every fingerprint of a body in one pass: crossing to Python between the steps, with
/// numpy arrays built and read at each, cost more than the steps. The rules come from Python
/// as numbers.
#[pyclass(frozen)]
pub(crate) struct BodyFingerprinter {
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
    // What a substantial paragraph is (internal_duplication.is_substantial), and how many
    // keys at most.
    min_words: usize,
    min_chars_without_spaces: usize,
    max_keys: usize,
}

/// The (a, b) arrays of permutations, as MinHasher.permutations gives them.
type PermutationBytes = (PyBackedBytes, PyBackedBytes);

/// What crosses back of a body's MinHash: see BodyFingerprints.
type MinHashParts = (usize, Py<PyBytes>, Py<PyTuple>);

#[pymethods]
impl BodyFingerprinter {
    /// `permutations`: the MinHash's (a, b), in `rows_per_band` rows per band;
    /// `sketch_permutations`: the paragraph sketches' (a, b); the other arguments are what
    /// BodyFingerprints says of them.
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (
        *,
        folder,
        permutations,
        rows_per_band,
        sketch_permutations,
        sketch_agreement,
        max_near_paragraphs,
        min_words,
        min_chars_without_spaces,
        max_keys,
    ))]
    fn new(
        folder: Py<Folder>,
        permutations: PermutationBytes,
        rows_per_band: usize,
        sketch_permutations: PermutationBytes,
        sketch_agreement: usize,
        max_near_paragraphs: usize,
        min_words: usize,
        min_chars_without_spaces: usize,
        max_keys: usize,
    ) -> PyResult<Self> {
        let (a, b) = crate::minhash::permutations(&permutations.0, &permutations.1)?;
        let (sketch_a, sketch_b) =
            crate::minhash::permutations(&sketch_permutations.0, &sketch_permutations.1)?;
        let rows = rows_per_band;
        if rows == 0 || a.len() % rows != 0 || sketch_a.is_empty() {
            return Err(PyValueError::new_err(
                "body fingerprinter: permutations are not bands * rows, or no sketch permutations",
            ));
        }
        Ok(BodyFingerprinter {
            folder,
            a,
            b,
            rows,
            sketch_a,
            sketch_b,
            min_agree: sketch_agreement,
            max_near: max_near_paragraphs,
            min_words,
            min_chars_without_spaces,
            max_keys,
        })
    }

    /// `paragraphs`: in NFKC, or as they are when `raw` (then None when a character needs
    /// NFKC first: Folder::new's `raw`); a U+001E inside one is a word separator, as
    /// Folder.normalize_paragraphs reads it. Each str is read as CPython's UTF-8 of it, which
    /// CPython keeps: orjson writes the same strs later without encoding them again (the
    /// paragraphs joined into one new str were encoded twice). For a script written without
    /// spaces Python takes character shingles instead and drops the MinHash given here.
    #[pyo3(signature = (paragraphs, raw=false))]
    fn fingerprint<'py>(
        &self,
        py: Python<'py>,
        paragraphs: Vec<Bound<'py, PyString>>,
        raw: bool,
    ) -> PyResult<Option<BodyFingerprints>> {
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
        let fingerprints: Vec<[u8; FINGERPRINT_BYTES]> = paragraphs
            .iter()
            .map(|p| paragraph_fingerprint(&p.text))
            .collect();
        let near = if paragraphs.len() <= self.max_near {
            let sketches = sketches_of(&hashes, &counts, &self.sketch_a, &self.sketch_b);
            pairs_agreeing(&sketches, self.sketch_a.len(), self.min_agree)
        } else {
            Vec::new()
        };
        let keys = self
            .keys(&paragraphs, &fingerprints)
            .into_iter()
            .map(|key| PyBytes::new(py, key));
        let keys = PyTuple::new(py, keys)?.unbind();
        let (distinct_shingles, signature_bytes, band_keys) = self.minhash(py, &hashes)?;
        let char_count = text.chars().count();
        let hash = content_hash(&text);
        let folded = FoldedParagraphs {
            texts: paragraphs.into_iter().map(|p| p.text).collect(),
        };
        Ok(Some(BodyFingerprints {
            folded: Py::new(py, folded)?,
            char_count,
            word_hashes: pack::<u64>(py, &hashes).unbind(),
            word_counts: PyTuple::new(py, counts)?.unbind(),
            paragraph_fingerprints: PyBytes::new(py, fingerprints.as_flattened()).unbind(),
            content_hash: hash,
            near_pairs: PyTuple::new(py, near)?.unbind(),
            paragraph_keys: keys,
            distinct_shingles,
            signature_bytes,
            band_keys,
        }))
    }
}

impl BodyFingerprinter {
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

    fn minhash(&self, py: Python<'_>, hashes: &[u64]) -> PyResult<MinHashParts> {
        // A repeated shingle changes no minimum: only the count needs them distinct.
        let shingles = every_shingle(hashes);
        let mut signature = vec![0u32; self.a.len()];
        minimums(&shingles, &self.a, &self.b, &mut signature);
        let low: Vec<u8> = signature
            .iter()
            .flat_map(|&m| (m as u16).to_le_bytes())
            .collect();
        let bands = mixed_bands(&signature, self.rows);
        let bands = bands.iter().map(|key| PyBytes::new(py, &key.to_le_bytes()));
        Ok((
            distinct_count(&shingles),
            PyBytes::new(py, &low).unbind(),
            PyTuple::new(py, bands)?.unbind(),
        ))
    }
}
