//! Names the generator derives from headers: Stage 3 product names
//! (`DMS_Level3_Base._dms_product_name`, `jwst/associations/lib/rules_level3_base.py:142-187`)
//! and association file names (`jwst/associations/lib/dms_base.py:324-363`).

use super::pool::Row;

/// The optical elements of a product name: `FILTER`'s value and `PUPIL`'s (else `GRATING`'s),
/// sorted without regard to case and joined by `-`; `clear` when there is neither
/// (`jwst/associations/lib/dms_base.py:786-819`).
pub fn optical_elements(row: &Row) -> String {
    let mut parts: Vec<&str> = [row.value("FILTER"), row.first_of(&["PUPIL", "GRATING"])]
        .into_iter()
        .flatten()
        .filter(|v| !v.is_empty())
        .collect();
    parts.sort_by_key(|p| p.to_lowercase());
    if parts.is_empty() {
        "clear".to_string()
    } else {
        parts.join("-")
    }
}

/// The Stage 3 product name of an imaging exposure in candidate `acid`:
/// `jw{program}-{acid}_t{target}_{instrument}_{optical}{-slit}{-subarray}`, lower-cased.
pub fn stage3_image_name(row: &Row, acid: &str) -> String {
    let slit = row
        .value("FXD_SLIT")
        .map(|s| format!("-{s}"))
        .unwrap_or_default();
    let subarray = match row.value("SUBARRAY") {
        Some(s) if s != "full" => format!("-{s}"),
        _ => String::new(),
    };
    format!(
        "jw{}-{acid}_t{:03}_{}_{}{slit}{subarray}",
        row.program(),
        row.target,
        row.value("INSTRUME").unwrap_or(""),
        optical_elements(row),
    )
    .to_lowercase()
}

/// An association's file name: `jw{program}-{acid}_{asn_type}_{sequence:05}_asn.json`.
pub fn file_name(program: &str, acid: &str, asn_type: &str, sequence: usize) -> String {
    format!("jw{program}-{acid}_{asn_type}_{sequence:05}_asn.json").to_lowercase()
}
