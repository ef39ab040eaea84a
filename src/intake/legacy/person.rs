//! The applicant of a journal row: journals often keep the name and the address in one cell
//! («Иванов И.И., ул. Ленина 5-12», «Петрова А. С. 169300 г. Ухта»), and write «аноним» or
//! nothing for a letter without a name.

/// Words (folded, without the dot) that start an address.
const ADDRESS_WORDS: [&str; 30] = [
    "ул", "улица", "пр", "пр-т", "пр-кт", "просп", "проспект", "пер", "переулок", "д", "дом", "кв", "г", "город", "пос", "посёлок", "поселок", "пгт",
    "с", "село", "дер", "деревня", "мкр", "микрорайон", "наб", "набережная", "ш", "шоссе", "б-р", "бульвар",
];

/// More words that start an address, checked like [`ADDRESS_WORDS`].
const MORE_ADDRESS_WORDS: [&str; 8] = ["пл", "площадь", "р-н", "район", "обл", "область", "респ", "республика"];

/// Cell texts that mean the letter is anonymous.
const ANONYMOUS: [&str; 5] = ["аноним", "анонимно", "анонимное", "без подписи", "не указан"];

/// A name with its address as they were split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Name as written.
    pub name: String,
    /// Address, when the cell or the address column had one.
    pub address: Option<String>,
}

/// True when a word (with its trailing dot, if any) starts an address.
fn is_address_word(word: &str) -> bool {
    let w: String = word.trim_end_matches(['.', ',']).chars().flat_map(char::to_lowercase).collect();
    ADDRESS_WORDS.contains(&w.as_str()) || MORE_ADDRESS_WORDS.contains(&w.as_str())
}

/// True when a word is a postal code.
fn is_postcode(word: &str) -> bool {
    let w = word.trim_end_matches(',');
    w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit())
}

/// True when a text reads as an address: it starts with an address word or a postal code,
/// or holds an address word and a digit.
fn looks_like_address(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let Some(first) = words.next() else { return false };
    // «ул.Ленина»: the word glued to the street.
    let head = first.split_inclusive('.').next().unwrap_or(first);
    if is_address_word(head) && (head.ends_with('.') || head == first) || is_postcode(first) {
        return true;
    }
    text.split_whitespace().any(|w| is_address_word(w) && w.ends_with('.')) && text.chars().any(|c| c.is_ascii_digit())
}

/// Splits a name cell, taking `address` (the address column) when it is filled. `None` for an
/// anonymous letter (empty cell or «аноним»).
pub fn split(cell: &str, address: Option<&str>) -> Option<Person> {
    let cell = cell.trim().trim_end_matches(',').trim();
    let address = address.map(str::trim).filter(|a| !a.is_empty()).map(str::to_string);
    let folded: String = cell.chars().flat_map(char::to_lowercase).collect();
    if cell.is_empty() || ANONYMOUS.iter().any(|a| folded.trim_end_matches('.') == *a) {
        return None;
    }
    // «Иванов И.И., ул. Ленина 5-12»: the first comma after which an address begins.
    let mut at = 0;
    for (i, _) in cell.match_indices(',') {
        let rest = cell[i + 1..].trim();
        if looks_like_address(rest) && i > at {
            return Some(Person { name: cell[..i].trim().to_string(), address: address.or_else(|| Some(rest.to_string())) });
        }
        at = i;
    }
    // «Петрова А. С. 169300 г. Ухта» / «Сидоров П.П. ул.Мира, 3»: the first word that starts one.
    let words: Vec<(usize, &str)> = cell.split_whitespace().map(|w| (w.as_ptr() as usize - cell.as_ptr() as usize, w)).collect();
    for &(pos, w) in words.iter().skip(1) {
        let head = w.split_inclusive('.').next().unwrap_or(w);
        let bare = head.trim_end_matches('.');
        // «И.» / «С.» / «Д» are initials, not «село» or «дом»: a single capital letter.
        let initial = bare.chars().count() == 1 && bare.chars().next().is_some_and(char::is_uppercase);
        let starts = is_postcode(w) || is_address_word(head);
        if starts && !initial && looks_like_address(&cell[pos..]) {
            return Some(Person { name: cell[..pos].trim().trim_end_matches(',').trim().to_string(), address: address.or_else(|| Some(cell[pos..].trim().to_string())) });
        }
    }
    Some(Person { name: cell.to_string(), address })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, address: Option<&str>) -> Option<Person> {
        Some(Person { name: name.into(), address: address.map(Into::into) })
    }

    #[test]
    fn name_and_address_in_one_cell() {
        assert_eq!(split("Иванов И.И., ул. Ленина 5-12", None), p("Иванов И.И.", Some("ул. Ленина 5-12")));
        assert_eq!(split("Иванов Иван Иванович, г. Ухта, ул. Ленина, д. 5, кв. 12", None), p("Иванов Иван Иванович", Some("г. Ухта, ул. Ленина, д. 5, кв. 12")));
        assert_eq!(split("Петрова А.С., 169300, г. Ухта, пр. Космонавтов 3", None), p("Петрова А.С.", Some("169300, г. Ухта, пр. Космонавтов 3")));
        assert_eq!(split("Петрова А. С. 169300 г. Ухта", None), p("Петрова А. С.", Some("169300 г. Ухта")));
        assert_eq!(split("Сидоров П.П. ул.Мира, 3", None), p("Сидоров П.П.", Some("ул.Мира, 3")));
        assert_eq!(split("Кузнецова Мария Петровна ул. Мира 3", None), p("Кузнецова Мария Петровна", Some("ул. Мира 3")));
    }

    #[test]
    fn initials_are_not_addresses() {
        // «С.» is an initial here, not «село».
        assert_eq!(split("Смирнов А. С.", None), p("Смирнов А. С.", None));
        assert_eq!(split("Смирнов С.Д.", None), p("Смирнов С.Д.", None));
        assert_eq!(split("Иванов И.И., Петров П.П.", None), p("Иванов И.И., Петров П.П.", None));
    }

    #[test]
    fn an_address_column_wins() {
        assert_eq!(split("Иванов И.И.", Some(" ул. Ленина 5 ")), p("Иванов И.И.", Some("ул. Ленина 5")));
        assert_eq!(split("Иванов И.И., ул. Ленина 5", Some("ул. Мира 1")), p("Иванов И.И.", Some("ул. Мира 1")));
        assert_eq!(split("Иванов И.И.", Some("  ")), p("Иванов И.И.", None));
    }

    #[test]
    fn anonymous_letters() {
        assert_eq!(split("", None), None);
        assert_eq!(split("  ", Some("ул. Ленина 5")), None);
        assert_eq!(split("Аноним", None), None);
        assert_eq!(split("без подписи", None), None);
        assert_eq!(split("Анонимное.", None), None);
    }
}
