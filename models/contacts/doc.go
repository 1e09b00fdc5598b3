// Package contacts holds customers, segments over them and intake (CSV/XLSX
// or API imports: parse, validate, normalise, dedupe, upsert).
package contacts
