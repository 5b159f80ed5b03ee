//! The products of an association made by `asn_from_list`, kept in Rust until Python looks at
//! them: built from the items as jwst 3.0.0's rules add them, written as JSON directly, and
//! turned into Python lists and dicts only on first access.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use asn_from_list::naming::stage2_product_name;

use crate::render::Writer;

/// The name jwst gives a Stage 2 product without a science member (`PRODUCT_NAME_DEFAULT`).
const UNDEFINED: &str = "undefined";

/// A value of the association: a Python `str` held as Rust text, or any other object as given.
#[derive(Debug)]
pub(crate) enum Value {
    /// Text fixed at compile time (`"science"`).
    Static(&'static str),
    /// A `str` without lone surrogates.
    Text(Box<str>),
    /// Anything else, written as the reference's encoder writes it.
    Object(Py<PyAny>),
}

impl Value {
    fn from_py(value: &Bound<'_, PyAny>) -> Value {
        if let Ok(text) = value.cast::<PyString>() {
            if let Ok(text) = text.to_cow() {
                return Value::Text(text.into());
            }
        }
        Value::Object(value.clone().unbind())
    }

    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Value::Static(text) => Some(text),
            Value::Text(text) => Some(text),
            Value::Object(_) => None,
        }
    }

    /// Whether the value is a `str` (as jsonschema's `"type": "string"` asks).
    pub(crate) fn is_str(&self, py: Python<'_>) -> bool {
        match self {
            Value::Object(object) => object.bind(py).is_instance_of::<PyString>(),
            _ => true,
        }
    }

    /// Python's `value == text`, for the validity checks.
    fn equals(&self, py: Python<'_>, text: &str) -> PyResult<bool> {
        match self {
            Value::Object(object) => object.bind(py).eq(text),
            other => Ok(other.text() == Some(text)),
        }
    }

    /// Python's `value.lower() == text`: jwst's `members_by_type`, which fails for a value
    /// that is not a string.
    fn lower_equals(&self, py: Python<'_>, text: &str) -> PyResult<bool> {
        match self.text() {
            Some(own) => Ok(own.to_lowercase() == text),
            None => self
                .to_object(py)
                .call_method0("lower")
                .and_then(|lower| lower.eq(text)),
        }
    }

    pub(crate) fn to_object<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match self {
            Value::Static(text) => PyString::new(py, text).into_any(),
            Value::Text(text) => PyString::new(py, text).into_any(),
            Value::Object(object) => object.bind(py).clone(),
        }
    }

    pub(crate) fn write<'py>(&self, py: Python<'py>, out: &mut Writer<'py>) -> PyResult<()> {
        match self {
            Value::Object(object) => out.value(object.bind(py)),
            other => {
                out.text(other.text().unwrap_or_default());
                Ok(())
            }
        }
    }
}

/// One member: its `expname` and `exptype`.
#[derive(Debug)]
struct Member {
    expname: Value,
    exptype: Value,
}

impl Member {
    /// Whether jwst made this member a `Member` (a `UserDict`, which its schema does not check
    /// and its encoder writes through `.data`) holding something other than strings. A member
    /// of strings is the same text and the same validity as a plain dict.
    fn is_plain(&self, py: Python<'_>) -> bool {
        matches!(
            (&self.expname, &self.exptype),
            (
                Value::Static(_) | Value::Text(_),
                Value::Static(_) | Value::Text(_)
            )
        ) || (self.expname.is_str(py) && self.exptype.is_str(py))
    }
}

#[derive(Debug)]
struct Product {
    name: Value,
    members: Vec<Member>,
}

/// What building found, for the rule's validity tests.
#[pyclass(frozen, module = "asn_from_list._native")]
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// How many items were added.
    #[pyo3(get)]
    items: usize,
    /// Whether an item's `exptype == "science"`.
    #[pyo3(get)]
    science: bool,
    /// Whether an item's `exptype == "psf"`.
    #[pyo3(get)]
    psf: bool,
    /// Whether an item's `exptype.lower() == "background"` (Stage 2 only).
    #[pyo3(get)]
    background: bool,
}

/// The `products` of an association, in Rust. Immutable: the association replaces it by Python
/// lists and dicts when Python first reads or changes its data.
#[pyclass(frozen, module = "asn_from_list._native")]
#[derive(Debug)]
pub(crate) struct Products {
    products: Vec<Product>,
}

