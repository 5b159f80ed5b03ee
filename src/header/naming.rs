//! Names the generator derives from headers: Stage 3 product names
//! (`DMS_Level3_Base._dms_product_name`, `jwst/associations/lib/rules_level3_base.py:142-187`)
//! and association file names (`jwst/associations/lib/dms_base.py:324-363`).

use super::pool::Row;
use crate::model::AsnType;

/// `re.escape` as Python 3.7+ does it: the generator stores the values its constraints found
/// escaped (`jwst/associations/lib/constraint.py:586-591`), and names products from them.
pub fn escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The parts of a Stage 3 product name (`DMS_Level3_Base._dms_product_name`,
/// `jwst/associations/lib/rules_level3_base.py:142-187`), each as the generator has it: values
/// its constraints found are escaped ([`escaped`]), values read from an exposure are not.
#[derive(Debug, Clone, Default)]
pub struct ProductName {
    /// `jw{program}-{acid}`.
    pub head: String,
    /// `t001`, or a placeholder.
    pub target: String,
    /// The instrument.
    pub instrument: String,
    /// The optical elements, in any order; `clear` when there are none.
    pub optical: Vec<String>,
    /// The slit names, joined by `-`, without the leading `-`; empty for none.
    pub slit: String,
    /// The subarray, `None` or `full` for none.
    pub subarray: Option<String>,
}

impl ProductName {
    /// `jw{program}-{acid}`, the start of every product name.
    pub fn head(program: &str, acid: &str) -> String {
        format!("jw{}-{acid}", escaped(program))
    }

    /// The optical elements: sorted without regard to case and joined by `-`; `clear` when
    /// there are none (`jwst/associations/lib/dms_base.py:786-819`).
    pub fn optical(&self) -> String {
        let mut parts: Vec<&str> = self
            .optical
            .iter()
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .collect();
        parts.sort_by_key(|p| p.to_lowercase());
        if parts.is_empty() {
            "clear".to_string()
        } else {
            parts.join("-")
        }
    }

    /// `-{slit}`, or nothing.
    pub fn slit(&self) -> String {
        if self.slit.is_empty() {
            String::new()
        } else {
            format!("-{}", self.slit)
        }
    }

    /// `-{subarray}`, or nothing for none or full frame.
    pub fn subarray(&self) -> String {
        match self.subarray.as_deref() {
            Some(s) if !s.eq_ignore_ascii_case("full") => format!("-{s}"),
            _ => String::new(),
        }
    }

    /// The name without optical path: `{head}_{target}_{instrument}`, lower-cased (MIRI MRS,
    /// whose channels and bands are all in one product).
    pub fn without_optical(&self) -> String {
        format!("{}_{}_{}", self.head, self.target, self.instrument).to_lowercase()
    }

    /// The base name: `{head}_{target}_{instrument}_{optical}{-slit}{-subarray}`, lower-cased.
    pub fn base(&self) -> String {
        format!(
            "{}_{}_{}_{}{}{}",
            self.head,
            self.target,
            self.instrument,
            self.optical(),
            self.slit(),
            self.subarray()
        )
        .to_lowercase()
    }
}

/// The name of the Stage 3 image product that a WFSS grism exposure's direct image `direct`
/// makes in candidate `acid` (`AsnMixin_Lv2WFSS.add_catalog_members`,
/// `jwst/associations/lib/rules_level2_base.py:1307-1470`): the optical elements of the direct
/// image itself (MIRI: `FILTER` only), the subarray only where the rule has it as a key
/// (NIRISS), no slit.
pub fn wfss_direct_image_root(direct: &Row, acid: &str, subarray_key: bool) -> String {
    let optical_keys: &[&[&str]] = if direct.value("INSTRUME") == Some("miri") {
        &[&["FILTER"]]
    } else {
        &[&["FILTER", "BAND"], &["PUPIL", "GRATING"]]
    };
    let optical = optical_keys
        .iter()
        .filter_map(|keys| keys.iter().find_map(|k| direct.set_value(k)))
        .map(str::to_string)
        .collect();
    ProductName {
        head: ProductName::head(&direct.program(), acid),
        target: format!("t{:03}", direct.target),
        instrument: escaped(direct.value("INSTRUME").unwrap_or("")),
        optical,
        slit: String::new(),
        subarray: subarray_key
            .then(|| direct.value("SUBARRAY").map(escaped))
            .flatten(),
    }
    .base()
}

/// An association's file name: `jw{program}-{acid}_{asn_type}_{sequence:05}_asn.json`.
pub fn file_name(program: &str, acid: &str, asn_type: AsnType, sequence: usize) -> String {
    format!("jw{program}-{acid}_{asn_type}_{sequence:05}_asn.json").to_lowercase()
}
