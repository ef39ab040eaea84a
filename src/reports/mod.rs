//! Reports supervisors file: statistics for any period against another, the annual report's
//! text and tables, and the monthly exports.

pub mod annual;
pub mod stats;
