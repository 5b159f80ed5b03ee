//! The association as data: [`Association`], its products and members, and the meta keywords.
//!
//! Field order is key order: serializing these types with any serde serializer gives the keys
//! in the order the reference writes them. The reference-compatible text itself (indentation,
//! escaping) is the job of [`crate::json`].

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};

use crate::naming::stage2_product_name;

/// What a member exposure is to its product: the `exptype` of a member.
///
/// The named variants are the types the pipeline documents; any other string (the reference's
/// Python API accepts `target_acquisition`, for one) is kept as [`ExpType::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExpType<'a> {
    /// The exposure the product is made from.
    Science,
    /// A background exposure (Stage 2 and Stage 3).
    Background,
    /// A NIRSpec imprint exposure (Stage 2).
    Imprint,
    /// A point-spread-function reference (Stage 3: coronagraphy, AMI).
    Psf,
    /// A source catalog (Stage 2 wide-field slitless spectroscopy).
    Sourcecat,
    /// A segmentation map (Stage 2 wide-field slitless spectroscopy).
    Segmap,
    /// A direct image (Stage 2 wide-field slitless spectroscopy).
    DirectImage,
    /// An exposure for bad-pixel self-calibration (Stage 2 spectroscopy).
    Selfcal,
    /// A target acquisition (Stage 2 MIRI LRS; the generator also lists them at Stage 3).
    TargetAcquisition,
    /// Any other type string, written as given.
    Other(&'a str),
}

impl<'a> ExpType<'a> {
    /// The documented types other than science, in the order their members are written.
    pub const ATTACHED: [ExpType<'static>; 8] = [
        ExpType::Background,
        ExpType::Imprint,
        ExpType::Psf,
        ExpType::Sourcecat,
        ExpType::Segmap,
        ExpType::DirectImage,
        ExpType::Selfcal,
        ExpType::TargetAcquisition,
    ];

    /// The type named by `s`: a documented type when `s` is its exact name, otherwise
    /// [`ExpType::Other`].
    pub fn parse(s: &'a str) -> Self {
        match s {
            "science" => ExpType::Science,
            "background" => ExpType::Background,
            "imprint" => ExpType::Imprint,
            "psf" => ExpType::Psf,
            "sourcecat" => ExpType::Sourcecat,
            "segmap" => ExpType::Segmap,
            "direct_image" => ExpType::DirectImage,
            "selfcal" => ExpType::Selfcal,
            "target_acquisition" => ExpType::TargetAcquisition,
            other => ExpType::Other(other),
        }
    }

    /// The string written as the member's `exptype`.
    pub fn as_str(&self) -> &'a str {
        match self {
            ExpType::Science => "science",
            ExpType::Background => "background",
            ExpType::Imprint => "imprint",
            ExpType::Psf => "psf",
            ExpType::Sourcecat => "sourcecat",
            ExpType::Segmap => "segmap",
            ExpType::DirectImage => "direct_image",
            ExpType::Selfcal => "selfcal",
            ExpType::TargetAcquisition => "target_acquisition",
            ExpType::Other(s) => s,
        }
    }

    /// Every member type the pipeline reads, by name: science, then the attached types.
    pub fn known() -> impl Iterator<Item = &'static str> + Clone {
        std::iter::once(ExpType::Science)
            .chain(ExpType::ATTACHED)
            .map(|t| t.as_str())
    }

    /// Where members of this type stand in a product: science first, then the documented
    /// types in [`ExpType::ATTACHED`] order, then any other type.
    pub(crate) fn rank(&self) -> usize {
        match self {
            ExpType::Science => 0,
            other => ExpType::ATTACHED
                .iter()
                .position(|t| t == other)
                .map_or(ExpType::ATTACHED.len() + 1, |i| i + 1),
        }
    }
}

impl fmt::Display for ExpType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ExpType<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The pipeline an association is for: its `asn_type`, as the generator writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AsnType {
    /// `image2`: `calwebb_image2`.
    Image2,
    /// `spec2`: `calwebb_spec2`.
    Spec2,
    /// `tso-image2`: `calwebb_image2` on a time series.
    TsoImage2,
    /// `tso-spec2`: `calwebb_spec2` on a time series.
    TsoSpec2,
    /// `nrslamp-spec2`: `calwebb_spec2` on NIRSpec lamp exposures.
    NrslampSpec2,
    /// `image3`: `calwebb_image3`.
    Image3,
    /// `spec3`: `calwebb_spec3`.
    Spec3,
    /// `coron3`: `calwebb_coron3`.
    Coron3,
    /// `ami3`: `calwebb_ami3`.
    Ami3,
    /// `tso3`: `calwebb_tso3`.
    Tso3,
    /// `wfs-image3`: `calwebb_wfs-image3`.
    WfsImage3,
}

