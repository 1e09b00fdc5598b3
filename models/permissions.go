package models

import (
	"slices"
	"strings"
)

// The permission catalog. Every API route declares one of these (or is
// explicitly public); roles are sets of them. Add new ones here and to
// catalog below, and grant them to system roles by migration.
const (
	PermAgentsRead    Permission = "agents:read"
	PermAgentsWrite   Permission = "agents:write"
	PermAgentsDelete  Permission = "agents:delete" // disable / enable
	PermTeamsRead     Permission = "teams:read"
	PermTeamsWrite    Permission = "teams:write"
	PermTeamsDelete   Permission = "teams:delete"
	PermRolesRead     Permission = "roles:read"
	PermRolesWrite    Permission = "roles:write"
	PermRolesDelete   Permission = "roles:delete"
	PermContactsRead  Permission = "contacts:read"
	PermContactsWrite Permission = "contacts:write"
	PermContactsDel   Permission = "contacts:delete"
	PermContactsImp   Permission = "contacts:import"
	PermContactsExp   Permission = "contacts:export"
	PermCasesRead     Permission = "cases:read"
	PermCasesWrite    Permission = "cases:write"
	PermCasesAssign   Permission = "cases:assign"
	PermCasesClaim    Permission = "cases:claim"
	PermSendersRead   Permission = "senders:read"
	PermSendersWrite  Permission = "senders:write"
	PermTemplatesRead Permission = "templates:read"
	PermTemplatesWr   Permission = "templates:write"
	PermCampaignsRead Permission = "campaigns:read"
	PermCampaignsWr   Permission = "campaigns:write"
	PermCampaignsLnch Permission = "campaigns:launch"
	PermInboxRead     Permission = "inbox:read"
	PermInboxSend     Permission = "inbox:send"
	PermInboxAssign   Permission = "inbox:assign"
	PermInboxTake     Permission = "inbox:take"
	PermReportsRead   Permission = "reports:read"
	PermAuditRead     Permission = "audit:read"
	// PermAPIKeysWrite / PermWebhooksWrite manage the integrations with the
	// business's systems: API keys, and outbound event webhooks with their
	// delivery log (both list and change).
	PermAPIKeysWrite  Permission = "apikeys:write"
	PermWebhooksWrite Permission = "webhooks:write"
	// PermProfileRead / PermProfileWrite cover the caller's own account:
	// GET /me, presence, logout.
	PermProfileRead  Permission = "profile:read"
	PermProfileWrite Permission = "profile:write"
	// PermPublic marks a route that needs no login (login, health, webhook,
	// the web app's files). It is no grantable permission, so it is not in
	// the catalog; such routes are listed explicitly so review sees them.
	PermPublic Permission = "public"
)

// PermissionInfo describes one catalog entry for the roles UI.
type PermissionInfo struct {
	Name        Permission `json:"name"`
	Resource    string     `json:"resource"`
	Action      string     `json:"action"`
	Description string     `json:"description"`
}

