//! The annual report (годовая информация о работе с обращениями): Russian sentences in the
//! style of the reports («В 2024 году поступило 2 607 обращений граждан (2023 г. – 2 177)»),
//! tables, a multi-year table, inline SVG charts, printable on A4; the same figures as an XLSX
//! workbook (a sheet per breakdown) and a breakdown as CSV for Russian Excel.

use super::stats::{Figure, Line, Stats};
use serde::Serialize;

/// The HTML template, shipped in the binary; `config/templates/annual.html` overrides it.
pub const TEMPLATE: &str = include_str!("../../config/templates/annual.html");

use crate::domain::ru::plural;

use crate::domain::ru::number as thousands;

/// «(2023 г. – 2 177)», or nothing without a comparison.
fn was(prev_year: Option<i32>, f: &Figure) -> String {
    prev_year.map(|y| format!(" ({y}\u{a0}г. – {})", thousands(f.previous))).unwrap_or_default()
}

/// A percentage with a decimal comma: `19,8`.
fn pct(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}

/// The sentences of the first section: appeals received, written and oral, electronic share,
/// collective and repeated.
pub fn received_sentences(year: i32, prev_year: Option<i32>, s: &Stats) -> Vec<String> {
    let a = &s.appeals;
    let mut out = vec![format!(
        "В {year} году {} {} {} граждан{}.",
        plural(a.current, "поступило", "поступило", "поступило"),
        thousands(a.current),
        plural(a.current, "обращение", "обращения", "обращений"),
        was(prev_year, a)
    )];
    if let (Some(y), Some(c)) = (prev_year, a.change_pct) {
        let dir = if c >= 0.0 { "больше" } else { "меньше" };
        out.push(format!("Это на {} % {dir}, чем в {y} году.", pct(c.abs())));
    }
    out.push(format!(
        "Письменных обращений (на бумажном носителе и в электронной форме) – {}, из них в электронной форме – {} ({} %); устных – {}.",
        thousands(s.written.current),
        thousands(s.electronic.current),
        pct(s.electronic_share_of_written_pct.current),
        thousands(s.oral.current)
    ));
    out.push(format!(
        "Коллективных обращений – {}, повторных – {}, от организаций и объединений – {}.",
        thousands(s.collective.current),
        thousands(s.repeated.current),
        thousands(s.from_organizations.current)
    ));
    if s.forwarded.current > 0 || s.late_registration.current > 0 {
        out.push(format!("Направлено по компетенции в другие органы – {}.", thousands(s.forwarded.current)));
    }
    out
}

/// The sentences about questions: total and the most frequent.
pub fn question_sentences(year: i32, prev_year: Option<i32>, s: &Stats) -> Vec<String> {
    let q = &s.questions;
    let mut out = vec![format!(
        "В обращениях, поступивших в {year} году, {} {} {}{}.",
        plural(q.current, "поставлен", "поставлено", "поставлено"),
        thousands(q.current),
        plural(q.current, "вопрос", "вопроса", "вопросов"),
        was(prev_year, q)
    )];
    if !s.top_questions.is_empty() {
        let top: Vec<String> = s.top_questions.iter().take(3).map(|l| format!("«{}» – {}", l.name, thousands(l.current))).collect();
        out.push(format!("Наиболее часто граждане обращались по вопросам: {}.", top.join("; ")));
    }
    out
}

/// The sentences about control and timeliness.
pub fn control_sentences(s: &Stats) -> Vec<String> {
    let c = &s.control;
    let t = &s.timeliness;
    vec![
        format!(
            "Поставлено на контроль {} {}, снято с контроля – {}, на исполнении на конец периода – {}.",
            thousands(c.put_on_control),
            plural(c.put_on_control, "обращение", "обращения", "обращений"),
            thousands(c.removed_from_control),
            thousands(c.in_work_at_end)
        ),
        format!(
            "Ответы даны по {} {}, в установленный срок – {}, с нарушением срока – {}; срок продлевался по {}; просрочено на сегодня – {}. Возвращено на доработку – {}, рассмотрено с выездом на место – {}.",
            thousands(t.answered),
            plural(t.answered, "обращению", "обращениям", "обращениям"),
            thousands(t.on_time),
            thousands(t.late),
            thousands(t.extended),
            thousands(t.overdue_now),
            thousands(s.returned_for_rework.current),
            thousands(s.checked_on_site.current)
        ),
    ]
}

