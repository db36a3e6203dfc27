#!/usr/bin/env bash
# scripts/services.sh start|stop|status -- the test services as local processes (no Docker):
#   Postgres 15 on 127.0.0.1:$PGPORT (default 54329, clear of a system cluster on 5432), db cv_test
#   Redis       on 127.0.0.1:$REDIS_PORT (default 6379), no persistence
#   Kafka       on 127.0.0.1:9092 via scripts/kafka.sh
# `start` installs missing Debian packages, is idempotent, and writes .data/services.env for `source`.
# `stop` stops only what this script started (tracked by pid files / data dirs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PGPORT="${PGPORT:-54329}"; REDIS_PORT="${REDIS_PORT:-6379}"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
RUN="$ROOT/.data/run"; ENV_FILE="$ROOT/.data/services.env"
# Postgres data lives under /tmp, not the repo: the `postgres` user must be able to reach it, and a
# clone under a private home directory (mode 700) would not be reachable.
PGROOT="${PG_CI_DIR:-${TMPDIR:-/tmp}/cv-pipeline-pg-$PGPORT}"; PGDATA_DIR="$PGROOT/data"
DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/cv_test"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"; KAFKA_BROKERS="127.0.0.1:9092"

log() { echo "services: $*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
SUDO=(); [[ $EUID -ne 0 ]] && SUDO=(sudo)

# --- system packages ------------------------------------------------------------------------------
ensure_packages() {
  local pkgs=()
  [[ -x "$PGBIN/initdb" ]] || pkgs+=(postgresql-15)
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
  # The dashboard's browser tests drive Debian's Chromium through playwright-core (nothing downloads a browser).
  [[ -x /usr/bin/chromium ]] || pkgs+=(chromium)
  if ! compgen -G "$ROOT/.kafka/lib/kafka_2.13-*.jar" >/dev/null; then
    command -v mvn >/dev/null || pkgs+=(maven)
  fi
  ((${#pkgs[@]})) || return 0
  log "installing ${pkgs[*]}"
  # Without a policy-rc.d, Debian's postinst would start a system redis on 6379 and a postgres
  # cluster on 5432; we run our own, so forbid service starts during the install.
  local policy=/usr/sbin/policy-rc.d added=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null; "${SUDO[@]}" chmod +x "$policy"; added=1
  fi
  local rc=0
  { "${SUDO[@]}" apt-get update -qq &&
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  } > "$RUN/apt.log" 2>&1 || rc=$?
  ((added)) && "${SUDO[@]}" rm -f "$policy"
  if ((rc)); then tail -n 40 "$RUN/apt.log"; return "$rc"; fi
}

# --- Postgres -------------------------------------------------------------------------------------
# initdb/postgres refuse to run as root: run them as the `postgres` system user.
as_pg() {
  # (from /, so the tools never trip over a working directory that user cannot enter)
  if [[ $EUID -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
pg_running() { [[ -f "$PGDATA_DIR/postmaster.pid" ]] && as_pg "$PGBIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; }

pg_start() {
  if pg_running; then log "postgres already running on $PGPORT"
  else
    if port_open "$PGPORT"; then log "127.0.0.1:$PGPORT is in use by another process (set PGPORT)" >&2; return 1; fi
    if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
      useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    # Throwaway cluster: fresh on every start, trust auth, durability off (tests only).
    rm -rf "$PGROOT"; mkdir -p "$PGROOT"
    [[ $EUID -eq 0 ]] && chown postgres: "$PGROOT"
    as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      > "$PGROOT/initdb.log" 2>&1 || { cat "$PGROOT/initdb.log"; return 1; }
    as_pg "$PGBIN/pg_ctl" start -D "$PGDATA_DIR" -w -t 60 -l "$PGROOT/postgres.log" \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      > /dev/null || { tail -n 40 "$PGROOT/postgres.log"; return 1; }
    log "postgres started on 127.0.0.1:$PGPORT (data $PGDATA_DIR)"
  fi
  local psql=("$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
  if [[ "$("${psql[@]}" -tAc "select 1 from pg_database where datname = 'cv_test'")" != 1 ]]; then
    "${psql[@]}" -c 'create database cv_test'
  fi
}

pg_stop() {
  if pg_running; then as_pg "$PGBIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w > /dev/null; log "postgres stopped"; fi
  rm -rf "$PGROOT"
}

# --- Redis ----------------------------------------------------------------------------------------
redis_running() { [[ -f "$RUN/redis.pid" ]] && kill -0 "$(cat "$RUN/redis.pid")" 2>/dev/null; }

redis_start() {
  if redis_running; then log "redis already running on $REDIS_PORT"; return 0; fi
  if port_open "$REDIS_PORT"; then log "127.0.0.1:$REDIS_PORT is in use by another process (set REDIS_PORT)" >&2; return 1; fi
  # No RDB/AOF: test data is disposable, and snapshots only cost time.
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
    --dir "$RUN" --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
  local i
  for i in $(seq 50); do
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] && break
    ((i < 50)) || { log "redis not ready"; tail -n 20 "$RUN/redis.log"; return 1; }
    sleep 0.1
  done
  log "redis started on 127.0.0.1:$REDIS_PORT"
}

redis_stop() {
  redis_running || { rm -f "$RUN/redis.pid"; return 0; }
  local pid; pid="$(cat "$RUN/redis.pid")"
  kill -TERM "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$RUN/redis.pid"; log "redis stopped"
}

# --- Kafka ----------------------------------------------------------------------------------------
kafka_start() {
  bash "$ROOT/scripts/kafka.sh" start
  # Port open is not the whole story: also wait until a kafkajs admin client sees the broker.
  KAFKA_BROKERS="$KAFKA_BROKERS" node "$ROOT/scripts/wait-for-kafka.mjs" >/dev/null
}

# --------------------------------------------------------------------------------------------------
start() {
  local t0=$SECONDS
  mkdir -p "$RUN"
  ensure_packages
  # If any service fails to come up, stop the ones already started: no half-running leftovers.
  trap '[[ $? -eq 0 ]] || { log "start failed, stopping what was started"; stop; }' EXIT
  pg_start
  redis_start
  kafka_start
  trap - EXIT
  printf 'export TEST_DATABASE_URL=%s REDIS_URL=%s KAFKA_BROKERS=%s\n' \
    "$DATABASE_URL" "$REDIS_URL" "$KAFKA_BROKERS" > "$ENV_FILE"
  log "all up in $((SECONDS - t0))s; source $ENV_FILE"
  log "TEST_DATABASE_URL=$DATABASE_URL"
}

stop() {
  bash "$ROOT/scripts/kafka.sh" stop || true
  redis_stop || true
  pg_stop || true
  rm -f "$ENV_FILE"
}

status() {
  local ok=0
  if pg_running; then log "postgres: running on $PGPORT"; else log "postgres: stopped"; ok=1; fi
  if redis_running; then log "redis: running on $REDIS_PORT"; else log "redis: stopped"; ok=1; fi
  bash "$ROOT/scripts/kafka.sh" status | sed 's/^/services: /' || ok=1
  return "$ok"
}

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