impl AsnType {
    /// Every type, Stage 2 first.
    pub const ALL: [AsnType; 11] = [
        AsnType::Image2,
        AsnType::Spec2,
        AsnType::TsoImage2,
        AsnType::TsoSpec2,
        AsnType::NrslampSpec2,
        AsnType::Image3,
        AsnType::Spec3,
        AsnType::Coron3,
        AsnType::Ami3,
        AsnType::Tso3,
        AsnType::WfsImage3,
    ];

    /// The `asn_type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            AsnType::Image2 => "image2",
            AsnType::Spec2 => "spec2",
            AsnType::TsoImage2 => "tso-image2",
            AsnType::TsoSpec2 => "tso-spec2",
            AsnType::NrslampSpec2 => "nrslamp-spec2",
            AsnType::Image3 => "image3",
            AsnType::Spec3 => "spec3",
            AsnType::Coron3 => "coron3",
            AsnType::Ami3 => "ami3",
            AsnType::Tso3 => "tso3",
            AsnType::WfsImage3 => "wfs-image3",
        }
    }

    /// The type named `s`, if it is one.
    pub fn parse(s: &str) -> Option<AsnType> {
        AsnType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The stage whose pipelines read it.
    pub fn stage(self) -> Stage {
        match self {
            AsnType::Image2
            | AsnType::Spec2
            | AsnType::TsoImage2
            | AsnType::TsoSpec2
            | AsnType::NrslampSpec2 => Stage::Two,
            _ => Stage::Three,
        }
    }
}

impl fmt::Display for AsnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of association a rule makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Stage 2: one product per science exposure.
    Two,
    /// Stage 3: one product, named by `--product-name`.
    Three,
    /// The bare `Association` rule: member names only.
    Bare,
}

impl Stage {
    /// Whether a member of type `exptype` belongs in an association of this stage.
    pub fn takes(self, exptype: ExpType<'_>) -> bool {
        use ExpType::*;
        match self {
            Stage::Two => matches!(
                exptype,
                Science
                    | Background
                    | Imprint
                    | Sourcecat
                    | Segmap
                    | DirectImage
                    | Selfcal
                    | TargetAcquisition
            ),
            Stage::Three => matches!(exptype, Science | Background | Psf),
            Stage::Bare => exptype == Science,
        }
    }

    /// The stage whose associations take `exptype`, for an error that says where it belongs.
    pub fn of_type(exptype: ExpType<'_>) -> Option<Stage> {
        [Stage::Three, Stage::Two]
            .into_iter()
            .find(|stage| exptype != ExpType::Science && stage.takes(exptype))
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Two => "Stage 2",
            Stage::Three => "Stage 3",
            Stage::Bare => "bare",
        })
    }
}

/// One member exposure: its file name, exactly as given, and its type.
///
/// A name is any bytes a file name can hold. One that is not UTF-8 is written as the reference
/// writes it: each byte that is not part of a UTF-8 character becomes a lone surrogate escape
/// (`a\xff.fits` is `"a\udcff.fits"`), which the pipeline reads back to the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// The exposure's file name, written verbatim.
    pub expname: &'a OsStr,
    /// What the exposure is to its product.
    pub exptype: ExpType<'a>,
}

impl<'a> Member<'a> {
    /// A member of type `exptype`.
    pub fn new<S: AsRef<OsStr> + ?Sized>(expname: &'a S, exptype: ExpType<'a>) -> Self {
        Member {
            expname: expname.as_ref(),
            exptype,
        }
    }

    /// A science member.
    pub fn science<S: AsRef<OsStr> + ?Sized>(expname: &'a S) -> Self {
        Member::new(expname, ExpType::Science)
    }
}

impl Serialize for Member<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut member = serializer.serialize_struct("Member", 2)?;
        member.serialize_field("expname", &Name(self.expname))?;
        member.serialize_field("exptype", &self.exptype)?;
        member.end()
    }
}

