#!/usr/bin/env bash
# Side-by-side comparison of Pairpad and @automerge/automerge-repo-sync-server
# on this machine, in one run, with the same driver (cmd/pairload).
#
#   bash bench/compare.sh                 # everything, REPEAT=3 (about 25 minutes)
#   REPEAT=1 ONLY="pair join" bash bench/compare.sh
#   TARGETS=pairpad REPEAT=1 ONLY=idle bash bench/compare.sh   # one server only
#
# For every point, each server is restarted with empty storage (a fresh temp
# folder), pinned to core $SERVER_CPU, while pairload runs pinned to core
# $TOOL_CPU. Every pairload run is bounded (-max-time) and every server is
# stopped at the end of its point, also on error or Ctrl-C. All traffic is on
# 127.0.0.1. JSON lines go to bench/results/compare-<time>.jsonl, and a
# markdown table of medians is printed at the end (bench/table.py).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPEAT=${REPEAT:-3}
ONLY=${ONLY:-"pair classroom join ramp idle"}
TARGETS=${TARGETS:-"reference pairpad"} # e.g. TARGETS=pairpad for before/after runs
SERVER_CPU=${SERVER_CPU:-0}
TOOL_CPU=${TOOL_CPU:-1}
PP_PORT=${PP_PORT:-39280}
REF_PORT=${REF_PORT:-39230}
TRACES=${PAIRPAD_TRACES:-$ROOT/testdata/traces}
mkdir -p "$ROOT/bench/results"
OUT=${OUT:-$ROOT/bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
WORK=$(mktemp -d /tmp/pairpad-compare.XXXXXX)
SERVER_PID=""

log() { printf '[compare %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

stop_server() {
	if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM # runs cleanup through EXIT; pairload stops by itself or on its signal

wait_port() { # port
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	log "server did not listen on $1"; return 1
}

# start_server pairpad|reference: fresh storage, pinned to SERVER_CPU.
start_server() {
	stop_server
	local dir="$WORK/$1-$RANDOM"
	mkdir -p "$dir"
	if [[ $1 == pairpad ]]; then
		# Load tests create hundreds of rooms and thousands of sockets from one
		# address: lift the per-client limits meant for real users.
		ADDR=127.0.0.1:$PP_PORT DATABASE_URL="sqlite:$dir/pairpad.db" FLUSH_INTERVAL=60s LOG_LEVEL=warn \
			ROOM_CREATE_RATE=0 MAX_CONNS=0 MAX_CONNS_PER_IP=0 \
			taskset -c "$SERVER_CPU" "$WORK/pairpad" >"$dir/server.log" 2>&1 &
		SERVER_PID=$!
		wait_port "$PP_PORT"
	else
		(cd "$dir" && PORT=$REF_PORT DATA_DIR="$dir/data" exec taskset -c "$SERVER_CPU" \
			node "$ROOT/bench/reference/node_modules/@automerge/automerge-repo-sync-server/src/index.js") >"$dir/server.log" 2>&1 &
		SERVER_PID=$!
		wait_port "$REF_PORT"
	fi
	sleep 0.5 # let the runtime settle before the baseline reading
}

# load TARGET LABEL ARGS...: one pairload run against a fresh server.
load() {
	local target=$1 label=$2; shift 2
	local url=http://127.0.0.1:$PP_PORT
	[[ $target == reference ]] && url=http://127.0.0.1:$REF_PORT
	start_server "$target"
	log "$target $label: $*"
	taskset -c "$TOOL_CPU" "$WORK/pairload" -target "$target" -url "$url" -server-pid "$SERVER_PID" \
		-traces "$TRACES" -label "$label" -out "$OUT" -max-time 5m "$@" | grep -v '^{' >&2 || log "run failed (recorded in $OUT)"
	stop_server
}

both() { # label args...: reference first, then Pairpad, REPEAT times
	local label=$1; shift
	for i in $(seq 1 "$REPEAT"); do
		for t in $TARGETS; do load "$t" "$label" "$@"; done
	done
}

want() { [[ " $ONLY " == *" $1 "* ]]; }

log "building pairpad and pairload"
(cd "$ROOT" && go build -o "$WORK/pairpad" ./cmd/pairpad && go build -o "$WORK/pairload" ./cmd/pairload)
log "installing the reference (npm ci in bench/reference)"
(cd "$ROOT/bench/reference" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "results: $OUT"
start=$(date +%s)

if want pair; then
	for rooms in 5 20 50; do
		both "pair-$rooms" -scenario pair -rooms "$rooms" -rate 8 -duration 10s -trace rustcode
	done
fi
if want classroom; then
	both classroom -scenario classroom -typists 2 -viewers 50 -rate 8 -duration 10s -trace rustcode
fi
if want join; then
	both join-10k-rustcode -scenario join -trace rustcode -changes 10000 -joins 5
	both join-rustcode -scenario join -trace rustcode -joins 3
	both join-sveltecomponent -scenario join -trace sveltecomponent -joins 3
fi
if want ramp; then
	# One ramp each (a ramp is itself a series); limits as issue 5 sets them.
	# Rooms start empty (-seed=false): a room opened with the 25 KB file
	# costs ~20 MB in either server (automerge keeps every character as an
	# op), and 2,000 of them would not fit this shared machine.
	[[ " $TARGETS " == *" reference "* ]] && load reference ramp -scenario ramp -seed=false -rate 8 -ramp-start 10 -ramp-step 10 -ramp-max 400 -ramp-step-duration 5s -ramp-p99 50ms
	[[ " $TARGETS " == *" pairpad "* ]] && load pairpad ramp -scenario ramp -seed=false -rate 8 -ramp-start 50 -ramp-step 50 -ramp-max 2000 -ramp-step-duration 5s -ramp-p99 50ms
fi
if want idle; then
	# Idle rooms: empty, then 20 keystrokes each (see ramp for why no seed).
	[[ " $TARGETS " == *" reference "* ]] && load reference idle-1000 -scenario idle -seed=false -rooms 1000 -idle-keys 20 -settle 20s
	[[ " $TARGETS " == *" pairpad "* ]] && load pairpad idle-1000 -scenario idle -seed=false -rooms 1000 -idle-keys 20 -settle 20s
fi

log "done in $(( $(date +%s) - start )) s; results in $OUT"
if command -v python3 >/dev/null; then python3 "$ROOT/bench/table.py" "$OUT"; fi
