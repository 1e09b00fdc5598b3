// Package identity holds the people and their rights: agents, login sessions and
// tokens, roles, teams and the audit log, with their PostgreSQL stores.
package identity