func catalog() []PermissionInfo {
	p := func(perm Permission, doc string) PermissionInfo {
		res, act, _ := strings.Cut(string(perm), ":")
		return PermissionInfo{Name: perm, Resource: res, Action: act, Description: doc}
	}
	return []PermissionInfo{
		p(PermAgentsRead, "list and view agents (within data scope)"),
		p(PermAgentsWrite, "create and edit agents, reset passwords"),
		p(PermAgentsDelete, "disable and enable agents"),
		p(PermTeamsRead, "list and view teams"),
		p(PermTeamsWrite, "create and edit teams and their members"),
		p(PermTeamsDelete, "delete teams"),
		p(PermRolesRead, "list roles and the permission catalog"),
		p(PermRolesWrite, "create roles and edit their permissions"),
		p(PermRolesDelete, "delete custom roles"),
		p(PermContactsRead, "view contacts"),
		p(PermContactsWrite, "create and edit contacts"),
		p(PermContactsDel, "delete contacts"),
		p(PermContactsImp, "import contacts"),
		p(PermContactsExp, "export contacts"),
		p(PermCasesRead, "view cases"),
		p(PermCasesWrite, "work cases"),
		p(PermCasesAssign, "assign, recall and transfer cases"),
		p(PermCasesClaim, "see the pools of own teams and take cases from them"),
		p(PermSendersRead, "view sender numbers"),
		p(PermSendersWrite, "manage sender numbers and allocations"),
		p(PermTemplatesRead, "view message templates"),
		p(PermTemplatesWr, "create and submit message templates"),
		p(PermCampaignsRead, "view campaigns"),
		p(PermCampaignsWr, "create and edit campaigns"),
		p(PermCampaignsLnch, "launch, pause and cancel campaigns"),
		p(PermInboxRead, "view conversations and messages"),
		p(PermInboxSend, "send messages"),
		p(PermInboxAssign, "assign and transfer conversations"),
		p(PermInboxTake, "see own teams' queue, take from it, hand own conversations to a teammate or back"),
		p(PermReportsRead, "view reports"),
		p(PermAuditRead, "read the audit log"),
		p(PermAPIKeysWrite, "create, list and revoke API keys for the business's systems"),
		p(PermWebhooksWrite, "manage outbound event webhooks and replay their deliveries"),
		p(PermProfileRead, "view own account and permissions"),
		p(PermProfileWrite, "set own presence, log out"),
	}
}

// PermissionCatalog returns every permission with its description.
func PermissionCatalog() []PermissionInfo { return catalog() }

// AllPermissions returns every permission of the catalog (the Admin role's set).
func AllPermissions() []Permission {
	c := catalog()
	out := make([]Permission, len(c))
	for i, e := range c {
		out[i] = e.Name
	}
	return out
}

// IsPermission reports whether p is in the catalog.
func IsPermission(p Permission) bool {
	return slices.Contains(AllPermissions(), p)
}

// Data scopes a role can carry.
const (
	ScopeAll   = "all"   // every record
	ScopeTeams = "teams" // records of every team the agent belongs to
	ScopeOwn   = "own"   // records assigned to the agent (and teams it leads)
)

// System role keys.
const (
	RoleKeyAdmin           = "admin"
	RoleKeySupervisor      = "supervisor"
	RoleKeyAgent           = "agent"
	RoleKeyCampaignManager = "campaign_manager"
)

// SystemRole is the seeded definition of a built-in role.
type SystemRole struct {
	Key         string
	Name        string
	DataScope   string
	Permissions []Permission
}

// SystemRoles are the built-in roles as migration 00010 seeds them. Admin
// always holds the whole catalog, whatever is stored.
func SystemRoles() []SystemRole {
	return []SystemRole{
		{RoleKeyAdmin, "Admin", ScopeAll, AllPermissions()},
		{RoleKeySupervisor, "Supervisor", ScopeTeams, []Permission{
			PermAgentsRead, PermTeamsRead, PermRolesRead,
			PermContactsRead, PermContactsWrite, PermContactsExp,
			PermCasesRead, PermCasesWrite, PermCasesAssign, PermCasesClaim,
			PermSendersRead, PermTemplatesRead, PermCampaignsRead,
			PermInboxRead, PermInboxSend, PermInboxAssign, PermInboxTake,
			PermReportsRead, PermProfileRead, PermProfileWrite,
		}},
		{RoleKeyAgent, "Agent", ScopeOwn, []Permission{
			PermAgentsRead, PermTeamsRead,
			PermContactsRead, PermContactsWrite,
			PermCasesRead, PermCasesWrite, PermCasesClaim,
			PermSendersRead, PermTemplatesRead,
			PermInboxRead, PermInboxSend, PermInboxTake,
			PermProfileRead, PermProfileWrite,
		}},
		// Campaign managers work on business-wide contact lists, so their
		// scope is all records; they hold no inbox or case permissions.
		{RoleKeyCampaignManager, "Campaign Manager", ScopeAll, []Permission{
			PermContactsRead, PermContactsWrite, PermContactsImp, PermContactsExp,
			PermSendersRead, PermTemplatesRead, PermTemplatesWr,
			PermCampaignsRead, PermCampaignsWr, PermCampaignsLnch,
			PermReportsRead, PermProfileRead, PermProfileWrite,
		}},
	}
}
