#!/usr/bin/env bash
# A throwaway PostgreSQL server for the ledger tests (docs/ledger.md, "PostgreSQL").
#   pg_server.sh start DIR   initdb in DIR/data, start a server listening only on a unix
#                            socket in DIR (no TCP port to collide with), create the database
#                            `flopscope`, write its URL to DIR/url and print it
#   pg_server.sh stop DIR    stop it and remove DIR
#   pg_server.sh url DIR     print the URL `start` gives: postgresql://postgres@/flopscope?host=DIR
#   pg_server.sh installed   exit 0 when the server binaries are here; else say so and exit
#                            77 (ctest's SKIP_RETURN_CODE for the shell tests), or 1 under CI
#   pg_server.sh schema URL NAME   create the schema NAME in URL's database and print a URL
#                            whose tables live there (search_path): a fresh, empty ledger
# ctest runs `start` and `stop` as the fixture ledger_pg (tests/ledger/CMakeLists.txt); the
# tests read the URL from FLOPSCOPE_TEST_PG_URL. The server binaries come from Debian's
# postgresql package (/usr/lib/postgresql/*/bin). Without them `start` says so and exits 0,
# and the tests skip, except in CI (CI set), where `start` fails. PostgreSQL refuses to run
# as root: as root the server runs as the `postgres` user the Debian package creates.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1 || true)
missing="no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (install postgresql: scripts/install-deps.sh)"
if [ "$cmd" = installed ]; then
  [ -n "$bin" ] && [ -x "$bin/pg_ctl" ] && exit 0
  if [ -n "${CI:-}" ]; then echo "$missing (CI is set: the PostgreSQL tests must run)" >&2; exit 1; fi
  echo "skipped: $missing"
  exit 77
fi
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg_server.sh start|stop|url DIR, installed, or schema URL NAME" >&2; exit 2; }
if [ "$cmd" = schema ]; then
  name=${3:?pg_server.sh schema URL NAME}
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "pg_server.sh: schema name '$name': expected [a-z_][a-z0-9_]*" >&2; exit 2; }
  psql=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2> /dev/null | tail -1)
  "$psql" -X -q "$dir" -c "DROP SCHEMA IF EXISTS $name CASCADE" -c "CREATE SCHEMA $name" > /dev/null 2>&1 || exit 1
  case "$dir" in *\?*) sep='&' ;; *) sep='?' ;; esac
  echo "$dir${sep}options=-c%20search_path%3D$name"
  exit 0
fi
dir=$(realpath -m "$dir")
url="postgresql://postgres@/flopscope?host=$dir"

as_server() {  # runs a server binary as a user PostgreSQL accepts
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  url) echo "$url" ;;
  start)
    if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
      if [ -n "${CI:-}" ]; then echo "pg_server.sh: $missing" >&2; exit 1; fi
      echo "pg_server.sh: $missing; the PostgreSQL tests will skip"
      exit 0
    fi
    # A server left by an interrupted run goes first.
    [ -f "$dir/data/postmaster.pid" ] && as_server "$bin/pg_ctl" -D "$dir/data" -m immediate stop > /dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"
    # The unix socket path (DIR/.s.PGSQL.5432) must fit in 107 bytes.
    [ ${#dir} -le 90 ] || { echo "pg_server.sh: $dir is too long for a unix socket path (90 bytes at most)" >&2; exit 1; }
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_server "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=50" start > /dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    "$bin/psql" -X -q -h "$dir" -U postgres -d postgres -c "CREATE DATABASE flopscope" ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "$url" > "$dir/url"
    echo "$url"
    ;;
  stop)
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
      as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: pg_server.sh start|stop|url DIR" >&2; exit 2 ;;
esac
