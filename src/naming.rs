//! Names derived from an exposure's: Stage 2 product names (the exposure's path, normalised,
//! less its extension and one known pipeline suffix, exactly as the reference derives them),
//! and the names the generator gives members made from `*_uncal.*` inputs.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The pipeline suffixes the reference knows (`jwst.lib.suffix.KNOW_SUFFIXES`, jwst 3.0.0),
/// sorted so that membership is a binary search.
pub(crate) const KNOWN_SUFFIXES: [&str; 159] = [
    "adaptive_trace_model",
    "adaptivetracemodelstep",
    "align_refs",
    "alignrefsstep",
    "ami",
    "ami-oi",
    "ami3pipeline",
    "ami_analyze",
    "ami_normalize",
    "amianalyzestep",
    "aminorm",
    "aminorm-oi",
    "aminormalizestep",
    "assign_mtwcs",
    "assign_wcs",
    "assignmtwcsstep",
    "assignwcsstep",
    "backgroundstep",
    "badpixselfcalstep",
    "barshadowstep",
    "bkg_subtract",
    "blot",
    "bsub",
    "bsubints",
    "c1d",
    "cal",
    "calints",
    "cat",
    "chargemigrationstep",
    "clean_flicker_noise",
    "cleanflickernoisestep",
    "combine1dstep",
    "combine_1d",
    "coron3pipeline",
    "crf",
    "crfints",
    "cube_build",
    "cubebuildstep",
    "dark",
    "dark_current",
    "darkcurrentstep",
    "darkpipeline",
    "detector1pipeline",
    "dq_init",
    "dqinitstep",
    "emicorr",
    "emicorrstep",
    "engdblog",
    "extract1dstep",
    "extract2dstep",
    "extract_1d",
    "extract_2d",
    "firstframe",
    "firstframestep",
    "flat_field",
    "flatfieldstep",
    "fringe",
    "fringestep",
    "gain_scale",
    "gainscalestep",
    "group_scale",
    "groupscalestep",
    "guider_cds",
    "guidercdsstep",
    "guiderpipeline",
    "hlsp",
    "hlspstep",
    "i2d",
    "image2pipeline",
    "image3pipeline",
    "imprint",
    "imprintstep",
    "ipc",
    "ipcstep",
    "jump",
    "jumpstep",
    "klip",
    "klipstep",
    "lastframe",
    "lastframestep",
    "linearity",
    "linearitystep",
    "master_background",
    "masterbackgroundmosstep",
    "masterbackgroundstep",
    "mbsub",
    "median",
    "msaflagopenstep",
    "outlier_detection",
    "outlierdetectionstep",
    "pathloss",
    "pathlossstep",
    "persistence",
    "persistencestep",
    "phot",
    "photom",
    "photomstep",
    "picture_frame",
    "pictureframestep",
    "pixelreplacestep",
    "psfalign",
    "psfstack",
    "psfsub",
    "ramp",
    "ramp_fit",
    "rampfitstep",
    "rate",
    "rateints",
    "refpix",
    "refpixstep",
    "resample",
    "resample_spec",
    "resamplespecstep",
    "resamplestep",
    "reset",
    "resetstep",
    "residual_fringe",
    "residualfringestep",
    "rscd",
    "rscdstep",
    "s2d",
    "s3d",
    "saturation",
    "saturationstep",
    "skymatch",
    "skymatchstep",
    "snr",
    "source_catalog",
    "sourcecatalogstep",
    "sourcetypestep",
    "spec2nrslamp",
    "spec2pipeline",
    "spec3pipeline",
    "spectral_leak",
    "spectralleakstep",
    "srctype",
    "stackrefs",
    "stackrefsstep",
    "straylight",
    "straylightstep",
    "superbias",
    "superbiasstep",
    "targ_centroid",
    "targcentroidstep",
    "tso3pipeline",
    "tsophotometrystep",
    "tweakreg",
    "tweakregstep",
    "uncal",
    "wavecorrstep",
    "wfscmb",
    "wfscombine",
    "wfscombinestep",
    "wfsscontamstep",
    "white_light",
    "whitelightstep",
    "whtlt",
    "x1d",
    "x1dints",
];