#[pymethods]
impl Products {
    fn __len__(&self) -> usize {
        self.products.len()
    }

    /// The products as jwst holds them: a list of `{"name", "members"}` dicts, each member a
    /// dict, or a `member_class` instance when it holds something other than strings.
    fn to_python<'py>(
        &self,
        py: Python<'py>,
        member_class: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let expname = PyString::intern(py, "expname");
        let exptype = PyString::intern(py, "exptype");
        let science = PyString::intern(py, "science");
        let products = PyList::empty(py);
        for product in &self.products {
            let members = PyList::empty(py);
            for member in &product.members {
                let dict = PyDict::new(py);
                dict.set_item(&expname, member.expname.to_object(py))?;
                match member.exptype {
                    Value::Static("science") => dict.set_item(&exptype, &science)?,
                    ref other => dict.set_item(&exptype, other.to_object(py))?,
                }
                if member.is_plain(py) {
                    members.append(dict)?;
                } else {
                    members.append(member_class.call1((dict,))?)?;
                }
            }
            let dict = PyDict::new(py);
            dict.set_item("name", product.name.to_object(py))?;
            dict.set_item("members", members)?;
            products.append(dict)?;
        }
        Ok(products)
    }
}

impl Products {
    pub(crate) fn write<'py>(&self, py: Python<'py>, out: &mut Writer<'py>) -> PyResult<()> {
        out.open(b'[', self.products.is_empty());
        for (i, product) in self.products.iter().enumerate() {
            out.item(i == 0);
            out.open(b'{', false);
            out.key(true, "name");
            product.name.write(py, out)?;
            out.key(false, "members");
            out.open(b'[', product.members.is_empty());
            for (j, member) in product.members.iter().enumerate() {
                out.item(j == 0);
                out.open(b'{', false);
                out.key(true, "expname");
                member.expname.write(py, out)?;
                out.key(false, "exptype");
                member.exptype.write(py, out)?;
                out.close(b'}', false);
            }
            out.close(b']', product.members.is_empty());
            out.close(b'}', false);
        }
        out.close(b']', self.products.is_empty());
        Ok(())
    }

    /// About how long the products' JSON text is.
    pub(crate) fn text_size(&self) -> usize {
        // A member's keys, indentation and punctuation take about 100 bytes besides its name.
        self.products
            .iter()
            .flat_map(|p| &p.members)
            .map(|m| m.expname.text().map_or(16, str::len) + 104)
            .sum::<usize>()
            + self.products.len() * 128
    }

    /// Whether jwst's schema takes these products: every product name must be a string (the
    /// members are strings, or jwst's `Member`s, which the schema does not look into).
    pub(crate) fn names_are_strings(&self, py: Python<'_>) -> bool {
        self.products.iter().all(|p| p.name.is_str(py))
    }

    /// The member names, for the check that they hold no directory part.
    pub(crate) fn expnames(&self) -> impl Iterator<Item = &Value> {
        self.products
            .iter()
            .flat_map(|p| p.members.iter().map(|m| &m.expname))
    }
}

/// Unpacks `item, exptype = item` as Python does, with its messages.
fn unpack_pair<'py>(item: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    if let Ok(tuple) = item.cast::<PyTuple>() {
        if tuple.len() == 2 {
            return Ok((tuple.get_item(0)?, tuple.get_item(1)?));
        }
    }
    let mut values = Vec::with_capacity(2);
    for value in item.try_iter()? {
        values.push(value?);
        if values.len() > 2 {
            return Err(PyValueError::new_err(
                "too many values to unpack (expected 2)",
            ));
        }
    }
    match <[_; 2]>::try_from(values) {
        Ok([name, exptype]) => Ok((name, exptype)),
        Err(values) => Err(PyValueError::new_err(format!(
            "not enough values to unpack (expected 2, got {})",
            values.len()
        ))),
    }
}

