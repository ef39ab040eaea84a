//! Forwarding to another organization of the instance, as the API and the card's form both do
//! it: the control use case plans the sender's side, registration applies it together with the
//! receiver's new appeal in one transaction.

use crate::control::forward::{number_taken, plan_within, receiver_refused, ForwardInput};
use crate::domain::roles::Actor;
use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::ServiceError;

/// Forwards appeal `id` to organization `input.organization_id`; the sender's card as the
/// actor may see it (related appeals the actor may not open dropped).
pub fn to_organization(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: ForwardInput) -> Result<CardData, ServiceError> {
    let plan = plan_within(state, actor, input)?;
    let receiver = (plan.receiver_org.as_str(), plan.receiver_name.as_str(), plan.receiver_sstu_id.clone());
    let (mut card, _) = crate::registry::forward_within(state, &actor.org, id, expected, receiver, &plan.sender_name, plan.step, receiver_refused).map_err(number_taken)?;
    crate::queries::card::redact_related(state, actor, std::slice::from_mut(&mut card))?;
    Ok(card)
}
