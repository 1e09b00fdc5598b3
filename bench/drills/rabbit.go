package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// rabbitNode is the drill's own RabbitMQ node (its own node name, ports,
// data and log dirs, no plugins) beside the machine's shared one, so the
// drill can really stop and start the broker (rabbitmqctl stop_app /
// start_app) without touching what other tests use. It runs as the
// rabbitmq OS user, like the packaged server, sharing its Erlang cookie
// with rabbitmqctl.
type rabbitNode struct {
	dir, name string
	port      int
}

func startRabbit(ctx context.Context, dir string) (*rabbitNode, error) {
	n := &rabbitNode{dir: dir, name: "scrm-drill-" + randHex(4) + "@localhost", port: freePort()}
	for _, d := range []string{"mnesia", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	files := map[string]string{
		"enabled_plugins": "[].\n",
		"rabbitmq.conf":   fmt.Sprintf("listeners.tcp.local = 127.0.0.1:%d\nloopback_users = none\n", n.port),
		"env.conf":        "\n", // not the machine's /etc/rabbitmq/rabbitmq-env.conf (it names the shared node)
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	u, err := user.Lookup("rabbitmq")
	if err != nil {
		return nil, fmt.Errorf("the drill runs its own RabbitMQ node as the rabbitmq OS user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	}); err != nil {
		return nil, err
	}
	env := []string{
		"RABBITMQ_NODENAME=" + n.name,
		"RABBITMQ_NODE_PORT=" + strconv.Itoa(n.port),
		"RABBITMQ_DIST_PORT=" + strconv.Itoa(freePort()),
		"RABBITMQ_MNESIA_BASE=" + filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE=" + filepath.Join(dir, "log"),
		"RABBITMQ_CONFIG_FILE=" + filepath.Join(dir, "rabbitmq.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + filepath.Join(dir, "enabled_plugins"),
		"RABBITMQ_CONF_ENV_FILE=" + filepath.Join(dir, "env.conf"),
		"ERL_EPMD_ADDRESS=127.0.0.1",
		"HOME=/var/lib/rabbitmq",
	}
	sh := "cd " + dir + " && exec env " + strings.Join(env, " ") + " /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
	if err := run("su", "rabbitmq", "-s", "/bin/sh", "-c", sh); err != nil {
		return nil, err
	}
	if err := n.awaitStartup(ctx, 120*time.Second); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *rabbitNode) ctl(args ...string) error {
	return run("rabbitmqctl", append([]string{"-q", "-n", n.name}, args...)...)
}

// awaitStartup waits for the node to register with epmd and boot.
func (n *rabbitNode) awaitStartup(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		if last = n.ctl("await_startup", "--timeout", "30"); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return fmt.Errorf("drill RabbitMQ %s not up after %s: %w", n.name, d, last)
}

// restart stops the broker application (every connection and every
// non-durable queue goes away, as in a broker restart) and starts it again
// after down.
func (n *rabbitNode) restart(ctx context.Context, down time.Duration) (time.Duration, error) {
	t0 := time.Now()
	if err := n.ctl("stop_app"); err != nil {
		return 0, err
	}
	select {
	case <-ctx.Done():
	case <-time.After(down):
	}
	if err := n.ctl("start_app"); err != nil {
		return 0, err
	}
	return time.Since(t0), n.awaitStartup(ctx, 60*time.Second)
}

func (n *rabbitNode) stop() error {
	out, err := exec.Command("rabbitmqctl", "-q", "-n", n.name, "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("stop %s: %w: %s", n.name, err, out)
	}
	return nil
}
