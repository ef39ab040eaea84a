//! Reports: statistics, the annual-report text, and the monthly exports (ССТУ.РФ, ГАСУ).

pub mod gasu;
pub mod sstu;
