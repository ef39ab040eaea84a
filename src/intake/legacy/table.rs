//! A journal file as rows of cell texts, whatever it came as: an Excel workbook (its first
//! sheet; date cells become ISO dates, whole numbers lose their `.0`) or a CSV export in UTF-8
//! or Windows-1251 with `;`, `,` or tabs between cells.

use std::io::Cursor;

/// How a journal file was read, for the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// Rows of cell texts, as many cells as each row has.
    pub rows: Vec<Vec<String>>,
    /// `xlsx`, `csv (UTF-8, ;)` and the like.
    pub format: String,
}

/// True when the bytes are a ZIP (XLSX, ODS) or an OLE compound file (XLS).
fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// Reads a journal file; a Russian message when it is neither a workbook nor text.
pub fn read(bytes: &[u8]) -> Result<Read, String> {
    if is_workbook(bytes) {
        return read_workbook(bytes);
    }
    let (text, encoding) = decode(bytes);
    let sep = separator(&text);
    let rows = parse_csv(&text, sep);
    let name = match sep {
        b'\t' => "табуляция",
        b',' => ",",
        _ => ";",
    };
    Ok(Read { rows, format: format!("csv ({encoding}, {name})") })
}

/// The text of a CSV file: UTF-8 (with or without a BOM) when it is valid UTF-8, else
/// Windows-1251, what Russian Excel and old document systems write.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1251.decode(bytes);
            (text.into_owned(), "Windows-1251")
        }
    }
}

/// The separator the first lines use most outside quotes: `;` (Russian Excel), `,` or a tab.
pub fn separator(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for (n, line) in text.lines().enumerate() {
        if n >= 30 {
            break;
        }
        for b in line.bytes() {
            match b {
                b'"' => quoted = !quoted,
                b';' if !quoted => counts[0] += 1,
                b',' if !quoted => counts[1] += 1,
                b'\t' if !quoted => counts[2] += 1,
                _ => {}
            }
        }
    }
    if counts[2] > counts[0] && counts[2] > counts[1] {
        b'\t'
    } else if counts[1] > counts[0] {
        b','
    } else {
        b';'
    }
}

/// RFC 4180 rows: quoted cells may hold separators, doubled quotes and line breaks; CRLF or LF
/// ends a row. Empty trailing rows are dropped.
pub fn parse_csv(text: &str, sep: u8) -> Vec<Vec<String>> {
    let sep = sep as char;
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cell.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cell.push(c);
            }
        } else if c == '"' && cell.is_empty() {
            quoted = true;
        } else if c == sep {
            row.push(std::mem::take(&mut cell));
        } else if c == '\n' || c == '\r' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            row.push(std::mem::take(&mut cell));
            rows.push(std::mem::take(&mut row));
        } else {
            cell.push(c);
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    while rows.last().is_some_and(|r: &Vec<String>| r.iter().all(|c| c.trim().is_empty())) {
        rows.pop();
    }
    rows
}

/// The first sheet of a workbook as cell texts.
fn read_workbook(bytes: &[u8]) -> Result<Read, String> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| format!("файл Excel не прочитан: {e}"))?;
    let range = book.worksheet_range_at(0).ok_or("в книге Excel нет листов")?.map_err(|e| format!("первый лист книги Excel не прочитан: {e}"))?;
    let (w, _) = range.get_size();
    let start_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut rows = Vec::with_capacity(range.height());
    for r in range.rows() {
        let mut cells = vec![String::new(); start_col];
        cells.reserve(w);
        for c in r {
            cells.push(match c {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Int(i) => i.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Bool(b) => if *b { "да".into() } else { "нет".into() },
                Data::DateTime(d) => super::dates::from_serial(d.as_f64()).map(|d| d.to_string()).unwrap_or_else(|| d.as_f64().to_string()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Error(e) => format!("#{e:?}"),
            });
        }
        rows.push(cells);
    }
    // Rows above the range's first one are empty in the sheet: keep row numbers as Excel shows them.
    let skipped = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let mut all = vec![Vec::new(); skipped];
    all.extend(rows);
    Ok(Read { rows: all, format: "xlsx".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quotes_separators_and_line_breaks() {
        let rows = parse_csv("a;\"b;c\";\"say \"\"hi\"\"\"\r\n1;\"two\nlines\";3\n\n", b';');
        assert_eq!(rows, vec![vec!["a", "b;c", "say \"hi\""], vec!["1", "two\nlines", "3"]]);
        assert_eq!(parse_csv("x,y", b','), vec![vec!["x", "y"]]);
    }

    #[test]
    fn separator_is_detected() {
        assert_eq!(separator("Журнал\nРег. №;Дата;ФИО\n1;2;3\n"), b';');
        assert_eq!(separator("Рег. №,Дата,ФИО\n1,\"a;b\",3\n"), b',');
        assert_eq!(separator("a\tb\tc\n"), b'\t');
    }

    #[test]
    fn windows_1251_and_utf8() {
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Рег. №;Ф.И.О.\n1;Иванов\n");
        let r = read(&cp1251).unwrap();
        assert_eq!(r.rows[1], vec!["1", "Иванов"]);
        assert_eq!(r.format, "csv (Windows-1251, ;)");
        let r = read("\u{feff}Рег. №,Ф.И.О.\n1,Ёлкин\n".as_bytes()).unwrap();
        assert_eq!(r.rows[0], vec!["Рег. №", "Ф.И.О."]);
        assert_eq!(r.rows[1][1], "Ёлкин");
        assert_eq!(r.format, "csv (UTF-8, ,)");
    }

    #[test]
    fn workbook_cells_become_texts() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "Журнал").unwrap();
        sheet.write_string(2, 0, "Рег. №").unwrap();
        sheet.write_string(2, 1, "Дата").unwrap();
        sheet.write_number(3, 0, 17.0).unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 12).unwrap();
        sheet.write_datetime_with_format(3, 1, &date, &fmt).unwrap();
        sheet.write_number(4, 1, 45363.0).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let r = read(&bytes).unwrap();
        assert_eq!(r.format, "xlsx");
        assert_eq!(r.rows[0][0], "Журнал");
        assert_eq!(r.rows[2], vec!["Рег. №", "Дата"]);
        assert_eq!(r.rows[3], vec!["17", "2024-03-12"]);
        assert_eq!(super::super::dates::parse(&r.rows[4][1]), Some("2024-03-12".parse().unwrap()));
        assert!(read(b"PK\x03\x04broken").is_err());
    }
}
