#!/usr/bin/env bash
# Real Apache Kafka broker(s) for the end-to-end suite: KRaft, combined broker+controller
# nodes, bound to 127.0.0.1 only, jars resolved from Maven Central with pom.xml.
#
#   broker.sh fetch                          resolve the broker jars into the cache
#   broker.sh start [-n N] [-d DIR]          format and start N nodes (default 1), wait for
#                                            metadata; prints the bootstrap list on stdout and
#                                            writes DIR/env (E2E_KAFKA_BOOTSTRAP=..., E2E_KAFKA_DIR=...)
#   broker.sh stop [-d DIR]                  stop every node of DIR (SIGTERM, then SIGKILL)
#   broker.sh stop-node I [-d DIR]           stop node I only (for broker-restart scenarios)
#   broker.sh start-node I [-d DIR]          start node I again on its old ports and data, and
#                                            wait until the cluster lists all its brokers
#   broker.sh status [-d DIR]                probe the cluster once (exit 0: all brokers listed)
#   broker.sh run [-n N] [-d DIR] -- CMD...  start, run CMD with E2E_KAFKA_BOOTSTRAP set, stop
#
# Environment: E2E_KAFKA_VERSION (default 4.4.0), E2E_CACHE (default e2e/.cache),
# E2E_M2_REPO (Maven local repository; default Maven's own, ~/.m2/repository),
# E2E_KAFKA_HEAP (default 512m), E2E_KAFKA_JVM_OPTS (default C1 + serial GC),
# E2E_KAFKA_START_TIMEOUT (seconds, default 120), E2E_KAFKA_STOP_GRACE (seconds, default 30).
# Processes are only ever signalled by the PID this script recorded, after checking that
# the PID still runs kafka.Kafka with this node's config.
set -euo pipefail

# shellcheck source=../lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

KAFKA_VERSION=${E2E_KAFKA_VERSION:-4.4.0}
KAFKA_LIBS=$E2E_CACHE/kafka-$KAFKA_VERSION/libs
CDS_JSA=""
KAFKA_HEAP=${E2E_KAFKA_HEAP:-512m}
START_TIMEOUT=${E2E_KAFKA_START_TIMEOUT:-120}
STOP_GRACE=${E2E_KAFKA_STOP_GRACE:-30}
# C1 only and the serial collector: on a shared 2-core machine this halves the CPU a node
# burns to start (measured ~420 vs ~800 ticks to ready) and the test loads are small.
KAFKA_JVM_OPTS=${E2E_KAFKA_JVM_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}

