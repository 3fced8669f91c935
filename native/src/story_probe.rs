//! An article's story vectors against the stories the index returned, compiled: the cosine
//! of each of its unit vectors with a story's centroid as Redis keeps it (6 bytes a term:
//! the term, a u32, and its weight, an IEEE half; workers/story/vectors.py packs them).
//!
//! In Python every candidate story's three centroids were unpacked into dictionaries to be
//! compared once (about 70 terms a story, 8 to 10 stories an article); here the packed
//! bytes are read as they are, and only the story an article joins is ever unpacked.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

const PACKED_TERM: usize = 6;

/// An IEEE 754 half-precision float, exactly (as Python's struct format "e" reads it).
fn half(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f64::from(bits & 0x3ff);
    match exponent {
        0 => sign * fraction * 2f64.powi(-24),
        31 if fraction == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    }
}

type Unit = FxHashMap<u32, f64>;

/// The cosine of a unit vector with a packed one of any norm; 0.0 when they share nothing.
fn cosine(unit: &Unit, packed: &[u8]) -> PyResult<f64> {
    if !packed.len().is_multiple_of(PACKED_TERM) {
        return Err(PyValueError::new_err(format!(
            "packed vector: length {} is not a multiple of {PACKED_TERM}",
            packed.len()
        )));
    }
    let (mut dot, mut squares) = (0.0, 0.0);
    for chunk in packed.chunks_exact(PACKED_TERM) {
        let term = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let weight = half(u16::from_le_bytes([chunk[4], chunk[5]]));
        squares += weight * weight;
        if let Some(w) = unit.get(&term) {
            dot += w * weight;
        }
    }
    Ok(if dot == 0.0 {
        0.0
    } else {
        dot / squares.sqrt()
    })
}

#[pyclass(frozen)]
pub struct StoryProbe {
    body: Unit,
    lead: Unit,
    title: Unit,
}

#[pymethods]
impl StoryProbe {
    /// An article's unit vectors: the whole text's, the lead's, the title's.
    #[new]
    fn new(body: HashMap<u32, f64>, lead: HashMap<u32, f64>, title: HashMap<u32, f64>) -> Self {
        StoryProbe {
            body: body.into_iter().collect(),
            lead: lead.into_iter().collect(),
            title: title.into_iter().collect(),
        }
    }

    /// The cosines of the article's vectors with a story's packed centroids, in that order.
    fn cosines(&self, body: &[u8], lead: &[u8], title: &[u8]) -> PyResult<(f64, f64, f64)> {
        Ok((
            cosine(&self.body, body)?,
            cosine(&self.lead, lead)?,
            cosine(&self.title, title)?,
        ))
    }
}
