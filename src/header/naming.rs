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

/// The name the generator gives a member made from the exposure named `name`
/// (`Utility.rename_to_level2a`, `jwst/associations/lib/rules_level2_base.py:505-534`, and
/// `rename_to_level2`, `jwst/associations/lib/rules_level3_base.py:436-483`): a `*_uncal.*`
/// name with `_uncal` replaced by `_` and `suffix`; `None` for any other name, which the
/// generator keeps as it is.
pub fn level2_name(name: &std::ffi::OsStr, suffix: &str) -> Option<std::ffi::OsString> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = name.as_bytes();
    // `(?P<path>.+)(?P<type>_uncal)(?P<extension>\..+)`, greedy: the last `_uncal.` with
    // something before it and after the dot; `.` takes no newline.
    if bytes.contains(&b'\n') {
        return None;
    }
    let marker = b"_uncal.";
    let at = (1..bytes.len().saturating_sub(marker.len()))
        .rev()
        .find(|&i| bytes[i..].starts_with(marker))?;
    let mut renamed = bytes[..at].to_vec();
    renamed.push(b'_');
    renamed.extend_from_slice(suffix.as_bytes());
    renamed.extend_from_slice(&bytes[at + "_uncal".len()..]);
    Some(std::ffi::OsString::from_vec(renamed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn only_uncal_names_are_renamed_at_their_last_uncal() {
        let renamed = |n: &str, s| level2_name(OsStr::new(n), s).map(|o| o.into_string().unwrap());
        assert_eq!(
            renamed("a_uncal.fits", "rate").as_deref(),
            Some("a_rate.fits")
        );
        assert_eq!(
            renamed("d/x_uncal.y_uncal.fits", "calints").as_deref(),
            Some("d/x_uncal.y_calints.fits")
        );
        assert_eq!(renamed("x_uncal.", "rate"), None);
        assert_eq!(renamed("_uncal.fits", "rate"), None);
        assert_eq!(renamed("a_rate.fits", "cal"), None);
    }
}
