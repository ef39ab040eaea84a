//! Mass campaigns grouped as letters arrive: before a new card is written, its signature and
//! the earlier letters sharing a bucket with it are read (beside other writers), and the
//! registration's own transaction writes what the letter does with them: join a campaign,
//! start one or stand alone (`crate::domain::campaigns` decides, once the registration knows
//! the same person's earlier appeals). A failed read never stops a registration: the letter is
//! registered without grouping and the failure is logged without its text.

use crate::domain::campaigns::{letter_text, signature};
use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::campaigns::{Grouped, Letter, Planned};
use crate::store::models::{AppealRow, QuestionRow};
use crate::store::{new_id, ServiceError};

/// The letter as grouping sees it; `None` when it is too short to tell a campaign by or has
/// no question.
fn letter_of(appeal: &AppealRow, questions: &[QuestionRow]) -> Option<Letter> {
    let text = letter_text(&appeal.summary, questions.iter().filter_map(|q| q.text.as_deref()));
    let signature = signature(&text)?;
    let mut sections: Vec<String> = questions.iter().map(|q| q.section.clone()).collect();
    sections.sort();
    sections.dedup();
    (!sections.is_empty()).then(|| Letter {
        organization_id: appeal.organization_id.clone(),
        appeal_id: appeal.id.clone(),
        summary: appeal.summary.clone(),
        sections,
        registered_at: appeal.registered_at,
        registered_on: appeal.registered_on,
        signature,
    })
}

/// Reads what grouping a new card needs (see the module's doc); `Ok(None)` when grouping is
/// off or the letter cannot be grouped.
pub fn plan_for(state: &AppState, appeal: &AppealRow, questions: &[QuestionRow]) -> Result<Option<Planned>, ServiceError> {
    let settings = state.settings.campaigns;
    if !settings.enabled {
        return Ok(None);
    }
    let Some(letter) = letter_of(appeal, questions) else { return Ok(None) };
    let since = letter.registered_on - chrono::Days::new(u64::from(settings.window_days));
    let found = crate::store::campaigns::found(&state.pool, &letter, since)?;
    Ok(Some(Planned { letter, found, threshold: settings.threshold, new_campaign_id: new_id() }))
}

/// [`plan_for`] for a registration: a failed read is logged, and the letter registered ungrouped.
pub fn plan(state: &AppState, appeal: &AppealRow, questions: &[QuestionRow]) -> Option<Planned> {
    plan_for(state, appeal, questions).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "campaign lookup failed; the appeal is registered without a campaign");
        None
    })
}

/// Groups a card registered without grouping (a regrouping, or the measurement of what
/// grouping costs), in a transaction of its own.
pub fn group_card(state: &AppState, card: &CardData) -> Result<Grouped, ServiceError> {
    match plan_for(state, &card.appeal, &card.questions)? {
        Some(p) => crate::store::campaigns::group(&state.pool, &p, &card.related, state.now_naive()),
        None => Ok(Grouped::Alone),
    }
}
