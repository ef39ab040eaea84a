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
    /// Manages the organizations of the instance and the users of any of them; reads no appeals.
    RegionalAdmin,
    /// Reads every organization's lists, cards, statistics and exports; takes no action.
    RegionalSupervisor,
}

impl Role {
    /// Every role, for matrices and validation.
    pub const ALL: [Role; 6] = [Role::Admin, Role::Supervisor, Role::Clerk, Role::Executor, Role::RegionalAdmin, Role::RegionalSupervisor];

    /// The code stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Clerk => "clerk",
            Role::Executor => "executor",
            Role::RegionalAdmin => "regional_admin",
            Role::RegionalSupervisor => "regional_supervisor",
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
            Role::RegionalAdmin => "Администратор региона",
            Role::RegionalSupervisor => "Контролёр региона",
        }
    }

    /// True for the region's roles, whose reads may name another organization of the instance
    /// (`?organization=ID`); every other role is confined to its own organization.
    pub fn regional(self) -> bool {
        matches!(self, Role::RegionalAdmin | Role::RegionalSupervisor)
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
    /// Create, rename, reconfigure and deactivate organizations of the instance.
    ManageOrganizations,
    /// Create users in (and manage users of) any organization, not only one's own.
    ManageAnyOrganizationUsers,
}

/// The single permission table for capabilities; tests walk it for every role.
pub fn allows(role: Role, cap: Capability) -> bool {
    use Capability::*;
    use Role::*;
    match cap {
        Register => matches!(role, Clerk | Admin),
        Import => role == Admin,
        ManageUsers => matches!(role, Admin | RegionalAdmin),
        ReadAll => matches!(role, Admin | Supervisor | Clerk | RegionalSupervisor),
        ListUsers => matches!(role, Admin | Supervisor | Clerk | RegionalAdmin | RegionalSupervisor),
        Reports => matches!(role, Admin | Supervisor | RegionalSupervisor),
        ManageOrganizations | ManageAnyOrganizationUsers => role == RegionalAdmin,
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

    #[test]
    fn regional_roles() {
        use Capability::*;
        for cap in [Register, Import, ReadAll, Reports] {
            assert!(!allows(Role::RegionalAdmin, cap), "{cap:?}");
        }
        for cap in [ManageOrganizations, ManageAnyOrganizationUsers, ManageUsers, ListUsers] {
            assert!(allows(Role::RegionalAdmin, cap), "{cap:?}");
        }
        for cap in [ReadAll, Reports, ListUsers] {
            assert!(allows(Role::RegionalSupervisor, cap), "{cap:?}");
        }
        for cap in [Register, Import, ManageUsers, ManageOrganizations, ManageAnyOrganizationUsers] {
            assert!(!allows(Role::RegionalSupervisor, cap), "{cap:?}");
        }
        for r in [Role::Admin, Role::Supervisor, Role::Clerk, Role::Executor] {
            assert!(!r.regional() && !allows(r, ManageOrganizations) && !allows(r, ManageAnyOrganizationUsers));
        }
        assert_eq!(Role::RegionalAdmin.label(), "Администратор региона");
        assert_eq!(Role::RegionalSupervisor.label(), "Контролёр региона");
    }
}