/// A file or product name for serde: a string when it is UTF-8, its bytes otherwise (which
/// [`crate::json`] writes as the reference does).
#[derive(Debug, Clone, Copy)]
pub struct Name<'a>(pub &'a OsStr);

impl Serialize for Name<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.to_str() {
            Some(text) => serializer.serialize_str(text),
            None => serializer.serialize_bytes(self.0.as_bytes()),
        }
    }
}

/// A meta keyword of an association: the top-level keys other than `products` and `members`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaKey {
    /// `asn_type`: which Stage 3 pipeline the association is for.
    AsnType,
    /// `asn_rule`: the rule that made the association.
    AsnRule,
    /// `version_id`.
    VersionId,
    /// `code_version`: the version of the program that wrote the file.
    CodeVersion,
    /// `degraded_status`.
    DegradedStatus,
    /// `program`: the observing program.
    Program,
    /// `constraints`.
    Constraints,
    /// `asn_id`.
    AsnId,
    /// `target`.
    Target,
    /// `asn_pool`: the pool the exposures came from.
    AsnPool,
}

impl MetaKey {
    /// Every key, in the order the reference writes them.
    pub const ALL: [MetaKey; 10] = [
        MetaKey::AsnType,
        MetaKey::AsnRule,
        MetaKey::VersionId,
        MetaKey::CodeVersion,
        MetaKey::DegradedStatus,
        MetaKey::Program,
        MetaKey::Constraints,
        MetaKey::AsnId,
        MetaKey::Target,
        MetaKey::AsnPool,
    ];

    /// The keys a caller may set: all but `asn_rule`, which is the rule's name.
    pub fn settable() -> impl Iterator<Item = MetaKey> {
        MetaKey::ALL.into_iter().filter(|k| *k != MetaKey::AsnRule)
    }

    /// The key as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            MetaKey::AsnType => "asn_type",
            MetaKey::AsnRule => "asn_rule",
            MetaKey::VersionId => "version_id",
            MetaKey::CodeVersion => "code_version",
            MetaKey::DegradedStatus => "degraded_status",
            MetaKey::Program => "program",
            MetaKey::Constraints => "constraints",
            MetaKey::AsnId => "asn_id",
            MetaKey::Target => "target",
            MetaKey::AsnPool => "asn_pool",
        }
    }

    /// The key written as `name`, if there is one.
    pub fn from_name(name: &str) -> Option<MetaKey> {
        MetaKey::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for MetaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The meta keywords of an association, in the order they are written. A value of `None` is
/// written as `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meta {
    entries: Vec<(MetaKey, Option<String>)>,
}

impl Meta {
    /// Sets `key`: in its place when the key is already there, otherwise after the last key.
    pub fn set(&mut self, key: MetaKey, value: Option<String>) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The value of `key`: `None` when the key is absent, `Some(None)` when it is `null`.
    pub fn get(&self, key: MetaKey) -> Option<Option<&str>> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_deref())
    }

    /// The keys and values in the order they are written.
    pub fn iter(&self) -> impl Iterator<Item = (MetaKey, Option<&str>)> {
        self.entries.iter().map(|(k, v)| (*k, v.as_deref()))
    }
}

impl<K: Into<Option<String>>> FromIterator<(MetaKey, K)> for Meta {
    fn from_iter<I: IntoIterator<Item = (MetaKey, K)>>(iter: I) -> Self {
        let mut meta = Meta::default();
        for (key, value) in iter {
            meta.set(key, value.into());
        }
        // `--auto` makes associations by the hundred thousand: no spare room in each.
        meta.entries.shrink_to_fit();
        meta
    }
}

/// How the products of an association are named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Naming {
    /// Stage 3: one product with this name, holding every member.
    One(OsString),
    /// Stage 2: one product per science member, named after its exposure, each holding that
    /// science member and every attached member.
    PerExposure,
}

/// The products of an association, held compactly: the science members, the members attached
/// to every product, and how products are named. [`Products::iter`] gives the products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Products<'a> {
    /// How products are named, and so how many there are.
    pub(crate) naming: Naming,
    /// The science members, in the order given.
    pub(crate) science: Vec<Member<'a>>,
    /// The members of other types, in the order they are written: grouped by type
    /// ([`ExpType::ATTACHED`] order, then other types), in the order given within a type.
    pub(crate) attached: Vec<Member<'a>>,
}

