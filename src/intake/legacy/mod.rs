//! A body's journal from before the service (an Excel workbook or a CSV export of its old
//! document system) read into the registry's own import records: columns found by their
//! headers, dates, names with addresses, questions and results parsed by the rules of the
//! modules below. Everything here is pure; `crate::legacy_import` stores the rows.

pub mod classify;
pub mod columns;
pub mod dates;
pub mod person;
pub mod results;
pub mod rows;
pub mod table;
