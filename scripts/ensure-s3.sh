#!/usr/bin/env bash
# Makes sure an S3-compatible server (SeaweedFS) answers on loopback for the
# tests of the S3 blob store. SeaweedFS is built from the Go module proxy:
# `go install pkg@version` refuses modules whose go.mod has replace
# directives (seaweedfs has one), so the module is downloaded and built from
# a copy of its source. The server keeps its data under $S3_DIR and listens
# on 127.0.0.1:$S3_PORT; a running one is reused.
set -euo pipefail

WEED_VERSION=${WEED_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
S3_PORT=${S3_PORT:-8333}
S3_DIR=${S3_DIR:-${TMPDIR:-/tmp}/scrm-s3}
GO=${GO:-go}
BIN_DIR=$($GO env GOPATH)/bin
WEED=$BIN_DIR/weed

log() { printf 'ensure-s3: %s\n' "$*" >&2; }
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if tcp_open "$S3_PORT"; then
  exit 0
fi

if [ ! -x "$WEED" ] || [ "$(cat "$WEED.version" 2>/dev/null)" != "$WEED_VERSION" ]; then
  log "building SeaweedFS $WEED_VERSION (first time only; takes minutes)"
  dir=$($GO mod download -json "github.com/seaweedfs/seaweedfs@$WEED_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { log "module download failed"; exit 1; }
  src=$(mktemp -d)
  trap 'chmod -R u+w "$src"; rm -rf "$src"' EXIT
  cp -r "$dir/." "$src/"
  chmod -R u+w "$src"
  mkdir -p "$BIN_DIR"
  (cd "$src" && GOFLAGS=-buildvcs=false $GO build -trimpath -o "$WEED" ./weed)
  echo "$WEED_VERSION" > "$WEED.version"
fi

mkdir -p "$S3_DIR"
log "starting SeaweedFS S3 on 127.0.0.1:$S3_PORT (data in $S3_DIR)"
# The master, volume and filer ports are chosen beside the S3 port so two
# checkouts can run their own servers with different S3_PORT values.
nohup "$WEED" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$S3_DIR" \
  -master.port=$((S3_PORT + 1000)) -volume.port=$((S3_PORT + 1001)) -filer.port=$((S3_PORT + 1002)) \
  -master.volumeSizeLimitMB=64 -volume.max=64 \
  -s3 -s3.port="$S3_PORT" >"$S3_DIR/weed.log" 2>&1 &
for _ in $(seq 1 60); do
  if tcp_open "$S3_PORT"; then log "SeaweedFS S3 is up"; exit 0; fi
  sleep 1
done
log "SeaweedFS did not open port $S3_PORT in 60 s; see $S3_DIR/weed.log"
exit 1
