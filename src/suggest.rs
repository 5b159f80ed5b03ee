//! "Did you mean": the known names nearest to a name that is not one of them.

use std::fmt;

/// The candidates nearest to `word`, nearest first, at most three: those within a third of
/// its length in edits (two at least), compared without regard to case.
pub(crate) fn closest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Vec<&'c str> {
    let limit = (word.chars().count() / 3).max(2);
    let lower = word.to_lowercase();
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    near.sort();
    near.into_iter().take(3).map(|(_, c)| c).collect()
}

/// ` (did you mean 'a' or 'b'?)`, or nothing when there is no near name.
pub(crate) struct DidYouMean<'a>(pub(crate) &'a [&'static str]);

impl fmt::Display for DidYouMean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((first, rest)) = self.0.split_first() else {
            return Ok(());
        };
        write!(f, " (did you mean '{first}'")?;
        for (i, name) in rest.iter().enumerate() {
            let sep = if i + 1 == rest.len() { " or" } else { "," };
            write!(f, "{sep} '{name}'")?;
        }
        f.write_str("?)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_come_nearest_first_and_far_ones_not_at_all() {
        let names = ["psf", "science", "background", "imprint"];
        assert_eq!(closest("pfs", names), ["psf"]);
        assert_eq!(closest("SCIENCE", names), ["science"]);
        assert_eq!(closest("backgrund", names), ["background"]);
        assert!(closest("zzzzzz", names).is_empty());
    }

    #[test]
    fn the_hint_lists_one_two_or_three_names() {
        assert_eq!(DidYouMean(&[]).to_string(), "");
        assert_eq!(DidYouMean(&["a"]).to_string(), " (did you mean 'a'?)");
        assert_eq!(
            DidYouMean(&["a", "b", "c"]).to_string(),
            " (did you mean 'a', 'b' or 'c'?)"
        );
    }
}
