#!/usr/bin/env bash
# PostgreSQL 15 + pgvector + Citus for openbook's PostgreSQL store: install, build, start, stop.
#
#   scripts/pg-cluster.sh install            # Debian packages (when root) + pgvector/Citus from ../shared/vendor
#   scripts/pg-cluster.sh start DIR [N]      # throwaway cluster under DIR: a coordinator + N workers (default 2)
#   scripts/pg-cluster.sh stop DIR           # stop every node of DIR's cluster
#   scripts/pg-cluster.sh url DIR            # the coordinator's URL
#
# Idempotent: `install` does nothing when PostgreSQL, pgvector and Citus are in place. Builds are
# staged (`make install DESTDIR=…`) under ~/.cache/openbook/pg-build, so after a reset of the system
# packages a re-run copies the built files back in seconds instead of compiling Citus (~3 min).
# PostgreSQL refuses to run as root: as root, the nodes run as the `postgres` user.
# `start` prints the coordinator URL on its last line and writes it to DIR/url; nodes listen on
# free ports of 127.0.0.1 only, with trust authentication (throwaway clusters, never production).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
PG_MAJOR=15
PGBIN="/usr/lib/postgresql/$PG_MAJOR/bin"
VENDOR="${OPENBOOK_VENDOR_DIR:-$here/../shared/vendor}"
CACHE="${OPENBOOK_PG_BUILD_CACHE:-$HOME/.cache/openbook/pg-build}"
PGVECTOR_VERSION=0.8.1
CITUS_VERSION=12.1.12

