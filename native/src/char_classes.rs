//! Counts of characters by class (scripts, by their letters), for the tag stage.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;

use crate::fold::BMP;

/// Code points sorted into classes by inclusive ranges of the BMP (scripts, by their
/// letters): how many characters of a text fall in each class. A table lookup a character,
/// where Python ran a regular expression over the text per class.
#[pyclass(frozen)]
pub(crate) struct CharClasses {
    class_of: Vec<u8>,         // per BMP code point: 0 for none, else class index + 1
    beyond_bmp: Option<usize>, // the class of every code point beyond the BMP, if any
    classes: usize,
    // The smallest UTF-8 lead byte of a classed code point: a text whose bytes all lie
    // below it holds none (lead bytes grow with the code point), which one vectorized pass
    // over the bytes tells. 0 when a class holds ASCII, where the test would not hold.
    lowest_lead: u8,
}

impl CharClasses {
    fn class(&self, c: char) -> Option<usize> {
        let code = c as usize;
        match self.class_of.get(code) {
            Some(&k) if k > 0 => Some(usize::from(k) - 1),
            Some(_) => None,
            None => self.beyond_bmp,
        }
    }
}

#[pymethods]
impl CharClasses {
    /// `classes`: each class's inclusive (first, last) code point ranges of the BMP; no two
    /// overlap. `beyond_bmp`: the class (an index into `classes`) of every code point beyond
    /// the BMP, if they are to count.
    #[new]
    #[pyo3(signature = (classes, beyond_bmp=None))]
    fn new(classes: Vec<Vec<(u32, u32)>>, beyond_bmp: Option<usize>) -> PyResult<Self> {
        if classes.len() >= usize::from(u8::MAX) {
            return Err(PyValueError::new_err("char classes: at most 254 classes"));
        }
        if beyond_bmp.is_some_and(|k| k >= classes.len()) {
            return Err(PyValueError::new_err(
                "char classes: beyond_bmp names no class",
            ));
        }
        let mut class_of = vec![0u8; BMP];
        for (k, ranges) in classes.iter().enumerate() {
            for &(first, last) in ranges {
                if first > last || last as usize >= BMP {
                    return Err(PyValueError::new_err(format!(
                        "char classes: bad range {first:#x}-{last:#x} (BMP only)"
                    )));
                }
                for code in first..=last {
                    let slot = &mut class_of[code as usize];
                    if *slot != 0 {
                        return Err(PyValueError::new_err(format!(
                            "char classes: {code:#x} is in two classes"
                        )));
                    }
                    *slot = (k + 1) as u8;
                }
            }
        }
        let lowest = class_of.iter().position(|&k| k > 0).unwrap_or(BMP - 1);
        let mut lowest_lead = match char::from_u32(lowest as u32) {
            Some(c) if lowest >= 0x80 => c.encode_utf8(&mut [0; 4]).as_bytes()[0],
            _ => 0,
        };
        if beyond_bmp.is_some() {
            lowest_lead = lowest_lead.min(0xF0); // the lead byte of four-byte sequences
        }
        Ok(CharClasses {
            class_of,
            beyond_bmp,
            classes: classes.len(),
            lowest_lead,
        })
    }

    /// How many characters of `text` each class holds.
    fn counts(&self, text: &str) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for k in text.chars().filter_map(|c| self.class(c)) {
            counts[k] += 1;
        }
        counts
    }

    /// Whether some character of some text is in a class.
    fn any(&self, texts: Vec<PyBackedStr>) -> bool {
        texts.iter().any(|text| {
            let highest = text.bytes().fold(0, u8::max);
            highest >= self.lowest_lead && text.chars().any(|c| self.class(c).is_some())
        })
    }
}
