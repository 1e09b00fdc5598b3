package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestDefaults(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.RealtimeAddr != "127.0.0.1:8081" || c.TemporalAddress != "127.0.0.1:7233" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.AMQPURL != "amqp://guest:guest@127.0.0.1:5672/" || c.ShutdownTimeout != 20*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults must validate: %v", err)
	}
}

func TestPrecedenceFileThenEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scrm.yaml")
	if err := os.WriteFile(path, []byte("http_addr: 127.0.0.1:9000\nrealtime_addr: 127.0.0.1:9001\nshutdown_timeout: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SCRM_REALTIME_ADDR", "127.0.0.1:9100")
	t.Setenv("SCRM_WABA_APP_SECRET", "s3cret")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9000" {
		t.Errorf("file should override default: %s", c.HTTPAddr)
	}
	if c.RealtimeAddr != "127.0.0.1:9100" {
		t.Errorf("env should override file: %s", c.RealtimeAddr)
	}
	if c.WABAAppSecret != "s3cret" || c.ShutdownTimeout != 5*time.Second {
		t.Errorf("env-only and duration keys: %+v", c)
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); err == nil {
		t.Fatal("want error for a missing --config file")
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	cases := map[string]func(*Config){
		"SCRM_HTTP_ADDR":          func(c *Config) { c.HTTPAddr = "localhost" },
		"SCRM_DATABASE_URL":       func(c *Config) { c.DatabaseURL = "mysql://x@y/z" },
		"SCRM_AMQP_URL":           func(c *Config) { c.AMQPURL = "not a url" },
		"SCRM_WABA_API_VERSION":   func(c *Config) { c.WABAAPIVersion = "23" },
		"SCRM_LOG_LEVEL":          func(c *Config) { c.LogLevel = "loud" },
		"SCRM_JWT_SECRET":         func(c *Config) { c.JWTSecret = "short" },
		"SCRM_SHUTDOWN_TIMEOUT":   func(c *Config) { c.ShutdownTimeout = 0 },
		"SCRM_PASSWORD_HASH_COST": func(c *Config) { c.PasswordHashCost = 3 },
	}
	for key, mutate := range cases {
		c, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		mutate(&c)
		err = c.Validate()
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: want error naming the key, got %v", key, err)
		}
	}
}

func TestRequireSecrets(t *testing.T) {
	c, _ := Load("")
	err := c.RequireSecrets()
	for _, k := range []string{"SCRM_JWT_SECRET", "SCRM_WABA_APP_SECRET", "SCRM_WABA_VERIFY_TOKEN"} {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("want %s named in %v", k, err)
		}
	}
}

// The sample file documents exactly the keys Load knows, with the defaults.
func TestExampleFileDocumentsEveryKey(t *testing.T) {
	raw, err := os.ReadFile("scrm.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if _, ok := m[k.Name]; !ok {
			t.Errorf("scrm.example.yaml lacks %s", k.Name)
		}
		delete(m, k.Name)
	}
	for k := range m {
		t.Errorf("scrm.example.yaml has unknown key %s", k)
	}
	c, err := Load("scrm.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := Load("")
	if c != d {
		t.Errorf("example values differ from defaults:\n%+v\n%+v", c, d)
	}
}

// The websocket Origin allow-list: the web UI's own origin by default, the
// configured list otherwise; a value that is no origin fails Validate.
func TestRealtimeOrigins(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.RealtimeOrigins(), ","); got != "http://127.0.0.1:8080,http://localhost:8080" {
		t.Errorf("default origins %q", got)
	}
	c.HTTPAddr = "0.0.0.0:8080"
	if got := c.RealtimeOrigins(); got != nil {
		t.Errorf("wildcard bind: origins %q, want none (same-origin only)", got)
	}
	c.RealtimeAllowedOrigins = " https://crm.example.com, https://ops.example.com "
	if got := strings.Join(c.RealtimeOrigins(), ","); got != "https://crm.example.com,https://ops.example.com" {
		t.Errorf("configured origins %q", got)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid origins refused: %v", err)
	}
	c.RealtimeAllowedOrigins = "crm.example.com"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "REALTIME_ALLOWED_ORIGINS") {
		t.Errorf("bad origin: %v", err)
	}
	c.RealtimeAllowedOrigins, c.RealtimeMaxConnsPerAgent = "", 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "REALTIME_MAX_CONNS_PER_AGENT") {
		t.Errorf("cap 0: %v", err)
	}
}
