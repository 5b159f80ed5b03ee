//! Checking an association as the pipeline will read it: every problem that would stop or
//! mislead a run, each with the product and member it concerns and the fix where it is known.

mod json;
mod pipeline;
mod text;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use std::collections::hash_map::Entry;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::model::{ExpType, Stage};
use crate::paths::MemberPaths;
use crate::suggest::{closest, DidYouMean};
use json::Json;
use pipeline::{AsnType, Look, Pipeline};
use text::{unmark_surrogates, Read};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The pipeline will fail, or silently do something else than asked.
    Error,
    /// The pipeline will run, but the association is doubtful or soon refused.
    Warning,
}

/// One problem found in an association; a [`Report`] says which file it was found in
/// ([`Report::findings`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// The product's name (or its position, `#2`), when the finding concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The member's `expname`, when the finding concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when that is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// The finding as one line of a report: `FILE: error: product 'p': member 'm': what; fix`.
    pub fn line(&self, file: &str) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut line = format!("{file}: {severity}: ");
        if let Some(product) = &self.product {
            line += &format!("product '{product}': ");
        }
        if let Some(member) = &self.member {
            line += &format!("member '{member}': ");
        }
        line += &self.message;
        if let Some(fix) = &self.fix {
            line += &format!("; {fix}");
        }
        line
    }
}

/// The findings for several association files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    files: Vec<FileReport>,
    errors: usize,
    warnings: usize,
}

#[derive(Debug, Clone, Serialize)]
struct FileReport {
    file: String,
    findings: Vec<Finding>,
}

impl Report {
    /// Reads and checks the association at `path`, and adds what it finds; a file that cannot
    /// be read is an error of its own.
    pub fn check_file(&mut self, path: &Path, files: MemberFiles) {
        let findings = match std::fs::read(path) {
            Ok(text) => check(path, &text, files),
            Err(e) => vec![Finding {
                severity: Severity::Error,
                product: None,
                member: None,
                message: format!("cannot read it: {e}"),
                fix: None,
            }],
        };
        self.add(path, findings);
    }

    /// Checks the association whose bytes are `text`, as if read from `path` (whose extension
    /// says JSON or YAML, and whose folder is where member files are looked for), and adds
    /// what it finds: for an association held in memory.
    pub fn check_text(&mut self, path: &Path, text: &[u8], files: MemberFiles) {
        self.add(path, check(path, text, files));
    }

    fn add(&mut self, path: &Path, findings: Vec<Finding>) {
        for finding in &findings {
            match finding.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
            }
        }
        self.files.push(FileReport {
            file: path.display().to_string(),
            findings,
        });
    }

    /// Every finding with the file it was found in, in the order checked.
    pub fn findings(&self) -> impl Iterator<Item = (&str, &Finding)> + '_ {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(|finding| (f.file.as_str(), finding)))
    }

    /// How many errors were found.
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// How many warnings were found.
    pub fn warnings(&self) -> usize {
        self.warnings
    }

    /// How many files were checked.
    pub fn files(&self) -> usize {
        self.files.len()
    }

    /// The report as lines of text, one a finding.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(|finding| finding.line(&f.file)))
    }
}

/// Whether member files are looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberFiles {
    /// Each member must exist where the pipeline looks: relative to the association's folder.
    #[default]
    Check,
    /// The association is checked alone (it was made elsewhere, or for files not there yet).
    Skip,
}

/// The problems of the association at `path`, whose bytes are `text`.
pub fn check(path: &Path, text: &[u8], files: MemberFiles) -> Vec<Finding> {
    let mut report = Findings::default();
    let extension = path.extension().and_then(|e| e.to_str());
    let mut storage = [String::new(), String::new()];
    match text::read(text, &mut report, &mut storage) {
        Read::Json(value) => {
            if !value.is_object() {
                report.error(
                    None,
                    None,
                    &format!(
                        "not an association: the JSON is {}, not an object, so load_asn refuses it",
                        value.kind()
                    ),
                    Some("an association is an object with 'products'".into()),
                );
                return report.findings;
            }
            let asn = &value;
            let asn_type = asn.get("asn_type").and_then(Json::as_str);
            let rule = asn.get("asn_rule").and_then(Json::as_str);
            let pipeline = pipeline_of(asn_type, rule, &mut report);
            if let Some(pipeline) = pipeline {
                check_extension(pipeline, extension, &mut report);
            }
            let checker = Checker {
                pipeline,
                dir: crate::output::folder_of(path),
                files,
                crds_reads_first_science: extension.is_some_and(|e| e.eq_ignore_ascii_case("json")),
            };
            checker.association(asn, &mut report);
        }
        Read::Yaml { asn_type, rule } => {
            if let Some(pipeline) = pipeline_of(asn_type.as_deref(), rule.as_deref(), &mut report) {
                check_extension(pipeline, extension, &mut report);
            }
        }
        Read::Nothing => {}
    }
    report.findings
}