impl<'a> Products<'a> {
    /// The products, in the order they are written.
    pub fn iter(&self) -> impl Iterator<Item = Product<'_, 'a>> + '_ {
        let (named, per_exposure) = match &self.naming {
            Naming::One(name) => (Some(name.as_os_str()), &[][..]),
            Naming::PerExposure => (None, &self.science[..]),
        };
        let one = named.map(|name| Product {
            name: Cow::Borrowed(name),
            science: &self.science,
            attached: &self.attached,
        });
        let each = per_exposure.iter().map(|member| Product {
            name: stage2_product_name(member.expname),
            science: std::slice::from_ref(member),
            attached: &self.attached,
        });
        one.into_iter().chain(each)
    }

    /// How many products there are.
    pub fn len(&self) -> usize {
        match self.naming {
            Naming::One(_) => 1,
            Naming::PerExposure => self.science.len(),
        }
    }

    /// Whether there are no products.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One product: its name and its members. Made on demand by [`Products::iter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product<'p, 'a> {
    name: Cow<'p, OsStr>,
    science: &'p [Member<'a>],
    attached: &'p [Member<'a>],
}

impl<'p, 'a> Product<'p, 'a> {
    /// The product's name.
    pub fn name(&self) -> &OsStr {
        &self.name
    }

    /// The product's members: its science members, then the attached ones.
    pub fn members(&self) -> impl Iterator<Item = &'p Member<'a>> {
        self.science.iter().chain(self.attached)
    }
}

impl Serialize for Product<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut product = serializer.serialize_struct("Product", 2)?;
        product.serialize_field("name", &Name(&self.name))?;
        product.serialize_field("members", &Seq(|| self.members()))?;
        product.end()
    }
}

/// What follows the meta keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body<'a> {
    /// The bare `Association` rule: a `members` list of names only.
    Names(Vec<&'a OsStr>),
    /// Stage 2 and Stage 3: a `products` list.
    Products(Products<'a>),
}

/// An association: meta keywords, then its products (or, for the bare rule, member names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association<'a> {
    /// The meta keywords, in the order they are written.
    pub meta: Meta,
    /// The products, or the bare rule's names.
    pub body: Body<'a>,
}

impl Serialize for Association<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.meta.iter() {
            map.serialize_entry(key.as_str(), &value)?;
        }
        match &self.body {
            Body::Names(names) => {
                map.serialize_entry("members", &Seq(|| names.iter().map(|n| Name(n))))?
            }
            Body::Products(products) => {
                map.serialize_entry("products", &Seq(|| products.iter()))?
            }
        }
        map.end()
    }
}

/// Serializes the items of an iterator as a sequence without collecting them first.
struct Seq<F>(F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for item in (self.0)() {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_types_round_trip_through_their_names() {
        for t in ExpType::ATTACHED.into_iter().chain([ExpType::Science]) {
            assert_eq!(ExpType::parse(t.as_str()), t);
        }
        assert_eq!(ExpType::parse("selfcal"), ExpType::Selfcal);
        assert_eq!(ExpType::parse("target_acq"), ExpType::Other("target_acq"));
        assert_eq!(ExpType::parse("PSF"), ExpType::Other("PSF"));
    }

    #[test]
    fn setting_a_present_key_keeps_its_place_and_a_new_key_goes_last() {
        let mut meta: Meta = [(MetaKey::AsnType, "None"), (MetaKey::AsnPool, "none")]
            .into_iter()
            .map(|(k, v)| (k, Some(v.to_string())))
            .collect();
        meta.set(MetaKey::AsnType, Some("image3".into()));
        meta.set(MetaKey::Target, Some("9".into()));
        let keys: Vec<_> = meta.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["asn_type", "asn_pool", "target"]);
        assert_eq!(meta.get(MetaKey::AsnType), Some(Some("image3")));
    }

    #[test]
    fn stage2_products_share_the_attached_members() {
        let products = Products {
            naming: Naming::PerExposure,
            science: vec![
                Member::science("a_rate.fits"),
                Member::science("b_rate.fits"),
            ],
            attached: vec![Member::new("bg.fits", ExpType::Background)],
        };
        let names: Vec<OsString> = products.iter().map(|p| p.name().to_owned()).collect();
        assert_eq!(names, ["a", "b"]);
        for product in products.iter() {
            assert_eq!(product.members().count(), 2);
        }
        assert_eq!(products.len(), 2);
    }
}
