package deploy

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type k8sMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type k8sHeader struct {
	APIVersion string  `yaml:"apiVersion"`
	Kind       string  `yaml:"kind"`
	Metadata   k8sMeta `yaml:"metadata"`
}

type keyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
	Exec *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
			ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	Lifecycle      *struct {
		PreStop *struct {
			Exec *struct {
				Command []string `yaml:"command"`
			} `yaml:"exec"`
			Sleep *struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type k8sPodTemplate struct {
	Metadata k8sMeta `yaml:"metadata"`
	Spec     struct {
		TerminationGracePeriodSeconds *int   `yaml:"terminationGracePeriodSeconds"`
		RestartPolicy                 string `yaml:"restartPolicy"`
		SecurityContext               struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		} `yaml:"securityContext"`
		Containers []k8sContainer `yaml:"containers"`
	} `yaml:"spec"`
}

type k8sWorkload struct {
	k8sHeader `yaml:",inline"`
	Spec      struct {
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template k8sPodTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type k8sService struct {
	k8sHeader `yaml:",inline"`
	Spec      struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type k8sHPA struct {
	k8sHeader `yaml:",inline"`
	Spec      struct {
		ScaleTargetRef struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		MaxReplicas int `yaml:"maxReplicas"`
	} `yaml:"spec"`
}

type k8sPDB struct {
	k8sHeader `yaml:",inline"`
	Spec      struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
	} `yaml:"spec"`
}

type k8sData struct {
	k8sHeader  `yaml:",inline"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
}

type manifests struct {
	deployments map[string]k8sWorkload
	jobs        map[string]k8sWorkload
	services    map[string]k8sService
	hpas        map[string]k8sHPA
	pdbs        map[string]k8sPDB
	configMaps  map[string]map[string]string
	secrets     map[string]map[string]string
}

// loadManifests parses every YAML file under k8s/ (multi-document) and
// indexes the objects by kind and name.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{
		deployments: map[string]k8sWorkload{}, jobs: map[string]k8sWorkload{},
		services: map[string]k8sService{}, hpas: map[string]k8sHPA{}, pdbs: map[string]k8sPDB{},
		configMaps: map[string]map[string]string{}, secrets: map[string]map[string]string{},
	}
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests under k8s/: %v", err)
	}
	seen := map[string]string{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		for i, doc := range yamlDocs(t, f) {
			var h k8sHeader
			if err := doc.Decode(&h); err != nil {
				t.Fatalf("%s doc %d: %v", f, i, err)
			}
			if h.APIVersion == "" || h.Kind == "" || h.Metadata.Name == "" {
				t.Errorf("%s doc %d: apiVersion, kind and metadata.name are required", f, i)
				continue
			}
			id := h.Kind + "/" + h.Metadata.Name
			if prev, dup := seen[id]; dup {
				t.Errorf("%s defined twice (%s and %s)", id, prev, f)
			}
			seen[id] = f
			decode := func(v any) {
				if err := doc.Decode(v); err != nil {
					t.Fatalf("%s %s: %v", f, id, err)
				}
			}
			want := map[string]string{"Deployment": "apps/v1", "Job": "batch/v1", "Service": "v1", "ConfigMap": "v1", "Secret": "v1",
				"HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1"}[h.Kind]
			if want == "" {
				t.Errorf("%s: kind %s is not checked by this test", f, h.Kind)
			} else if h.APIVersion != want {
				t.Errorf("%s: apiVersion %s, want %s", id, h.APIVersion, want)
			}
			switch h.Kind {
			case "Deployment":
				var w k8sWorkload
				decode(&w)
				m.deployments[h.Metadata.Name] = w
			case "Job":
				var w k8sWorkload
				decode(&w)
				m.jobs[h.Metadata.Name] = w
			case "Service":
				var s k8sService
				decode(&s)
				m.services[h.Metadata.Name] = s
			case "HorizontalPodAutoscaler":
				var x k8sHPA
				decode(&x)
				m.hpas[h.Metadata.Name] = x
			case "PodDisruptionBudget":
				var x k8sPDB
				decode(&x)
				m.pdbs[h.Metadata.Name] = x
			case "ConfigMap", "Secret":
				var d k8sData
				decode(&d)
				data := map[string]string{}
				for k, v := range d.Data {
					data[k] = v
				}
				for k, v := range d.StringData {
					data[k] = v
				}
				if h.Kind == "ConfigMap" {
					m.configMaps[h.Metadata.Name] = data
				} else {
					m.secrets[h.Metadata.Name] = data
				}
			}
		}
	}
	return m
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func roleOf(c k8sContainer) string {
	if c.Image != "scrm" || len(c.Args) == 0 {
		return ""
	}
	return c.Args[0]
}

// resolvePort finds the containerPort a probe or Service port refers to, by
// name or number.
func resolvePort(c k8sContainer, ref any) (int, bool) {
	for _, p := range c.Ports {
		switch r := ref.(type) {
		case string:
			if p.Name == r {
				return p.ContainerPort, true
			}
		case int:
			if p.ContainerPort == r {
				return r, true
			}
		}
	}
	return 0, false
}

func TestKustomization(t *testing.T) {
	var k struct {
		Resources []string `yaml:"resources"`
		Images    []struct {
			Name string `yaml:"name"`
		} `yaml:"images"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "k8s/kustomization.yaml")), &k); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range k.Resources {
		listed[r] = true
		if _, err := os.Stat(filepath.Join("k8s", r)); err != nil {
			t.Errorf("kustomization resource %s: %v", r, err)
		}
	}
	for _, must := range []string{"config.yaml", "jobs.yaml", "api.yaml", "worker.yaml", "realtime.yaml"} {
		if !listed[must] {
			t.Errorf("kustomization does not deploy %s", must)
		}
	}
	if len(k.Images) != 1 || k.Images[0].Name != "scrm" {
		t.Errorf("kustomization images %+v: want one entry for the scrm image", k.Images)
	}
}