/// The pipeline that reads the association, with a warning where `asn_type` misleads.
fn pipeline_of(
    asn_type: Option<&str>,
    rule: Option<&str>,
    report: &mut Findings,
) -> Option<Pipeline> {
    let (pipeline, said) = Pipeline::of(asn_type, rule);
    let asn_type = asn_type.unwrap_or_default();
    match said {
        AsnType::Silent | AsnType::Agrees => {}
        AsnType::Disagrees(name) => report.warning(
            None,
            None,
            &format!(
                "asn_type '{asn_type}' is not the type of its rule '{}', which {name} runs; no \
                 pipeline reads asn_type, so it is checked as {name} reads it",
                rule.unwrap_or_default()
            ),
            Some(format!(
                "write the asn_type of {name}, or make the association with the rule you meant"
            )),
        ),
        AsnType::Unknown(near) => report.warning(
            None,
            None,
            &format!(
                "asn_type '{asn_type}' is none that jwst writes{}; no pipeline reads it, but \
                 tools that sort associations by it will miss this one",
                DidYouMean(&near)
            ),
            Some(format!(
                "write one of {}",
                pipeline::asn_types().collect::<Vec<_>>().join(", ")
            )),
        ),
    }
    pipeline
}

fn check_extension(pipeline: Pipeline, extension: Option<&str>, report: &mut Findings) {
    match pipeline.takes_extension(extension) {
        Ok(false) => {}
        Ok(true) => report.warning(
            None,
            None,
            &format!(
                "the file name ends in '{}', not .json: {} reads it, with a deprecation \
                 warning, and the next jwst release refuses it",
                extension.map_or_else(String::new, |e| format!(".{e}")),
                pipeline.name()
            ),
            Some("rename it to end in .json".into()),
        ),
        Err(what) => report.error(None, None, &what, Some("rename it to end in .json".into())),
    }
}

/// One association's checks, with what they share.
struct Checker<'a> {
    pipeline: Option<Pipeline>,
    dir: &'a Path,
    files: MemberFiles,
    /// Whether stpipe opens the first product's first `science` member before any step (it
    /// does for file names ending in .json, to choose reference files from CRDS).
    crds_reads_first_science: bool,
}

