//! Checking an association as the pipeline will read it: every problem that would stop or
//! mislead a run, each with the product and member it concerns and the fix where it is known.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{ExpType, Stage};
use crate::paths::MemberPaths;
use crate::rules::Rule;
use crate::suggest::{closest, DidYouMean};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The pipeline will fail, or silently do something else than asked.
    Error,
    /// The pipeline will run, but the association is doubtful or soon refused.
    Warning,
}

/// One problem found in an association.
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

    /// How many errors were found.
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// How many warnings were found.
    pub fn warnings(&self) -> usize {
        self.warnings
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

/// Whether the Stage 2 or Stage 3 pipelines read members of type `exptype`.
fn read_by(stage: Stage, exptype: &str) -> bool {
    stage.takes(ExpType::parse(exptype))
}

/// The problems of the association at `path`, whose bytes are `text`.
pub fn check(path: &Path, text: &[u8], files: MemberFiles) -> Vec<Finding> {
    let mut report = Findings::default();
    let is_json = path.extension().is_some_and(|e| e == "json");
    if !is_json {
        report.warning(
            None,
            None,
            "the file name does not end in .json, which the next jwst release requires",
            Some("rename it to end in .json".into()),
        );
    }
    let Ok(text) = std::str::from_utf8(text) else {
        report.error(None, None, "not UTF-8 text, so not JSON", None);
        return report.findings;
    };
    let value: Value = match serde_json::from_str(&with_marked_surrogates(text)) {
        Ok(value) => value,
        Err(e) => {
            let trailing = e.to_string().contains("trailing comma");
            let what = e.to_string();
            let what = what.split(" at line").next().unwrap_or(&what);
            report.error(
                None,
                None,
                &format!(
                    "not JSON: {what} at line {}, column {}",
                    e.line(),
                    e.column()
                ),
                trailing.then(|| "remove the comma; the next jwst release refuses it".to_string()),
            );
            return report.findings;
        }
    };
    let Some(asn) = value.as_object() else {
        report.error(
            None,
            None,
            "not an association: the JSON is not an object",
            None,
        );
        return report.findings;
    };
    let dir = crate::output::folder_of(path);
    check_association(asn, dir, files, &mut report);
    report.findings
}

fn check_association(
    asn: &Map<String, Value>,
    dir: &Path,
    files: MemberFiles,
    report: &mut Findings,
) {
    let Some(products) = asn.get("products") else {
        let bare = asn.get("asn_rule").and_then(Value::as_str) == Some("Association")
            && asn.get("members").is_some_and(Value::is_array);
        if bare {
            report.warning(
                None,
                None,
                "a bare association of member names, with no products: no pipeline runs it",
                Some("make it with a Stage 2 or Stage 3 rule".into()),
            );
        } else {
            report.error(None, None, "not an association: it has no 'products'", None);
        }
        return;
    };
    let Some(products) = products.as_array() else {
        report.error(
            None,
            None,
            "not an association: 'products' is not a list",
            None,
        );
        return;
    };
    let pipeline = Pipeline::of(asn);
    let text = |key: &str| asn.get(key).and_then(Value::as_str);
    if pipeline.stage == Some(Stage::Two) && text("asn_pool").is_none() {
        report.error(
            None,
            None,
            "no 'asn_pool': calwebb_image2 and calwebb_spec2 read it",
            Some("add \"asn_pool\": \"none\"".into()),
        );
    }
    if let Some(kind) = pipeline.reads_asn_id {
        if text("asn_id").is_none() {
            report.error(
                None,
                None,
                &format!("no 'asn_id': {kind} reads it"),
                Some("add \"asn_id\": \"a3001\"".into()),
            );
        }
    }
    if pipeline.stage == Some(Stage::Three) && products.len() > 1 {
        report.warning(
            None,
            None,
            &format!(
                "{} products: a Stage 3 pipeline reads only the first",
                products.len()
            ),
            Some("split them into one association each".into()),
        );
    }
    for (index, product) in products.iter().enumerate() {
        let label = product
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{}", index + 1), str::to_string);
        let Some(members) = product.get("members") else {
            report.error(
                Some(&label),
                None,
                "not an association: the product has no 'members'",
                None,
            );
            continue;
        };
        let Some(members) = members.as_array() else {
            report.error(
                Some(&label),
                None,
                "not an association: 'members' is not a list",
                None,
            );
            continue;
        };
        let mut science = 0;
        let mut psf = 0;
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for member in members {
            let expname = member.get("expname").and_then(Value::as_str);
            let exptype = member.get("exptype").and_then(Value::as_str);
            let (Some(expname), Some(exptype)) = (expname, exptype) else {
                let missing = if expname.is_none() {
                    "expname"
                } else {
                    "exptype"
                };
                report.error(
                    Some(&label),
                    expname,
                    &format!("not an association: a member has no string '{missing}'"),
                    None,
                );
                continue;
            };
            if seen.contains(&(expname, exptype)) {
                report.warning(
                    Some(&label),
                    Some(expname),
                    "the member is listed twice",
                    Some("remove one".into()),
                );
            }
            seen.push((expname, exptype));
            check_exptype(&label, expname, exptype, pipeline.stage, report);
            science += usize::from(exptype == "science");
            psf += usize::from(exptype == "psf");
            if files == MemberFiles::Check {
                check_member_file(&label, expname, dir, report);
            }
        }
        match pipeline.stage {
            Some(Stage::Two) if science != 1 => report.error(
                Some(&label),
                None,
                &format!("a Stage 2 product needs exactly one science member, and has {science}"),
                None,
            ),
            Some(Stage::Three) if index == 0 && science == 0 => report.error(
                Some(&label),
                None,
                "a Stage 3 association needs a science member, and has none",
                None,
            ),
            _ => {}
        }
        if index == 0 && psf == 0 {
            if let Some(kind) = pipeline.needs_psf {
                report.error(
                    Some(&label),
                    None,
                    &format!("{kind} needs a psf member, and there is none"),
                    None,
                );
            }
        }
    }
}

fn check_exptype(
    product: &str,
    expname: &str,
    exptype: &str,
    stage: Option<Stage>,
    report: &mut Findings,
) {
    let lower = exptype.to_lowercase();
    let known = |t: &str| ExpType::known().any(|k| k == t);
    if !known(exptype) && known(&lower) {
        report.error(
            Some(product),
            Some(expname),
            &format!("exptype '{exptype}' is not lower case, and the pipeline compares it as written, so the member is skipped"),
            Some(format!("write '{lower}'")),
        );
    } else if !known(exptype) {
        let near = closest(exptype, ExpType::known());
        report.error(
            Some(product),
            Some(expname),
            &format!(
                "exptype '{exptype}' is none the pipeline reads{}",
                DidYouMean(&near)
            ),
            Some(format!(
                "the types are {}",
                ExpType::known().collect::<Vec<_>>().join(", ")
            )),
        );
    } else if let Some(stage) = stage {
        if !read_by(stage, exptype) && exptype != "target_acquisition" {
            report.warning(
                Some(product),
                Some(expname),
                &format!(
                    "exptype '{exptype}' is not read by {stage} pipelines: the member is ignored"
                ),
                None,
            );
        }
    }
}

fn check_member_file(product: &str, expname: &str, dir: &Path, report: &mut Findings) {
    let name = unmark_surrogates(expname);
    let tried = dir.join(&name);
    if tried.exists() {
        return;
    }
    let here = Path::new(&name);
    let fix = if dir != Path::new(".") && here.exists() {
        let cwd = std::env::current_dir().unwrap_or_default();
        let relative = MemberPaths::Relative.rewrite(here.as_os_str(), dir, &cwd);
        Some(format!(
            "it is at '{}' from the current folder: write it as '{}', relative to the association's folder",
            here.display(),
            Path::new(&relative).display()
        ))
    } else {
        None
    };
    report.error(
        Some(product),
        Some(expname),
        &format!(
            "member file not found where the pipeline looks: '{}'",
            tried.display()
        ),
        fix,
    );
}

/// Which pipeline reads an association, from its `asn_type`, or else from its rule's name (the
/// reference writes `asn_type` "None").
struct Pipeline {
    stage: Option<Stage>,
    reads_asn_id: Option<&'static str>,
    needs_psf: Option<&'static str>,
}

impl Pipeline {
    fn of(asn: &Map<String, Value>) -> Pipeline {
        let asn_type = asn.get("asn_type").and_then(Value::as_str).unwrap_or("");
        let rule = asn.get("asn_rule").and_then(Value::as_str).unwrap_or("");
        let kind = match asn_type {
            "image2" | "spec2" | "tso-image2" | "tso-spec2" | "nrslamp-spec2" => Some(asn_type),
            "image3" | "spec3" | "coron3" | "ami3" | "tso3" | "wfs-image3" => Some(asn_type),
            _ => match rule {
                "Asn_Lv3NRCCoron" | "Asn_Lv3MIRCoron" | "Asn_Coron" => Some("coron3"),
                "Asn_Lv3AMI" => Some("ami3"),
                "Asn_Lv3TSO" => Some("tso3"),
                _ => None,
            },
        };
        let stage = match kind {
            Some(k) if k.ends_with('2') => Some(Stage::Two),
            Some(_) => Some(Stage::Three),
            None => Rule::find(rule)
                .ok()
                .map(|r| r.stage())
                .filter(|s| *s != Stage::Bare),
        };
        let named =
            |names: &[&'static str]| kind.and_then(|k| names.iter().copied().find(|n| *n == k));
        Pipeline {
            stage,
            reads_asn_id: named(&["ami3", "coron3", "tso3"]),
            needs_psf: named(&["ami3", "coron3"]),
        }
    }
}

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
}

/// Lone surrogate escapes (`\udcff`), which this tool and the reference write for bytes of file
/// names that are not UTF-8 and which JSON parsers refuse, turned into characters of a private
/// range, U+10FE80 to U+10FEFF, that [`unmark_surrogates`] turns back into the bytes.
fn with_marked_surrogates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        let unit = |s: &str| s.get(2..6).and_then(|h| u16::from_str_radix(h, 16).ok());
        if escape.starts_with("\\u") {
            match unit(escape) {
                // A high surrogate and its low one: a real character, kept as it is.
                Some(0xd800..=0xdbff) if escape[6..].starts_with("\\u") => {
                    out.push_str(&escape[..12.min(escape.len())]);
                    rest = &escape[12.min(escape.len())..];
                    continue;
                }
                Some(low @ 0xdc80..=0xdcff) => {
                    let marked = char::from_u32(0x10fe00 + u32::from(low - 0xdc00))
                        .expect("a private-use character");
                    out.push(marked);
                    rest = &escape[6..];
                    continue;
                }
                _ => {}
            }
        }
        // Any other escape, `\\` included, is kept whole.
        let len = escape.chars().take(2).map(char::len_utf8).sum::<usize>();
        out.push_str(&escape[..len]);
        rest = &escape[len..];
    }
    out.push_str(rest);
    out
}

