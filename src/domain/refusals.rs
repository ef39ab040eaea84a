//! What the service says, and decides, when a stored fact refuses a request: the store finds
//! the fact inside its transaction (a number taken, an answer already approved, a notice
//! already sent) and asks here for the rule and its Russian wording, so the store itself holds
//! neither a business rule nor a sentence for a person.

/// Why a notification may not be sent again, or `None` when it may: only a failed or a
/// cancelled one goes back to the queue (a sent one would reach the citizen twice).
pub fn retry_refused(status: &str) -> Option<String> {
    match status {
        "failed" | "cancelled" => None,
        "skipped" => Some("уведомление не отправляется: адрес вне национальной доменной зоны".into()),
        "sent" => Some("уведомление уже отправлено".into()),
        _ => Some("уведомление ещё ожидает отправки".into()),
    }
}

/// The refusal to make logins unique in the instance while two organizations share `login`
/// (the migration runner checks before the migration; PostgreSQL's migration raises the same words).
pub fn shared_login(login: &str) -> String {
    format!("логин «{login}» есть в двух организациях: логины должны быть уникальны в экземпляре — измените логин одного из пользователей и запустите снова")
}

/// The refusal to replace the file of a reviewed answer: an approved or returned answer keeps
/// the file it was judged on (the store checks the answer's status under its row lock).
pub fn answer_file_frozen() -> String {
    "файл ответа после утверждения (или возврата на доработку) не меняется; исправленный файл прикладывается к новому ответу".into()
}

/// A visitor of a personal reception is registered as an appeal once.
pub fn visitor_already_registered() -> String {
    "посетитель уже зарегистрирован как обращение".into()
}

/// A re-delivered letter: its external id already names an appeal (`item` is the import's
/// row, `None` for a single registration).
pub fn duplicate_external_id(item: Option<usize>, external_id: &str, reg_number: &str) -> String {
    match item {
        Some(i) => format!("items[{i}]: обращение с external_id «{external_id}» уже зарегистрировано под номером {reg_number}"),
        None => format!("обращение с этим external_id уже зарегистрировано под номером {reg_number}"),
    }
}

/// An imported legacy number that the registry already holds.
pub fn number_taken(reg_number: &str) -> String {
    format!("номер {reg_number} уже занят")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failed_or_cancelled_notices_go_back_to_the_queue() {
        assert_eq!(retry_refused("failed"), None);
        assert_eq!(retry_refused("cancelled"), None);
        for status in ["sent", "skipped", "pending", "sending"] {
            let why = retry_refused(status).expect("refused");
            assert!(why.starts_with("уведомление"), "{why}");
        }
        assert_ne!(retry_refused("sent"), retry_refused("skipped"));
    }

    #[test]
    fn a_duplicate_names_the_number_and_the_row() {
        assert!(duplicate_external_id(Some(3), "x-1", "ОГ-5/2026").starts_with("items[3]: "));
        assert!(duplicate_external_id(None, "x-1", "ОГ-5/2026").ends_with("ОГ-5/2026"));
        assert_eq!(number_taken("ОГ-1"), "номер ОГ-1 уже занят");
    }
}
