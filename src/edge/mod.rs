//! The HTTP edge the API and the pages share, below both: who is calling ([`caller`]), a JSON
//! body ([`body`]), `If-Match` ([`etag`]), query strings ([`params`], the registry list's
//! [`list`], a bulk action's [`bulk`]), what a card looks like to its reader ([`views`]), and
//! how a refusal is answered ([`error`]). Neither `api/` nor `web/` imports the other; both
//! import this, and this imports the use cases below it.

pub mod body;
pub mod bulk;
pub mod caller;
pub mod error;
pub mod etag;
pub mod forwarding;
pub mod list;
pub mod multipart;
pub mod params;
pub mod stats;
pub mod views;

pub use body::{parse_json, typed_element, ValidJson};
pub use caller::Caller;
pub use error::ApiError;
pub use etag::{if_match, parse_etag, EntityTag};
pub use params::{strict_date, Params};
