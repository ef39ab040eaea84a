//! Showing an appeal's card, the same for the API and the pages: the one visibility rule
//! ([`Actor::reads_all`]), related appeals the reader may not open left out, and the read
//! itself recorded in the history (152-FZ: who read a citizen's contacts, when).

use crate::domain::roles::Actor;
use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::ServiceError;
use std::collections::HashSet;

use crate::store::visibility::visible;

/// Of `ids`, the appeals the actor may open; `None` when they may open every one.
pub fn openable(state: &AppState, actor: &Actor, ids: Vec<String>) -> Result<Option<HashSet<String>>, ServiceError> {
    let Some(user) = actor.confined_to() else { return Ok(None) };
    Ok(Some(crate::store::visibility::assigned_among(&state.pool, &actor.org, &user, &ids)?.into_iter().collect()))
}

/// Drops from the cards' `related` the appeals the actor may not open (an executor learns
/// nothing about appeals of others). Every card an actor receives passes through it.
pub fn redact_related(state: &AppState, actor: &Actor, cards: &mut [CardData]) -> Result<(), ServiceError> {
    let ids: Vec<String> = cards.iter().flat_map(|c| c.related.iter().cloned()).collect();
    if ids.is_empty() {
        return Ok(());
    }
    if let Some(allowed) = openable(state, actor, ids)? {
        for c in cards.iter_mut() {
            c.related.retain(|id| allowed.contains(id));
        }
    }
    Ok(())
}

/// The card of appeal `id` if the actor may see it, else `NotFound` (also for an id that is
/// not a UUID): nothing tells an executor that an appeal exists.
pub fn visible_card(state: &AppState, actor: &Actor, id: &str) -> Result<CardData, ServiceError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ServiceError::NotFound);
    }
    let card = crate::store::appeals::get_card(&state.pool, &actor.org, id)?;
    if !visible(actor, &card) {
        return Err(ServiceError::NotFound);
    }
    Ok(card)
}

/// Shows a card: [`visible_card`], related appeals redacted, and the read recorded
/// (`details` says where it was read, e.g. `{"via": "web"}`).
pub fn show(state: &AppState, actor: &Actor, id: &str, details: serde_json::Value) -> Result<CardData, ServiceError> {
    let mut card = visible_card(state, actor, id)?;
    redact_related(state, actor, std::slice::from_mut(&mut card))?;
    let entry = crate::store::history::entry(&card.appeal.organization_id, &card.appeal.id, state.now_naive(), Some(&actor.id), "viewed", details);
    crate::store::history::append(&state.pool, &entry)?;
    Ok(card)
}
