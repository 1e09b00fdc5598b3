package deploy

import (
	"regexp"
	"strings"
	"testing"
)

type dockerStage struct {
	base, name string
	lines      []string // instructions after FROM, continuations joined
}

// parseDockerfile splits a Dockerfile into stages of joined instructions.
func parseDockerfile(src string) []dockerStage {
	var stages []dockerStage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		if f := strings.Fields(line); strings.EqualFold(f[0], "FROM") {
			st := dockerStage{}
			args := f[1:]
			for len(args) > 0 && strings.HasPrefix(args[0], "--") {
				args = args[1:]
			}
			if len(args) > 0 {
				st.base = args[0]
			}
			if len(args) == 3 && strings.EqualFold(args[1], "AS") {
				st.name = args[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) > 0 {
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, line)
		}
	}
	for _, raw := range strings.Split(src, "\n") {
		l := strings.TrimSpace(raw)
		if strings.HasPrefix(l, "#") && cur.Len() == 0 {
			continue
		}
		if strings.HasSuffix(l, `\`) {
			cur.WriteString(strings.TrimSuffix(l, `\`) + " ")
			continue
		}
		cur.WriteString(l)
		flush()
	}
	flush()
	return stages
}

func instr(line string) (string, string) {
	op, rest, _ := strings.Cut(line, " ")
	return strings.ToUpper(op), strings.TrimSpace(rest)
}

func TestDockerfile(t *testing.T) {
	src := readFile(t, "Dockerfile")
	stages := parseDockerfile(src)
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if build.name == "" || !strings.HasPrefix(build.base, "golang:") {
		t.Errorf("first stage %q AS %q: want a named golang build stage", build.base, build.name)
	}
	// The build stage: static, trimmed, stripped binary of cmd/scrm.
	buildText := strings.Join(build.lines, "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w"`, "./cmd/scrm"} {
		if !strings.Contains(buildText, want) {
			t.Errorf("build stage lacks %s", want)
		}
	}
	if goVer := regexp.MustCompile(`(?m)^go (\S+)`).FindStringSubmatch(readFile(t, repoRoot+"/go.mod")); goVer != nil &&
		!strings.HasPrefix(build.base, "golang:"+goVer[1]) {
		t.Errorf("build stage %s does not use the go.mod toolchain %s", build.base, goVer[1])
	}

	// The final stage: small base, binary copied from the build stage,
	// numeric non-root user, the binary as entrypoint.
	if strings.HasPrefix(final.base, "golang") || !(strings.HasPrefix(final.base, "alpine:") || strings.Contains(final.base, "distroless/static")) {
		t.Errorf("final stage is %s: want alpine or distroless/static", final.base)
	}
	var copied, user, entry bool
	for _, l := range final.lines {
		op, rest := instr(l)
		switch op {
		case "COPY":
			if strings.HasPrefix(rest, "--from="+build.name+" ") && strings.HasSuffix(rest, " /scrm") {
				copied = true
			} else if !strings.HasPrefix(rest, "--from=") {
				t.Errorf("final stage copies from the build context (%s): only the binary belongs there", l)
			}
		case "ADD":
			t.Errorf("final stage uses ADD (%s)", l)
		case "USER":
			u, _, _ := strings.Cut(rest, ":")
			if u == "" || u == "root" || u == "0" {
				t.Errorf("final USER is %q: must not be root", rest)
			}
			if strings.Trim(u, "0123456789") != "" {
				t.Errorf("USER %q is not numeric: Kubernetes runAsNonRoot cannot verify a name", rest)
			}
			user = true
		case "ENTRYPOINT":
			entry = rest == `["/scrm"]`
		}
	}
	if !copied {
		t.Errorf("final stage does not COPY --from=%s the binary to /scrm", build.name)
	}
	if !user {
		t.Error("final stage has no USER: it would run as root")
	}
	if !entry {
		t.Error(`want ENTRYPOINT ["/scrm"] in the final stage`)
	}

	// No secrets baked in: no ARG/ENV naming one, no dev secrets file.
	reSecret := regexp.MustCompile(`(?i)(secret|password|passwd|token|api_?key|private)`)
	for _, st := range stages {
		for _, l := range st.lines {
			op, rest := instr(l)
			if (op == "ARG" || op == "ENV") && reSecret.MatchString(rest) {
				t.Errorf("%s names a secret: %s", op, l)
			}
			if strings.Contains(l, ".scrm") || strings.Contains(l, "dev-secrets") {
				t.Errorf("Dockerfile touches the dev secrets directory: %s", l)
			}
		}
	}
	// The build context copies the whole tree: keep dev secrets and git out.
	ignore := readFile(t, "Dockerfile.dockerignore")
	for _, want := range []string{".scrm", ".git"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `\s*$`).MatchString(ignore) {
			t.Errorf("Dockerfile.dockerignore does not exclude %s", want)
		}
	}
}

// The parser itself must see what it is asked to check.
func TestParseDockerfile(t *testing.T) {
	st := parseDockerfile("FROM golang:1 AS b\nRUN go build \\\n  -trimpath .\n# c\nFROM alpine:3\nUSER 0\n")
	if len(st) != 2 || st[0].name != "b" || st[1].base != "alpine:3" {
		t.Fatalf("stages: %+v", st)
	}
	if got := st[0].lines[0]; got != "RUN go build  -trimpath ." {
		t.Errorf("continuation: %q", got)
	}
	if op, rest := instr(st[1].lines[0]); op != "USER" || rest != "0" {
		t.Errorf("instr: %q %q", op, rest)
	}
}