/// The sentences about personal reception.
pub fn reception_sentences(s: &Stats) -> Vec<String> {
    let r = &s.personal_reception;
    vec![format!(
        "На личном приёме главой принято {} {}, заместителями – {}; граждане поставили {} {}.",
        thousands(r.citizens_by_head),
        plural(r.citizens_by_head, "гражданин", "гражданина", "граждан"),
        thousands(r.citizens_by_deputies),
        thousands(r.questions),
        plural(r.questions, "вопрос", "вопроса", "вопросов")
    )]
}

/// A horizontal bar chart as inline SVG (no script, prints as it shows).
pub fn bar_chart(lines: &[Line], limit: usize) -> String {
    let rows: Vec<&Line> = lines.iter().filter(|l| l.current > 0).take(limit).collect();
    let max = rows.iter().map(|l| l.current).max().unwrap_or(1).max(1);
    let (label_w, bar_w, row_h) = (260.0, 360.0, 22.0);
    let height = row_h * rows.len() as f64 + 6.0;
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"680\" height=\"{height}\" viewBox=\"0 0 680 {height}\" font-family=\"serif\" font-size=\"12\">");
    for (i, l) in rows.iter().enumerate() {
        let y = 3.0 + row_h * i as f64;
        let w = bar_w * l.current as f64 / max as f64;
        let name: String = if l.name.is_empty() { l.code.clone() } else { l.name.chars().take(40).collect() };
        svg.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\">{}</text><rect x=\"{bx}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\" fill=\"#4a6fa5\"/><text x=\"{vx:.1}\" y=\"{ty}\">{}</text>",
            escape(&name),
            thousands(l.current),
            x = label_w - 6.0,
            ty = y + 14.0,
            bx = label_w,
            h = row_h - 6.0,
            vx = label_w + w + 4.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A breakdown line as the template shows it.
#[derive(Serialize)]
struct Row {
    code: String,
    name: String,
    current: String,
    previous: String,
    change: String,
}

fn rows(lines: &[Line]) -> Vec<Row> {
    lines
        .iter()
        .map(|l| Row { code: l.code.clone(), name: l.name.clone(), current: thousands(l.current), previous: thousands(l.previous), change: l.change_pct.map(pct).unwrap_or_else(|| "—".into()) })
        .collect()
}

/// The region's table by organization: each organization's appeals as its own statistics count
/// them (empty for one organization's report).
pub fn by_organization(s: &Stats) -> Vec<Line> {
    let lines = s.appeals.by_organization.as_deref().unwrap_or(&[]);
    lines
        .iter()
        .map(|o| Line { code: o.organization_id.clone(), name: o.name.clone(), current: o.current, previous: o.previous, change_pct: super::stats::change_pct(o.current, o.previous) })
        .collect()
}

/// The region's sentence about appeals forwarded between its organizations (none for one
/// organization's report).
pub fn within_region_sentence(s: &Stats) -> Option<String> {
    let f = s.forwarded_within_region.as_ref()?;
    Some(format!(
        "Переадресовано между организациями региона – {} (в таблице по организациям такое обращение учтено и у направившей, и у получившей организации, в итогах региона – один раз).",
        thousands(f.current)
    ))
}

/// Appeals received in one year, for the multi-year table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct YearCount {
    /// Year.
    pub year: i32,
    /// Appeals received.
    pub count: i64,
}

/// Renders the report with the shipped template, or with `<config_dir>/templates/annual.html` where a deployment has one (loaded as every template is, by `templates::load_into`).
pub fn html(config_dir: &std::path::Path, organization: &str, year: i32, prev_year: Option<i32>, s: &Stats, years: &[YearCount]) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    crate::templates::load_into(&mut env, &[("annual", TEMPLATE)], Some(&config_dir.join("templates")), ".html")?;
    let years: Vec<serde_json::Value> = years.iter().map(|y| serde_json::json!({"year": y.year, "count": thousands(y.count)})).collect();
    let ctx = serde_json::json!({
        "organization": organization, "year": year, "prev_year": prev_year.map(|y| y.to_string()).unwrap_or_else(|| "—".into()),
        "sentences": received_sentences(year, prev_year, s).into_iter().chain(within_region_sentence(s)).collect::<Vec<_>>(),
        "by_organization": rows(&by_organization(s)),
        "question_sentences": question_sentences(year, prev_year, s),
        "control_sentences": control_sentences(s),
        "reception_sentences": reception_sentences(s),
        "years": years,
        "by_channel": rows(&s.by_channel),
        "by_section": rows(&s.by_section),
        "top_questions": rows(&s.top_questions),
        "results": rows(&s.results),
        "channel_chart": bar_chart(&s.by_channel, 12),
        "section_chart": bar_chart(&s.by_section, 5),
        "data_as_of": s.data_as_of,
    });
    env.get_template("annual").and_then(|t| t.render(minijinja::value::Serde(&ctx))).map_err(|e| e.to_string())
}

