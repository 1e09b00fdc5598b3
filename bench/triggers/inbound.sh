#!/usr/bin/env bash
# What the journeys' reply trigger (journey_signal_reply, migration 00280)
# costs each stored inbound message: pgbench inserts one customer message
# per transaction into a migrated database holding RUNNING journey
# enrollments of other customers (the ordinary case: the writer runs no
# journey) and, with -m, one of the writer's own (the signal is written).
# Runs alternate trigger on / off, R rounds, and print each run's average
# latency and TPS; bench/README.md quotes the medians.
#
#   bench/triggers/inbound.sh [-n enrollments] [-t seconds] [-r rounds] [-m]
set -euo pipefail
N=100000 T=10 R=3 MINE=0
while getopts "n:t:r:m" o; do case $o in n) N=$OPTARG;; t) T=$OPTARG;; r) R=$OPTARG;; m) MINE=1;; *) exit 2;; esac; done
PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
export PGHOST PGUSER
DB=scrm_bench_trigger_$$
cd "$(dirname "$0")/../.."
psql -qX -d postgres -c "CREATE DATABASE $DB" >/dev/null
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null' EXIT
SCRM_DATABASE_URL="postgres://$PGUSER@$PGHOST:5432/$DB?sslmode=disable" go run ./cmd/scrm migrate >/dev/null
psql -qX -d "$DB" -v ON_ERROR_STOP=1 <<SQL
INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1');
INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'remind', 'id', 'UTILITY', 'APPROVED', '[]');
INSERT INTO journeys (id, name, status, sender_id, current_version) VALUES (1, 'bench', 'live', 1, 1);
INSERT INTO journey_versions (journey_id, version, definition) VALUES (1, 1, '{"steps":[{"id":"s1","kind":"stop"}]}');
INSERT INTO contacts (id, phone_e164, wa_id, name)
  SELECT i, '+62811' || lpad(i::text, 8, '0'), '62811' || lpad(i::text, 8, '0'), 'C' || i FROM generate_series(1, $N + 1) i;
INSERT INTO journey_enrollments (journey_id, version, contact_id, status, workflow_started)
  SELECT 1, 1, i, 'running', true FROM generate_series(2, $N + 1) i;
INSERT INTO journey_enrollments (journey_id, version, contact_id, status, workflow_started, ended_at)
  SELECT 1, 1, 1, CASE WHEN $MINE = 1 THEN 'running' ELSE 'completed' END, true, CASE WHEN $MINE = 1 THEN NULL ELSE now() END;
INSERT INTO conversations (id, sender_id, contact_id) VALUES (1, 1, 1);
VACUUM ANALYZE;
SQL
cat > /tmp/inbound_$$.sql <<'SQL'
INSERT INTO messages (conversation_id, direction, type, body, payload, wamid)
VALUES (1, 'in', 'button', 'Saya akan bayar', '{"type":"button","button":{"payload":"Saya akan bayar","text":"Saya akan bayar"}}', 'wamid.' || :client_id || '.' || random());
SQL
run() { # $1: on|off
  if [ "$1" = off ]; then psql -qX -d "$DB" -c "ALTER TABLE messages DISABLE TRIGGER journey_signal_reply"; else psql -qX -d "$DB" -c "ALTER TABLE messages ENABLE TRIGGER journey_signal_reply"; fi
  psql -qX -d "$DB" -c "DELETE FROM journey_signals"
  psql -qX -d "$DB" -Atc "SELECT pg_stat_reset()" >/dev/null
  local out; out=$(PGOPTIONS='-c track_functions=pl' pgbench -n -M prepared -c 1 -T "$T" -f /tmp/inbound_$$.sql "$DB" 2>/dev/null)
  sleep 0.6 # the statistics collector's flush
  # The trigger function's own time per call (pg_stat_user_functions, the
  # server's clock around the function): the machine's noise hardly moves
  # it, unlike the latency of the whole insert.
  local fn; fn=$(psql -qX -d "$DB" -Atc "SELECT COALESCE(string_agg(funcname || ' ' || round((self_time / calls)::numeric, 4) || ' ms/call', ', ' ORDER BY funcname), '')
    FROM pg_stat_user_functions WHERE calls > 0")
  local sig; sig=$(psql -qX -d "$DB" -Atc "SELECT count(*) FROM journey_signals")
  printf '%s trigger=%-3s %s, %s, %s signals; %s\n' "$(date -u +%H:%M:%S)" "$1" "$(grep -o 'latency average = [0-9.]* ms' <<<"$out")" "$(grep -o 'tps = [0-9.]*' <<<"$out")" "$sig" "$fn"
}
echo "enrollments running: $N of others, writer's own: $MINE; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$R"); do run on; run off; done
rm -f /tmp/inbound_$$.sql
