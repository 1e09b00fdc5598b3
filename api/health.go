package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
)

// Check is one readiness dependency (PostgreSQL, RabbitMQ, Temporal).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

type checkResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func healthz(*gin.Context) (int, any, error) {
	return http.StatusOK, gin.H{"status": "ok"}, nil
}

// readyz runs every check concurrently with a short deadline and answers 503
// naming the ones that failed.
func readyz(checks []Check) httpx.Handler {
	return func(c *gin.Context) (int, any, error) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		results := make([]checkResult, len(checks))
		var wg sync.WaitGroup
		for i, ch := range checks {
			wg.Go(func() {
				r := checkResult{Name: ch.Name, OK: true}
				if err := ch.Fn(ctx); err != nil {
					r.OK, r.Error = false, err.Error()
				}
				results[i] = r
			})
		}
		wg.Wait()
		status, word := http.StatusOK, "ready"
		var down []string
		for _, r := range results {
			if !r.OK {
				down = append(down, r.Name)
			}
		}
		if len(down) > 0 {
			status, word = http.StatusServiceUnavailable, "not ready"
		}
		return status, gin.H{"status": word, "down": down, "checks": results}, nil
	}
}
