// Package auth holds staff accounts, roles, passwords, TOTP, sessions and API
// tokens: who is acting, and what they may do.
package auth

// Role is what a staff member may do. Roles do not nest: an auditor cannot
// read personal data, and an administrator does not review applications.
type Role string

// The roles.
const (
	RoleClerk      Role = "clerk"      // intake at their own site
	RoleSupervisor Role = "supervisor" // review, approve, reject, cards; all sites
	RoleAdmin      Role = "admin"      // settings, sites, staff, keys
	RoleAuditor    Role = "auditor"    // audit log and aggregates; no personal data
	// RoleVerifier is a verification partner (a bank, the police, a library):
	// it checks cards through the API with its own tokens, and nothing else.
	RoleVerifier Role = "verifier"
)

// Roles lists every role in display order.
func Roles() []Role { return []Role{RoleClerk, RoleSupervisor, RoleAdmin, RoleAuditor, RoleVerifier} }

// Valid reports whether r is a defined role.
func (r Role) Valid() bool {
	for _, v := range Roles() {
		if r == v {
			return true
		}
	}
	return false
}

// Actor is the authenticated staff member behind a request.
type Actor struct {
	StaffID  string
	Username string
	Role     Role
	SiteID   string // home site; clerks are confined to it
	// TokenID is the API token the request came with ("" for a browser
	// session or a system task), so budgets and audit can tell tokens apart.
	TokenID string
}

// System returns the actor for scheduled jobs and start-up tasks.
func System() Actor { return Actor{StaffID: "system", Username: "system", Role: RoleAdmin} }

// Can reports whether the actor holds one of roles.
func (a Actor) Can(roles ...Role) bool {
	for _, r := range roles {
		if a.Role == r {
			return true
		}
	}
	return false
}
