# Pairpad: two commands do everything.
#   make run   builds the browser client and the server, then serves on :8080 (SQLite)
#   make test  runs every test: Go (race detector, SQLite + PostgreSQL), fuzz seeds,
#              client unit tests, protocol conformance with the stock JS client,
#              and end-to-end tests in headless Chromium
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO ?= go
NPM ?= npm
BIN := bin/pairpad
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export TEST_REDIS_URL

.PHONY: cluster run build server client deps test test-go test-client test-conformance test-e2e fuzz bench chromium clean

run: build
	./$(BIN)

build: client server

# Three instances on :8081-:8083 sharing one PostgreSQL and one Redis
# (README: Scale-out). Ctrl-C stops all three.
CLUSTER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pairpad
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/0
cluster: build
	@trap 'kill $$(jobs -p) 2>/dev/null' INT TERM EXIT; \
	for p in 8081 8082 8083; do \
		ADDR=127.0.0.1:$$p DATABASE_URL=$(CLUSTER_DATABASE_URL) REDIS_URL=$(CLUSTER_REDIS_URL) \
		SPILL_DIR=pairpad-spill-$$p ./$(BIN) & \
	done; wait

# Go caches its own builds: relinking an unchanged server takes a second.
server:
	$(GO) build -o $(BIN) ./cmd/pairpad

client/node_modules/.package-lock.json: client/package-lock.json
	cd client && $(NPM) ci --no-audit --no-fund

deps: client/node_modules/.package-lock.json
	$(GO) mod download

# The client is rebuilt only when one of its inputs changed, so `make run`
# starts at once and `make test` builds it once.
CLIENT_INPUTS := $(shell find client/src client/public -type f 2>/dev/null) \
	client/index.html client/vite.config.ts client/tsconfig.json client/package.json \
	client/node_modules/.package-lock.json
CLIENT_STAMP := client/dist/index.html

$(CLIENT_STAMP): $(CLIENT_INPUTS)
	cd client && $(NPM) run build
	@touch $@

client: $(CLIENT_STAMP)

test: deps chromium
	$(MAKE) test-go
	$(MAKE) test-client
	$(MAKE) server client
	$(MAKE) test-conformance
	$(MAKE) test-e2e

test-go:
	$(GO) vet ./...
	$(GO) test -race -timeout 20m ./...

test-client: deps
	cd client && $(NPM) test

test-conformance: server deps
	cd client && PAIRPAD_BIN=$(CURDIR)/$(BIN) $(NPM) run test:conformance

test-e2e: server client
	cd client && PAIRPAD_BIN=$(CURDIR)/$(BIN) $(NPM) run test:e2e

# Debian's Chromium drives the browser tests (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi; }

# Short coverage-guided fuzzing runs (the seeds also run in 'make test').
fuzz:
	$(GO) test -vet=off -run XXX -fuzz FuzzDecodeFrame -fuzztime 30s ./sync/wire/
	$(GO) test -vet=off -run XXX -fuzz FuzzRoomHandleFrame -fuzztime 30s ./sync/
	$(GO) test -vet=off -run XXX -fuzz FuzzRoomSyncData -fuzztime 30s ./sync/
	$(GO) test -vet=off -run XXX -fuzz FuzzInspectSync -fuzztime 30s ./crdt/
	$(GO) test -vet=off -run XXX -fuzz FuzzReceive -fuzztime 30s ./crdt/
	$(GO) test -vet=off -run XXX -fuzz FuzzAuthenticate -fuzztime 30s ./auth/
	$(GO) test -vet=off -run XXX -fuzz FuzzDecodeRedis -fuzztime 30s ./sync/
	$(GO) test -vet=off -run XXX -fuzz FuzzDecodeHeads -fuzztime 10s ./sync/

bench:
	$(GO) test -run XXX -bench . -benchmem ./...

clean:
	rm -rf bin client/dist
