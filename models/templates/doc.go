// Package templates holds WhatsApp message templates: Meta's validation rules,
// rendering with variables, and the store that tracks review status.
package templates
