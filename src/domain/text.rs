//! Text hygiene at the edges: Unicode normalization (NFC), invisible and direction-changing
//! characters, blank-looking text and logins. A clerk must see what is stored, and two strings
//! that look the same must compare the same (repeat detection, search, logins).

use unicode_normalization::UnicodeNormalization;

/// Characters that render as nothing: zero-width spaces and joiners, word joiners, the BOM,
/// soft hyphens, invisible fillers and tag characters. They make «Иванов» and «Ива\u{200b}нов» differ.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180E}'
        | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
}

/// Characters that change the display direction (Trojan Source): an imported `reg_number`
/// with U+202E would display as another number.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// True when the text holds an invisible or direction-changing character.
pub fn has_hidden(value: &str) -> bool {
    value.chars().any(|c| is_invisible(c) || is_bidi_control(c))
}

/// True when nothing visible is left once whitespace and invisible characters are removed.
pub fn is_blank(value: &str) -> bool {
    value.chars().all(|c| c.is_whitespace() || is_invisible(c) || is_bidi_control(c) || c.is_control())
}

/// The canonical composed form (NFC): «й» typed as «и» + U+0306 becomes one character.
pub fn nfc(value: &str) -> String {
    if unicode_normalization::is_nfc_quick(value.chars()) == unicode_normalization::IsNormalized::Yes {
        return value.to_string();
    }
    value.nfc().collect()
}

/// NFC without invisible and direction-changing characters: the form matching keys are built from,
/// so a zero-width space inside a surname cannot defeat repeat detection or search.
pub fn for_keys(value: &str) -> String {
    nfc(value).chars().filter(|c| !is_invisible(*c) && !is_bidi_control(*c)).collect()
}

/// Why a login is refused, or its canonical (lower-case) form. Logins are ASCII letters, digits,
/// `.`, `_` and `-`, 2 to 64 characters, case-insensitive: «vіctim» with a Cyrillic «і» or
/// «victim\u{200b}» can never pass for `victim`.
pub fn login(value: &str) -> Result<String, &'static str> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return Err("обязательное поле не заполнено");
    }
    if !v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')) {
        return Err("логин: только латинские буквы, цифры, точка, дефис и подчёркивание");
    }
    if !(2..=64).contains(&v.len()) {
        return Err("логин: от 2 до 64 символов");
    }
    Ok(v)
}

/// Why a short code (a department's) is refused, or its canonical lower-case form: the same
/// ASCII alphabet as logins, 1 to 32 characters.
pub fn code(value: &str) -> Result<String, &'static str> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return Err("обязательное поле не заполнено");
    }
    if !v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')) || v.len() > 32 {
        return Err("код: до 32 латинских букв, цифр, точек, дефисов и подчёркиваний");
    }
    Ok(v)
}

/// NFC-normalizes every string (and key) of a JSON document in place.
pub fn nfc_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let n = nfc(s);
            if n != *s {
                *s = n;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nfc_json),
        Value::Object(map) => {
            if map.keys().any(|k| nfc(k) != *k) {
                let old = std::mem::take(map);
                for (k, mut val) in old {
                    nfc_json(&mut val);
                    map.insert(nfc(&k), val);
                }
            } else {
                map.values_mut().for_each(nfc_json);
            }
        }
        _ => {}
    }
}

/// NFC without invisible characters, lower-cased, `ё` folded into `е`, whitespace collapsed:
/// the form stored for search (a zero-width space cannot split a surname).
pub fn search_fold(text: &str) -> String {
    let lower = for_keys(text).to_lowercase().replace('ё', "е");
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_composes() {
        assert_eq!(nfc("и\u{0306}"), "й");
        assert_eq!(nfc("Иванов"), "Иванов");
        let mut v = serde_json::json!({"a": ["е\u{0308}"], "и\u{0306}": 1});
        nfc_json(&mut v);
        assert_eq!(v, serde_json::json!({"a": ["ё"], "й": 1}));
    }

    #[test]
    fn invisible_and_bidi_are_found() {
        assert!(has_hidden("victim\u{200b}"));
        assert!(has_hidden("ОГ-2025-\u{202e}321000"));
        assert!(has_hidden("\u{feff}x"));
        assert!(!has_hidden("Иванов Иван-Иванович, д. 5\nкв. 1"));
    }

    #[test]
    fn blank_looking_text() {
        assert!(is_blank("\u{200b}\u{200b}"));
        assert!(is_blank(" \u{2060}\t"));
        assert!(is_blank(""));
        assert!(!is_blank("\u{200b}а"));
    }

    #[test]
    fn keys_ignore_hidden_characters() {
        assert_eq!(for_keys("Ива\u{200b}нов"), "Иванов");
        assert_eq!(for_keys("Ивано\u{0306}в"), nfc("Ивано\u{0306}в"));
    }

    #[test]
    fn logins_are_ascii_and_case_insensitive() {
        assert_eq!(login(" Victim.Ivanov "), Ok("victim.ivanov".into()));
        assert!(login("victim\u{200b}").is_err());
        assert!(login("v\u{0456}ctim").is_err()); // Cyrillic і
        assert!(login("x y").is_err());
        assert!(login("a").is_err());
        assert!(login("").is_err());
        assert_eq!(code("OOG"), Ok("oog".into()));
        assert!(code("отдел").is_err());
    }
}
