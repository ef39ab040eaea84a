//! Appeals in the store, one file per job: [`register`] one appeal, [`import`] many, read whole
//! [`card`]s, [`list`] them in pages, and [`write`] every control action's change; [`numbering`]
//! keeps the year's counters. Use cases import from here; the store's own files import from
//! the file that holds what they need, so no import circle runs through this facade.

pub mod card;
pub mod forward;
pub mod import;
pub mod list;
pub mod numbering;
pub mod register;
pub mod write;

pub use self::card::{get_card, CardData, ReceiverFacts};
pub use self::forward::{forward_between, organization, Handover, OrganizationName};
pub use self::import::{import, Bulk, BulkInsert, Lap, AFTER_IMPORT_MIN, IMPORT_CHUNK};
pub use self::list::{count_due_first, list, list_due_first, ListFilter, ListOrder};
pub use self::numbering::Numbering;
pub use self::register::{find_by_external, register, Candidate, LinkDecision, NewAppeal, RegisterSteps, MAX_LINKS};
pub use self::write::{mutate, mutate_chain, Change, Decider, Dispatch, OutgoingNumber};

/// Every SQLite query of the appeals' files, for the store's other files (`appeals_db`).
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite {
    pub(crate) use super::card::sqlite::{get_card, load_cards};
    pub(crate) use super::numbering::sqlite::{next_forward_seq, next_outgoing_seq, next_seq, raise_counter};
    pub(crate) use super::register::sqlite::register_in;
    pub(crate) use super::write::sqlite::{chain_in, write_change, write_change_row};
}

/// Every PostgreSQL query of the appeals' files, for the store's other files (`appeals_db`).
#[cfg(feature = "postgres")]
pub(crate) mod pg {
    pub(crate) use super::card::pg::{get_card, load_cards};
    pub(crate) use super::numbering::pg::{next_forward_seq, next_outgoing_seq, next_seq, raise_counter};
    pub(crate) use super::register::pg::register_in;
    pub(crate) use super::write::pg::{chain_in, write_change, write_change_row};
}
