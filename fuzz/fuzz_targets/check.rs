//! Fuzzes `--check`: arbitrary bytes as an association must give findings, never a panic, and
//! every finding must say what is wrong.
//!
//!     cargo fuzz run check -- -max_total_time=60
#![no_main]

use std::path::Path;

use asn_from_list::check::{check, MemberFiles};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The name decides which forms the pipeline takes; the members are not looked for, so the
    // run reads nothing but `data`.
    for name in ["f_asn.json", "f_asn.yaml", "f_asn.txt"] {
        for finding in check(Path::new(name), data, MemberFiles::Skip) {
            let line = finding.line(name);
            assert!(line.starts_with(name));
            assert!(!finding.message.is_empty(), "{line}");
        }
    }
});
