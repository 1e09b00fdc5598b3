#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ are running on loopback for `make dev`
# and `make test`. Installs them with apt-get only when they are missing,
# starts them when they are stopped, and waits until they answer.
set -euo pipefail

log() { printf 'ensure-services: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name seconds
  for _ in $(seq 1 "$3"); do tcp_open "$1" && return 0; sleep 1; done
  log "$2 did not open port $1 in $3 s"; return 1
}

# --- PostgreSQL -------------------------------------------------------------
if ! tcp_open 5432; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "installing PostgreSQL"; apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  log "starting PostgreSQL $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_port 5432 PostgreSQL 30
fi
# Tests and dev connect as user postgres over TCP without a password.
if ! psql "postgres://postgres@127.0.0.1:5432/postgres" -Atc 'select 1' >/dev/null 2>&1; then
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  log "enabling trust auth for 127.0.0.1 in $hba"
  as_root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$hba"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
fi
psql "postgres://postgres@127.0.0.1:5432/postgres" -Atc "select 1 from pg_database where datname='test'" | grep -q 1 \
  || psql "postgres://postgres@127.0.0.1:5432/postgres" -qc 'create database test'

# --- RabbitMQ ---------------------------------------------------------------
if ! tcp_open 5672; then
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    log "installing RabbitMQ"; apt_install rabbitmq-server
  fi
  log "starting RabbitMQ"
  as_root rabbitmq-server -detached || true
  wait_port 5672 RabbitMQ 90
fi
# rabbitmqctl is used by the fault tests (close_all_connections).
for _ in $(seq 1 60); do
  as_root rabbitmqctl -q status >/dev/null 2>&1 && break
  sleep 1
done
log "PostgreSQL and RabbitMQ are up"
