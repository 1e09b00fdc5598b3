#!/usr/bin/env bash
# Makes sure the production Temporal server (go.temporal.io/server built from
# the pinned module, on the local PostgreSQL, 4 history shards) runs in the
# background for the benches: `scripts/ensure-temporal-server.sh [start|stop|status]`.
# The first start compiles the server (minutes, ~2.6 GB of build cache);
# later starts reuse bin/temporal-<version>/. Its databases are
# scrm_temporal and scrm_temporal_visibility on 127.0.0.1:5432; the frontend
# listens on SCRM_PROD_TEMPORAL_ADDR (default 127.0.0.1:7433, away from the
# dev server's 7233 and the tests' free ports). The drills run their own
# instance on their own PostgreSQL cluster instead (bench/drills).
set -euo pipefail
cd "$(dirname "$0")/.."

addr=${SCRM_PROD_TEMPORAL_ADDR:-127.0.0.1:7433}
run=bin/temporal-v1.32.1/run
pidf=$run/prodtemporal.pid
log() { printf 'ensure-temporal-server: %s\n' "$*" >&2; }
tcp_open() { (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; }
alive() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }

case "${1:-start}" in
status)
  if alive && tcp_open; then log "running (pid $(cat "$pidf")) on $addr"; else log "not running"; exit 1; fi ;;
stop)
  if alive; then
    pid=$(cat "$pidf"); kill -TERM "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    rm -f "$pidf"; log "stopped"
  else log "not running"; fi ;;
start)
  bash scripts/ensure-services.sh
  if alive && tcp_open; then log "already running on $addr"; exit 0; fi
  mkdir -p "$run"
  go build -o bin/prodtemporal ./bench/temporal
  nohup bin/prodtemporal -frontend "$addr" -dir "$run" -max-conns "${SCRM_PROD_TEMPORAL_MAX_CONNS:-10}" >"$run/prodtemporal.out" 2>&1 &
  echo $! >"$pidf"
  # The first run compiles the server: wait up to 20 minutes for "frontend".
  for _ in $(seq 1 1200); do
    if grep -q 'frontend ' "$run/prodtemporal.out" 2>/dev/null; then tail -1 "$run/prodtemporal.out" >&2; exit 0; fi
    if ! alive; then log "failed:"; tail -20 "$run/prodtemporal.out" >&2; exit 1; fi
    sleep 1
  done
  log "not ready after 20 minutes (see $run/prodtemporal.out)"; exit 1 ;;
*) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
