// Package cases holds the case pool: cases of a contact, their lifecycle
// (pooled, assigned, in progress, exited), DPD buckets and assignment.
package cases