/// The breakdowns a workbook and a CSV offer, by the name used in `breakdown=`.
pub fn breakdown<'a>(s: &'a Stats, name: &str) -> Option<&'a [Line]> {
    Some(match name {
        "by_channel" => &s.by_channel,
        "by_form" => &s.by_form,
        "by_kind" => &s.by_kind,
        "by_legal_regime" => &s.by_legal_regime,
        "by_section" => &s.by_section,
        "by_topic" => &s.by_topic,
        "by_theme" => &s.by_theme,
        "top_questions" => &s.top_questions,
        "results" => &s.results,
        _ => return None,
    })
}

/// Every breakdown's name and its sheet title.
pub const BREAKDOWNS: [(&str, &str); 9] = [
    ("by_channel", "Каналы"),
    ("by_form", "Формы"),
    ("by_kind", "Виды"),
    ("by_legal_regime", "Порядок рассмотрения"),
    ("by_section", "Разделы"),
    ("by_topic", "Тематики"),
    ("by_theme", "Темы"),
    ("top_questions", "Частые вопросы"),
    ("results", "Результаты"),
];

/// True when a breakdown's lines are classifier entries: only then has it a «Код» column (the
/// official classifier code); channels, forms, kinds and results are named, never coded.
pub fn has_official_codes(lines: &[Line]) -> bool {
    !lines.is_empty() && lines.iter().all(|l| crate::domain::classifier::is_code_shape(&l.code))
}

/// A breakdown as CSV the way Russian Excel opens it (through the service's one CSV writer).
pub fn csv(lines: &[Line], year: i32, prev_year: Option<i32>) -> Vec<u8> {
    use crate::csv::Field;
    let coded = has_official_codes(lines);
    let mut w = crate::csv::Writer::new();
    let (y, prev) = (format!("{year} г."), prev_year.map(|y| format!("{y} г.")).unwrap_or_default());
    let head = [Field::Text("Наименование"), Field::Text(&y), Field::Text(&prev), Field::Text("Изменение, %")];
    w.row(coded.then_some(Field::Text("Код")).into_iter().chain(head));
    for l in lines {
        let change = l.change_pct.map(pct).unwrap_or_default();
        let figures = [Field::Text(&l.name), Field::Int(l.current), Field::Int(l.previous), Field::Figure(&change)];
        w.row(coded.then_some(Field::Text(&l.code)).into_iter().chain(figures));
    }
    w.finish()
}

