//! JSON text of Python data as jwst writes an association: `json.dumps(data, indent=4,
//! separators=(",", ": "))` with its encoder, which writes a `Member` as its `.data` and any
//! other object it does not know as `null`. Strings are escaped by the library's
//! [`asn_from_list::json`], the same escaping as the command's.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::products::Products;

/// A newline and the indentation of the deepest level an association usually reaches.
const NEWLINE_INDENT: &[u8] = b"\n                                                                ";

/// Writes JSON text into memory, four spaces a level.
pub(crate) struct Writer<'py> {
    py: Python<'py>,
    out: Vec<u8>,
    depth: usize,
    /// The containers being written, by address, to refuse a circular reference as `json` does.
    open: Vec<usize>,
}

impl<'py> Writer<'py> {
    pub(crate) fn new(py: Python<'py>) -> Self {
        Writer {
            py,
            out: Vec::with_capacity(1 << 12),
            depth: 0,
            open: Vec::new(),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.out
    }

    fn newline(&mut self) {
        let width = self.depth * 4;
        match NEWLINE_INDENT.get(..=width) {
            Some(line) => self.out.extend_from_slice(line),
            None => {
                self.out.push(b'\n');
                self.out.resize(self.out.len() + width, b' ');
            }
        }
    }

    /// Opens a list or a dict; one that `empty` is closed at once by [`Writer::close`].
    pub(crate) fn open(&mut self, bracket: u8, empty: bool) {
        self.out.push(bracket);
        if !empty {
            self.depth += 1;
        }
    }

    pub(crate) fn close(&mut self, bracket: u8, empty: bool) {
        if !empty {
            self.depth -= 1;
            self.newline();
        }
        self.out.push(bracket);
    }

    /// Starts an item of a list.
    pub(crate) fn item(&mut self, first: bool) {
        if !first {
            self.out.push(b',');
        }
        self.newline();
    }

    /// Starts an entry of a dict.
    pub(crate) fn key(&mut self, first: bool, key: &str) {
        self.item(first);
        self.text(key);
        self.out.extend_from_slice(b": ");
    }

    /// A string, escaped as Python's `json` escapes it (ASCII only).
    pub(crate) fn text(&mut self, text: &str) {
        if text
            .bytes()
            .all(|b| (b' '..0x7f).contains(&b) && b != b'"' && b != b'\\')
        {
            self.out.push(b'"');
            self.out.extend_from_slice(text.as_bytes());
            self.out.push(b'"');
        } else {
            // Writing to a Vec cannot fail.
            let _ = asn_from_list::json::to_writer(&mut self.out, text);
        }
    }

    fn string(&mut self, value: &Bound<'py, PyString>) -> PyResult<()> {
        match value.to_cow() {
            Ok(text) => self.text(&text),
            // Lone surrogates, which Rust text cannot hold: Python's own escaping.
            Err(_) => {
                let text = json_module(self.py)?.call_method1("dumps", (value,))?;
                self.out
                    .extend_from_slice(text.cast::<PyString>()?.to_cow()?.as_bytes());
            }
        }
        Ok(())
    }

    /// A list or tuple, `value`, of these `items`: a JSON array, as `json` writes both.
    fn array(
        &mut self,
        value: &Bound<'py, PyAny>,
        empty: bool,
        items: impl Iterator<Item = Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        self.enter(value)?;
        self.open(b'[', empty);
        for (i, item) in items.enumerate() {
            self.item(i == 0);
            self.value(&item)?;
        }
        self.close(b']', empty);
        self.open.pop();
        Ok(())
    }

    /// Any value, as `json.dumps` writes it with jwst's encoder.
    pub(crate) fn value(&mut self, value: &Bound<'py, PyAny>) -> PyResult<()> {
        if let Ok(text) = value.cast::<PyString>() {
            return self.string(text);
        }
        if value.is_none() {
            self.out.extend_from_slice(b"null");
        } else if let Ok(flag) = value.cast::<PyBool>() {
            let text: &[u8] = if flag.is_true() { b"true" } else { b"false" };
            self.out.extend_from_slice(text);
        } else if value.is_instance_of::<PyInt>() {
            self.out.extend_from_slice(int_text(value)?.as_bytes());
        } else if value.is_instance_of::<PyFloat>() {
            self.out.extend_from_slice(float_text(value)?.as_bytes());
        } else if let Ok(products) = value.cast::<Products>() {
            products.get().write(self.py, self)?;
        } else if let Ok(list) = value.cast::<PyList>() {
            self.array(value, list.is_empty(), list.iter())?;
        } else if let Ok(tuple) = value.cast::<PyTuple>() {
            self.array(value, tuple.is_empty(), tuple.iter())?;
        } else if let Ok(dict) = value.cast::<PyDict>() {
            self.enter(value)?;
            let empty = dict.is_empty();
            self.open(b'{', empty);
            for (i, (key, item)) in dict.iter().enumerate() {
                self.item(i == 0);
                match key.cast::<PyString>() {
                    Ok(text) => self.string(text)?,
                    Err(_) => self.text(&key_text(&key)?),
                }
                self.out.extend_from_slice(b": ");
                self.value(&item)?;
            }
            self.close(b'}', empty);
            self.open.pop();
        } else if is_member(value)? {
            // jwst's encoder writes a Member as its data.
            self.enter(value)?;
            self.value(&value.getattr("data")?)?;
            self.open.pop();
        } else {
            // And anything else it does not know as null.
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    fn enter(&mut self, value: &Bound<'py, PyAny>) -> PyResult<()> {
        let address = value.as_ptr() as usize;
        if self.open.contains(&address) {
            return Err(PyValueError::new_err("Circular reference detected"));
        }
        self.open.push(address);
        Ok(())
    }
}

/// Whether `value` is an association `Member` (jwst's or this package's): a mapping kept in
/// `.data`, which is what the encoder writes.
fn is_member(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    let kind = value.get_type();
    Ok(kind.name()?.to_cow()? == "Member" && value.hasattr("data")?)
}

fn json_module(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static JSON: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    JSON.get_or_try_init(py, || py.import("json").map(|m| m.into_any().unbind()))
        .map(|m| m.bind(py))
}

/// `int.__repr__`, which `json` uses for any int (an `IntEnum` too).
fn int_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(small) = value.extract::<i64>() {
        return Ok(small.to_string());
    }
    let py = value.py();
    let text = py.get_type::<PyInt>().call_method1("__repr__", (value,))?;
    Ok(text.cast::<PyString>()?.to_cow()?.into_owned())
}

/// `float.__repr__`, with `json`'s names for the values JSON has none for.
fn float_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let number: f64 = value.extract()?;
    if number.is_nan() {
        return Ok("NaN".into());
    }
    if number.is_infinite() {
        return Ok(if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .into());
    }
    let py = value.py();
    let text = py
        .get_type::<PyFloat>()
        .call_method1("__repr__", (value,))?;
    Ok(text.cast::<PyString>()?.to_cow()?.into_owned())
}

/// A dict key that is not a string as `json` writes it: numbers, booleans and None as text.
fn key_text(key: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(flag) = key.cast::<PyBool>() {
        return Ok(if flag.is_true() { "true" } else { "false" }.into());
    }
    if key.is_none() {
        return Ok("null".into());
    }
    if key.is_instance_of::<PyInt>() {
        return int_text(key);
    }
    if key.is_instance_of::<PyFloat>() {
        return float_text(key);
    }
    Err(PyTypeError::new_err(format!(
        "keys must be str, int, float, bool or None, not {}",
        key.get_type().name()?
    )))
}

/// The JSON text jwst's `dump()` writes for `data`.
#[pyfunction]
pub(crate) fn dumps(data: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut writer = Writer::new(data.py());
    // Room for the text at once: growing a buffer of megabytes copies it several times.
    if let Ok(dict) = data.cast::<PyDict>() {
        if let Some(products) = dict.get_item("products")? {
            if let Ok(products) = products.cast::<Products>() {
                writer.out.reserve(products.get().text_size());
            }
        }
    }
    writer.value(data)?;
    String::from_utf8(writer.finish()).map_err(|e| PyValueError::new_err(e.to_string()))
}
