//! Codes of the all-Russian thematic classifier: `SSSS[.TTTT[.MMMM[.QQQQ[.PPPP]]]]`.

/// The shape of a classifier code: one to five dot-separated four-digit segments.
pub fn is_code_shape(code: &str) -> bool {
    let parts: Vec<&str> = code.split('.').collect();
    (1..=5).contains(&parts.len()) && parts.iter().all(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// True for the levels an appeal's question is coded at: a question (4 segments) or a
/// sub-question (5); sections, topics and themes only group questions in reports.
pub fn is_question_level(code: &str) -> bool {
    (4..=5).contains(&level_of(code))
}

/// The section (first level) a code belongs to; reports count questions by it.
pub fn section_of(code: &str) -> &str {
    code.split('.').next().unwrap_or(code)
}

/// The level (1 = section … 5 = sub-question) implied by the number of segments.
pub fn level_of(code: &str) -> i32 {
    code.split('.').count() as i32
}

/// One entry parsed from the classifier's TSV file (`code, level, parent, name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Full dotted code: the only key, since segment numbers repeat under different parents.
    pub code: String,
    /// 1 = section … 5 = sub-question.
    pub level: i32,
    /// Parent code, none for sections.
    pub parent: Option<String>,
    /// Russian name.
    pub name: String,
}

/// Parses the TSV and checks it is a consistent tree, so a bad official file is refused before it replaces the old one.
pub fn parse_tsv(text: &str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if n == 0 && line.starts_with("code") || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 4 {
            return Err(format!("line {}: expected 4 tab-separated columns", n + 1));
        }
        let code = cols[0].trim();
        if !is_code_shape(code) {
            return Err(format!("line {}: bad code `{code}`", n + 1));
        }
        let level: i32 = cols[1].trim().parse().map_err(|_| format!("line {}: bad level", n + 1))?;
        if level != level_of(code) {
            return Err(format!("line {}: level {level} does not match code `{code}`", n + 1));
        }
        let parent = cols[2].trim();
        let parent = (!parent.is_empty()).then(|| parent.to_string());
        if let Some(p) = &parent {
            if !seen.contains(p.as_str()) && !code.starts_with(&format!("{p}.")) {
                return Err(format!("line {}: parent `{p}` not found before `{code}`", n + 1));
            }
        }
        let name = cols[3..].join("\t").trim().to_string();
        if name.is_empty() {
            return Err(format!("line {}: empty name", n + 1));
        }
        if !seen.insert(code.to_string()) {
            return Err(format!("line {}: duplicate code `{code}`", n + 1));
        }
        out.push(Entry { code: code.to_string(), level, parent, name });
    }
    if out.is_empty() {
        return Err("the file holds no entries".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_coded_at_question_or_sub_question_level() {
        assert!(is_question_level("0005.0005.0056.1157"));
        assert!(is_question_level("0004.0015.0158.0965.0064"));
        for grouping in ["0003", "0005.0005", "0005.0005.0056"] {
            assert!(!is_question_level(grouping), "{grouping}");
        }
    }

    #[test]
    fn shapes() {
        assert!(is_code_shape("0005"));
        assert!(is_code_shape("0004.0015.0158.0965.0064"));
        assert!(!is_code_shape("0005.05"));
        assert!(!is_code_shape("0005.0005.0056.1157.0001.0001"));
        assert!(!is_code_shape("abcd"));
        assert_eq!(section_of("0003.0009.0097.0699"), "0003");
        assert_eq!(level_of("0003.0009.0097.0699"), 4);
    }

    #[test]
    fn shipped_classifier_parses_whole() {
        let entries = parse_tsv(include_str!("../../config/classifier/classifier.tsv")).unwrap();
        assert_eq!(entries.len(), 2108);
        assert_eq!(entries.iter().filter(|e| e.level == 1).count(), 5);
        assert!(entries.iter().any(|e| e.code == "0005.0005.0056.1157"));
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(parse_tsv("").is_err());
        assert!(parse_tsv("0001\t2\t\tX").is_err());
        assert!(parse_tsv("0001\t1\t\tX\n0001\t1\t\tY").is_err());
    }
}