/// The longest entry of [`KNOWN_SUFFIXES`]: no tail longer than this can be a suffix.
const LONGEST_SUFFIX: usize = 23;

/// Which bytes some known suffix starts with. Most tails of an exposure name start with a digit
/// or a letter no suffix starts with, and are refused here without a search.
static FIRST_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < KNOWN_SUFFIXES.len() {
        table[KNOWN_SUFFIXES[i].as_bytes()[0] as usize] = true;
        i += 1;
    }
    table
};

/// Whether `name` is one of the reference's known pipeline suffixes.
pub(crate) fn is_known_suffix(name: &[u8]) -> bool {
    match name.first() {
        Some(&first) if FIRST_BYTES[usize::from(first)] && name.len() <= LONGEST_SUFFIX => {
            KNOWN_SUFFIXES
                .binary_search_by(|suffix| suffix.as_bytes().cmp(name))
                .is_ok()
        }
        _ => false,
    }
}

/// The name of the Stage 2 product made from the exposure `expname`.
///
/// The path is normalised the way the reference's `pathlib` does it (empty and `.` components
/// go, `..` stays, a leading `//` is kept), its last component loses its extension, and then
/// one known suffix is removed with its `_` or `-` separator, as the reference's `remove_suffix` does.
/// A name without a directory part is borrowed, not copied. Names are bytes: one that is not
/// UTF-8 is named as the reference names its surrogate-escaped text.
///
/// ```
/// use asn_from_list::naming::stage2_product_name;
/// use std::ffi::OsStr;
/// let name = |s| stage2_product_name(OsStr::new(s)).into_owned();
/// assert_eq!(name("jw01234001001_02101_00001_nrca1_rate.fits"), "jw01234001001_02101_00001_nrca1");
/// assert_eq!(name("./dir//a_cal.fits"), "dir/a");
/// assert_eq!(name("g_bogus.fits"), "g_bogus");
/// ```
pub fn stage2_product_name(expname: &OsStr) -> Cow<'_, OsStr> {
    let expname = expname.as_bytes();
    if !expname.contains(&b'/') {
        let name: &[u8] = match expname {
            b"" | b"." => b".",
            _ => match stem(expname) {
                b"." => b".",
                stem => stem,
            },
        };
        return Cow::Borrowed(OsStr::from_bytes(remove_known_suffix(name)));
    }
    let mut path = parent_and_stem(expname);
    let kept = remove_known_suffix(&path).len();
    path.truncate(kept);
    Cow::Owned(std::ffi::OsString::from_vec(path))
}

/// The path of `expname` with its last component replaced by that component's stem, written
/// as `pathlib` writes a path.
fn parent_and_stem(expname: &[u8]) -> Vec<u8> {
    let root: &[u8] = if expname.starts_with(b"//") && !expname.starts_with(b"///") {
        b"//"
    } else if expname.starts_with(b"/") {
        b"/"
    } else {
        b""
    };
    let mut parts: Vec<&[u8]> = expname
        .split(|&b| b == b'/')
        .filter(|part| !part.is_empty() && *part != b".")
        .collect();
    if let Some(last) = parts.pop() {
        let stem = stem(last);
        if stem != b"." {
            parts.push(stem);
        }
    }
    let joined = [root, &parts.join(&b'/')].concat();
    if joined.is_empty() {
        b".".to_vec()
    } else {
        joined
    }
}

/// A file name less its extension, as `pathlib`'s `stem`: the extension starts at the last dot,
/// unless that dot is the first or the last character.
fn stem(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 && dot < name.len() - 1 => &name[..dot],
        _ => name,
    }
}

/// `name` less one known suffix and its separator, as the reference's `remove_suffix` does it.
///
/// The reference matches `^(?P<root>.+?)((_|-)(suffix|...))?$`, so the root is the shortest
/// non-empty prefix after which the whole tail is `_` or `-` and a known suffix, or else the
/// whole name. Python's `.` does not match a newline and its `$` also matches before a final
/// newline: a name with any other newline is kept as it is, and a final newline is dropped.
///
/// The root is at least one character; a name's first byte is always part of its first
/// character, so a separator is looked for from the second byte on.
pub(crate) fn remove_known_suffix(name: &[u8]) -> &[u8] {
    let body = name.strip_suffix(b"\n").unwrap_or(name);
    if body.is_empty() || body.contains(&b'\n') {
        return name;
    }
    let first = body.len().saturating_sub(LONGEST_SUFFIX + 1).max(1);
    (first..body.len())
        .find(|&at| matches!(body[at], b'_' | b'-') && is_known_suffix(&body[at + 1..]))
        .map_or(body, |at| &body[..at])
}

