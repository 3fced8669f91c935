//! The language model as Python sees it; the model itself is language_id.rs.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::language_id;

/// A quantized fastText classifier (lid.176.ftz) predicting as fastText does; see
/// language_id.rs for why it is not fastText itself.
#[pyclass(frozen)]
pub(crate) struct LanguageModel {
    model: language_id::Model,
}

#[pymethods]
impl LanguageModel {
    #[new]
    fn new(model: &[u8]) -> PyResult<Self> {
        let model = language_id::Model::from_bytes(model)
            .map_err(|e| PyValueError::new_err(format!("fastText model: {e}")))?;
        Ok(LanguageModel { model })
    }

    /// The best label (without "__label__") and its probability, or None for a text that
    /// reaches no row of the model.
    fn predict(&self, text: &str) -> Option<(String, f32)> {
        self.model
            .predict(text)
            .map(|(label, p)| (label.to_owned(), p))
    }
}
