//! The one CSV writer of the service: every CSV it produces (the registry, the annual report's
//! breakdowns, the ГАСУ forms) is written here, the way Russian Excel opens it — UTF-8 with a
//! BOM, `;` between cells, CRLF — and no text cell can start a spreadsheet formula: a cell that
//! begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a
//! `=HYPERLINK(…)` typed into an official's name stays text when a supervisor opens the file.

/// One cell of a row.
#[derive(Clone, Copy, Debug)]
pub enum Field<'a> {
    /// Text from people or the database: neutralised and quoted when needed.
    Text(&'a str),
    /// A whole number the service computed: written as is.
    Int(i64),
    /// A figure the service formatted itself from numbers (`-12,5`): written as is, so a
    /// spreadsheet reads it as a number. Never pass people's text here.
    Figure(&'a str),
}

/// Characters that make a spreadsheet read a cell as a formula (or hide one behind them).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The text with a leading `'` when a spreadsheet would take it for a formula.
pub fn neutralised(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(FORMULA_STARTS) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// A text cell: neutralised, and quoted when it holds `;`, `"`, a line break or was neutralised.
pub fn text(s: &str) -> String {
    let n = neutralised(s);
    if n.contains([';', '"', '\n', '\r']) || n.len() != s.len() {
        format!("\"{}\"", n.replace('"', "\"\""))
    } else {
        n.into_owned()
    }
}

/// A text cell, always quoted (the registry quotes every cell).
pub fn quoted(s: &str) -> String {
    format!("\"{}\"", neutralised(s).replace('"', "\"\""))
}

/// A CSV document being written.
#[derive(Debug)]
pub struct Writer {
    out: String,
    always_quote: bool,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// An empty document that starts with the BOM Excel needs to read UTF-8.
    pub fn new() -> Self {
        Writer { out: String::from("\u{feff}"), always_quote: false }
    }

    /// Quotes every text cell (for readers that expect it).
    pub fn quoting_all(mut self) -> Self {
        self.always_quote = true;
        self
    }

    /// Appends one row.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Field<'a>>) {
        let mut first = true;
        for c in cells {
            if !first {
                self.out.push(';');
            }
            first = false;
            match c {
                Field::Text(s) if self.always_quote => self.out.push_str(&quoted(s)),
                Field::Text(s) => self.out.push_str(&text(s)),
                Field::Int(n) => self.out.push_str(&n.to_string()),
                Field::Figure(s) => {
                    debug_assert!(s.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ',' | '.' | ' ' | '%')), "not a figure: {s}");
                    self.out.push_str(s)
                }
            }
        }
        self.out.push_str("\r\n");
    }

    /// Appends a row of text cells.
    pub fn texts<S: AsRef<str>>(&mut self, cells: &[S]) {
        self.row(cells.iter().map(|s| Field::Text(s.as_ref())));
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// True when nothing but the BOM was written.
    pub fn is_empty(&self) -> bool {
        self.out.len() <= '\u{feff}'.len_utf8()
    }

    /// The finished document.
    pub fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }

    /// The finished document as text.
    pub fn into_string(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_never_start_a_text_cell() {
        for s in ["=HYPERLINK(\"http://x\";\"y\")", "+7 999", "-1+1", "@SUM(A1)", "\tfoo", "\r=1"] {
            let t = text(s);
            let inner = t.trim_start_matches('"');
            assert!(inner.starts_with('\''), "{s:?} → {t:?}");
            assert!(quoted(s).starts_with("\"'"), "{s:?}");
        }
        assert_eq!(text("Иванов"), "Иванов");
        assert_eq!(text("a;b"), "\"a;b\"");
        assert_eq!(text("x\"y"), "\"x\"\"y\"");
        assert_eq!(text("=1"), "\"'=1\"");
        assert_eq!(quoted("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }

    #[test]
    fn rows_have_a_bom_semicolons_and_crlf() {
        let mut w = Writer::new();
        w.texts(&["Код", "Наименование"]);
        w.row([Field::Text("=1"), Field::Int(-3), Field::Figure("-12,5")]);
        assert_eq!(w.into_string(), "\u{feff}Код;Наименование\r\n\"'=1\";-3;-12,5\r\n");
        let mut q = Writer::new().quoting_all();
        q.texts(&["a", "b"]);
        assert_eq!(q.into_string(), "\u{feff}\"a\";\"b\"\r\n");
    }
}
