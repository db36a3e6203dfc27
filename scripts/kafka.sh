#!/usr/bin/env bash
# scripts/kafka.sh start|stop|status -- single-node KRaft Kafka broker on 127.0.0.1:9092, no Docker.
# Adapted from ../shared/kafka/kafka-ci.sh. Jars come from Maven Central (scripts/kafka/pom.xml) into
# .kafka/lib; each `start` formats a fresh cluster in .kafka/work (or $KAFKA_WORK): tests get a clean broker.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF_DIR="$ROOT/scripts/kafka"
LIB="${KAFKA_LIB:-$ROOT/.kafka/lib}"
WORK="${KAFKA_WORK:-$ROOT/.kafka/work}"
PORT=9092; CONTROLLER_PORT=9093; TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
# pid file and logs live beside WORK, not in it: start wipes WORK, and stop must still find the pid.
PIDFILE="$WORK.pid"; LOG="$WORK.log"; CONF="$WORK/server.properties"
LOG_OPTS=(-Dlog4j2.configurationFile="$CONF_DIR/log4j2.xml")
read -r -a HEAP <<< "${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
JVM=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
     -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true
     -XX:+ExitOnOutOfMemoryError -XX:TieredStopAtLevel=1)

running() {                                         # alive, and really our broker (pids get reused)
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && { [[ ! -r "/proc/$pid/cmdline" ]] || grep -qa kafka.Kafka "/proc/$pid/cmdline"; }
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fetch_jars() {
  compgen -G "$LIB/kafka_2.13-*.jar" >/dev/null && return 0
  command -v mvn >/dev/null || { echo "kafka: mvn not found (apt-get install -y maven)" >&2; return 1; }
  # Copy into a temp dir and rename, so an interrupted download never looks like a complete lib.
  local tmp="$LIB.tmp"; rm -rf "$tmp"; mkdir -p "$(dirname "$LIB")"
  local mvn=(mvn -B -q -f "$CONF_DIR/pom.xml" dependency:copy-dependencies -Dkafka.lib="$tmp")
  echo "kafka: fetching jars into $LIB"
  # Offline first (fast, no network when ~/.m2 is warm); online when the cache lacks something.
  # (output goes to a log: quiet mvn still prints stray ANSI codes, and errors are shown on failure)
  "${mvn[@]}" -o > "$LIB.mvn.log" 2>&1 \
    || { rm -rf "$tmp"; "${mvn[@]}" > "$LIB.mvn.log" 2>&1; } || { cat "$LIB.mvn.log" >&2; return 1; }
  rm -rf "$LIB"; mv "$tmp" "$LIB"
}

start() {
  if running; then echo "kafka: already running (pid $(cat "$PIDFILE"))"; return 0; fi
  command -v java >/dev/null || { echo "kafka: java not found (apt-get install -y openjdk-17-jre-headless)" >&2; return 1; }
  # A foreign broker on our ports would make ours die at bind time with a confusing log: say so up front.
  for p in "$PORT" "$CONTROLLER_PORT"; do
    if port_open "$p"; then echo "kafka: 127.0.0.1:$p is already in use by another process" >&2; return 1; fi
  done
  fetch_jars
  rm -rf "$WORK"; mkdir -p "$WORK/data"
  sed "s#^log.dirs=.*#log.dirs=$WORK/data#" "$CONF_DIR/server.properties" > "$CONF"
  java -Xmx256m "${LOG_OPTS[@]}" -cp "$LIB/*" kafka.tools.StorageTool format \
       -t "${KAFKA_CLUSTER_ID:-4L6g3nShT-eMCtK--X86sw}" -c "$CONF" > "$WORK/format.log" 2>&1 \
    || { cat "$WORK/format.log"; return 1; }
  nohup java "${HEAP[@]}" "${JVM[@]}" "${LOG_OPTS[@]}" -cp "$LIB/*" kafka.Kafka "$CONF" \
    > "$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  local deadline=$((SECONDS + TIMEOUT))
  until port_open "$PORT"; do                         # 9092 opens only once the broker is unfenced
    # kill -0, not running(): just after the fork the pid's cmdline can still be nohup's, not java's.
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then echo "kafka died:"; tail -n 80 "$LOG"; rm -f "$PIDFILE"; return 1; fi
    if (( SECONDS >= deadline )); then echo "kafka not ready after ${TIMEOUT}s"; tail -n 80 "$LOG"; stop; return 1; fi
    sleep 0.3
  done
  echo "kafka: ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), log $LOG)"
}

stop() {
  running || { rm -f "$PIDFILE"; return 0; }
  local pid; pid="$(cat "$PIDFILE")"
  kill -TERM "$pid"                                   # shutdown hook = controlled shutdown (~2 s)
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -f "$PIDFILE"
  echo "kafka: stopped"
}

case "${1:-}" in
  start) start ;; stop) stop ;;
  status) if running; then echo "kafka: running (pid $(cat "$PIDFILE"))"; else echo "kafka: stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
