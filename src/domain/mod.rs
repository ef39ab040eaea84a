//! Pure rules of the appeals domain: no I/O, no web framework, no database.
//! Everything here is unit-tested beside the code and shared by the API and the CLI.

pub mod appeal;
pub mod buckets;
pub mod calendar;
pub mod calendar_import;
pub mod campaigns;
pub mod channels;
pub mod classifier;
pub mod classifier_lookup;
pub mod counting;
pub mod deadline;
pub mod error_code;
pub mod forwarding;
pub mod keys;
pub mod regnum;
pub mod ru;
pub mod roles;
pub mod rollup;
pub mod search;
pub mod slots;
pub mod text;
pub mod validation;
pub mod words;
pub mod workflow;
pub mod reminders;
pub mod refusals;