/// The workbook: a summary sheet, a sheet per breakdown, and appeals by year.
pub fn xlsx(s: &Stats, year: i32, prev_year: Option<i32>, years: &[YearCount]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    // Figures with thousands apart, as the report's sentences have them.
    let number = Format::new().set_num_format("# ##0");
    let prev = prev_year.map(|y| y.to_string()).unwrap_or_default();
    let summary = wb.add_worksheet().set_name("Сводка")?;
    summary.write_with_format(0, 0, "Показатель", &bold)?;
    summary.write_with_format(0, 1, format!("{year} г."), &bold)?;
    summary.write_with_format(0, 2, if prev.is_empty() { String::new() } else { format!("{prev} г.") }, &bold)?;
    let figures: [(&str, &Figure); 12] = [
        ("Поступило обращений", &s.appeals),
        ("Вопросов", &s.questions),
        ("Письменных", &s.written),
        ("В электронной форме", &s.electronic),
        ("Устных", &s.oral),
        ("Коллективных", &s.collective),
        ("Повторных", &s.repeated),
        ("От организаций", &s.from_organizations),
        ("Направлено по компетенции", &s.forwarded),
        ("Возвращено на доработку", &s.returned_for_rework),
        ("Рассмотрено с выездом на место", &s.checked_on_site),
        ("Зарегистрировано с нарушением срока", &s.late_registration),
    ];
    for (i, (name, f)) in figures.iter().enumerate() {
        let r = 1 + i as u32;
        summary.write(r, 0, *name)?;
        summary.write_with_format(r, 1, f.current as f64, &number)?;
        summary.write_with_format(r, 2, f.previous as f64, &number)?;
    }
    summary.set_column_width(0, 40)?;
    for (name, title) in BREAKDOWNS {
        let lines = breakdown(s, name).unwrap_or(&[]);
        let ws = wb.add_worksheet().set_name(title)?;
        // Official classifier codes in a column of their own; other breakdowns by name only.
        let first = if has_official_codes(lines) { 1 } else { 0 };
        let this_year = format!("{year} г.");
        let last_year = if prev.is_empty() { String::new() } else { format!("{prev} г.") };
        let heads = ["Код", "Наименование", this_year.as_str(), last_year.as_str(), "Изменение, %"];
        for (c, h) in heads.iter().skip(1 - first as usize).enumerate() {
            ws.write_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, l) in lines.iter().enumerate() {
            let r = 1 + i as u32;
            if first == 1 {
                ws.write(r, 0, l.code.as_str())?;
            }
            ws.write(r, first, l.name.as_str())?;
            ws.write_with_format(r, first + 1, l.current as f64, &number)?;
            ws.write_with_format(r, first + 2, l.previous as f64, &number)?;
            if let Some(c) = l.change_pct {
                ws.write(r, first + 3, c)?;
            }
        }
        ws.set_column_width(first, 60)?;
    }
    let orgs = by_organization(s);
    if !orgs.is_empty() {
        let ws = wb.add_worksheet().set_name("По организациям")?;
        let this_year = format!("{year} г.");
        let last_year = if prev.is_empty() { String::new() } else { format!("{prev} г.") };
        for (c, h) in ["Организация", this_year.as_str(), last_year.as_str(), "Изменение, %"].iter().enumerate() {
            ws.write_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, l) in orgs.iter().enumerate() {
            let r = 1 + i as u32;
            ws.write(r, 0, l.name.as_str())?;
            ws.write_with_format(r, 1, l.current as f64, &number)?;
            ws.write_with_format(r, 2, l.previous as f64, &number)?;
            if let Some(c) = l.change_pct {
                ws.write(r, 3, c)?;
            }
        }
        ws.set_column_width(0, 60)?;
    }
    let ws = wb.add_worksheet().set_name("По годам")?;
    ws.write_with_format(0, 0, "Год", &bold)?;
    ws.write_with_format(0, 1, "Поступило обращений", &bold)?;
    for (i, y) in years.iter().enumerate() {
        ws.write(1 + i as u32, 0, y.year as f64)?;
        ws.write_with_format(1 + i as u32, 1, y.count as f64, &number)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals() {
        let f = |n| plural(n, "обращение", "обращения", "обращений");
        assert_eq!([f(1), f(2), f(5), f(11), f(12), f(21), f(22), f(25), f(111), f(2607)], ["обращение", "обращения", "обращений", "обращений", "обращений", "обращение", "обращения", "обращений", "обращений", "обращений"]);
    }

    #[test]
    fn thousands_are_separated_by_non_breaking_spaces() {
        assert_eq!(thousands(2607), "2\u{a0}607");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1\u{a0}234\u{a0}567");
        assert_eq!(thousands(0), "0");
    }

    #[test]
    fn csv_has_a_bom_and_semicolons() {
        let lines = vec![Line { code: "post".into(), name: "Почтовая связь; письма".into(), current: 114, previous: 130, change_pct: Some(-12.3) }];
        let text = String::from_utf8(csv(&lines, 2024, Some(2023))).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert_eq!(text.lines().next().unwrap(), "\u{feff}Наименование;2024 г.;2023 г.;Изменение, %");
        assert_eq!(text.lines().nth(1).unwrap(), "\"Почтовая связь; письма\";114;130;-12,3");
        // Classifier breakdowns keep the official code in a column of its own.
        let sections = vec![Line { code: "0003".into(), name: "Экономика".into(), current: 1735, previous: 1272, change_pct: None }];
        let text = String::from_utf8(csv(&sections, 2024, Some(2023))).unwrap();
        assert_eq!(text.lines().nth(1).unwrap(), "0003;Экономика;1735;1272;");
        // A name from the classifier that looks like a formula stays text.
        let coded = vec![Line { code: "0003.0009.0097.0699".into(), name: "=Благоустройство".into(), current: 5, previous: 0, change_pct: None }];
        let text = String::from_utf8(csv(&coded, 2024, Some(2023))).unwrap();
        assert_eq!(text.lines().nth(1).unwrap(), "0003.0009.0097.0699;\"'=Благоустройство\";5;0;");
    }
}
