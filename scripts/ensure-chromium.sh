#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser test
# (cmd/scrm/ui_e2e_test.go). Installs it with apt-get only when missing.
set -euo pipefail

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
log "installing chromium"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
chromium --version >&2
