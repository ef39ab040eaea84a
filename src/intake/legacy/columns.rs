//! Which column of a legacy journal holds what: header names matched to the fields the import
//! knows, by a default list of the usual Russian headers and the deployment's mapping file
//! (`config/legacy-import.example.toml`), tolerant of case, spaces, dots and «ё». The header
//! row is found even when a title row («Журнал регистрации обращений граждан за 2023 год»)
//! or an empty row comes first.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A field of a journal row the import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    /// The journal's registration number (kept on the card as the legacy number).
    Number,
    /// Date the body received the letter.
    Received,
    /// Date the journal registered it.
    Registered,
    /// The applicant's name (often with the address in the same cell).
    Applicant,
    /// The applicant's postal address.
    Address,
    /// What the letter is about.
    Summary,
    /// The question: a classifier code, a section's name or words.
    Question,
    /// Who answered it.
    Executor,
    /// The deadline the journal recorded.
    Due,
    /// Date of the answer.
    Answered,
    /// The result of consideration, in words.
    Result,
}

impl Column {
    /// Every field, in the journal's usual order.
    pub const ALL: [Column; 11] = [
        Column::Number, Column::Received, Column::Registered, Column::Applicant, Column::Address, Column::Summary,
        Column::Question, Column::Executor, Column::Due, Column::Answered, Column::Result,
    ];

    /// The key of the field in the mapping file.
    pub fn key(self) -> &'static str {
        match self {
            Column::Number => "number",
            Column::Received => "received",
            Column::Registered => "registered",
            Column::Applicant => "applicant",
            Column::Address => "address",
            Column::Summary => "summary",
            Column::Question => "question",
            Column::Executor => "executor",
            Column::Due => "due",
            Column::Answered => "answered",
            Column::Result => "result",
        }
    }

    /// The usual header of the field, as a clerk reads it in a message.
    pub fn label(self) -> &'static str {
        match self {
            Column::Number => "Рег. №",
            Column::Received => "Дата поступления",
            Column::Registered => "Дата регистрации",
            Column::Applicant => "Ф.И.О.",
            Column::Address => "Адрес",
            Column::Summary => "Содержание",
            Column::Question => "Вопрос",
            Column::Executor => "Исполнитель",
            Column::Due => "Срок",
            Column::Answered => "Дата ответа",
            Column::Result => "Результат",
        }
    }

    /// The headers this field is recognised by when no mapping file says otherwise.
    fn default_headers(self) -> &'static [&'static str] {
        match self {
            Column::Number => &["Рег. №", "Рег №", "Рег. номер", "Регистрационный номер", "Регистрационный №", "№ регистрации", "Вх. №", "Входящий номер", "Номер", "№ п/п"],
            Column::Received => &["Дата поступления", "Дата получения", "Поступило"],
            Column::Registered => &["Дата регистрации", "Дата рег.", "Зарегистрировано", "Дата"],
            Column::Applicant => &["Ф.И.О.", "ФИО", "Ф.И.О. заявителя", "Заявитель", "Автор", "Корреспондент", "Ф.И.О., адрес", "ФИО и адрес заявителя", "Заявитель, адрес"],
            Column::Address => &["Адрес", "Адрес заявителя", "Почтовый адрес"],
            Column::Summary => &["Содержание", "Краткое содержание", "Содержание обращения", "Суть обращения"],
            Column::Question => &["Вопрос", "Тематика", "Тематика вопроса", "Классификатор", "Код вопроса", "Код тематики", "Раздел"],
            Column::Executor => &["Исполнитель", "Ответственный исполнитель", "Кому направлено"],
            Column::Due => &["Срок", "Срок исполнения", "Срок рассмотрения", "Контрольный срок"],
            Column::Answered => &["Дата ответа", "Дата исполнения", "Ответ дан", "Дата и номер ответа"],
            Column::Result => &["Результат", "Результат рассмотрения", "Итог", "Результат рассмотрения обращения"],
        }
    }
}

