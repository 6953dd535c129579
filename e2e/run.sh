#!/usr/bin/env bash
# End-to-end suite entry point (`make e2e`; CI runs it from .ci/run).
#
# Phases, each timed: tools (Go, Java 17, Maven; installed with apt-get if missing) →
# kafka jars (Maven Central, cached in e2e/.cache and ~/.m2) → python venv (e2e/.venv,
# whylogs sanity check) → build (helper, vet and compile of the tagged test package) →
# brokers (a single-node and a three-node KRaft cluster on 127.0.0.1) → go test → stop.
#
# Every exit path stops the brokers this script started (by recorded PID only). On a
# failure the tail of each broker's log is printed. Needs no stdin; safe to re-run.
#
# Environment: E2E_GO_TEST_FLAGS (extra flags for go test, e.g. "-run TestSmoke"),
# E2E_TEST_TIMEOUT (go test -timeout, default 20m), and those of kafka/broker.sh. The crash
# scenario (crash_test.go) reads E2E_CRASH_EVENTS (default 100000), E2E_CRASH_KILLS (5), CRASH_SEED.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cd "$E2E_ROOT"

export WHYLOGS_NO_ANALYTICS=True
# Generous: on a 2-core machine shared with other work, four JVMs starting together were
# seen to need 146 s (load average 35); at load ~10 they took 4-13 s.
export E2E_KAFKA_START_TIMEOUT=${E2E_KAFKA_START_TIMEOUT:-300}
BROKER=$E2E_DIR/kafka/broker.sh
RUN_DIR=$E2E_CACHE/run
K1=$RUN_DIR/kafka1
K3=$RUN_DIR/kafka3
TIMINGS=()
T_ALL=$(e2e_now)
STATUS=failed
STARTED=0
CHILDREN=() # background children of this script, ended in cleanup by PID
GOTEST_PGID=""

CUR_PHASE=""
CUR_T0=""
# phase NAME CMD...: run CMD under errexit (not in a conditional, so a failing command
# inside it stops the script) and record its duration; cleanup reports a failed phase.
phase() {
  local name=$1
  shift
  e2e_log "== $name"
  CUR_PHASE=$name
  CUR_T0=$(e2e_now)
  "$@"
  TIMINGS+=("$(printf '%-14s %6ss' "$name" "$(e2e_since "$CUR_T0")")")
  CUR_PHASE=""
}

dump_broker_logs() {
  local f
  for f in "$K1"/node-*/stdout.log "$K3"/node-*/stdout.log; do
    [ -f "$f" ] || continue
    echo "----- last 40 lines of $f -----" >&2
    tail -n 40 "$f" >&2 || true
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CUR_PHASE" ]; then
    TIMINGS+=("$(printf '%-14s %6ss  FAILED' "$CUR_PHASE" "$(e2e_since "$CUR_T0")")")
    e2e_log "phase '$CUR_PHASE' failed (exit $rc)"
  fi
  # go test runs in its own process group (it and whatever it spawned: producers,
  # consumer processes); end that group, which this script created, by its id.
  if [ -n "$GOTEST_PGID" ] && kill -0 "$GOTEST_PGID" 2>/dev/null; then
    e2e_log "stopping go test (process group $GOTEST_PGID)"
    kill -TERM -- "-$GOTEST_PGID" "$GOTEST_PGID" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$GOTEST_PGID" "$GOTEST_PGID" 2>/dev/null || true
  fi
  local c
  for c in "${CHILDREN[@]}"; do kill -TERM "$c" 2>/dev/null || true; done
  for c in "${CHILDREN[@]}"; do wait "$c" 2>/dev/null || true; done
  if [ "$STARTED" = 1 ]; then
    [ "$rc" != 0 ] && dump_broker_logs
    local t0
    t0=$(e2e_now)
    bash "$BROKER" stop -d "$K1" || true
    bash "$BROKER" stop -d "$K3" || true
    TIMINGS+=("$(printf '%-14s %6ss' "stop" "$(e2e_since "$t0")")")
  fi
  echo "== e2e timings" >&2
  local line
  for line in "${TIMINGS[@]}"; do echo "   $line" >&2; done
  printf '   %-14s %6ss\n' "total" "$(e2e_since "$T_ALL")" >&2
  if [ "$rc" = 0 ] && [ "$STATUS" = ok ]; then
    e2e_log "PASSED"
  else
    e2e_log "FAILED (exit $rc)"
    [ "$rc" = 0 ] && rc=1
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tools() {
  e2e_go
  e2e_java
  e2e_mvn
  e2e_log "go: $(go version | cut -d' ' -f3-) · java: $E2E_JAVA ($("$E2E_JAVA" -version 2>&1 | head -1)) · $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g')"
}

jars() { bash "$BROKER" fetch; }

venv() {
  E2E_PYTHON=$(bash "$E2E_DIR/python/setup.sh")
  export E2E_PYTHON
}

build() {
  e2e_ktool
  timeout 600 go vet -tags e2e ./e2e/...
  # Compile the test binary now so the test phase measures tests, not the compiler; and
  # warm the build cache for the consumer command the pipeline scenarios build with
  # `go build -o` into a temporary directory.
  timeout 600 go test -tags e2e -count=1 -run '^$' ./e2e/... >/dev/null
  timeout 600 go build -o /dev/null ./cmd/consumer
}

brokers() {
  # Stop leftovers of an earlier, killed run (only PIDs recorded in these dirs).
  bash "$BROKER" stop -d "$K1" || true
  bash "$BROKER" stop -d "$K3" || true
  STARTED=1
  local p1 p3 rc=0
  bash "$BROKER" start -n 1 -d "$K1" >"$RUN_DIR/k1.out" &
  p1=$!
  bash "$BROKER" start -n 3 -d "$K3" >"$RUN_DIR/k3.out" &
  p3=$!
  CHILDREN=("$p1" "$p3")
  wait "$p1" || rc=1
  wait "$p3" || rc=1
  CHILDREN=()
  [ "$rc" = 0 ] || e2e_die "starting the brokers failed"
  E2E_KAFKA_BOOTSTRAP=$(tail -n 1 "$RUN_DIR/k1.out")
  E2E_KAFKA3_BOOTSTRAP=$(tail -n 1 "$RUN_DIR/k3.out")
  E2E_KAFKA_DIR=$K1
  export E2E_KAFKA_BOOTSTRAP E2E_KAFKA3_BOOTSTRAP E2E_KAFKA_DIR
  e2e_log "E2E_KAFKA_BOOTSTRAP=$E2E_KAFKA_BOOTSTRAP E2E_KAFKA3_BOOTSTRAP=$E2E_KAFKA3_BOOTSTRAP"
}

gotest() {
  # setsid: go test and everything it starts get a process group of their own, so cleanup
  # can end all of it (and nothing else) if this script is interrupted. `wait` (unlike a
  # foreground command) lets the INT/TERM traps run at once.
  # shellcheck disable=SC2086
  setsid -w go test -tags e2e -count=1 -v -timeout "${E2E_TEST_TIMEOUT:-20m}" ${E2E_GO_TEST_FLAGS:-} ./e2e/... </dev/null &
  GOTEST_PGID=$!
  local rc=0
  wait "$GOTEST_PGID" || rc=$?
  GOTEST_PGID=""
  [ "$rc" = 0 ] || e2e_die "go test failed (exit $rc)"
}

mkdir -p "$RUN_DIR"
phase tools tools
phase "kafka jars" jars
phase "python venv" venv
phase build build
phase brokers brokers
phase "go test" gotest
STATUS=ok
