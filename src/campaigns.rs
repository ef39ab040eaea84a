//! Mass campaigns grouped as letters arrive: the registration use case hands each new card
//! here right after its own transaction commits, and the letter joins a campaign, starts one
//! or stands alone (`crate::domain::campaigns` decides). Grouping runs in a transaction of its
//! own so that a registration is never held up or undone by it: a letter whose grouping fails
//! is registered all the same, and the failure is logged without its text.

use crate::domain::campaigns::{decide, letter_text, signature};
use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::campaigns::{Grouped, Letter};
use crate::store::{new_id, ServiceError};

/// Groups a just-registered card; `Ok(Grouped::Alone)` when grouping is off or the letter is
/// too short to tell a campaign by.
pub fn group_card(state: &AppState, card: &CardData) -> Result<Grouped, ServiceError> {
    let settings = state.settings.campaigns;
    if !settings.enabled {
        return Ok(Grouped::Alone);
    }
    let text = letter_text(&card.appeal.summary, card.questions.iter().filter_map(|q| q.text.as_deref()));
    let Some(sig) = signature(&text) else { return Ok(Grouped::Alone) };
    let mut sections: Vec<String> = card.questions.iter().map(|q| q.section.clone()).collect();
    sections.sort();
    sections.dedup();
    if sections.is_empty() {
        return Ok(Grouped::Alone);
    }
    let letter = Letter {
        organization_id: card.appeal.organization_id.clone(),
        appeal_id: card.appeal.id.clone(),
        summary: card.appeal.summary.clone(),
        sections,
        registered_at: card.appeal.registered_at,
        registered_on: card.appeal.registered_on,
        signature: sig.clone(),
    };
    let since = card.appeal.registered_on - chrono::Days::new(u64::from(settings.window_days));
    // The same person's earlier letter on the same question is a repeat or a duplicate (linked
    // as related at registration), not a campaign: campaigns are many people.
    let related = &card.related;
    crate::store::campaigns::group(&state.pool, &letter, since, state.now_naive(), &new_id, &|found| {
        let others: Vec<_> = found.iter().filter(|c| !related.contains(&c.appeal)).cloned().collect();
        decide(&sig, &others, settings.threshold)
    })
}

/// [`group_card`] for a registration that has already succeeded: a failure is logged, never
/// returned to the clerk.
pub fn group_registered(state: &AppState, card: &CardData) {
    if let Err(e) = group_card(state, card) {
        tracing::warn!(error = %e, "campaign grouping failed; the appeal stays registered without a campaign");
    }
}
