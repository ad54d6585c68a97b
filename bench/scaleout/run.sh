#!/usr/bin/env bash
# Scale-out benchmarks (BENCHMARKS.md, "Scale-out through Redis"): keystroke-to-
# peer latency with both peers on one instance vs on two instances, the Redis
# cost per keystroke, and ramp capacity of 1 vs 2 instances. Loopback only,
# every run bounded. Needs bin/pairpad, bin/pairload, PostgreSQL and Redis.
#   BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_redis, created if missing)
#   BENCH_REDIS_URL    (default redis://127.0.0.1:6379/0)
#   ONLY="latency ramp" (default both)
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench_redis}
REDIS=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/0}
ONLY=${ONLY:-latency ramp}
OUT=${OUT:-bench/results/scaleout-$(date -u +%Y%m%dT%H%M%S).jsonl}
mkdir -p "$(dirname "$OUT")"
createdb -h 127.0.0.1 -U postgres "${DB##*/}" 2>/dev/null || true
PREFIX="pairpad-bench-$RANDOM$RANDOM:"
A=127.0.0.1:39481 B=127.0.0.1:39482
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start() { # start ADDR → sets $last
  ADDR=$1 DATABASE_URL=$DB REDIS_URL=$REDIS REDIS_PREFIX=$PREFIX LOG_LEVEL=error ACCESS=open ROOM_CREATE_RATE=0 MAX_CONNS=0 MAX_CONNS_PER_IP=0 \
    SPILL_DIR=$(mktemp -d) FLUSH_INTERVAL=60s taskset -c 0 bin/pairpad &
  last=$!
  pids+=("$last")
  for _ in $(seq 200); do curl -fs "http://$1/readyz" >/dev/null && return; sleep 0.1; done
  echo "instance $1 did not start" >&2; exit 1
}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; } # utime+stime, clock ticks
redis_pid=$(pgrep -o redis-server)
metric() { curl -fs "http://$1/metrics" | awk -v n="$2" '$1==n {printf "%d\n", $2}'; }
pubstat() { redis-cli -u "$REDIS" info commandstats | tr -d '\r' | awk -F'[:,=]' '/^cmdstat_publish:/ {print $3, $5}'; }

start $A; pa=$last
start $B; pb=$last

if [[ " $ONLY " == *" latency "* ]]; then
  for mode in same cross; do
    obs=(); [[ $mode == cross ]] && obs=(-observer-url "http://$B")
    ca=$(cpu $pa) cb=$(cpu $pb) cr=$(cpu $redis_pid); read -r pc pu < <(pubstat || echo "0 0")
    ba=$(metric $A pairpad_redis_published_bytes_total) bb=$(metric $B pairpad_redis_published_bytes_total)
    na=$(metric $A pairpad_redis_published_total) nb=$(metric $B pairpad_redis_published_total)
    echo "== latency, observers on the $mode instance"
    taskset -c 1 bin/pairload -scenario pair -rooms 20 -rate 8 -duration 10s -seed=false -url "http://$A" "${obs[@]}" -server-pid $pa -out "$OUT" | tail -12
    read -r pc2 pu2 < <(pubstat || echo "0 0")
    echo "cpu ticks (1/100 s): A $(( $(cpu $pa) - ca )), B $(( $(cpu $pb) - cb )), redis-server $(( $(cpu $redis_pid) - cr ))"
    echo "redis publishes: A $(( $(metric $A pairpad_redis_published_total) - na )) msgs $(( $(metric $A pairpad_redis_published_bytes_total) - ba )) B; B $(( $(metric $B pairpad_redis_published_total) - nb )) msgs $(( $(metric $B pairpad_redis_published_bytes_total) - bb )) B"
    echo "redis cmdstat_publish (all clients of this Redis): $(( pc2 - pc )) calls, $(( pu2 - pu )) usec"
  done
fi

if [[ " $ONLY " == *" ramp "* ]]; then
  for mode in one two; do
    obs=(); [[ $mode == two ]] && obs=(-observer-url "http://$B")
    echo "== ramp, $mode instance(s) (both on core 0)"
    taskset -c 1 bin/pairload -scenario ramp -seed=false -rate 8 -ramp-start ${RAMP_START:-40} -ramp-step ${RAMP_STEP:-40} -ramp-max ${RAMP_MAX:-600} -ramp-step-duration 5s \
      -url "http://$A" "${obs[@]}" -server-pid $pa -max-time 150s -out "$OUT" | tail -14
  done
fi