/// A header folded for comparison: lower case, «ё» as «е», without spaces, dots, commas,
/// quotes and other punctuation («Рег. №» and «рег №» and «РЕГ.№» are the same header).
pub fn fold_header(h: &str) -> String {
    h.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '№')
        .collect()
}

/// The mapping file: extra headers per field and the values every row shares.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    /// Field key (`number`, `received`, …) → one header or several. They are tried before the
    /// default headers.
    #[serde(default)]
    pub columns: BTreeMap<String, OneOrMany>,
    /// Values for what a journal does not record.
    #[serde(default)]
    pub defaults: Defaults,
}

/// One header, or a list of them.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One header.
    One(String),
    /// Several headers.
    Many(Vec<String>),
}

impl OneOrMany {
    fn list(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// What every imported appeal gets when the journal has no column for it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Channel code (`GET /api/v1/channels`).
    #[serde(default = "default_channel")]
    pub channel: String,
    /// `written`, `electronic` or `oral`.
    #[serde(default = "default_form")]
    pub form: String,
    /// `proposal`, `statement`, `complaint` or `other`.
    #[serde(default = "default_kind")]
    pub kind: String,
}

fn default_channel() -> String {
    "post".into()
}
fn default_form() -> String {
    "written".into()
}
fn default_kind() -> String {
    "statement".into()
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults { channel: default_channel(), form: default_form(), kind: default_kind() }
    }
}

/// A mapping ready to match headers.
#[derive(Clone, Debug)]
pub struct Mapping {
    /// Folded header → field, the file's headers first.
    headers: Vec<(String, Column)>,
    /// The shared values.
    pub defaults: Defaults,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping::new(MappingFile::default()).expect("the default mapping is valid")
    }
}

impl Mapping {
    /// The mapping of a file's text; an unknown field key is an error naming it.
    pub fn parse(text: &str) -> Result<Mapping, String> {
        let file: MappingFile = toml::from_str(text).map_err(|e| format!("файл сопоставления столбцов: {e}"))?;
        Mapping::new(file)
    }

    /// The mapping of a parsed file, the default headers after the file's own.
    pub fn new(file: MappingFile) -> Result<Mapping, String> {
        let mut headers = Vec::new();
        for (key, names) in &file.columns {
            let col = Column::ALL.iter().copied().find(|c| c.key() == key).ok_or_else(|| {
                format!("файл сопоставления столбцов: неизвестное поле «{key}» (известны: {})", Column::ALL.map(Column::key).join(", "))
            })?;
            headers.extend(names.list().into_iter().map(|n| (fold_header(n), col)));
        }
        for c in Column::ALL {
            headers.extend(c.default_headers().iter().map(|h| (fold_header(h), c)));
        }
        Ok(Mapping { headers, defaults: file.defaults })
    }

    /// The field a header names, if any.
    pub fn column_of(&self, header: &str) -> Option<Column> {
        let f = fold_header(header);
        if f.is_empty() {
            return None;
        }
        self.headers.iter().find(|(h, _)| *h == f).map(|(_, c)| *c)
    }

    /// Finds the header row among the first `scan` rows: the first whose cells name at least
    /// three fields, among them the number. Returns its index and field → cell position (the
    /// first cell naming a field wins).
    pub fn find_header<'a>(&self, rows: impl Iterator<Item = &'a [String]>, scan: usize) -> Option<(usize, BTreeMap<Column, usize>)> {
        for (i, row) in rows.take(scan).enumerate() {
            let mut found = BTreeMap::new();
            for (pos, cell) in row.iter().enumerate() {
                if let Some(c) = self.column_of(cell) {
                    found.entry(c).or_insert(pos);
                }
            }
            if found.len() >= 3 && found.contains_key(&Column::Number) {
                return Some((i, found));
            }
        }
        None
    }
}

