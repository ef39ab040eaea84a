//! Reports supervisors file: statistics for any period against another, the annual report's
//! text and tables, and the monthly exports (ССТУ.РФ, ГАСУ).

pub mod annual;
pub mod gasu;
pub mod region;
pub mod sstu;
pub mod stats;
pub mod statistics;