func TestK8sReferences(t *testing.T) {
	m := loadManifests(t)
	known := knownEnv()
	cfg := m.configMaps["scrm-config"]
	if cfg == nil {
		t.Fatal("no ConfigMap scrm-config")
	}
	sec := m.secrets["scrm-secrets"]
	if sec == nil {
		t.Fatal("no Secret scrm-secrets")
	}

	// Config and secret keys: all known, secrets only in the Secret.
	isSecret := map[string]bool{}
	for _, k := range secretKeys {
		isSecret[k] = true
		if _, ok := sec[k]; !ok {
			t.Errorf("Secret scrm-secrets lacks %s", k)
		}
	}
	for name, data := range m.configMaps {
		for k := range data {
			if _, ok := known[k]; !ok {
				t.Errorf("ConfigMap %s: %s is not a config.Keys() key", name, k)
			}
			if isSecret[k] {
				t.Errorf("ConfigMap %s holds the secret %s: move it to the Secret", name, k)
			}
		}
	}
	for name, data := range m.secrets {
		for k, v := range data {
			if _, ok := known[k]; !ok {
				t.Errorf("Secret %s: %s is not a config.Keys() key", name, k)
			}
			if !isSecret[k] {
				t.Errorf("Secret %s holds %s, which is not secret: put it in the ConfigMap", name, k)
			}
			if !strings.Contains(v, "REPLACE_ME") {
				t.Errorf("Secret %s: %s carries a value; the committed Secret is an example with REPLACE_ME placeholders", name, k)
			}
		}
	}
	shutdown, err := time.ParseDuration(cfg["SCRM_SHUTDOWN_TIMEOUT"])
	if err != nil {
		if shutdown, err = time.ParseDuration(known["SCRM_SHUTDOWN_TIMEOUT"]); err != nil {
			t.Fatal(err)
		}
	}

	checkPod := func(kind, name string, tpl k8sPodTemplate) {
		where := kind + "/" + name
		if len(tpl.Spec.Containers) == 0 {
			t.Errorf("%s has no containers", where)
		}
		for _, c := range tpl.Spec.Containers {
			role := roleOf(c)
			if c.Image == "scrm" {
				if !knownRoles[role] {
					t.Errorf("%s runs scrm %v: not a role", where, c.Args)
				}
				if tpl.Spec.SecurityContext.RunAsNonRoot == nil || !*tpl.Spec.SecurityContext.RunAsNonRoot {
					t.Errorf("%s: runAsNonRoot is not set", where)
				}
			}
			checkTemporalImage(t, where, c.Image)
			if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
				t.Errorf("%s/%s: want cpu and memory requests and a memory limit", where, c.Name)
			}
			// Env: known keys, existing objects and keys.
			env := map[string]string{}
			for _, ef := range c.EnvFrom {
				switch {
				case ef.ConfigMapRef != nil:
					data, ok := m.configMaps[ef.ConfigMapRef.Name]
					if !ok {
						t.Errorf("%s: configMapRef %s does not exist", where, ef.ConfigMapRef.Name)
					}
					for k, v := range data {
						env[k] = v
					}
				case ef.SecretRef != nil:
					data, ok := m.secrets[ef.SecretRef.Name]
					if !ok {
						t.Errorf("%s: secretRef %s does not exist", where, ef.SecretRef.Name)
					}
					for k, v := range data {
						env[k] = v
					}
				}
			}
			for _, e := range c.Env {
				if strings.HasPrefix(e.Name, "SCRM_") {
					if _, ok := known[e.Name]; !ok {
						t.Errorf("%s sets %s: config.Keys() has no such key", where, e.Name)
					}
				}
				v := e.Value
				if e.ValueFrom != nil {
					var src map[string]map[string]string
					var ref *keyRef
					if e.ValueFrom.SecretKeyRef != nil {
						src, ref = m.secrets, e.ValueFrom.SecretKeyRef
					} else if e.ValueFrom.ConfigMapKeyRef != nil {
						src, ref = m.configMaps, e.ValueFrom.ConfigMapKeyRef
					}
					if ref == nil {
						t.Errorf("%s: env %s has an unsupported valueFrom", where, e.Name)
						continue
					}
					data, ok := src[ref.Name]
					if !ok {
						t.Errorf("%s: env %s refers to missing %s", where, e.Name, ref.Name)
					} else if _, ok := data[ref.Key]; !ok {
						t.Errorf("%s: env %s refers to missing key %s in %s", where, e.Name, ref.Key, ref.Name)
					}
					v = data[ref.Key]
				}
				env[e.Name] = v
			}

			// Ports and probes: only endpoints the role serves, on its port.
			paths := rolePaths(t, role)
			for p := range internalPaths(t, role) {
				paths[p] = true // probes may use the internal listener's port
			}
			addrKey, serves := roleAddrKey[role]
			if serves {
				addr, ok := env[addrKey]
				if !ok {
					addr = known[addrKey]
				}
				port := addrPort(t, where, addrKey, addr)
				if _, ok := resolvePort(c, port); !ok {
					t.Errorf("%s: no containerPort %d for %s=%s", where, port, addrKey, addr)
				}
				if c.ReadinessProbe == nil || c.LivenessProbe == nil {
					t.Errorf("%s: a serving role needs readiness and liveness probes", where)
				}
				for label, p := range map[string]*k8sProbe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
					want := map[string]string{"readiness": "/readyz", "liveness": "/healthz"}[label]
					if p != nil && (p.HTTPGet == nil || p.HTTPGet.Path != want) {
						t.Errorf("%s: %s probe should GET %s", where, label, want)
					}
				}
			}
			for label, p := range map[string]*k8sProbe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
				if p == nil {
					continue
				}
				if p.HTTPGet == nil {
					t.Errorf("%s: %s probe is not an httpGet (the image has no health command)", where, label)
					continue
				}
				if !paths[p.HTTPGet.Path] {
					t.Errorf("%s: %s probe path %s is not served by scrm %s", where, label, p.HTTPGet.Path, role)
				}
				if _, ok := resolvePort(c, p.HTTPGet.Port); !ok {
					t.Errorf("%s: %s probe port %v is not a containerPort", where, label, p.HTTPGet.Port)
				}
			}
			// Graceful stop: leave the endpoints, then drain within the grace period.
			if kind == "Deployment" && serves {
				pre := 0
				if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
					if s := c.Lifecycle.PreStop.Sleep; s != nil {
						pre = s.Seconds
					} else if e := c.Lifecycle.PreStop.Exec; e != nil && len(e.Command) == 2 && e.Command[0] == "sleep" {
						pre, _ = strconv.Atoi(e.Command[1])
					}
				}
				if pre <= 0 {
					t.Errorf("%s: want a preStop sleep so the pod leaves the Service before it stops", where)
				}
				grace := 30
				if g := tpl.Spec.TerminationGracePeriodSeconds; g != nil {
					grace = *g
				}
				if need := pre + int(shutdown.Seconds()); grace <= need {
					t.Errorf("%s: terminationGracePeriodSeconds %d <= preStop %ds + SCRM_SHUTDOWN_TIMEOUT %s", where, grace, pre, shutdown)
				}
			}
		}
	}

	roles := map[string]string{} // role -> Deployment
	for name, d := range m.deployments {
		if !subset(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
			t.Errorf("Deployment/%s: selector %v does not match its pod labels %v", name, d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
		}
		checkPod("Deployment", name, d.Spec.Template)
		for _, c := range d.Spec.Template.Spec.Containers {
			if r := roleOf(c); r != "" {
				roles[r] = name
			}
		}
	}
	for _, want := range []string{"api", "worker", "realtime"} {
		if roles[want] == "" {
			t.Errorf("no Deployment runs scrm %s", want)
		}
	}
	for name, j := range m.jobs {
		if rp := j.Spec.Template.Spec.RestartPolicy; rp != "OnFailure" && rp != "Never" {
			t.Errorf("Job/%s: restartPolicy %q", name, rp)
		}
		checkPod("Job", name, j.Spec.Template)
	}

	// Services select a Deployment and target one of its container ports.
	for name, s := range m.services {
		var target *k8sWorkload
		for _, d := range m.deployments {
			if subset(s.Spec.Selector, d.Spec.Template.Metadata.Labels) {
				if target != nil {
					t.Errorf("Service/%s selects more than one Deployment", name)
				}
				target = &d
			}
		}
		if target == nil {
			t.Errorf("Service/%s: selector %v matches no Deployment", name, s.Spec.Selector)
			continue
		}
		for _, p := range s.Spec.Ports {
			found := false
			for _, c := range target.Spec.Template.Spec.Containers {
				if _, ok := resolvePort(c, p.TargetPort); ok {
					found = true
				}
			}
			if !found {
				t.Errorf("Service/%s: targetPort %v is not a containerPort of Deployment/%s", name, p.TargetPort, target.Metadata.Name)
			}
		}
	}
	for _, role := range []string{"api", "realtime"} {
		found := false
		for _, s := range m.services {
			found = found || subset(s.Spec.Selector, m.deployments[roles[role]].Spec.Template.Metadata.Labels)
		}
		if !found {
			t.Errorf("no Service in front of scrm %s", role)
		}
	}

	// Autoscalers and disruption budgets point at real Deployments.
	scaled := map[string]bool{}
	for name, h := range m.hpas {
		ref := h.Spec.ScaleTargetRef
		if _, ok := m.deployments[ref.Name]; ref.Kind != "Deployment" || !ok {
			t.Errorf("HPA/%s targets %s/%s, which does not exist", name, ref.Kind, ref.Name)
		}
		if h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < h.Spec.MinReplicas {
			t.Errorf("HPA/%s: replicas %d..%d", name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		scaled[ref.Name] = true
	}
	budgeted := map[string]bool{}
	for name, p := range m.pdbs {
		n := 0
		for dn, d := range m.deployments {
			if subset(p.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
				budgeted[dn] = true
				n++
			}
		}
		if n == 0 {
			t.Errorf("PDB/%s selects no Deployment", name)
		}
	}
	for _, role := range []string{"api", "realtime"} {
		if !scaled[roles[role]] {
			t.Errorf("no HPA for scrm %s", role)
		}
	}
	for _, role := range []string{"api", "realtime", "worker"} {
		if !budgeted[roles[role]] {
			t.Errorf("no PodDisruptionBudget for scrm %s", role)
		}
	}

	// The one-shots: migrate, and the search attributes.
	var migrate, attrs bool
	for name, j := range m.jobs {
		for _, c := range j.Spec.Template.Spec.Containers {
			if roleOf(c) == "migrate" {
				migrate = true
			}
			if script := strings.Join(append(append([]string{}, c.Command...), c.Args...), "\n"); strings.Contains(script, "search-attribute create") {
				attrs = true
				checkSearchAttributeScript(t, "Job/"+name, script)
			}
		}
	}
	if !migrate {
		t.Error("no Job runs scrm migrate")
	}
	if !attrs {
		t.Error("no Job registers the search attributes")
	}
}
