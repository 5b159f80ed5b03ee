//! `asn_from_list`: the same program under the reference's own name, so that scripts written
//! for the reference run unchanged.

#[path = "../main.rs"]
mod asn_from_list_main;

fn main() -> std::process::ExitCode {
    asn_from_list_main::main()
}
