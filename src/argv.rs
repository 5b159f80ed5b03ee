//! The reference's argparse reads some words clap would take for options as values: a word that
//! looks like a negative number (`-1`, `-.5`) or holds a space (`'-a b'`) is a value or a file
//! name unless it names an option. This module finds those words and hands clap the same
//! command line in a form it reads the same way: such a value attached to its option
//! (`--product-name=-1`), such file names after `--`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::sync::LazyLock;

use clap::Command;
use regex::bytes::Regex;

/// The options of a command: their names, and whether each takes a value.
struct Options {
    /// Long names without `--`, with whether each takes a value.
    long: Vec<(String, bool)>,
    /// Short names, with whether each takes a value.
    short: Vec<(char, bool)>,
}

impl Options {
    fn of(command: &Command) -> Options {
        let takes_value = |arg: &clap::Arg| arg.get_action().takes_values();
        let mut long = Vec::new();
        let mut short = Vec::new();
        for arg in command.get_arguments() {
            for name in arg.get_long_and_visible_aliases().into_iter().flatten() {
                long.push((name.to_string(), takes_value(arg)));
            }
            for name in arg.get_short_and_visible_aliases().into_iter().flatten() {
                short.push((name, takes_value(arg)));
            }
        }
        // clap adds these itself.
        long.extend([("help".to_string(), false), ("version".to_string(), false)]);
        short.extend([('h', false), ('V', false)]);
        Options { long, short }
    }

    /// How argparse reads `word` when it starts with `-`: `Some(takes a separate value)` for an
    /// option, `None` for a value (as argparse reads negative numbers and words with spaces).
    fn option(&self, word: &[u8]) -> Option<bool> {
        if let Some(rest) = word.strip_prefix(b"--") {
            let (name, attached) = match rest.iter().position(|&b| b == b'=') {
                Some(eq) => (&rest[..eq], true),
                None => (rest, false),
            };
            let exact = self.long.iter().find(|(long, _)| long.as_bytes() == name);
            let prefixed: Vec<_> = self
                .long
                .iter()
                .filter(|(long, _)| long.as_bytes().starts_with(name))
                .collect();
            let found = exact.or(match prefixed[..] {
                [one] => Some(one),
                _ => None,
            });
            match found {
                Some((_, takes)) => return Some(*takes && !attached),
                None if prefixed.len() > 1 => return Some(false),
                None => {}
            }
        } else if let Some(&first) = word.get(1) {
            if let Some((_, takes)) = self
                .short
                .iter()
                .find(|(c, _)| *c as u32 == u32::from(first))
            {
                return Some(*takes && word.len() == 2);
            }
        }
        if is_value_like(word) {
            None
        } else {
            // An unknown option: clap says so.
            Some(false)
        }
    }
}

/// argparse's `_negative_number_matcher`, `^-\d+$|^-\d*\.\d+$` (Python's `\d` is any Unicode
/// decimal digit and its `$` also matches before a final newline), or a space anywhere.
fn is_value_like(word: &[u8]) -> bool {
    static NEGATIVE_NUMBER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:-\d+|-\d*\.\d+)\n?$").expect("a valid pattern"));
    word.contains(&b' ') || NEGATIVE_NUMBER.is_match(word)
}

/// Whether argparse takes `word` as a value or a positional argument.
fn is_value(options: &Options, word: &[u8]) -> bool {
    !word.starts_with(b"-") || word == b"-" || options.option(word).is_none()
}

/// `args` (without the program name) as clap should see them to read them as argparse does.
/// A command line with no value or file name that starts with `-` is given back as it was.
pub fn as_argparse_reads(command: &Command, args: Vec<OsString>) -> Vec<OsString> {
    let options = Options::of(command);
    let hyphen_value = |w: &OsString| {
        let b = w.as_bytes();
        b.len() > 1 && b.starts_with(b"-") && b != b"--" && options.option(b).is_none()
    };
    if !args.iter().any(hyphen_value) {
        return args;
    }
    let mut flags: Vec<OsString> = Vec::with_capacity(args.len() + 1);
    let mut positionals = Vec::new();
    let mut words = args.into_iter();
    while let Some(word) = words.next() {
        let bytes = word.as_bytes();
        if bytes == b"--" {
            positionals.extend(words.by_ref());
            break;
        }
        if is_value(&options, bytes) {
            positionals.push(word);
            continue;
        }
        let takes_value = options.option(bytes) == Some(true);
        flags.push(word);
        if takes_value {
            let next = words.as_slice().first().map(|w| w.as_bytes());
            if next.is_some_and(|next| next != b"--" && is_value(&options, next)) {
                let value = words.next().expect("the next word was there");
                if value.as_bytes().starts_with(b"-") {
                    // `--product-name=-1`, `-o=-1`: clap takes what follows `=` as it is.
                    let option = flags.last_mut().expect("the option was just pushed");
                    option.push("=");
                    option.push(&value);
                } else {
                    flags.push(value);
                }
            }
        }
    }
    flags.push(OsString::from("--"));
    flags.extend(positionals);
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn command() -> Command {
        Command::new("t")
            .arg(Arg::new("output").short('o').long("output-file"))
            .arg(Arg::new("product").long("product-name"))
            .arg(Arg::new("quiet").long("no-glob").action(ArgAction::SetTrue))
            .arg(Arg::new("files").num_args(0..))
    }

    fn read(line: &[&str]) -> Vec<String> {
        let args = line.iter().map(OsString::from).collect();
        as_argparse_reads(&command(), args)
            .into_iter()
            .map(|w| w.into_string().unwrap())
            .collect()
    }

    #[test]
    fn a_line_without_hyphen_values_is_untouched() {
        let line = ["-o", "x.json", "a", "--no-glob", "b"];
        assert_eq!(read(&line), line);
    }

    #[test]
    fn negative_numbers_and_words_with_spaces_are_values() {
        assert_eq!(
            read(&["--product-name", "-1", "a"]),
            ["--product-name=-1", "--", "a"]
        );
        assert_eq!(
            read(&["-o", "x", "a", "-1", "-a b", "-.5", "-0"]),
            ["-o", "x", "--", "a", "-1", "-a b", "-.5", "-0"]
        );
        assert_eq!(read(&["-o", "-1", "a"]), ["-o=-1", "--", "a"]);
        assert_eq!(read(&["--prod", "-.5", "a"]), ["--prod=-.5", "--", "a"]);
    }

    #[test]
    fn words_that_name_options_stay_options() {
        // argparse reads '-o x' as -o with the value ' x', and so does clap.
        assert_eq!(read(&["-o x", "-1"]), ["-o x", "--", "-1"]);
        assert_eq!(read(&["-1e5", "-1"]), ["-1e5", "--", "-1"]);
    }

    #[test]
    fn what_follows_a_double_dash_stays_positional() {
        assert_eq!(read(&["-1", "--", "-o", "x"]), ["--", "-1", "-o", "x"]);
    }

    #[test]
    fn unicode_digits_are_digits_as_in_python() {
        assert!(is_value_like("-\u{661}".as_bytes()));
        assert!(is_value_like(b"-1\n"));
        assert!(!is_value_like(b"-1e5"));
        assert!(!is_value_like(b"-x"));
    }
}
