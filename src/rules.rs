//! The rule table: every rule name the reference accepts that builds an association, its
//! stage, and what it needs beyond a science member to be valid.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::model::Stage;

/// What a rule needs, beyond a science member, for the association to be valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Needs {
    /// Nothing more.
    Nothing,
    /// A `psf` member (coronagraphy and AMI).
    Psf,
    /// At least two members of any type (wavefront-sensing combination).
    TwoMembers,
    /// A candidate type that a list of files cannot give (the rule is never valid here).
    CandidateType,
}

/// What a Stage 2 rule asks of a background candidate id (`c...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackgroundCandidates {
    /// A background candidate needs a background member.
    NeedBackground,
    /// Any `o` or `c` candidate will do (`Asn_Lv2WFSSParallel`, as the reference has it).
    Accepted,
}

/// One association rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rule {
    name: &'static str,
    stage: Stage,
    needs: Needs,
    background_candidates: BackgroundCandidates,
}

impl Rule {
    /// The rule used when none is named.
    pub const DEFAULT: &'static str = "DMS_Level3_Base";

    /// The rule's name, written as `asn_rule`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The kind of association the rule makes.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// What the rule needs beyond a science member.
    pub fn needs(&self) -> Needs {
        self.needs
    }

    /// What the rule asks of a background candidate id.
    pub fn background_candidates(&self) -> BackgroundCandidates {
        self.background_candidates
    }

    /// Every rule, Stage 3 first, then Stage 2, then the bare rule.
    pub fn all() -> &'static [Rule] {
        RULES
    }

    /// The rule called `name` (names are case-sensitive).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownRule`], with the closest rule names, when no rule has that name.
    pub fn find(name: &str) -> Result<Rule, Error> {
        RULES
            .iter()
            .find(|rule| rule.name == name)
            .copied()
            .ok_or_else(|| Error::UnknownRule {
                name: name.to_string(),
                closest: crate::suggest::closest(name, RULES.iter().map(|r| r.name)),
            })
    }
}

