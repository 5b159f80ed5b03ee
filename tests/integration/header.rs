//! Exposures read from the header-mode scenarios (`tests/fixtures/header-mode`, copied from the
//! shared specification): every file's primary header reads, and the role each exposure gets
//! agrees with the types the pipeline's generator gave it (`expected.json`).

use std::collections::HashMap;
use std::fs;

use crate::common::scenarios;
use asn_from_list::header::{read_primary_header, Exposure, Role};
use serde_json::Value;

#[test]
fn every_scenario_header_reads_and_roles_agree_with_the_generator() {
    let mut files = 0;
    for dir in scenarios() {
        let mut roles = HashMap::new();
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "fits") {
                let header = read_primary_header(&path).unwrap();
                let name = path.file_name().unwrap().to_str().unwrap().to_string();
                roles.insert(name.clone(), Exposure::new(name, header).role());
                files += 1;
            }
        }
        let expected: Vec<Value> =
            serde_json::from_slice(&fs::read(dir.join("expected.json")).unwrap()).unwrap();
        for asn in &expected {
            for product in asn["products"].as_array().unwrap() {
                for member in product["members"].as_array().unwrap() {
                    let (exptype, name) =
                        (member[0].as_str().unwrap(), member[1].as_str().unwrap());
                    let Some(role) = roles.get(name) else {
                        continue; // a derived name (WFSS direct image, LRS x1d background)
                    };
                    let agrees = match exptype {
                        "imprint" => *role == Role::Imprint,
                        "psf" => *role == Role::Psf,
                        "target_acquisition" => *role == Role::TargetAcquisition,
                        // Rules turn psf references, backgrounds and nods into science and
                        // science into backgrounds; acquisitions and imprints stay what they are
                        // except where a rule calibrates them on their own.
                        _ => true,
                    };
                    assert!(
                        agrees,
                        "{}: {name} is {role:?}, the generator says {exptype}",
                        dir.display()
                    );
                }
            }
        }
    }
    assert_eq!(files, 175, "every scenario file");
}