# kafka_fetch resolves org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime
# dependencies into $KAFKA_LIBS, once per (version, pom.xml) pair.
kafka_fetch() {
  local pom stamp want
  pom=$E2E_DIR/kafka/pom.xml
  want="$KAFKA_VERSION $(sha256sum "$pom" | cut -c1-16)"
  stamp=$KAFKA_LIBS/.complete
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  e2e_mvn
  local tmp log
  tmp=$KAFKA_LIBS.tmp.$$
  log=$E2E_CACHE/mvn-kafka-$KAFKA_VERSION.log
  mkdir -p "$E2E_CACHE"
  rm -rf "$tmp"
  e2e_log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central (log: $log)"
  local args=(-B -q -f "$pom" "-Dkafka.version=$KAFKA_VERSION" dependency:copy-dependencies "-DoutputDirectory=$tmp")
  [ -n "${E2E_M2_REPO:-}" ] && args=("-Dmaven.repo.local=$E2E_M2_REPO" "${args[@]}")
  if ! timeout 900 mvn "${args[@]}" >"$log" 2>&1; then
    tail -n 40 "$log" | sed "s/\x1b\[[0-9;]*m//g" >&2 || true
    rm -rf "$tmp"
    e2e_die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its dependencies (see above)"
  fi
  [ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || e2e_die "Maven ran but kafka_2.13-$KAFKA_VERSION.jar is missing from $tmp"
  rm -rf "$KAFKA_LIBS"
  rm -f "$E2E_CACHE/kafka-$KAFKA_VERSION"/cds-*.jsa
  mv "$tmp" "$KAFKA_LIBS"
  echo "$want" >"$stamp"
  e2e_log "kafka jars: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) in $KAFKA_LIBS"
}

# Node layout under the state directory DIR:
#   DIR/cluster            "N CLUSTER_ID"
#   DIR/node-I/server.properties, log4j2.properties, data/, stdout.log, pid, port, cport
node_dir() { echo "$STATE_DIR/node-$1"; }

# node_config I N writes node I's config for an N-node quorum (ports already chosen).
node_config() {
  local i=$1 n=$2 d voters="" j rf
  d=$(node_dir "$i")
  for ((j = 1; j <= n; j++)); do
    voters+="${voters:+,}$j@127.0.0.1:$(cat "$(node_dir "$j")/cport")"
  done
  rf=$((n < 3 ? n : 3))
  cat >"$d/server.properties" <<CFG
# written by e2e/kafka/broker.sh: KRaft combined node $i of $n, loopback only
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(cat "$d/port"),CONTROLLER://127.0.0.1:$(cat "$d/cport")
advertised.listeners=PLAINTEXT://127.0.0.1:$(cat "$d/port")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$d/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=1
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=-1
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
CFG
  cat >"$d/log4j2.properties" <<'CFG'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
CFG
}

# Class-data sharing: the first single-node broker started without an archive records
# the classes it loaded into a dynamic AppCDS archive when it exits (on `stop`); later JVMs
# map it, which cut start-up CPU by about a third here (~415 → ~260 ticks to ready). The
# archive is keyed by the java binary and the jar set; a stale one is ignored by the JVM
# (-Xshare:auto). E2E_KAFKA_CDS=0 turns this off.
cds_archive() {
  if [ -z "${CDS_JSA:-}" ]; then
    CDS_JSA=$E2E_CACHE/kafka-$KAFKA_VERSION/cds-$({ "$E2E_JAVA" -version 2>&1; echo "$E2E_JAVA"; cat "$KAFKA_LIBS/.complete"; } | sha256sum | cut -c1-12).jsa
  fi
  echo "$CDS_JSA"
}

# cds_collect D: after node D's JVM exited, keep its archive if it is complete and usable.
cds_collect() {
  local d=$1 jsa
  [ -f "$d/cds.partial" ] || return 0
  e2e_java
  jsa=$(cds_archive)
  if timeout 60 "$E2E_JAVA" -Xshare:on "-XX:SharedArchiveFile=$d/cds.partial" -cp "$KAFKA_LIBS/*" -version >/dev/null 2>&1; then
    mv -f "$d/cds.partial" "$jsa"
    e2e_log "class-data archive saved: $jsa"
  else
    rm -f "$d/cds.partial"
    e2e_log "discarded an incomplete class-data archive"
  fi
}

# java_cmd I [dump] sets JCMD to the JVM command line for node I (main class and args
# follow); with "dump" and no archive yet, the JVM writes one at exit.
java_cmd() {
  local d jsa
  d=$(node_dir "$1")
  local -a extra
  read -r -a extra <<<"$KAFKA_JVM_OPTS"
  if [ "${E2E_KAFKA_CDS:-1}" != 0 ]; then
    jsa=$(cds_archive)
    if [ -f "$jsa" ]; then
      extra+=("-XX:SharedArchiveFile=$jsa")
    elif [ "${2:-}" = dump ] && [ "${CI:-}" != true ]; then
      # Not in CI: CI works on a fresh clone, so the archive would be written (slowing
      # the final stop) and never read.
      rm -f "$d/cds.partial"
      extra+=("-XX:ArchiveClassesAtExit=$d/cds.partial")
    fi
  fi
  JCMD=("$E2E_JAVA" -Xms128m "-Xmx$KAFKA_HEAP" "${extra[@]}"
    -Djava.awt.headless=true "-Dlog4j2.configurationFile=file:$d/log4j2.properties"
    "-Dkafka.logs.dir=$d/logs" -cp "$KAFKA_LIBS/*")
}

# node_running I: true when node I's recorded PID still runs its kafka.Kafka.
node_running() {
  local d pid
  d=$(node_dir "$1")
  [ -f "$d/pid" ] || return 1
  pid=$(cat "$d/pid")
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $d/server.properties"
}

node_launch() {
  local i=$1 d
  d=$(node_dir "$i")
  node_running "$i" && e2e_die "node $i already runs (pid $(cat "$d/pid"))"
  mkdir -p "$d/logs"
  if [ "$i" = 1 ] && [ "$(nodes)" = 1 ]; then java_cmd "$i" dump; else java_cmd "$i"; fi
  "${JCMD[@]}" kafka.Kafka "$d/server.properties" >>"$d/stdout.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
  e2e_log "kafka node $i: pid $! on 127.0.0.1:$(cat "$d/port") (controller :$(cat "$d/cport"))"
}

# node_stop I: SIGTERM, wait up to STOP_GRACE seconds, then SIGKILL; by recorded PID only.
node_stop() {
  local i=$1 d pid k grace
  d=$(node_dir "$i")
  node_running "$i" || { rm -f "$d/pid"; cds_collect "$d"; return 0; }
  pid=$(cat "$d/pid")
  grace=$STOP_GRACE
  # A JVM writing its class-data archive at exit needs longer on a busy machine.
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF 'ArchiveClassesAtExit' && grace=$((STOP_GRACE * 3))
  kill -TERM "$pid" 2>/dev/null || true
  for ((k = 0; k < grace * 5; k++)); do
    node_running "$i" || break
    sleep 0.2
  done
  if node_running "$i"; then
    e2e_log "kafka node $i (pid $pid) ignored SIGTERM for ${grace}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((k = 0; k < 50; k++)); do node_running "$i" || break; sleep 0.1; done
  fi
  rm -f "$d/pid"
  cds_collect "$d"
}

nodes() { cut -d' ' -f1 "$STATE_DIR/cluster"; }

bootstrap() {
  local n i b=""
  n=$(nodes)
  for ((i = 1; i <= n; i++)); do b+="${b:+,}127.0.0.1:$(cat "$(node_dir "$i")/port")"; done
  echo "$b"
}

dump_logs() {
  local d
  for d in "$STATE_DIR"/node-*; do
    [ -f "$d/stdout.log" ] || continue
    echo "----- last 60 lines of $d/stdout.log -----" >&2
    tail -n 60 "$d/stdout.log" >&2 || true
  done
}

# wait_ready: poll metadata until every node is listed; returns 1 (after printing the logs)
# as soon as a JVM exits or after START_TIMEOUT seconds.
wait_ready() {
  local n i t0 b last=""
  n=$(nodes)
  b=$(bootstrap)
  t0=$(e2e_now)
  while :; do
    for ((i = 1; i <= n; i++)); do
      if ! node_running "$i"; then
        dump_logs
        e2e_log "kafka node $i exited during start-up (log above)"
        return 1
      fi
    done
    if last=$("$E2E_KTOOL" probe -bootstrap "$b" -brokers "$n" -timeout 3s 2>&1); then
      e2e_log "kafka ready in $(e2e_since "$t0")s: $last"
      return 0
    fi
    if awk -v a="$(e2e_since "$t0")" -v m="$START_TIMEOUT" 'BEGIN { exit !(a > m) }'; then
      dump_logs
      e2e_log "kafka did not answer metadata for $n broker(s) at $b within ${START_TIMEOUT}s; last probe: $last"
      return 1
    fi
    sleep 0.5
  done
}

# cmd_start N: start an N-node cluster. A failed attempt (a free port taken by someone else
# before the broker bound it, a JVM that died) is stopped and retried once on new ports.
cmd_start() {
  local n=$1 i attempt
  [[ "$n" =~ ^[1-9]$ ]] || e2e_die "node count must be 1..9, got '$n'"
  if [ -f "$STATE_DIR/cluster" ]; then
    for ((i = 1; i <= $(nodes); i++)); do
      node_running "$i" && e2e_die "a cluster already runs in $STATE_DIR; stop it first"
    done
  fi
  e2e_java
  e2e_ktool
  kafka_fetch
  # Interrupted while starting: stop whatever was launched (bash runs the trap after the
  # current command, so a launched JVM's PID is already recorded).
  trap 'cmd_stop; exit 143' TERM
  trap 'cmd_stop; exit 130' INT
  for attempt in 1 2; do
    if start_attempt "$n"; then
      trap - TERM INT
      bootstrap
      return 0
    fi
    cmd_stop
    [ "$attempt" = 1 ] && e2e_log "kafka start failed; retrying once with new ports"
  done
  e2e_die "kafka ($n node(s)) did not start in $STATE_DIR (logs above)"
}

start_attempt() {
  local n=$1 i ports cid pids=() fail=0
  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR"
  read -r -a ports <<<"$("$E2E_KTOOL" freeports $((2 * n)))"
  # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding. Like Kafka's
  # own Uuid.randomUuid, reject ids starting with '-': the storage tool would read one as
  # an option (seen: "argument --cluster-id/-t: expected one argument").
  cid=-
  while [[ "$cid" == -* ]]; do
    cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  echo "$n $cid" >"$STATE_DIR/cluster"
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$(node_dir "$i")"
    echo "${ports[2 * i - 2]}" >"$(node_dir "$i")/port"
    echo "${ports[2 * i - 1]}" >"$(node_dir "$i")/cport"
  done
  for ((i = 1; i <= n; i++)); do node_config "$i" "$n"; done
  # Format every node's storage (in parallel: each is a JVM start).
  for ((i = 1; i <= n; i++)); do
    (
      java_cmd "$i"
      exec timeout 120 "${JCMD[@]}" kafka.tools.StorageTool format -t "$cid" -c "$(node_dir "$i")/server.properties"
    ) >"$(node_dir "$i")/format.log" 2>&1 </dev/null &
    pids+=($!)
  done
  for ((i = 1; i <= n; i++)); do
    if ! wait "${pids[i - 1]}"; then
      echo "----- $(node_dir "$i")/format.log -----" >&2
      cat "$(node_dir "$i")/format.log" >&2
      fail=1
    fi
  done
  [ "$fail" = 0 ] || { e2e_log "formatting kafka storage failed"; return 1; }
  for ((i = 1; i <= n; i++)); do node_launch "$i"; done
  {
    echo "E2E_KAFKA_BOOTSTRAP=$(bootstrap)"
    echo "E2E_KAFKA_DIR=$STATE_DIR"
    echo "E2E_KAFKA_NODES=$n"
  } >"$STATE_DIR/env"
  wait_ready
}

cmd_stop() {
  [ -f "$STATE_DIR/cluster" ] || return 0
  local n i
  n=$(nodes)
  # Signal every node first, then wait for each: a quorum that loses members one by one
  # can make the last ones wait for a controlled shutdown that never completes.
  for ((i = 1; i <= n; i++)); do
    node_running "$i" && kill -TERM "$(cat "$(node_dir "$i")/pid")" 2>/dev/null || true
  done
  for ((i = 1; i <= n; i++)); do node_stop "$i"; done
  e2e_log "kafka stopped ($n node(s), $STATE_DIR)"
}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1 n=1 node=""
  shift
  case "$cmd" in stop-node | start-node)
    [ $# -ge 1 ] || usage
    node=$1
    shift
    ;;
  esac
  STATE_DIR=$E2E_CACHE/run/kafka
  while [ $# -gt 0 ]; do
    case "$1" in
      -n) n=$2; shift 2 ;;
      -d) STATE_DIR=$2; shift 2 ;;
      --) shift; break ;;
      *) usage ;;
    esac
  done
  mkdir -p "$(dirname "$STATE_DIR")"
  STATE_DIR=$(cd "$(dirname "$STATE_DIR")" && pwd)/$(basename "$STATE_DIR")
  case "$cmd" in
    fetch) e2e_java; kafka_fetch ;;
    start) cmd_start "$n" ;;
    stop) cmd_stop ;;
    stop-node) node_stop "$node"; e2e_log "kafka node $node stopped" ;;
    start-node) e2e_java; e2e_ktool; kafka_fetch; node_launch "$node"; wait_ready || e2e_die "node $node did not come back" ;;
    status) e2e_ktool; "$E2E_KTOOL" probe -bootstrap "$(bootstrap)" -brokers "$(nodes)" ;;
    run)
      [ $# -ge 1 ] || usage
      trap 'cmd_stop' EXIT
      cmd_start "$n" >/dev/null
      trap 'exit 130' INT
      trap 'exit 143' TERM
      E2E_KAFKA_BOOTSTRAP=$(bootstrap) E2E_KAFKA_DIR=$STATE_DIR "$@"
      ;;
    *) usage ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
