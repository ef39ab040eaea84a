//! Roles and what each may do outside the per-appeal state machine (see `workflow` for that).

use serde::{Deserialize, Serialize};

/// Who acts or reads: the authenticated user as the use cases need them (no HTTP types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// User id.
    pub id: String,
    /// Organization: every read and write is confined to it.
    pub org: String,
    /// Role.
    pub role: Role,
}

impl Actor {
    /// True for roles that read every appeal of the organization; an executor reads only the
    /// appeals actively assigned to them. The one visibility rule: the card, the lists, the
    /// queues and the store's filters all ask it.
    pub fn reads_all(&self) -> bool {
        allows(self.role, Capability::ReadAll)
    }

    /// The user a list is confined to (their active assignments), or `None` for those who read all.
    pub fn confined_to(&self) -> Option<String> {
        (!self.reads_all()).then(|| self.id.clone())
    }
}

/// A user's role; one per user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users, reference data and imports.
    Admin,
    /// Controls deadlines, reviews answers, pulls statistics.
    Supervisor,
    /// Registers appeals and routes them.
    Clerk,
    /// Answers the appeals assigned to them; sees nothing else.
    Executor,
}

impl Role {
    /// Every role, for matrices and validation.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Supervisor, Role::Clerk, Role::Executor];

    /// The code stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Clerk => "clerk",
            Role::Executor => "executor",
        }
    }

    /// Parses a stored or typed code.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Russian label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Администратор",
            Role::Supervisor => "Контролёр",
            Role::Clerk => "Специалист по работе с обращениями",
            Role::Executor => "Исполнитель",
        }
    }
}

/// Capabilities not tied to an appeal's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Register a new appeal.
    Register,
    /// Load a legacy registry or a platform dump.
    Import,
    /// See every appeal of the organization (others see only their assignments).
    ReadAll,
    /// List users (to pick executors).
    ListUsers,
    /// Create users and tokens.
    ManageUsers,
    /// Statistics and exports.
    Reports,
}

/// The single permission table for capabilities; tests walk it for every role.
pub fn allows(role: Role, cap: Capability) -> bool {
    use Capability::*;
    use Role::*;
    match cap {
        Register => matches!(role, Clerk | Admin),
        Import | ManageUsers => role == Admin,
        ReadAll | ListUsers => matches!(role, Admin | Supervisor | Clerk),
        Reports => matches!(role, Admin | Supervisor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn executors_are_confined() {
        for cap in [Capability::Register, Capability::Import, Capability::ReadAll, Capability::ListUsers, Capability::ManageUsers, Capability::Reports] {
            assert!(!allows(Role::Executor, cap), "{cap:?}");
            assert!(allows(Role::Admin, cap), "{cap:?}");
        }
        assert!(allows(Role::Clerk, Capability::Register));
        assert!(!allows(Role::Supervisor, Capability::Register));
    }
}
