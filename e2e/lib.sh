# shellcheck shell=bash
# Shared helpers for the end-to-end scripts (sourced by run.sh, kafka/broker.sh and
# python/setup.sh). Nothing here starts a process that outlives its caller.

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
E2E_ROOT=${E2E_ROOT:-$(cd "$E2E_DIR/.." && pwd)}
E2E_CACHE=${E2E_CACHE:-$E2E_DIR/.cache}

e2e_log() { printf '%s e2e: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
e2e_die() { printf '%s e2e: FATAL: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; exit 1; }

# e2e_now prints seconds since the epoch with millisecond precision.
e2e_now() { date +%s.%N | cut -c1-14; }
e2e_since() { awk -v a="$1" -v b="$(e2e_now)" 'BEGIN { printf "%.1f", b - a }'; }

_e2e_apt_updated=0
# e2e_apt_install PKG... installs Debian packages when we are root and apt-get exists.
e2e_apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    e2e_die "need Debian packages $* but cannot install them (not root or no apt-get)"
  fi
  if [ "$_e2e_apt_updated" = 0 ]; then
    e2e_log "apt-get update"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get update -q >/dev/null || e2e_die "apt-get update failed"
    _e2e_apt_updated=1
  fi
  e2e_log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends "$@" >/dev/null \
    || e2e_die "apt-get install $* failed"
}

# _e2e_java_major JAVA prints the feature version of a java binary (17, 21, ...), or 0.
_e2e_java_major() {
  local v
  v=$("$1" -version 2>&1 | awk -F'"' '/version/ { print $2; exit }') || true
  case "$v" in
    1.*) echo 0 ;;
    "") echo 0 ;;
    *) echo "${v%%.*}" ;;
  esac
}

# e2e_java sets E2E_JAVA to a Java 17 binary (E2E_JAVA, if set, wins), else to a newer
# one from JAVA_HOME or PATH, installing OpenJDK 17 if there is none at all.
e2e_java() {
  [ -n "${E2E_JAVA:-}" ] && [ -x "$E2E_JAVA" ] && return 0
  local c
  for c in /usr/lib/jvm/java-17-openjdk-*/bin/java ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    if [ "$(_e2e_java_major "$c")" -ge 17 ]; then E2E_JAVA=$c; export E2E_JAVA; return 0; fi
  done
  e2e_apt_install openjdk-17-jre-headless
  for c in /usr/lib/jvm/java-17-openjdk-*/bin/java; do
    [ -x "$c" ] && { E2E_JAVA=$c; export E2E_JAVA; return 0; }
  done
  e2e_die "no Java 17 after installing openjdk-17-jre-headless"
}

# e2e_mvn makes sure Maven is on PATH (Debian's maven package otherwise).
e2e_mvn() {
  command -v mvn >/dev/null 2>&1 && return 0
  e2e_apt_install maven
  command -v mvn >/dev/null 2>&1 || e2e_die "no mvn after installing maven"
}

# e2e_go makes sure the go command is on PATH.
e2e_go() {
  command -v go >/dev/null 2>&1 && return 0
  [ -x /usr/local/go/bin/go ] && { PATH=/usr/local/go/bin:$PATH; export PATH; return 0; }
  e2e_die "go is not installed (the repository needs Go 1.26)"
}

# e2e_ktool builds the small Go helper (free ports, readiness probe) into the cache and
# sets E2E_KTOOL. go build's own cache makes repeated calls cheap.
e2e_ktool() {
  [ -n "${E2E_KTOOL:-}" ] && [ -x "$E2E_KTOOL" ] && return 0
  e2e_go
  mkdir -p "$E2E_CACHE/bin"
  (cd "$E2E_ROOT" && go build -tags e2e -o "$E2E_CACHE/bin/ktool" ./e2e/kafka/ktool) \
    || e2e_die "building e2e/kafka/ktool failed"
  E2E_KTOOL=$E2E_CACHE/bin/ktool
  export E2E_KTOOL
}
