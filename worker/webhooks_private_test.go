package worker_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wabascrm/scrm/worker"
)

// The production client refuses a receiver on loopback, whether named by
// IP or by a hostname resolving to 127.0.0.1 (the resolved address is
// checked when dialled, so DNS rebinding cannot pass), and never follows a
// redirect to a private address.
func TestHookClientRefusesPrivateTargets(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(204)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	client := worker.HookClient(2*time.Second, false)
	for _, u := range []string{srv.URL, "http://localhost" + port} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, u, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: delivered (%d)", u, resp.StatusCode)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests reached the loopback receiver", hits.Load())
	}
	// Allowed (tests, scrm dev): the same receiver is reached.
	resp, err := worker.HookClient(2*time.Second, true).Post(srv.URL, "application/json", nil)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("allowed private: %v", err)
	}
	resp.Body.Close()

	// A redirect is the answer, never followed.
	redir := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data", http.StatusFound))
	defer redir.Close()
	resp, err = worker.HookClient(2*time.Second, true).Post(redir.URL, "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %v", err)
	}
	resp.Body.Close()
}