impl Checker<'_> {
    fn association(&self, asn: &Json<'_>, report: &mut Findings) {
        for key in ["asn_type", "asn_rule", "asn_pool", "program"] {
            if asn.get(key).is_some_and(|v| !v.is_string()) {
                report.error(
                    None,
                    None,
                    &format!("'{key}' is not a string, so load_asn refuses the association"),
                    Some(format!("write '{key}' as a string")),
                );
            }
        }
        let Some(products) = asn.get("products") else {
            let bare = asn.get("asn_rule").and_then(Json::as_str) == Some("Association")
                && asn.get("members").is_some_and(Json::is_array);
            if bare {
                report.warning(
                    None,
                    None,
                    "a bare association of member names, with no products: no pipeline runs it",
                    Some("make it with a Stage 2 or Stage 3 rule".into()),
                );
            } else {
                report.error(
                    None,
                    None,
                    "not an association: it has no 'products', so load_asn refuses it",
                    Some(
                        "list the exposures under \"products\", as asn-from-list writes them"
                            .into(),
                    ),
                );
            }
            return;
        };
        let Some(products) = products.as_array() else {
            report.error(
                None,
                None,
                &format!(
                    "not an association: 'products' is {}, not a list, so load_asn refuses it",
                    products.kind()
                ),
                Some("make 'products' a list of products".into()),
            );
            return;
        };
        let name = self.pipeline.map_or("the pipeline", Pipeline::name);
        if products.is_empty() {
            report.error(
                None,
                None,
                &format!("no products: {name} reads the first product, and stops"),
                Some("list the exposures under \"products\"".into()),
            );
            return;
        }
        let text = |key: &str| asn.get(key).and_then(Json::as_str);
        if let Some(p) = self.pipeline {
            if text("asn_pool").is_none() && p.needs_pool() {
                report.error(
                    None,
                    None,
                    &format!("no 'asn_pool': {name} reads it before any step, and stops"),
                    Some("add \"asn_pool\": \"none\"".into()),
                );
            }
            if text("asn_id").is_none() && p.needs_asn_id() {
                report.error(
                    None,
                    None,
                    &format!("no 'asn_id': {name} reads it, and stops"),
                    Some("add \"asn_id\": \"a3001\"".into()),
                );
            }
            if p.stage() == Stage::Three && products.len() > 1 {
                report.warning(
                    None,
                    None,
                    &format!(
                        "{} products: {name} reads only the first, '{}'",
                        products.len(),
                        products[0]
                            .get("name")
                            .and_then(Json::as_str)
                            .unwrap_or("#1")
                    ),
                    Some("split them into one association each".into()),
                );
            }
        }
        let mut names: FxHashSet<&str> = FxHashSet::default();
        let mut sciences: FxHashSet<&str> = FxHashSet::default();
        for (index, product) in products.iter().enumerate() {
            let label = product
                .get("name")
                .and_then(Json::as_str)
                .map_or_else(|| format!("#{}", index + 1), str::to_string);
            let read = match self.pipeline {
                Some(p) if p.stage() == Stage::Three => index == 0,
                _ => true,
            };
            if !product.is_object() {
                report.error(
                    Some(&label),
                    None,
                    &format!(
                        "the product is {}, not an object, so load_asn refuses the association",
                        product.kind()
                    ),
                    Some("write each product as {\"name\": ..., \"members\": [...]}".into()),
                );
                continue;
            }
            match product.get("name") {
                Some(Json::Str(n)) => {
                    let stage2 = self.pipeline.is_some_and(|p| p.stage() == Stage::Two);
                    if stage2 && !names.insert(n.as_ref()) {
                        report.warning(
                            Some(&label),
                            None,
                            &format!("a second product of this name: {name} processes it twice, and the second result overwrites the first"),
                            Some("remove one".into()),
                        );
                    }
                }
                Some(_) => report.error(
                    Some(&label),
                    None,
                    "the product's 'name' is not a string, so load_asn refuses the association",
                    Some("write the name as a string".into()),
                ),
                None if read && self.pipeline.is_some_and(Pipeline::needs_product_name) => report
                    .error(
                        Some(&label),
                        None,
                        &format!(
                        "the product has no 'name': {name} names its output after it, and stops"
                    ),
                        Some("add \"name\"".into()),
                    ),
                None => {}
            }
            let Some(members) = product.get("members") else {
                report.error(
                    Some(&label),
                    None,
                    "the product has no 'members', so load_asn refuses the association",
                    Some("list the product's exposures under \"members\"".into()),
                );
                continue;
            };
            let Some(members) = members.as_array() else {
                report.error(
                    Some(&label),
                    None,
                    "the product's 'members' is not a list, so load_asn refuses the association",
                    Some("make 'members' a list".into()),
                );
                continue;
            };
            self.product(index, &label, members, read, &mut sciences, report);
        }
    }

    fn product<'v>(
        &self,
        index: usize,
        label: &str,
        members: &'v [Json<'_>],
        read: bool,
        sciences: &mut FxHashSet<&'v str>,
        report: &mut Findings,
    ) {
        let name = self.pipeline.map_or("the pipeline", Pipeline::name);
        let mut science = 0;
        let mut exact_science = false;
        let mut psf = 0;
        // Each name with the first type it came with: a second entry of both is a duplicate.
        let mut seen: FxHashMap<&str, &str> =
            FxHashMap::with_capacity_and_hasher(members.len(), Default::default());
        for member in members {
            let expname = member.get("expname").and_then(Json::as_str);
            let exptype = member.get("exptype").and_then(Json::as_str);
            let (Some(expname), Some(exptype)) = (expname, exptype) else {
                let missing = if expname.is_none() {
                    "expname"
                } else {
                    "exptype"
                };
                report.error(
                    Some(label),
                    expname,
                    &format!(
                        "a member has no string '{missing}', so load_asn refuses the association"
                    ),
                    Some("give each member a string \"expname\" and \"exptype\"".into()),
                );
                continue;
            };
            let twice = match seen.entry(expname) {
                Entry::Occupied(first) => *first.get() == exptype,
                Entry::Vacant(slot) => {
                    slot.insert(exptype);
                    false
                }
            };
            if twice {
                report.warning(
                    Some(label),
                    Some(expname),
                    &format!("the member is listed twice, and {name} reads it twice"),
                    Some("remove one".into()),
                );
            }
            let Some(pipeline) = self.pipeline else {
                self.known_type(label, expname, exptype, None, report);
                if self.files == MemberFiles::Check {
                    let places = [(
                        pipeline::tidy(&self.dir.join(unmark_surrogates(expname))),
                        Look::AsnFolder,
                    )];
                    check_member_file(label, expname, &places, self.dir, report);
                }
                continue;
            };
            let is_science = pipeline.takes_as(exptype, "science");
            exact_science |= exptype == "science";
            if is_science {
                science += 1;
                if pipeline.stage() == Stage::Two && !sciences.insert(expname) {
                    report.warning(
                        Some(label),
                        Some(expname),
                        &format!("the exposure is the science member of an earlier product too: {name} processes it twice"),
                        Some("remove one of the products".into()),
                    );
                }
            }
            psf += usize::from(pipeline.takes_as(exptype, "psf"));
            let opened = read
                && pipeline.reads(exptype)
                && !(pipeline.stage() == Stage::Two && is_science && science > 1);
            if !pipeline.reads(exptype) {
                self.known_type(label, expname, exptype, Some(pipeline), report);
            }
            if opened && self.files == MemberFiles::Check {
                let places =
                    pipeline.member_places(Path::new(&unmark_surrogates(expname)), self.dir);
                check_member_file(label, expname, &places, self.dir, report);
            }
        }
        let Some(pipeline) = self.pipeline else {
            return;
        };
        if index == 0 && self.crds_reads_first_science && science > 0 && !exact_science {
            report.error(
                Some(label),
                None,
                "no member's exptype is 'science' as written: before any step, stpipe opens the \
                 first product's 'science' member to choose reference files, and stops without one",
                Some("write the science member's exptype as 'science'".into()),
            );
        }
        match pipeline.stage() {
            Stage::Two if science == 0 => report.error(
                Some(label),
                None,
                &format!(
                    "no science member: {name} processes each product's science member, and stops"
                ),
                Some(
                    "add the exposure as a member of type 'science', or remove the product".into(),
                ),
            ),
            Stage::Two if science > 1 => report.warning(
                Some(label),
                None,
                &format!("{science} science members: {name} processes only the first"),
                Some("give each science exposure a product of its own".into()),
            ),
            Stage::Three if read && science == 0 => report.error(
                Some(label),
                None,
                &format!("no science member that {name} reads, so it stops"),
                Some("add the exposures as members of type 'science'".into()),
            ),
            _ => {}
        }
        if read && psf == 0 && pipeline.needs_psf() {
            report.error(
                Some(label),
                None,
                &format!("no psf member: {name} needs a PSF reference, and stops without one"),
                Some("add the reference exposure as a member of type 'psf' (--psf FILE)".into()),
            );
        }
    }

    /// A warning for a member `pipeline` never opens, where that is likely not what was meant:
    /// a type no pipeline knows, one of another case than calwebb_image3 compares, or one of
    /// the other stage.
    fn known_type(
        &self,
        label: &str,
        expname: &str,
        exptype: &str,
        pipeline: Option<Pipeline>,
        report: &mut Findings,
    ) {
        let name = pipeline.map_or("the pipeline", Pipeline::name);
        let known = |t: &str| ExpType::known().any(|k| k == t);
        let lower = exptype.to_lowercase();
        if known(exptype) {
            let stage = pipeline.map(Pipeline::stage);
            if let Some(stage) = stage.filter(|s| !s.takes(ExpType::parse(exptype))) {
                if exptype != "target_acquisition" {
                    report.warning(
                        Some(label),
                        Some(expname),
                        &format!("exptype '{exptype}' is not read by {stage} pipelines: the member is ignored"),
                        Some("remove it, or put it in an association of the stage that reads it".into()),
                    );
                }
            }
        } else if known(&lower) {
            report.warning(
                Some(label),
                Some(expname),
                &format!("exptype '{exptype}' is not lower case, and {name} compares it as written, so it never reads the member"),
                Some(format!("write '{lower}'")),
            );
        } else {
            let near = closest(exptype, ExpType::known());
            report.warning(
                Some(label),
                Some(expname),
                &format!("exptype '{exptype}' is none the pipelines read, so {name} never reads the member{}", DidYouMean(&near)),
                Some(format!("the types are {}", ExpType::known().collect::<Vec<_>>().join(", "))),
            );
        }
    }
}