impl FromStr for Rule {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Rule::find(name)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

const fn rule(name: &'static str, stage: Stage, needs: Needs) -> Rule {
    Rule {
        name,
        stage,
        needs,
        background_candidates: BackgroundCandidates::NeedBackground,
    }
}

const fn three(name: &'static str) -> Rule {
    rule(name, Stage::Three, Needs::Nothing)
}

const fn two(name: &'static str) -> Rule {
    rule(name, Stage::Two, Needs::Nothing)
}

/// The names are those of the reference's registry (jwst 3.0.0) that build an association
/// from a list, plus the Stage 3 names of the "Level3 Associations: Rules" document.
static RULES: &[Rule] = &[
    three("DMS_Level3_Base"),
    three("Asn_Lv3ACQ_Reprocess"),
    rule("Asn_Lv3AMI", Stage::Three, Needs::Psf),
    three("Asn_Lv3Image"),
    three("Asn_Lv3ImageBackground"),
    rule("Asn_Lv3ImageMosaic", Stage::Three, Needs::CandidateType),
    rule("Asn_Lv3MIRCoron", Stage::Three, Needs::Psf),
    three("Asn_Lv3MIRMRS"),
    three("Asn_Lv3MIRMRSBackground"),
    rule("Asn_Lv3NRCCoron", Stage::Three, Needs::Psf),
    three("Asn_Lv3NRCCoronImage"),
    three("Asn_Lv3NRSFSS"),
    three("Asn_Lv3NRSIFU"),
    three("Asn_Lv3NRSIFUBackground"),
    three("Asn_Lv3SlitlessSpectral"),
    three("Asn_Lv3SpecAux"),
    three("Asn_Lv3SpectralSource"),
    three("Asn_Lv3SpectralTarget"),
    rule("Asn_Lv3TSO", Stage::Three, Needs::CandidateType),
    rule("Asn_Lv3WFSCMB", Stage::Three, Needs::TwoMembers),
    three("Asn_Lv3WFSSMIR"),
    three("Asn_Lv3WFSSNIS"),
    three("Asn_Lv3WFSSNRC"),
    // The names of the "Level3 Associations: Rules" document, which earlier releases used.
    three("Asn_Image"),
    rule("Asn_WFSCMB", Stage::Three, Needs::TwoMembers),
    three("Asn_MIRI_LRS_FIXEDSLIT"),
    three("Asn_MIRI_LRS_SLITLESS"),
    three("Asn_NIR_SO_SLITLESS"),
    three("Asn_NRS_FIXEDSLIT"),
    three("Asn_NRS_MSA"),
    three("Asn_MIRI_IFU"),
    three("Asn_NRS_IFU"),
    rule("Asn_Coron", Stage::Three, Needs::Psf),
    two("DMSLevel2bBase"),
    two("AsnMixin_Lv2Spectral"),
    two("Asn_Lv2CoronAsRate"),
    two("Asn_Lv2FGS"),
    two("Asn_Lv2Image"),
    two("Asn_Lv2ImageNonScience"),
    two("Asn_Lv2ImageSpecial"),
    two("Asn_Lv2ImageTSO"),
    two("Asn_Lv2MIRLRSFixedSlitNod"),
    two("Asn_Lv2NRSFSS"),
    two("Asn_Lv2NRSIFUNod"),
    two("Asn_Lv2NRSLAMPImage"),
    two("Asn_Lv2NRSLAMPSpectral"),
    two("Asn_Lv2NRSMSA"),
    two("Asn_Lv2Spec"),
    two("Asn_Lv2SpecImprint"),
    two("Asn_Lv2SpecSpecial"),
    two("Asn_Lv2SpecTSO"),
    two("Asn_Lv2WFSC"),
    two("Asn_Lv2WFSSMIR"),
    two("Asn_Lv2WFSSNIS"),
    two("Asn_Lv2WFSSNRC"),
    // Its candidate check is its own (jwst 3.0.0): c1000 without a background is valid.
    Rule {
        background_candidates: BackgroundCandidates::Accepted,
        ..two("Asn_Lv2WFSSParallel")
    },
    two("Asn_MIRLRSTAConfirm"),
    rule("Association", Stage::Bare, Needs::Nothing),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExpType;

    #[test]
    fn every_rule_name_is_unique() {
        let mut names: Vec<_> = Rule::all().iter().map(Rule::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::all().len());
    }

    #[test]
    fn rule_stages_follow_the_reference() {
        let stage = |name| Rule::find(name).unwrap().stage();
        assert_eq!(stage("DMS_Level3_Base"), Stage::Three);
        assert_eq!(stage("Asn_Lv3SpecAux"), Stage::Three);
        assert_eq!(stage("DMSLevel2bBase"), Stage::Two);
        assert_eq!(stage("Asn_MIRLRSTAConfirm"), Stage::Two);
        assert_eq!(stage("AsnMixin_Lv2Spectral"), Stage::Two);
        assert_eq!(stage("Association"), Stage::Bare);
        assert_eq!(Rule::find("Asn_Coron").unwrap().needs(), Needs::Psf);
    }

    #[test]
    fn registry_names_that_are_not_rules_are_refused() {
        for name in [
            "Constraint",
            "Utility",
            "AsnMixin_Science",
            "dms_level3_base",
            "",
        ] {
            assert!(Rule::find(name).is_err(), "{name}");
        }
    }

    #[test]
    fn an_unknown_rule_names_the_closest_ones() {
        let Err(Error::UnknownRule { closest, .. }) = Rule::find("Asn_Lv2Imag") else {
            panic!("expected an unknown rule")
        };
        assert_eq!(closest.first(), Some(&"Asn_Lv2Image"));
        let Err(Error::UnknownRule { closest, .. }) = Rule::find("dms_level3_base") else {
            panic!("expected an unknown rule")
        };
        assert_eq!(closest.first(), Some(&"DMS_Level3_Base"));
    }

    #[test]
    fn stages_take_their_documented_types() {
        assert!(Stage::Two.takes(ExpType::Imprint));
        assert!(!Stage::Two.takes(ExpType::Psf));
        assert!(Stage::Three.takes(ExpType::Psf));
        assert!(!Stage::Three.takes(ExpType::Segmap));
        assert!(!Stage::Bare.takes(ExpType::Background));
        assert_eq!(Stage::of_type(ExpType::Psf), Some(Stage::Three));
        assert_eq!(Stage::of_type(ExpType::Imprint), Some(Stage::Two));
        assert_eq!(Stage::of_type(ExpType::Other("x")), None);
    }
}
