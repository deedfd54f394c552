#!/usr/bin/env bash
# kill -9 in the middle of a large import (issue 14): the ledger must hold the file whole or
# not at all, keep what was committed before, and take the same import again afterwards.
#   kill9_test.sh FLOPSCOPE WORKDIR [POSTGRES_URL]
# Each attempt: a fresh ledger with focus_small.csv committed (10 rows), then a 400k-row
# FOCUS import killed with SIGKILL: first after fixed delays (while rows are inserted), then
# (SQLite) as soon as its WAL file has bytes in it (while the commit writes the transaction's
# pages). With POSTGRES_URL each attempt's ledger is a fresh schema of that database, and the
# server must roll back the transaction of the client that vanished.
set -u
bin=$1
work=$2
pg=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data/ledger
if [ -n "$pg" ]; then bash "$here/pg_server.sh" installed || exit $?; fi
rows=400000
rm -rf "$work" && mkdir -p "$work" || exit 1
big=$work/big.csv
awk -v n=$rows 'BEGIN {
  print "BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ResourceId,ServiceName,SkuId,Tags"
  for (i = 0; i < n; i++) {
    d = 1 + i % 28
    printf "%d.%02d,%d.%02d,2024-09-%02dT00:00:00Z,2024-09-%02dT01:00:00Z,i-%012d,\"Compute, GPU\",p5.48xlarge,\"{\"\"job\"\":\"\"big\"\"}\"\n", int(i / 100), i % 100, int(i / 100), i % 100, d, d, i
  }
}' > "$big"

costs() { "$bin" ledger report --db "$1" --json | grep -o '"costs": [0-9]*' | grep -o '[0-9]*$'; }
fail() { echo "FAIL: $*"; exit 1; }

# check DB KILLED: after an import of the big file ended (KILLED=1: by SIGKILL), the ledger holds
# the 10 committed rows and either none or all of the big file; then the same import again
# completes (no stale lock, no half state) with every row.
check() {
  local db=$1 killed=$2 n
  n=$(costs "$db") || fail "$db: report after kill"
  if [ "$killed" -eq 1 ]; then
    [ "$n" -eq 10 ] || [ "$n" -eq $((rows + 10)) ] || fail "$db: killed import left $n billing rows (expected 10 or $((rows + 10)))"
  else
    [ "$n" -eq $((rows + 10)) ] || fail "$db: finished import left $n rows (expected $((rows + 10)))"
  fi
  "$bin" ledger import --db "$db" "$big" > /dev/null || fail "$db: import after kill"
  n=$(costs "$db")
  [ "$n" -eq $((rows + 10)) ] || fail "$db: after re-import $n rows (expected $((rows + 10)))"
  echo "$n"
}
# new_db ATTEMPT: where the attempt's fresh ledger lives.
new_db() {
  if [ -n "$pg" ]; then bash "$here/pg_server.sh" schema "$pg" "kill9_$1" || fail "create schema kill9_$1"
  else echo "$work/ledger-$1.db"; fi
}
start_import() {
  "$bin" ledger import --db "$1" "$data/focus_small.csv" > /dev/null || fail "prior import"
  "$bin" ledger import --db "$1" "$big" > /dev/null 2>&1 &
  pid=$!
}

# 1. Killed while parsing and inserting (rows still in SQLite's page cache).
attempt=0
killed_inserting=0
delays="0.5 1.5"
[ -n "$pg" ] && delays="0.5 1.5 3"  # PostgreSQL: also while the batches are moved into the ledger
for delay in $delays; do
  attempt=$((attempt + 1))
  db=$(new_db $attempt) || exit 1
  start_import "$db"
  sleep "$delay"
  kill -9 "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  status=$?
  killed=0
  [ "$status" -eq 137 ] && killed=1 && killed_inserting=1
  [ "$status" -eq 137 ] || [ "$status" -eq 0 ] || fail "attempt $attempt: import exited $status"
  check "$db" "$killed" > /dev/null
  echo "attempt $attempt: exit $status after ${delay}s: all-or-none holds, re-import complete"
done
[ "$killed_inserting" -eq 1 ] || fail "no import was still running when killed (raise rows)"

if [ -n "$pg" ]; then
  echo "kill -9 (PostgreSQL): ok"
  rm -rf "$work"
  exit 0
fi
# 2. Killed while the transaction's pages are being written to the WAL (the commit).
mid_way=0
for attempt in 3 4 5 6 7 8; do
  db=$work/ledger-$attempt.db
  start_import "$db"
  wal=0
  while kill -0 "$pid" 2> /dev/null; do
    [ -f "$db-wal" ] && wal=$(stat -c %s "$db-wal")
    [ "$wal" -gt 0 ] && break
    sleep 0.005
  done
  kill -9 "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  status=$?
  killed=0
  [ "$status" -eq 137 ] && killed=1
  n=$(costs "$db")
  check "$db" "$killed" > /dev/null
  echo "attempt $attempt: exit $status with ${wal} WAL bytes written: ledger had $n rows (10 or $((rows + 10))), re-import complete"
  if [ "$killed" -eq 1 ] && [ "$wal" -gt 0 ]; then
    mid_way=1
    break
  fi
done
[ "$mid_way" -eq 1 ] || fail "no import was killed while writing its WAL"
echo "kill -9: ok"
rm -rf "$work"