/// The Stage 3 products (`DMS_Level3_Base._add_items`): one product called `product_name`,
/// with a member per item, in order.
#[pyfunction]
pub(crate) fn stage3(
    items: &Bound<'_, PyAny>,
    product_name: &Bound<'_, PyAny>,
    with_exptype: bool,
) -> PyResult<(Products, Found)> {
    let py = items.py();
    let mut found = Found::default();
    let mut members = Vec::with_capacity(items.len().unwrap_or(0));
    for item in items.try_iter()? {
        let item = item?;
        let member = if with_exptype {
            let (expname, exptype) = unpack_pair(&item)?;
            Member {
                expname: Value::from_py(&expname),
                exptype: Value::from_py(&exptype),
            }
        } else {
            Member {
                expname: Value::from_py(&item),
                exptype: Value::Static("science"),
            }
        };
        found.science |= member.exptype.equals(py, "science")?;
        found.psf |= member.exptype.equals(py, "psf")?;
        found.items += 1;
        members.push(member);
    }
    let product = Product {
        name: Value::from_py(product_name),
        members,
    };
    Ok((
        Products {
            products: vec![product],
        },
        found,
    ))
}

/// The Stage 2 products (`DMSLevel2bBase._add_items`): a product per item, named after its
/// science member, or by `product_name_func(item, index)` when that returns.
///
/// `exptype_given` is whether the call named `with_exptype` at all: jwst then reads every
/// item's type as `item[1]`, whatever the value of `with_exptype`.
#[pyfunction]
#[pyo3(signature = (items, exptype_given, product_name_func=None))]
pub(crate) fn stage2(
    items: &Bound<'_, PyAny>,
    exptype_given: bool,
    product_name_func: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Products, Found)> {
    let py = items.py();
    let mut found = Found::default();
    let mut products = Vec::with_capacity(items.len().unwrap_or(0));
    for (index, item) in items.try_iter()?.enumerate() {
        let item = item?;
        let expname = match item.cast::<PyTuple>() {
            Ok(tuple) => tuple.get_item(0)?,
            Err(_) => item.clone(),
        };
        let exptype = if exptype_given {
            let given = item.get_item(1)?;
            if given.is_truthy()? {
                Value::from_py(&given)
            } else {
                Value::Static("science")
            }
        } else {
            Value::Static("science")
        };
        let member = Member {
            expname: Value::from_py(&expname),
            exptype,
        };
        found.science |= member.exptype.equals(py, "science")?;
        let is_science = member.exptype.lower_equals(py, "science")?;
        found.background |= member.exptype.lower_equals(py, "background")?;
        found.items += 1;
        let mut name = if is_science {
            stage2_name(&member.expname, &expname)?
        } else {
            Value::Static(UNDEFINED)
        };
        if let Some(func) = product_name_func {
            // jwst ignores a product_name_func that fails, and keeps the default name.
            if let Ok(given) = func.call1((&item, index + 1)) {
                name = Value::from_py(&given);
            }
        }
        products.push(Product {
            name,
            members: vec![member],
        });
    }
    Ok((Products { products }, found))
}

/// jwst's `dms_product_name`: the science member's path without its extension and one known
/// suffix; `undefined` for a name that `pathlib` cannot take.
fn stage2_name(expname: &Value, object: &Bound<'_, PyAny>) -> PyResult<Value> {
    let name = |text: &str| -> Value {
        match stage2_product_name(OsStr::new(text)).to_str() {
            Some(name) => Value::Text(name.into()),
            None => Value::Static(UNDEFINED),
        }
    };
    if let Some(text) = expname.text() {
        return Ok(name(text));
    }
    // A str with lone surrogates: named by its surrogate-escaped bytes, as the library names
    // a file name that is not UTF-8.
    if object.is_instance_of::<PyString>() {
        let Ok(bytes) = object.call_method1("encode", ("utf-8", "surrogateescape")) else {
            return Ok(Value::Static(UNDEFINED));
        };
        let bytes: Vec<u8> = bytes.extract()?;
        let named = stage2_product_name(OsStr::from_bytes(&bytes));
        let text = PyBytes::new(object.py(), named.as_bytes())
            .call_method1("decode", ("utf-8", "surrogateescape"))?;
        return Ok(Value::from_py(&text));
    }
    // A path-like object is named by its path; anything else cannot be.
    let py = object.py();
    let fspath = py.import("os")?.getattr("fspath")?;
    match fspath.call1((object,)) {
        Ok(path) => match path.cast::<PyString>() {
            Ok(text) => Ok(text.to_cow().map_or(Value::Static(UNDEFINED), |t| name(&t))),
            Err(_) => Ok(Value::Static(UNDEFINED)),
        },
        Err(_) => Ok(Value::Static(UNDEFINED)),
    }
}
