//! Results of consideration as journals word them («разъяснено», «поддержано, меры приняты»,
//! «направлено по компетенции»), mapped to the ССТУ.РФ results the registry counts.

use crate::domain::appeal::QuestionResult;

/// Folded for matching: lower case, «ё» as «е», punctuation as spaces, one space between words.
fn fold(s: &str) -> String {
    let t: String = s.chars().flat_map(char::to_lowercase).map(|c| if c == 'ё' { 'е' } else if c.is_alphanumeric() { c } else { ' ' }).collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The result a journal's words mean: `Ok(None)` for an empty cell, `Err` with a Russian
/// message for words it cannot tell. Negations are checked before what they negate.
pub fn parse(cell: &str) -> Result<Option<QuestionResult>, String> {
    let f = fold(cell);
    if f.is_empty() {
        return Ok(None);
    }
    if let Some(r) = QuestionResult::parse(cell.trim()) {
        return Ok(Some(r));
    }
    let has = |w: &str| f.contains(w);
    let r = if has("не поддерж") || has("отказ") || has("отклонен") {
        QuestionResult::NotSupported
    } else if has("меры прин") || has("приняты меры") || has("принятием мер") || has("меры будут") || has("решено положительно") || has("удовлетворено") {
        QuestionResult::SupportedMeasuresTaken
    } else if has("поддерж") {
        QuestionResult::Supported
    } else if has("разъясн") || has("разьясн") || has("дано разъяснение") {
        QuestionResult::Explained
    } else if has("компетенц") || has("перенаправ") || has("переадрес") || has("направлено в") || has("передано в") || has("переслано") {
        QuestionResult::Transferred
    } else if has("без ответа") || has("без рассмотрения") {
        QuestionResult::LeftWithoutAnswer
    } else if has("дан ответ") || has("ответ дан") || has("ответ направлен") || has("отвечено") || has("рассмотрено") || has("исполнено") {
        QuestionResult::Answered
    } else {
        return Err(format!(
            "результат «{}» не распознан: ожидается «разъяснено», «поддержано», «меры приняты», «не поддержано», «направлено по компетенции», «оставлено без ответа» или «дан ответ»",
            cell.trim()
        ));
    };
    Ok(Some(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use QuestionResult::*;

    #[test]
    fn journal_words() {
        let cases = [
            ("разъяснено", Explained),
            ("Разъяснено.", Explained),
            ("РАЗЬЯСНЕНО", Explained),
            ("поддержано", Supported),
            ("Поддержано, меры приняты", SupportedMeasuresTaken),
            ("меры приняты", SupportedMeasuresTaken),
            ("Рассмотрено. Поддержано, меры приняты", SupportedMeasuresTaken),
            ("не поддержано", NotSupported),
            ("Не  поддержано", NotSupported),
            ("отказано", NotSupported),
            ("направлено по компетенции", Transferred),
            ("Перенаправлено в ГЖИ", Transferred),
            ("оставлено без ответа", LeftWithoutAnswer),
            ("дан ответ", Answered),
            ("Рассмотрено", Answered),
            ("explained", Explained),
        ];
        for (words, want) in cases {
            assert_eq!(parse(words), Ok(Some(want)), "{words}");
        }
    }

    #[test]
    fn empty_and_unknown() {
        assert_eq!(parse("  "), Ok(None));
        let e = parse("в работе").unwrap_err();
        assert!(e.contains("«в работе»") && e.contains("разъяснено"), "{e}");
    }
}
