#!/usr/bin/env bash
# Runs the whylogs interop suite (interop/*_test.go, build tag "interop").
# Builds or reuses the e2e Python venv (e2e/python/setup.sh: whylogs==1.6.4) unless
# INTEROP_PYTHON points at an interpreter that has whylogs. Exit code = go test's.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
exec go test -tags interop -count=1 -v -timeout 20m ./interop/ "$@"
