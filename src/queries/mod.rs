//! Reads that several interfaces share: the API and the pages call these instead of querying
//! the store each in its own way.

pub mod card;
pub mod lists;
