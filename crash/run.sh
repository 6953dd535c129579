#!/usr/bin/env bash
# Crash suite entry point (`make crash`): go test with the "crash" build tag.
#
# Every scenario builds cmd/consumer, starts `consumer devbroker` (kfake) as a
# separate process on 127.0.0.1, and SIGKILLs `consumer run` child processes
# at seeded random moments; see crash/doc.go. Needs no network beyond
# 127.0.0.1 and no stdin.
#
# Environment: CRASH_SEED (repeat a run; every run prints its seed),
# CRASH_EVENTS (default 500000), CRASH_KILLS (default 10), CRASH_GO_TEST_FLAGS
# (extra go test flags, e.g. "-run TestCrashFileSink"), CRASH_TEST_TIMEOUT
# (go test -timeout, default 40m).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)
rc=0
# shellcheck disable=SC2086
go test -tags crash -count=1 -v -timeout "${CRASH_TEST_TIMEOUT:-40m}" ${CRASH_GO_TEST_FLAGS:-} ./crash/ </dev/null || rc=$?
echo "== crash suite: $(( $(date +%s) - start ))s, exit $rc" >&2
exit "$rc"
