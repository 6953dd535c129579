#!/usr/bin/env bash
# Creates (or reuses) the e2e Python venv at e2e/.venv with the exact versions of
# requirements.txt, then runs the whylogs sanity check. Prints the venv's python path on
# stdout. Rebuilds the venv when requirements.txt or the interpreter changes.
#
# Environment: E2E_PYTHON_BIN (interpreter to build the venv from; default python3.11 if
# present, else python3), E2E_VENV (default e2e/.venv).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

export WHYLOGS_NO_ANALYTICS=True
VENV=${E2E_VENV:-$E2E_DIR/.venv}
REQ=$E2E_DIR/python/requirements.txt

pick_python() {
  if [ -n "${E2E_PYTHON_BIN:-}" ]; then echo "$E2E_PYTHON_BIN"; return; fi
  local c
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return; fi
  done
  e2e_apt_install python3 python3-venv
  command -v python3
}

PY=$(pick_python)
want="$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') $(sha256sum "$REQ" | cut -c1-16)"
if [ -x "$VENV/bin/python" ] && [ -f "$VENV/.complete" ] && [ "$(cat "$VENV/.complete")" = "$want" ]; then
  e2e_log "python venv up to date: $VENV ($want)"
else
  e2e_log "building python venv $VENV with $PY ($("$PY" --version 2>&1))"
  rm -rf "$VENV"
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    e2e_apt_install python3-venv
    "$PY" -m venv "$VENV" || e2e_die "python -m venv failed"
  fi
  log=$E2E_CACHE/pip-install.log
  mkdir -p "$E2E_CACHE"
  if ! timeout 900 "$VENV/bin/pip" install --disable-pip-version-check --no-input -q -r "$REQ" >"$log" 2>&1; then
    tail -n 40 "$log" >&2 || true
    rm -rf "$VENV"
    e2e_die "pip install -r $REQ failed (see above)"
  fi
  echo "$want" >"$VENV/.complete"
fi
timeout 300 "$VENV/bin/python" "$E2E_DIR/python/whylogs_sanity.py" >&2 || e2e_die "whylogs sanity check failed"
echo "$VENV/bin/python"
