//! Demo registries for trying the service, for tests and for benchmarks
//! (`appeals demo-data --profile ukhta|random [--scale N] [--database-url URL] [--into-live]`).
//!
//! - `ukhta` reproduces the published figures of the Ukhta administration's 2024 report
//!   (docs/domain.md §2, §3, §7): 2,607 appeals by channel, 2,674 questions by section, the top
//!   questions, 35 + 17 citizens at personal reception with 53 questions; and 2023's published
//!   totals (2,177 appeals, 2,271 questions, 387 forwarded, 1,272 economy questions), the rest
//!   of 2023 filled in consistently ([`ukhta`]). Its appeals then go through the control use
//!   case ([`story`]) as a finished story: assigned the next working day, answered, approved
//!   and dispatched — mostly on time, some late, some extended, returned for rework, kept on
//!   control until promised measures were done, forwarded by competence; reception visitors
//!   answered orally on the day. The last steps fall in spring 2025, so loaded on any later
//!   day nothing is open: the 2024 report shows its control and results sections, «in work at
//!   the end of 2024» is the December appeals answered in January, and no card is overdue.
//! - `random` draws `scale` appeals over the last year ([`random`]) and takes them to a live
//!   mix of states as of today ([`story::fate`]): a board with work on it.
//!
//! Generation is deterministic (a fixed-seed generator), so tests can assert exact figures.
//! Loading ([`load`]) goes to a database of its own unless the caller names one, and never
//! into a registry holding real appeals without `--into-live`.

mod gen;
pub mod load;
mod random;
pub mod story;
mod ukhta;

pub use load::{check_target, load, own_database_url, DemoError, Loaded, Profile};
pub use random::random;
pub use story::{fate, Fate, Staff};
pub use ukhta::{top_questions, ukhta, ukhta_scaled};
