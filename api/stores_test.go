package api

import (
	"log/slog"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker/testenv"
)

// StoresOn builds every store on one test database with the product's
// defaults through NewStores, as cmd/scrm does, hashing at bcrypt's minimum
// cost (tests of this package and of api_test share it).
func StoresOn(db *gorm.DB, pub models.EventPublisher) *Stores {
	return NewStores(db, pub, slog.New(slog.DiscardHandler), StoreConfig{Hasher: testenv.Hasher()})
}