/// An error unless the member file is a readable exposure at one of the `places` a pipeline
/// looks, with where it is instead when it is elsewhere.
fn check_member_file(
    product: &str,
    expname: &str,
    places: &[(PathBuf, Look)],
    asn_dir: &Path,
    report: &mut Findings,
) {
    let mut missing = None;
    for (path, look) in places {
        match exposure_at(path) {
            Exposure::Readable => return,
            Exposure::Missing => {
                missing.get_or_insert((path, *look));
            }
            Exposure::Unreadable(what) => {
                report.error(
                    Some(product),
                    Some(expname),
                    &format!("'{}' {what}, so the pipeline stops", path.display()),
                    Some("replace it with the exposure it names".into()),
                );
                return;
            }
        }
    }
    let Some((tried, look)) = missing else {
        return;
    };
    let name = unmark_surrogates(expname);
    let beside = pipeline::tidy(&asn_dir.join(&name));
    let fix = match look {
        Look::AsnFolder if asn_dir != Path::new(".") && Path::new(&name).exists() => {
            let cwd = std::env::current_dir().unwrap_or_default();
            let relative = MemberPaths::Relative.rewrite(&name, asn_dir, &cwd);
            Some(format!(
                "it is at '{}' from the current folder: write it as '{}', relative to the \
                 association's folder",
                Path::new(&name).display(),
                Path::new(&relative).display()
            ))
        }
        Look::CurrentFolder(_) if beside != *tried && beside.exists() => Some(format!(
            "it is at '{}': run the pipeline from '{}'",
            beside.display(),
            asn_dir.display()
        )),
        _ => None,
    };
    report.error(
        Some(product),
        Some(expname),
        &format!(
            "member file not found: '{}' ({})",
            tried.display(),
            look.why()
        ),
        fix,
    );
}

