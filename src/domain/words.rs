//! Russian words of a text and their stems: what the classifier lookup matches on and what
//! tells two letters of the same wording apart from two different letters.

use rust_stemmers::{Algorithm, Stemmer};

/// Words that carry no subject in a clerk's phrasing: prepositions, pronouns, request formulas.
const STOP_WORDS: &[&str] = &[
    "а", "без", "бы", "в", "во", "вот", "все", "где", "да", "для", "до", "его", "ее", "же", "за", "и", "из", "или", "им", "их", "к", "как", "когда", "ко",
    "ли", "мой", "мы", "на", "над", "нам", "нас", "наш", "наша", "нашего", "нашей", "нашем", "наши", "не", "нет", "но", "о", "об", "около", "от", "очень",
    "по", "под", "при", "про", "с", "со", "так", "там", "то", "у", "уже", "что", "это", "этот", "я", "просьба", "прошу", "просим", "просит", "помогите",
    "помочь", "пожалуйста", "вопрос", "вопросу", "жалоба", "жалобу", "обращение", "граждан", "гражданина", "уважаемый", "нужно", "надо", "ул", "д", "кв",
];

/// The Snowball stem of one folded word; words in other scripts and numbers stay as they are.
pub fn stem(word: &str) -> String {
    thread_local! {
        static RU: Stemmer = Stemmer::create(Algorithm::Russian);
    }
    if word.chars().any(|c| ('а'..='я').contains(&c)) {
        RU.with(|s| s.stem(word).into_owned())
    } else {
        word.to_string()
    }
}

/// Lower-cased words of a text with `ё` folded into `е`, split at everything but letters and digits.
pub fn words(text: &str) -> Vec<String> {
    let folded = super::text::search_fold(text);
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// Stems of a text's meaningful words (filler words dropped), in order.
pub fn stems(text: &str) -> Vec<String> {
    words(text).into_iter().filter(|w| !STOP_WORDS.contains(&w.as_str())).map(|w| stem(&w)).collect()
}
