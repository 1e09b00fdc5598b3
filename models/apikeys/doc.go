// Package apikeys holds the API keys of the business's systems: issue,
// revoke and authenticate a key (its Principal, from its role).
package apikeys