/// The name the generator gives a member made from the exposure named `name`
/// (`Utility.rename_to_level2a`, `jwst/associations/lib/rules_level2_base.py:505-534`, and
/// `rename_to_level2`, `jwst/associations/lib/rules_level3_base.py:436-483`): a `*_uncal.*`
/// name with `_uncal` replaced by `_` and `suffix`; `None` for any other name, which the
/// generator keeps as it is.
pub fn level2_name(name: &OsStr, suffix: &str) -> Option<std::ffi::OsString> {
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

    #[test]
    fn the_suffix_table_is_sorted_and_has_the_reference_count() {
        assert_eq!(KNOWN_SUFFIXES.len(), 159);
        assert!(KNOWN_SUFFIXES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            KNOWN_SUFFIXES.iter().map(|s| s.len()).max(),
            Some(LONGEST_SUFFIX)
        );
    }

    /// Names and the product names the reference gives them (jwst 3.0.0, asked through
    /// `asn_from_list([name], rule=DMSLevel2bBase)`).
    #[test]
    fn product_names_match_the_reference_table() {
        let table: Vec<(String, String)> =
            serde_json::from_str(include_str!("../tests/fixtures/l2_names.json")).unwrap();
        assert!(table.len() > 50);
        for (expname, want) in &table {
            assert_eq!(
                stage2_product_name(OsStr::new(expname)),
                OsStr::new(want),
                "expname {expname:?}"
            );
        }
    }

    #[test]
    fn the_fast_lookup_agrees_with_plain_membership() {
        let member = |s: &str| KNOWN_SUFFIXES.contains(&s);
        for suffix in KNOWN_SUFFIXES {
            assert!(is_known_suffix(suffix.as_bytes()), "{suffix}");
            for near in [
                suffix[1..].to_string(),
                format!("{suffix}x"),
                format!("x{suffix}"),
                suffix.to_uppercase(),
            ] {
                assert_eq!(is_known_suffix(near.as_bytes()), member(&near), "{near}");
            }
        }
        for other in ["", "0cal", "nrca1", "cal ", "\u{e9}cal"] {
            assert!(!is_known_suffix(other.as_bytes()), "{other}");
        }
    }

    #[test]
    fn names_without_a_directory_are_borrowed() {
        let name = stage2_product_name(OsStr::new("jw01_nrca1_cal.fits"));
        assert!(matches!(name, Cow::Borrowed(n) if n == "jw01_nrca1"));
    }

    #[test]
    fn only_one_suffix_is_removed_and_only_a_whole_tail() {
        assert_eq!(remove_known_suffix(b"x_rate_rate"), b"x_rate");
        assert_eq!(remove_known_suffix(b"a_ratex"), b"a_ratex");
        assert_eq!(remove_known_suffix(b"a_Rate"), b"a_Rate");
        assert_eq!(remove_known_suffix(b"a_ami-oi"), b"a");
        assert_eq!(remove_known_suffix(b"a_align_refs"), b"a");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_named_as_their_escapes_are() {
        let name = |b: &[u8]| {
            stage2_product_name(OsStr::from_bytes(b))
                .as_bytes()
                .to_vec()
        };
        assert_eq!(name(b"a\xff_rate.fits"), b"a\xff");
        assert_eq!(name(b"d/b\xe2\x82_cal.fits"), b"d/b\xe2\x82");
        assert_eq!(name(b"\xff_rate"), b"\xff");
    }

    #[test]
    fn newlines_follow_pythons_dot_and_dollar() {
        assert_eq!(remove_known_suffix(b"a_rate\n"), b"a");
        assert_eq!(remove_known_suffix(b"a\n"), b"a");
        assert_eq!(remove_known_suffix(b"a\nb_rate"), b"a\nb_rate");
        assert_eq!(remove_known_suffix(b"\n"), b"\n");
        assert_eq!(remove_known_suffix(b""), b"");
    }

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
