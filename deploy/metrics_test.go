package deploy

import (
	"encoding/json"
	"maps"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var (
	rePromString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	rePromMatchers = regexp.MustCompile(`\{[^}]*\}`)
	rePromRange    = regexp.MustCompile(`\[[^\]]*\]`)
	rePromGrouping = regexp.MustCompile(`(?i)\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	rePromIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	reLabelValues  = regexp.MustCompile(`^\s*label_values\((.*),\s*\w+\s*\)\s*$`)
	promKeywords   = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true,
		"without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true, "atan2": true}
)

// promMetricNames returns the metric names a PromQL expression selects.
func promMetricNames(expr string) []string {
	if m := reLabelValues.FindStringSubmatch(expr); m != nil {
		expr = m[1] // Grafana's label_values(metric, label)
	}
	s := rePromString.ReplaceAllString(expr, `""`)
	s = rePromMatchers.ReplaceAllString(s, " ")
	s = rePromRange.ReplaceAllString(s, " ")
	s = rePromGrouping.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range rePromIdent.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if loc[0] > 0 && strings.ContainsAny(s[loc[0]-1:loc[0]], "0123456789.$") {
			continue // 1e3, 5m, $var
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue // a function
		}
		if promKeywords[strings.ToLower(name)] {
			continue
		}
		out = append(out, name)
	}
	return out
}

// exportedBy says whether the code exports a metric: the Go and process
// collectors (registered in cmd/scrm) and Prometheus' own `up` are allowed;
// anything else must appear as a string literal in a non-test .go file,
// histogram and summary names with or without their series suffixes.
// Temporal SDK metrics (temporal_*) are exported by worker's handler under
// the SDK's names plus _total (counters) or _seconds (timers).
func exportedBy(literals map[string]bool, name string) bool {
	if name == "up" || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
		return true
	}
	bases := []string{name}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			bases = append(bases, base)
		}
	}
	for _, b := range bases {
		if literals[b] {
			return true
		}
		if strings.HasPrefix(b, "temporal_") {
			for _, suf := range []string{"_total", "_seconds"} {
				if sdk, ok := strings.CutSuffix(b, suf); ok && literals["sdk:"+sdk] {
					return true
				}
			}
			if literals["sdk:"+b] {
				return true
			}
		}
	}
	return false
}

var reSDKMetric = regexp.MustCompile(`(?m)^\s*(\w+)\s*=\s*(\w+)\s*\+\s*"(\w+)"`)

// sdkMetricNames reads the metric names the pinned Temporal Go SDK emits
// (internal/common/metrics/constants.go in the module cache) as
// "sdk:<name>" keys.
func sdkMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	if err != nil {
		t.Fatalf("locate the Temporal SDK module: %v", err)
	}
	src := readFile(t, filepath.Join(strings.TrimSpace(string(out)), "internal", "common", "metrics", "constants.go"))
	val := map[string]string{"TemporalMetricsPrefix": "temporal_"}
	names := map[string]bool{}
	for range 3 { // constants refer to constants defined earlier
		for _, m := range reSDKMetric.FindAllStringSubmatch(src, -1) {
			if base, ok := val[m[2]]; ok {
				val[m[1]] = base + m[3]
				names["sdk:"+base+m[3]] = true
			}
		}
	}
	if !names["sdk:temporal_activity_execution_latency"] {
		t.Fatalf("SDK metric names not found in constants.go (%d read): the parser is out of date", len(names))
	}
	return names
}

func TestPromMetricNames(t *testing.T) {
	cases := map[string]string{
		`sum by (route) (rate(scrm_a_total{job="x", route=~"/a{1}"}[5m])) / on (job) b_c offset 5m`:     "scrm_a_total b_c",
		`histogram_quantile(0.99, sum by (le) (rate(h_seconds_bucket{a="b"}[$__rate_interval]))) > 1e3`: "h_seconds_bucket",
		`label_values(up{job=~"a|b"}, instance)`:                                                        "up",
		`(m1 > 0.8 * 512 * 1024) or (m2 > 3)`:                                                           "m1 m2",
	}
	for expr, want := range cases {
		if got := strings.Join(promMetricNames(expr), " "); got != want {
			t.Errorf("promMetricNames(%q) = %q, want %q", expr, got, want)
		}
	}
	lit := map[string]bool{"scrm_x_seconds": true, "sdk:temporal_request": true, "sdk:temporal_request_latency": true}
	for name, want := range map[string]bool{"scrm_x_seconds_bucket": true, "scrm_x_seconds": true, "scrm_y_total": false, "go_goroutines": true, "up": true,
		"temporal_request_total": true, "temporal_request_latency_seconds_bucket": true, "temporal_nope_total": false} {
		if exportedBy(lit, name) != want {
			t.Errorf("exportedBy(%s) = %v", name, !want)
		}
	}
}

type alertRule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadAlerts(t *testing.T) []alertRule {
	t.Helper()
	var f struct {
		Groups []struct {
			Name  string      `yaml:"name"`
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "prometheus/alerts.yml")), &f); err != nil {
		t.Fatalf("prometheus/alerts.yml: %v", err)
	}
	var rules []alertRule
	for _, g := range f.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("alert group %q is empty or unnamed", g.Name)
		}
		rules = append(rules, g.Rules...)
	}
	return rules
}

type dashboard struct {
	Title      string `json:"title"`
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []dashPanel `json:"panels"`
}

type dashPanel struct {
	ID      int         `json:"id"`
	Type    string      `json:"type"`
	Title   string      `json:"title"`
	Panels  []dashPanel `json:"panels"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal([]byte(readFile(t, "grafana/scrm-dashboard.json")), &d); err != nil {
		t.Fatalf("grafana/scrm-dashboard.json: %v", err)
	}
	return d
}

// dashboardExprs returns every PromQL expression of the dashboard, by
// where it is used.
func dashboardExprs(t *testing.T, d dashboard) map[string]string {
	t.Helper()
	if d.Title == "" || d.UID == "" {
		t.Error("dashboard needs a title and a uid")
	}
	out := map[string]string{}
	ids := map[int]bool{}
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			if p.ID == 0 || ids[p.ID] {
				t.Errorf("panel %q: id %d missing or repeated", p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %q has no queries", p.Title)
			}
			for _, tg := range p.Targets {
				if tg.RefID == "" || strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q: target without refId or expr", p.Title)
				}
				out["panel "+p.Title+" "+tg.RefID] = tg.Expr
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		switch q := v.Query.(type) {
		case string:
			if v.Type == "query" {
				out["variable "+v.Name] = q
			}
		case map[string]any:
			if s, ok := q["query"].(string); ok {
				out["variable "+v.Name] = s
			}
		}
	}
	return out
}

// The dashboard and the alerts may only name metrics the code exports.
func TestMetricsExist(t *testing.T) {
	literals := goSourceLiterals(t)
	maps.Copy(literals, sdkMetricNames(t))
	exprs := dashboardExprs(t, loadDashboard(t))
	for _, r := range loadAlerts(t) {
		exprs["alert "+r.Alert] = r.Expr
	}
	used := map[string]bool{}
	for where, expr := range exprs {
		names := promMetricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", where, expr)
		}
		for _, n := range names {
			used[n] = true
			if !exportedBy(literals, n) {
				t.Errorf("%s uses %s, which no non-test .go file exports (list planned metrics in docs/operations.md instead)", where, n)
			}
		}
	}
	// Not vacuous: the request histogram the api exports is on the board,
	// and every metric family the roles export is on the board or in an alert.
	if !used["scrm_http_request_duration_seconds_bucket"] || !used["scrm_http_request_duration_seconds_count"] {
		t.Errorf("expected the api request histogram among the metrics used, got %v", sortedKeys(used))
	}
	for _, m := range []string{"scrm_webhook_deliveries_total", "scrm_webhook_items_total", "scrm_waba_sends_total",
		"scrm_waba_send_duration_seconds_bucket", "scrm_sender_quality", "scrm_sender_active", "scrm_sender_throughput_mps",
		"scrm_campaign_recipients", "scrm_campaign_recipients_due", "scrm_campaign_last_progress_timestamp_seconds", "scrm_dependency_up",
		"scrm_realtime_connections", "scrm_realtime_events_in_total", "scrm_realtime_events_out_total", "scrm_realtime_drops_total",
		"scrm_realtime_resyncs_total", "scrm_realtime_amqp_reconnects_total"} {
		if !used[m] {
			t.Errorf("%s is exported but neither on the dashboard nor in an alert", m)
		}
	}
}

func TestAlertRules(t *testing.T) {
	rules := loadAlerts(t)
	if len(rules) == 0 {
		t.Fatal("no alert rules")
	}
	docs := readFile(t, repoRoot+"/docs/operations.md")
	anchors := markdownAnchors(docs)
	seen := map[string]bool{}
	for _, r := range rules {
		if r.Alert == "" || r.Record != "" {
			t.Errorf("rule %q: want alerting rules only", r.Alert+r.Record)
			continue
		}
		if seen[r.Alert] {
			t.Errorf("alert %s defined twice", r.Alert)
		}
		seen[r.Alert] = true
		if strings.TrimSpace(r.Expr) == "" || r.For == "" {
			t.Errorf("%s: want expr and for", r.Alert)
		}
		switch r.Labels["severity"] {
		case "warning", "critical":
		default:
			t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
		}
		if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
			t.Errorf("%s: want summary and description", r.Alert)
		}
		// Each alert has a runbook section in docs/operations.md.
		rb := r.Annotations["runbook"]
		file, anchor, _ := strings.Cut(rb, "#")
		if file != "docs/operations.md" || !anchors[anchor] {
			t.Errorf("%s: runbook %q is not a section of docs/operations.md", r.Alert, rb)
		}
	}
}

var reHeading = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*$`)

// markdownAnchors returns GitHub-style anchors of every heading.
func markdownAnchors(md string) map[string]bool {
	out := map[string]bool{}
	for _, m := range reHeading.FindAllStringSubmatch(md, -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