log() { echo "pg-cluster: $*" >&2; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

have_ext() { # name → true when its control file is in the server's extension directory
  local share
  share="$("$PGBIN/pg_config" --sharedir 2>/dev/null || pg_config --sharedir)"
  [ -f "$share/extension/$1.control" ]
}

# Build $1 (name) from tarball $2 with build command $3 (run in the source dir), staged in the cache,
# then copy the staged files into / . Skipped when the extension is already installed.
build_ext() {
  local name="$1" tarball="$2" build="$3" version="$4" srcname="$5"
  have_ext "$name" && { log "$name present"; return 0; }
  local stage="$CACHE/$name-$version-pg$PG_MAJOR"
  if [ ! -f "$stage/.done" ]; then
    [ -f "$VENDOR/$tarball" ] || { log "missing $VENDOR/$tarball (see ../shared/vendor/PROVENANCE.md)"; return 1; }
    log "building $name $version (cached afterwards in $stage)"
    local src="$CACHE/src"
    rm -rf "${src:?}/$srcname" "$stage"
    mkdir -p "$src" "$stage"
    tar -xzf "$VENDOR/$tarball" -C "$src"
    (cd "$src/$srcname" && PATH="$PGBIN:$PATH" bash -c "$build" && PATH="$PGBIN:$PATH" make install DESTDIR="$stage") >"$CACHE/$name-build.log" 2>&1 \
      || { log "$name build failed; see $CACHE/$name-build.log"; tail -20 "$CACHE/$name-build.log" >&2; return 1; }
    touch "$stage/.done"
  fi
  log "installing $name from $stage"
  (cd "$stage" && find . -type f ! -name .done -print0 | while IFS= read -r -d '' f; do
    install -D -m "$(stat -c %a "$f")" "$f" "/${f#./}"
  done)
}

cmd_install() {
  # The server and every header Citus's configure needs: a machine that already has the server
  # (installed by hand, say) may still lack libcurl's or lz4's headers, and configure then fails.
  local pkgs="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR build-essential liblz4-dev libzstd-dev libcurl4-openssl-dev libkrb5-dev libssl-dev"
  local missing=0 p
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing=1; done
  command -v dpkg >/dev/null || missing=0
  if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_config" ] || [ ! -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ] || ! command -v make >/dev/null || [ "$missing" = 1 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing postgresql-$PG_MAJOR and build tools (apt-get)"
      local lock=/tmp/apt.lock
      flock "$lock" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $pkgs >/dev/null"
    else
      log "PostgreSQL $PG_MAJOR is missing: apt-get install postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR (as root), then re-run"
      return 1
    fi
  fi
  build_ext vector "pgvector-$PGVECTOR_VERSION.tar.gz" "make" "$PGVECTOR_VERSION" "pgvector-$PGVECTOR_VERSION"
  build_ext citus "citus-$CITUS_VERSION.tar.gz" "./configure >/dev/null && make -j$(nproc)" "$CITUS_VERSION" "citus-$CITUS_VERSION"
  have_ext vector && have_ext citus && log "ready: PostgreSQL $PG_MAJOR + pgvector $PGVECTOR_VERSION + Citus $CITUS_VERSION"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

psql_at() { # port, sql
  as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d postgres -tAc "$2"
}

start_node() { # dir port
  local d="$1" port="$2"
  if [ ! -f "$d/PG_VERSION" ]; then
    mkdir -p "$d"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$d"
    as_pg "$PGBIN/initdb" -D "$d" -U postgres -A trust -E UTF8 --locale=C >"$d.initdb.log" 2>&1 \
      || { cat "$d.initdb.log" >&2; return 1; }
    cat >>"$d/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$d'
shared_preload_libraries = 'citus'
max_connections = 200
fsync = on
max_worker_processes = 32
shared_buffers = 128MB
wal_level = logical
max_prepared_transactions = 200
EOF
  fi
  as_pg "$PGBIN/pg_ctl" -D "$d" -l "$d/server.log" -w -t 60 -o "-p $port" start >/dev/null
}

cmd_start() {
  local dir="${1:?usage: start DIR [WORKERS]}" workers="${2:-2}"
  have_ext citus && have_ext vector || { log "pgvector/Citus not installed: run scripts/pg-cluster.sh install"; return 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  local names=(coordinator)
  for ((i = 1; i <= workers; i++)); do names+=("worker$i"); done
  local n port
  for n in "${names[@]}"; do
    if [ -f "$dir/$n.port" ]; then port="$(cat "$dir/$n.port")"; else port="$(free_port)"; echo "$port" >"$dir/$n.port"; fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$dir/$n" status >/dev/null 2>&1; then start_node "$dir/$n" "$port"; fi
    # Extensions once per node, before it joins (Citus refuses some DDL on a node of a cluster).
    if [ ! -f "$dir/$n.ready" ]; then
      psql_at "$port" "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS citus; CREATE EXTENSION IF NOT EXISTS vector;"
      touch "$dir/$n.ready"
    fi
  done
  local cport
  cport="$(cat "$dir/coordinator.port")"
  psql_at "$cport" "SELECT citus_set_coordinator_host('127.0.0.1', $cport);" >/dev/null
  for ((i = 1; i <= workers; i++)); do
    port="$(cat "$dir/worker$i.port")"
    psql_at "$cport" "SELECT 1 FROM pg_dist_node WHERE nodename = '127.0.0.1' AND nodeport = $port" | grep -q 1 \
      || psql_at "$cport" "SELECT citus_add_node('127.0.0.1', $port);" >/dev/null
  done
  echo "postgres://postgres@127.0.0.1:$cport/postgres" >"$dir/url"
  log "coordinator 127.0.0.1:$cport with $workers worker(s) under $dir"
  cat "$dir/url"
}

cmd_stop() {
  local dir="${1:?usage: stop DIR}" d
  for d in "$dir"/*/; do
    [ -f "$d/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "${d%/}" -m fast -w stop >/dev/null 2>&1 || true
  done
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  url) cat "${2:?usage: url DIR}/url" ;;
  *) echo "usage: $0 install | start DIR [WORKERS] | stop DIR | url DIR" >&2; exit 2 ;;
esac
