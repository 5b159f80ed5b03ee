//! What jwst's `dump()` checks before it writes: the association schema of the rule's level
//! (as `jsonschema` applies it: only to dicts and lists, so a `Member` is not looked into),
//! and whether member names hold a directory part, which jwst warns about.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::products::{Products, Value};

/// The top-level keys both schemas type as strings.
const STRING_KEYS: [&str; 4] = ["asn_type", "asn_rule", "program", "asn_pool"];
/// The keys the Stage 3 schema also types as strings.
const STAGE3_STRING_KEYS: [&str; 2] = ["asn_id", "target"];

fn is_str(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyString>()
}

/// Why `data` fails the schema of its level (`stage3`: `asn_schema_jw_level3.json`, else
/// `asn_schema_jw_level2b.json`), or `None` when it passes. `data` must hold `products`.
#[pyfunction]
pub(crate) fn schema_problem(data: &Bound<'_, PyDict>, stage3: bool) -> PyResult<Option<String>> {
    let extra: &[&str] = if stage3 { &STAGE3_STRING_KEYS } else { &[] };
    for key in STRING_KEYS.iter().chain(extra) {
        if let Some(value) = data.get_item(key)? {
            if !is_str(&value) {
                return Ok(Some(format!("'{key}' is not a string")));
            }
        }
    }
    if stage3 {
        if let Some(value) = data.get_item("version_id")? {
            if !value.is_none() && !is_str(&value) {
                return Ok(Some("'version_id' is neither a string nor None".into()));
            }
        }
    }
    let Some(products) = data.get_item("products")? else {
        return Ok(Some("there is no 'products'".into()));
    };
    if let Ok(products) = products.cast::<Products>() {
        let ok = products.get().names_are_strings(data.py());
        return Ok((!ok).then(|| "a product name is not a string".into()));
    }
    let Ok(products) = products.cast::<PyList>() else {
        return Ok(Some("'products' is not a list".into()));
    };
    for (i, product) in products.iter().enumerate() {
        let Ok(product) = product.cast::<PyDict>() else {
            continue;
        };
        if let Some(name) = product.get_item("name")? {
            if !is_str(&name) {
                return Ok(Some(format!("the name of product {i} is not a string")));
            }
        }
        let Some(members) = product.get_item("members")? else {
            return Ok(Some(format!("product {i} has no 'members'")));
        };
        let Ok(members) = members.cast::<PyList>() else {
            return Ok(Some(format!("the 'members' of product {i} is not a list")));
        };
        for (j, member) in members.iter().enumerate() {
            let Ok(member) = member.cast::<PyDict>() else {
                continue;
            };
            for key in ["expname", "exptype"] {
                match member.get_item(key)? {
                    None => return Ok(Some(format!("member {j} of product {i} has no '{key}'"))),
                    Some(value) if !is_str(&value) => {
                        return Ok(Some(format!(
                            "the '{key}' of member {j} of product {i} is not a string"
                        )))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(None)
}

/// Whether `pathlib.Path(name).parent` is not `Path()`: the name has a directory part.
fn has_directory(name: &str) -> bool {
    if name.starts_with('/') {
        return true;
    }
    name.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .count()
        > 1
}

fn object_has_directory(name: &Bound<'_, PyAny>) -> PyResult<bool> {
    if let Ok(text) = name.cast::<PyString>() {
        if let Ok(text) = text.to_cow() {
            return Ok(has_directory(&text));
        }
    }
    let path = name.py().import("pathlib")?.getattr("Path")?;
    let parent = path.call1((name,))?.getattr("parent")?;
    parent.ne(path.call0()?)
}

/// Whether a member name holds a directory part, as jwst's `validate` looks, and the error
/// it then meets, if any (a product without members, a name that is not a path): jwst warns
/// for the names before that error, then raises it.
#[pyfunction]
pub(crate) fn names_have_directories(data: &Bound<'_, PyDict>) -> (bool, Option<PyErr>) {
    let mut found = false;
    let error = look_for_directories(data, &mut found).err();
    (found, error)
}

fn look_for_directories(data: &Bound<'_, PyDict>, found: &mut bool) -> PyResult<()> {
    let py = data.py();
    let Some(products) = data.get_item("products")? else {
        return Ok(());
    };
    if let Ok(products) = products.cast::<Products>() {
        for name in products.get().expnames() {
            *found |= match name {
                Value::Object(object) => object_has_directory(object.bind(py))?,
                other => has_directory(other.text().unwrap_or_default()),
            };
        }
        return Ok(());
    }
    for product in products.try_iter()? {
        for member in product?.get_item("members")?.try_iter()? {
            *found |= object_has_directory(&member?.get_item("expname")?)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::has_directory;

    #[test]
    fn directories_are_found_as_pathlib_finds_a_parent() {
        for name in ["a/b", "/a", "../a", "./x/y", "a//b"] {
            assert!(has_directory(name), "{name}");
        }
        for name in ["a", "./a", "a/", "", ".", "a/."] {
            assert!(!has_directory(name), "{name}");
        }
    }
}
