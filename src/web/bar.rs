//! The lists' action bar: which bulk actions it offers a role (the template function
//! `bulk_actions`, and the check of what a bar's form may ask).

use crate::control::bulk::BulkAction;
use crate::domain::roles::Role;
use serde_json::{json, Value};

/// The actions of the pages' action bar, in its order (the recording of consideration flags
/// stays on the card).
pub const BAR: [BulkAction; 5] = [BulkAction::Assign, BulkAction::Forward, BulkAction::Extend, BulkAction::Close, BulkAction::LeaveWithoutAnswer];

/// The bar's buttons for `role` as `{code, label}`: empty for a role that may take none of
/// them, and then the lists show no checkboxes either. A template function (`bulk_actions`).
pub fn bar_actions(role: String) -> minijinja::Value {
    let role = Role::parse(&role);
    let list: Vec<Value> = BAR.iter().filter(|a| role.is_some_and(|r| a.open_to_role(r))).map(|a| json!({"code": a.as_str(), "label": a.label()})).collect();
    minijinja::Value::from(minijinja::value::Serde(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_offers_a_role_only_what_it_may_do() {
        let codes = |role: &str| bar_actions(role.into()).try_iter().unwrap().map(|v| v.get_attr("code").unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(codes("supervisor"), ["assign", "forward", "extend", "close", "leave-without-answer"]);
        assert_eq!(codes("clerk"), ["assign", "forward"]);
        assert!(codes("executor").is_empty());
        assert!(codes("nobody").is_empty());
    }
}
