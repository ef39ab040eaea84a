//! The connector's rules (what the public connector tools check, docs/domain.md §6): every
//! violation is collected with the appeal's registration number, and nothing is exported.

use super::object::{SstuAppeal, NEED_FILE};
use super::object::is_guid;
use super::object::is_question_code;
use serde::Serialize;

/// A rule the object breaks, with the appeal's registration number.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Violation {
    /// The appeal's registration number.
    pub reg_number: String,
    /// The object's field, e.g. `questions[0].responseDate`.
    pub field: String,
    /// What is wrong, in Russian.
    pub message: String,
}

/// The connector's rules: required fields, GUID and code format, date order, attachment size.
pub fn violations(o: &SstuAppeal, reg_number: &str, max_attachment: usize) -> Vec<Violation> {
    let mut v = Vec::new();
    let mut add = |field: String, message: &str| v.push(Violation { reg_number: reg_number.into(), field, message: message.into() });
    match &o.department_id {
        None => add("departmentId".into(), "не задан идентификатор органа в ССТУ.РФ ([sstu] department_id)"),
        Some(g) if !is_guid(g) => add("departmentId".into(), "идентификатор органа в ССТУ.РФ должен быть GUID"),
        _ => {}
    }
    if o.number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        add("number".into(), if o.is_direct { "нет регистрационного номера" } else { "нет номера сопроводительного письма" });
    }
    if o.create_date.is_none() {
        add("createDate".into(), if o.is_direct { "нет даты регистрации" } else { "нет даты сопроводительного письма" });
    }
    if o.questions.is_empty() {
        add("questions".into(), "нет ни одного вопроса");
    }
    for (i, q) in o.questions.iter().enumerate() {
        let f = |name: &str| format!("questions[{i}].{name}");
        if !is_question_code(&q.code) {
            add(f("code"), "код вопроса — 4 или 5 групп по 4 цифры через точку (уровень вопроса или подвопроса)");
        }
        if q.registration_date < q.incoming_date {
            add(f("registrationDate"), "дата регистрации раньше даты поступления");
        }
        if o.create_date.is_some_and(|c| q.incoming_date < c) {
            add(f("incomingDate"), if o.is_direct { "дата поступления раньше даты обращения" } else { "дата поступления раньше даты сопроводительного письма" });
        }
        let final_status = !matches!(q.status, "InWork" | "Transferred");
        match q.response_date {
            None if final_status => add(f("responseDate"), "для итогового статуса нужна дата ответа"),
            Some(d) if d < q.registration_date => add(f("responseDate"), "дата ответа раньше даты регистрации"),
            _ => {}
        }
        if (q.status == "Supported") != q.actions_taken.is_some() {
            add(f("actionsTaken"), "признак «меры приняты» передаётся только для статуса Supported");
        }
        match (&q.transfer, q.status) {
            (None, "Transferred") => add(f("transfer"), "для статуса Transferred нужны сведения о направлении"),
            (Some(t), _) => {
                match &t.department_id {
                    None => add(f("transfer.departmentId"), "орган, куда направлено обращение, не выбран из справочника или не имеет GUID ССТУ.РФ"),
                    Some(g) if !is_guid(g) => add(f("transfer.departmentId"), "GUID органа в ССТУ.РФ указан неверно"),
                    _ => {}
                }
                match t.transfer_date {
                    None => add(f("transfer.transferDate"), "нет даты сопроводительного письма о направлении"),
                    Some(d) if d < q.registration_date => add(f("transfer.transferDate"), "дата направления раньше даты регистрации"),
                    _ => {}
                }
                if t.transfer_number.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    add(f("transfer.transferNumber"), "нет исходящего номера сопроводительного письма о направлении");
                }
            }
            _ => {}
        }
        if let Some(at) = &q.attachment {
            if at.size > max_attachment {
                add(f("attachment"), &format!("файл ответа больше допустимых {max_attachment} байт"));
            }
            if at.size == 0 || at.name.trim().is_empty() {
                add(f("attachment"), "пустой файл ответа или нет имени файла");
            }
        }
    }
        // Explained, Supported and Answered go out only with the answer file (once per appeal).
    if let Some(i) = o.questions.iter().position(|q| NEED_FILE.contains(&q.status)) {
        if o.questions.iter().all(|q| q.attachment.is_none()) {
            let status = o.questions[i].status;
            add(format!("questions[{i}].attachment"), &format!("для статуса {status} ССТУ.РФ требует файл ответа: приложите PDF к отправленному ответу"));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::object::*;
    use super::*;
    use chrono::NaiveDate;

    const GUID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn good() -> SstuAppeal {
        SstuAppeal {
            department_id: Some(GUID.into()),
            is_direct: true,
            format: "Other",
            number: Some("ОГ-2025-000001".into()),
            create_date: Some(d("2025-10-01")),
            name: Some("Иванов Иван Иванович".into()),
            address: None,
            email: None,
            questions: vec![SstuQuestion {
                code: "0003.0009.0097.0699".into(),
                status: "Explained",
                incoming_date: d("2025-10-01"),
                registration_date: d("2025-10-02"),
                response_date: Some(d("2025-10-20")),
                actions_taken: None,
                transfer: None,
                attachment: Some(Attachment { name: "otvet.pdf".into(), content: "JVBERi0=".into(), size: 5 }),
            }],
        }
    }

    fn fields(o: &SstuAppeal) -> Vec<String> {
        violations(o, "ОГ-1", 10).into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_good_object_passes() {
        assert!(fields(&good()).is_empty());
    }

    #[test]
    fn every_rule_has_a_failing_case() {
        let mut o = good();
        o.department_id = None;
        assert_eq!(fields(&o), ["departmentId"]);
        o.department_id = Some("not-a-guid".into());
        assert_eq!(fields(&o), ["departmentId"]);

        let mut o = good();
        o.number = None;
        o.create_date = None;
        assert_eq!(fields(&o), ["number", "createDate"]);

        let mut o = good();
        o.questions.clear();
        assert_eq!(fields(&o), ["questions"]);

        let mut o = good();
        o.create_date = Some(d("2025-10-02"));
        assert_eq!(fields(&o), ["questions[0].incomingDate"]);

        let mut o = good();
        o.questions[0].code = "0003.0009".into();
        assert_eq!(fields(&o), ["questions[0].code"]);

        let mut o = good();
        o.questions[0].registration_date = d("2025-09-30");
        assert_eq!(fields(&o), ["questions[0].registrationDate"]);

        let mut o = good();
        o.questions[0].response_date = Some(d("2025-10-01"));
        assert_eq!(fields(&o), ["questions[0].responseDate"]);
        o.questions[0].response_date = None;
        assert_eq!(fields(&o), ["questions[0].responseDate"]);

        let mut o = good();
        o.questions[0].status = "Supported";
        assert_eq!(fields(&o), ["questions[0].actionsTaken"]);

        let mut o = good();
        o.questions[0].status = "Transferred";
        o.questions[0].response_date = None;
        assert_eq!(fields(&o), ["questions[0].transfer"]);
        o.questions[0].transfer = Some(Transfer { department_id: None, transfer_date: Some(d("2025-10-01")), transfer_number: Some("ОГ-пер-1".into()) });
        assert_eq!(fields(&o), ["questions[0].transfer.departmentId", "questions[0].transfer.transferDate"]);
        o.questions[0].transfer = Some(Transfer { department_id: Some(GUID.into()), transfer_date: None, transfer_number: None });
        assert_eq!(fields(&o), ["questions[0].transfer.transferDate", "questions[0].transfer.transferNumber"]);
        o.questions[0].transfer = Some(Transfer { department_id: Some(GUID.into()), transfer_date: Some(d("2025-10-03")), transfer_number: Some(" ".into()) });
        assert_eq!(fields(&o), ["questions[0].transfer.transferNumber"]);

        let mut o = good();
        o.questions[0].attachment = Some(Attachment { name: "otvet.pdf".into(), content: String::new(), size: 11 });
        assert_eq!(fields(&o), ["questions[0].attachment"]);
        o.questions[0].attachment = Some(Attachment { name: "otvet.pdf".into(), content: String::new(), size: 0 });
        assert_eq!(fields(&o), ["questions[0].attachment"]);
    }

    #[test]
    fn statuses_come_from_results_once_the_answer_is_sent() {
        assert_eq!(status_of(None, true), ("InWork", None));
        assert_eq!(status_of(Some("explained"), false), ("InWork", None));
        assert_eq!(status_of(Some("explained"), true), ("Explained", None));
        assert_eq!(status_of(Some("supported_measures_taken"), true), ("Supported", Some(true)));
        assert_eq!(status_of(Some("supported"), true), ("Supported", Some(false)));
        assert_eq!(status_of(Some("transferred"), false), ("Transferred", None));
        assert_eq!(status_of(Some("left_without_answer"), false), ("LeftWithoutAnswer", None));
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (i, o) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("2025-12"), Some((d("2025-12-01"), d("2026-01-01"))));
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("2025-1"), None);
        assert!(is_guid(GUID) && !is_guid("3fa85f64"));
        assert!(is_question_code("0004.0015.0158.0965.0064") && !is_question_code("0005"));
    }

    #[test]
    fn final_statuses_need_the_answer_file_once_per_appeal() {
        for status in NEED_FILE {
            let mut o = good();
            o.questions[0].status = status;
            o.questions[0].actions_taken = (status == "Supported").then_some(true);
            o.questions[0].attachment = None;
            assert_eq!(fields(&o), ["questions[0].attachment"], "{status}");
        }
        // A second question with the same status needs no copy of the file.
        let mut o = good();
        let mut second = o.questions[0].clone();
        second.attachment = None;
        o.questions.push(second);
        assert!(fields(&o).is_empty());
        // Statuses that are not final, or final without an answer to the author, need none.
        for (status, response) in [("InWork", None), ("LeftWithoutAnswer", Some(d("2025-10-20"))), ("NotSupported", Some(d("2025-10-20")))] {
            let mut o = good();
            o.questions[0].status = status;
            o.questions[0].response_date = response;
            o.questions[0].attachment = None;
            assert!(fields(&o).is_empty(), "{status}");
        }
    }

    #[test]
    fn the_file_goes_on_the_first_question_that_needs_it() {
        assert_eq!(attachment_slot(&["InWork", "Answered", "Explained"]), Some(1));
        assert_eq!(attachment_slot(&["NotSupported", "Supported"]), Some(1));
        assert_eq!(attachment_slot(&["Transferred", "NotSupported"]), Some(1));
        assert_eq!(attachment_slot(&["InWork", "LeftWithoutAnswer"]), None);
    }

    #[test]
    fn a_direct_appeal_dated_after_its_arrival_is_refused() {
        // createDate ≤ incomingDate ≤ registrationDate ≤ responseDate, direct appeals included.
        let mut o = good();
        o.create_date = Some(d("2025-10-02"));
        assert_eq!(fields(&o), ["questions[0].incomingDate"]);
        let v = violations(&o, "ОГ-1", 10);
        assert_eq!(v[0].message, "дата поступления раньше даты обращения");
    }

    #[test]
    fn an_appeal_keeps_its_guid() {
        let id = "0193f2c4-7b1e-7c3a-9d2e-5f6a7b8c9d0e";
        assert_eq!(guid_of(id), id);
        let made = guid_of("bench-000042");
        assert!(is_guid(&made), "{made}");
        assert_eq!(made, guid_of("bench-000042"));
        assert_ne!(made, guid_of("bench-000043"));
        assert_eq!(base64(&[0; 7]).len(), base64_len(7));
    }
}
