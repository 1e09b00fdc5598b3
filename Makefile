# The two commands a new machine needs: `make dev` runs the product, `make test` runs the tests.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/scrm
# Packages that link the Temporal server (embedded dev server, temporaltest) are
# run without -race: race-instrumenting the whole server costs minutes and GBs
# for code that is not ours. Everything else runs with -race.
HEAVY := ./cmd/scrm
LIGHT = $(shell $(GO) list ./... | grep -v -E '/cmd/scrm$$|/worker/devtemporal$$|/temporalenv$$')

.PHONY: dev test test-light test-heavy lint build services fuzz clean image deploy-check drills temporal-server

dev: services build
	./$(BIN) dev

build:
	$(GO) build -o $(BIN) ./cmd/scrm

# The one container image of every role (needs docker with BuildKit).
image:
	docker build -f deploy/Dockerfile -t scrm:local .

# Fast, offline consistency checks of deploy/ against the code.
deploy-check:
	$(GO) test -count=1 ./deploy/

services:
	@bash scripts/ensure-services.sh

# The production Temporal server (built from the pinned go.temporal.io/server,
# on the local PostgreSQL, 4 history shards) in the background for the
# benches: frontend 127.0.0.1:7433 (SCRM_PROD_TEMPORAL_ADDR). The drills run
# their own instance. `scripts/ensure-temporal-server.sh stop` stops it.
temporal-server: services
	@bash scripts/ensure-temporal-server.sh start

# Reliability drills (not part of `make test`): every role as its own process on
# the drill's own PostgreSQL cluster and RabbitMQ vhost; faults under load; one
# table of lost/duplicated messages. DRILLS_FLAGS=-short for a ~2 minute run.
drills: services
	$(GO) run ./bench/drills $(DRILLS_FLAGS)

# lint and the -race run of the light packages go side by side (the tests
# mostly wait on PostgreSQL and timers, leaving a core for the linters), then
# the end-to-end package. The end-to-end tests that may run side by side (own
# database, Temporal namespace, exchange and ports; no window of a few seconds
# or 4 s case expiry to outrun) run 4 at a time: they mostly wait on pacing
# and timers, not on the 2 cores.
test: services
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-s3.sh
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint test-light
	@$(MAKE) --no-print-directory test-heavy

test-light:
	$(GO) test -race -count=1 -timeout 20m $(LIGHT)

test-heavy:
	$(GO) test -count=1 -timeout 30m -parallel 4 $(HEAVY)

# Linters are pinned module versions run with `go run` (fetched through the
# module proxy once, then cached); a tool that cannot be fetched or built
# fails the target instead of being skipped. workflowcheck (Temporal's
# determinism checker) runs on the workflow code only.
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.6.1
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

# Short fuzz runs of every parser that reads outside input.
fuzz:
	@for p in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$p 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$p $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$p || exit 1; \
	  done; \
	done

clean:
	rm -rf bin .scrm
