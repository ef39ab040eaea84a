//! The counting conventions a body chooses (docs/domain.md §7), in one place: every output —
//! `/stats`, the annual report, the ГАСУ forms, the pages — asks this module whether an appeal
//! counts in "appeals received", so that the twelve monthly forms add up to the year.

use serde::Deserialize;

/// How a body counts its appeals (`[statistics]` in the configuration).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Counting {
    /// `false` (Ukhta's way, the default): oral appeals at a personal reception are the
    /// reception's figures only. `true` (Lyubertsy's, Kaluga's): they also count in the
    /// appeals received, by channel (`personal_reception`), by form (`oral`) and in the
    /// questions, exactly as written appeals do.
    pub oral_reception_in_totals: bool,
}

/// True for an oral appeal taken at a personal reception: the one kind of appeal bodies count
/// differently. A letter handed in at a reception is written and counts everywhere.
pub fn is_oral_reception(channel: &str, form: &str) -> bool {
    channel == "personal_reception" && form == "oral"
}

impl Counting {
    /// Whether an appeal of this channel and form counts in the totals (received, by channel,
    /// form, kind, questions, results, timeliness).
    pub fn in_totals(self, channel: &str, form: &str) -> bool {
        self.oral_reception_in_totals || !is_oral_reception(channel, form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oral_reception_counts_only_where_the_body_says_so() {
        let apart = Counting::default();
        let together = Counting { oral_reception_in_totals: true };
        assert!(!apart.in_totals("personal_reception", "oral"));
        assert!(together.in_totals("personal_reception", "oral"));
        for (channel, form) in [("personal_reception", "written"), ("post", "written"), ("live_broadcast", "oral"), ("internet_reception", "electronic")] {
            assert!(apart.in_totals(channel, form) && together.in_totals(channel, form), "{channel}/{form}");
        }
    }
}
