//! Values a notice leaves open until the transaction that writes it knows them (the
//! registration number, the outgoing number): `⟦name⟧` markers in its subject and body, filled
//! inside that transaction.

/// The marker of value `name`.
pub fn slot(name: &str) -> String {
    format!("⟦{name}⟧")
}

/// `text` with every marker of `values` replaced by its value.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (k, v) in values {
        let s = slot(k);
        if out.contains(&s) {
            out = out.replace(&s, v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_filled_and_others_left() {
        let text = format!("№ {} от {}", slot("reg_number"), slot("date"));
        assert_eq!(fill(&text, &[("reg_number", "ОГ-1")]), format!("№ ОГ-1 от {}", slot("date")));
    }
}