/// A name with its marked surrogates (see [`with_marked_surrogates`]) as the bytes they stand
/// for.
fn unmark_surrogates(name: &str) -> OsString {
    let mut bytes = Vec::with_capacity(name.len());
    for c in name.chars() {
        match u32::from(c) {
            code @ 0x10fe80..=0x10feff => bytes.push((code - 0x10fe00) as u8),
            _ => bytes.extend(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    OsString::from_vec(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<String> {
        check(Path::new("t.json"), text.as_bytes(), MemberFiles::Skip)
            .into_iter()
            .map(|f| format!("{:?}: {}", f.severity, f.message))
            .collect()
    }

    #[test]
    fn surrogate_escapes_stand_for_the_bytes_they_were() {
        let marked = with_marked_surrogates(r#"{"a": "x\udcff\\udcff\ud83d\ude00"}"#);
        let value: Value = serde_json::from_str(&marked).unwrap();
        let name = unmark_surrogates(value["a"].as_str().unwrap());
        assert_eq!(name.into_vec(), b"x\xff\\udcff\xf0\x9f\x98\x80");
    }

    #[test]
    fn a_trailing_comma_is_named_with_its_place() {
        let got = findings("{\"products\": [],\n}");
        assert!(
            got[0].starts_with("Error: not JSON: trailing comma at line 2, column 1"),
            "{got:?}"
        );
    }

    #[test]
    fn a_product_without_members_and_a_member_without_a_type_are_errors() {
        let got = findings(
            r#"{"products": [{"name": "p"}, {"name": "q", "members": [{"expname": "a"}]}]}"#,
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].contains("the product has no 'members'"));
        assert!(got[1].contains("a member has no string 'exptype'"));
    }

    #[test]
    fn upper_case_and_unknown_types_are_errors_with_the_fix() {
        let text = r#"{"asn_type": "image3", "asn_rule": "x", "products": [{"name": "p", "members": [
            {"expname": "a", "exptype": "SCIENCE"}, {"expname": "b", "exptype": "science"},
            {"expname": "c", "exptype": "pfs"}]}]}"#;
        let all = check(Path::new("t.json"), text.as_bytes(), MemberFiles::Skip);
        assert_eq!(all[0].fix.as_deref(), Some("write 'science'"));
        assert!(all[1]
            .message
            .contains("exptype 'pfs' is none the pipeline reads (did you mean 'psf'?)"));
    }
}
