//! How values cross to Python: arrays as little-endian bytes (u64 hashes, u32 minimums),
//! which numpy reads without a copy, and text as strs built the fastest way CPython offers.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// The unsigned integers that cross the boundary as little-endian bytes.
pub(crate) trait LittleEndian: Copy {
    const SIZE: usize;
    fn read(bytes: &[u8]) -> Self;
    fn write(self, out: &mut [u8]);
}

macro_rules! little_endian {
    ($t:ty) => {
        impl LittleEndian for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("a chunk of SIZE bytes"))
            }
            fn write(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
        }
    };
}
little_endian!(u32);
little_endian!(u64);

pub(crate) fn unpack<T: LittleEndian>(raw: &[u8]) -> PyResult<Vec<T>> {
    if !raw.len().is_multiple_of(T::SIZE) {
        return Err(PyValueError::new_err(format!(
            "array bytes: length {} is not a multiple of {}",
            raw.len(),
            T::SIZE
        )));
    }
    Ok(raw.chunks_exact(T::SIZE).map(T::read).collect())
}

pub(crate) fn pack<'py, T: LittleEndian>(py: Python<'py>, values: &[T]) -> Bound<'py, PyBytes> {
    PyBytes::new_with(py, values.len() * T::SIZE, |out| {
        for (chunk, v) in out.chunks_exact_mut(T::SIZE).zip(values) {
            v.write(chunk);
        }
        Ok(())
    })
    .expect("filling a bytes object cannot fail")
}

/// A Python str of `text`, handed to CPython as UTF-16 (or as it is when ASCII): CPython
/// builds a str from UTF-16 several times faster than from UTF-8 when the text is Arabic
/// (as `bytes.decode` of the two encodings shows).
pub(crate) fn py_str<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
    if text.is_ascii() {
        return Ok(PyString::new(py, text));
    }
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut order: std::os::raw::c_int = if cfg!(target_endian = "little") {
        -1
    } else {
        1
    };
    // SAFETY: `units` is valid UTF-16 (from a str) of the length given, in native byte order,
    // as `order` says; CPython copies it and returns a new reference, or NULL with an error.
    unsafe {
        let made = pyo3::ffi::PyUnicode_DecodeUTF16(
            units.as_ptr().cast(),
            (units.len() * 2) as pyo3::ffi::Py_ssize_t,
            std::ptr::null(),
            &mut order,
        );
        Ok(Bound::from_owned_ptr_or_err(py, made)?.cast_into_unchecked())
    }
}