/// What is at a member's path, judged as astropy would open it, from the first card only.
enum Exposure {
    Readable,
    Missing,
    Unreadable(String),
}

fn exposure_at(path: &Path) -> Exposure {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Exposure::Missing,
        Err(e) => return Exposure::Unreadable(format!("cannot be read ({e})")),
    };
    if meta.is_dir() {
        return Exposure::Unreadable("is a folder, not an exposure".into());
    }
    // A FIFO or a device could block or never end: only regular files are opened.
    if !meta.is_file() {
        return Exposure::Unreadable("is not a regular file".into());
    }
    let mut first = Vec::with_capacity(FITS_CARD);
    let read =
        std::fs::File::open(path).and_then(|f| f.take(FITS_CARD as u64).read_to_end(&mut first));
    if let Err(e) = read {
        return Exposure::Unreadable(format!("cannot be read ({e})"));
    }
    let asdf = path.extension().is_some_and(|e| e == "asdf");
    if first.is_empty() {
        Exposure::Unreadable("is empty".into())
    } else if asdf && !first.starts_with(b"#ASDF") {
        Exposure::Unreadable("is not ASDF: it does not start with #ASDF".into())
    } else if !asdf && !first.starts_with(b"SIMPLE  =") {
        Exposure::Unreadable("is not FITS: its first card is not SIMPLE".into())
    } else {
        Exposure::Readable
    }
}

