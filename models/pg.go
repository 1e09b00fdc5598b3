package models

import (
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Postgres error codes the stores translate into domain errors.
const (
	PGUniqueViolation     = "23505"
	PGForeignKeyViolation = "23503"
	// Text PostgreSQL cannot store: a NUL byte, invalid UTF-8.
	PGCharacterNotInRepertoire = "22021"
	PGUntranslatableCharacter  = "22P05"
)

// pgError returns the SQLSTATE and constraint of a PostgreSQL error ("" if none).
func PGError(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// jsonValue binds v as a JSONB parameter in map-based updates (where GORM
// serializers do not apply).
func JSONValue(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		raw = []byte("null")
	}
	return gorm.Expr("?::jsonb", string(raw))
}

// IsUniqueViolation reports a PostgreSQL unique constraint violation.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
