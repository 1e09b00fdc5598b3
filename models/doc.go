// Package models holds the domain types, their pure rules and their
// PostgreSQL stores (GORM). It imports no web, Temporal or AMQP packages.
package models
