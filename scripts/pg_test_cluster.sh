#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests and benchmarks.
#
#   scripts/pg_test_cluster.sh start STATE_DIR   initdb + start; writes STATE_DIR/url
#   scripts/pg_test_cluster.sh stop  STATE_DIR   stop and remove the cluster
#
# The cluster lives in a fresh mktemp directory under /tmp (the postgres user must be able to
# reach it), listens on a unix socket in that directory only (no TCP port to collide with),
# trusts local connections and runs without fsync: it holds nothing worth keeping.
# When run as root (CI), the server runs as the `postgres` OS user, created when missing.
# STATE_DIR/url holds a libpq URL, e.g. postgresql://postgres@/postgres?host=/tmp/ingestd-pg.x
# `start` first stops a cluster a previous run left behind in the same STATE_DIR.
# PG_TEST_SETTINGS (optional) adds postgresql.conf lines, e.g. for benchmarks.
set -euo pipefail

cmd=${1:?usage: pg_test_cluster.sh start|stop STATE_DIR}
state=${2:?usage: pg_test_cluster.sh start|stop STATE_DIR}

find_bin() {
  for d in /usr/lib/postgresql/15/bin /usr/local/bin /usr/bin; do
    [ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  command -v "$1" || { echo "pg_test_cluster: $1 not found (apt-get install postgresql-15)" >&2; exit 1; }
}
PG_CTL=$(find_bin pg_ctl)
INITDB=$(find_bin initdb)

as_owner() {  # runs "$@" as the cluster owner
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_cluster() {
  [ -f "$state/cluster_dir" ] || return 0
  local dir
  dir=$(cat "$state/cluster_dir")
  if [ -d "$dir/data" ]; then
    as_owner "$PG_CTL" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  rm -f "$state/cluster_dir" "$state/url"
}

case "$cmd" in
  start)
    mkdir -p "$state"
    stop_cluster
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
      useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    dir=$(mktemp -d /tmp/ingestd-pg.XXXXXX)
    echo "$dir" >"$state/cluster_dir"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$INITDB" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; stop_cluster; exit 1; }
    {
      echo "listen_addresses = ''"
      echo "unix_socket_directories = '$dir'"
      echo "max_connections = 300"
      echo "shared_buffers = 64MB"
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
      echo "log_min_messages = warning"
      echo "${PG_TEST_SETTINGS:-}"
    } >>"$dir/data/postgresql.conf"
    if ! as_owner "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
      cat "$dir/server.log" >&2
      stop_cluster
      exit 1
    fi
    echo "postgresql://postgres@/postgres?host=$dir" >"$state/url"
    cat "$state/url"
    ;;
  stop)
    stop_cluster
    ;;
  *)
    echo "usage: pg_test_cluster.sh start|stop STATE_DIR" >&2
    exit 2
    ;;
esac