/// What a journal must have besides the number: a date and what the letter is about.
pub fn missing_required(found: &BTreeMap<Column, usize>) -> Vec<String> {
    let mut missing = Vec::new();
    if !found.contains_key(&Column::Registered) && !found.contains_key(&Column::Received) {
        missing.push(format!("нет столбца «{}» или «{}»", Column::Registered.label(), Column::Received.label()));
    }
    if !found.contains_key(&Column::Summary) && !found.contains_key(&Column::Question) {
        missing.push(format!("нет столбца «{}» или «{}»", Column::Summary.label(), Column::Question.label()));
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_match_whatever_the_case_spaces_dots_and_yo() {
        let m = Mapping::default();
        assert_eq!(m.column_of("Рег. №"), Some(Column::Number));
        assert_eq!(m.column_of("  РЕГ.№ "), Some(Column::Number));
        assert_eq!(m.column_of("рег №"), Some(Column::Number));
        assert_eq!(m.column_of("Ф. И. О."), Some(Column::Applicant));
        assert_eq!(m.column_of("фио"), Some(Column::Applicant));
        assert_eq!(m.column_of("Дата  поступления"), Some(Column::Received));
        assert_eq!(m.column_of("дата ответа"), Some(Column::Answered));
        assert_eq!(m.column_of("Результат рассмотрения"), Some(Column::Result));
        assert_eq!(m.column_of("Примечание"), None);
        assert_eq!(m.column_of(""), None);
        assert_eq!(fold_header("Ёлка, ЖЁЛТАЯ."), "елкажелтая");
    }

    #[test]
    fn the_header_row_is_found_under_a_title() {
        let m = Mapping::default();
        let rows = [
            row(&["Журнал регистрации обращений граждан за 2023 год"]),
            row(&[]),
            row(&["Рег. №", "Дата регистрации", "Ф.И.О.", "Содержание", "Примечание"]),
            row(&["1", "12.03.2023", "Иванов И.И.", "Ямы"]),
        ];
        let (i, found) = m.find_header(rows.iter().map(Vec::as_slice), 20).unwrap();
        assert_eq!(i, 2);
        assert_eq!(found[&Column::Number], 0);
        assert_eq!(found[&Column::Summary], 3);
        assert!(!found.contains_key(&Column::Result));
        assert!(missing_required(&found).is_empty());
        // A title alone is not a header row.
        assert!(m.find_header(rows[..2].iter().map(Vec::as_slice), 20).is_none());
    }

    #[test]
    fn a_mapping_file_adds_headers_and_defaults() {
        let m = Mapping::parse("[columns]\nnumber = \"Входящий индекс\"\nsummary = [\"Суть\", \"Текст\"]\n[defaults]\nchannel = \"email\"\n").unwrap();
        assert_eq!(m.column_of("входящий  индекс"), Some(Column::Number));
        assert_eq!(m.column_of("Текст"), Some(Column::Summary));
        assert_eq!(m.column_of("Рег. №"), Some(Column::Number));
        assert_eq!(m.defaults.channel, "email");
        assert_eq!(m.defaults.form, "written");
        let e = Mapping::parse("[columns]\nnomer = \"№\"\n").unwrap_err();
        assert!(e.contains("nomer"), "{e}");
        assert!(Mapping::parse("[colums]\n").is_err());
    }

    #[test]
    fn the_shipped_example_parses() {
        let m = Mapping::parse(include_str!("../../../config/legacy-import.example.toml")).unwrap();
        assert_eq!(m.column_of("Входящий индекс"), Some(Column::Number));
        assert_eq!(m.column_of("Корреспондент (Ф.И.О., адрес)"), Some(Column::Applicant));
        assert_eq!(m.defaults.channel, "post");
    }

    #[test]
    fn required_columns_are_named() {
        let found: BTreeMap<Column, usize> = [(Column::Number, 0), (Column::Applicant, 1), (Column::Address, 2)].into_iter().collect();
        let missing = missing_required(&found);
        assert_eq!(missing.len(), 2);
        assert!(missing[0].contains("Дата регистрации"));
    }
}