/// The length of a FITS header card, all that is read of a member.
const FITS_CARD: usize = 80;

/// The findings of one file, as they are made.
#[derive(Default)]
struct Findings {
    findings: Vec<Finding>,
}

impl Findings {
    fn add(
        &mut self,
        severity: Severity,
        product: Option<&str>,
        member: Option<&str>,
        message: &str,
        fix: Option<String>,
    ) {
        self.findings.push(Finding {
            severity,
            product: product.map(str::to_string),
            member: member.map(|m| unmark_surrogates(m).to_string_lossy().into_owned()),
            message: message.to_string(),
            fix,
        });
    }

    fn error(
        &mut self,
        product: Option<&str>,
        member: Option<&str>,
        message: &str,
        fix: Option<String>,
    ) {
        self.add(Severity::Error, product, member, message, fix);
    }

    fn warning(
        &mut self,
        product: Option<&str>,
        member: Option<&str>,
        message: &str,
        fix: Option<String>,
    ) {
        self.add(Severity::Warning, product, member, message, fix);
    }

    /// A form jwst 3.0.0 reads only through its deprecated YAML fallback.
    fn deprecated(&mut self, what: &str, fix: &str) {
        self.warning(
            None,
            None,
            &format!(
                "{what}: jwst 3.0.0 reads it only through its deprecated YAML fallback, and the \
                 next release refuses it"
            ),
            Some(fix.to_string()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<Finding> {
        check(Path::new("t.json"), text.as_bytes(), MemberFiles::Skip)
    }

    #[test]
    fn a_trailing_comma_is_named_with_its_place_and_read_past() {
        let got = findings("{\"products\": [],\n}");
        assert_eq!(got[0].severity, Severity::Warning);
        assert!(
            got[0]
                .message
                .starts_with("a trailing comma at line 2, column 1"),
            "{got:?}"
        );
        assert!(got[1].message.starts_with("no products"), "{got:?}");
    }

    #[test]
    fn a_product_without_members_and_a_member_without_a_type_are_errors() {
        let got = findings(
            r#"{"products": [{"name": "p"}, {"name": "q", "members": [{"expname": "a"}]}]}"#,
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].message.contains("the product has no 'members'"));
        assert!(got[1].message.contains("a member has no string 'exptype'"));
    }

    #[test]
    fn image3_skips_types_not_written_as_it_compares_them() {
        let text = r#"{"asn_type": "image3", "asn_rule": "x", "products": [{"name": "p", "members": [
            {"expname": "a", "exptype": "SCIENCE"}, {"expname": "b", "exptype": "science"},
            {"expname": "c", "exptype": "pfs"}]}]}"#;
        let all = findings(text);
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all.iter().all(|f| f.severity == Severity::Warning));
        assert_eq!(all[0].fix.as_deref(), Some("write 'science'"));
        assert!(all[1].message.contains("(did you mean 'psf'?)"), "{all:?}");
    }

    #[test]
    fn spec3_reads_types_in_any_case() {
        let text = r#"{"asn_type": "spec3", "asn_rule": "x", "asn_pool": "p", "products": [
            {"name": "p", "members": [{"expname": "a", "exptype": "SCIENCE"},
            {"expname": "b", "exptype": "science"}]}]}"#;
        assert_eq!(findings(text), []);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_give_findings_not_a_panic(bytes: Vec<u8>) {
            for name in ["t.json", "t.yaml", "t"] {
                check(Path::new(name), &bytes, MemberFiles::Skip);
            }
        }

        #[test]
        fn any_escapes_and_structures_give_findings_not_a_panic(
            text in r#"[{}\[\]",:\\u0-9a-fA-F日本\s]{0,40}"#,
        ) {
            for wrapped in [text.clone(), format!("{{\"products\": [{{\"name\": \"{text}\"}}]}}")] {
                check(Path::new("t.json"), wrapped.as_bytes(), MemberFiles::Skip);
            }
        }
    }

    #[test]
    fn a_fits_file_is_named_as_such() {
        let got = findings("SIMPLE  =                    T");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].message, "a FITS file, not an association");
    }
}
