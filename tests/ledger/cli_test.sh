#!/usr/bin/env bash
# `flopscope ledger` end to end: exit codes (0 ok, 1 a check rule fired, 2 bad input),
# results on stdout and one-line diagnostics on stderr.
#   cli_test.sh FLOPSCOPE WORKDIR [POSTGRES_URL]
# With POSTGRES_URL the same run goes to a fresh schema of that database (--db URL), plus the
# connection errors: a malformed URL is bad input (2), an unreachable server a failure (1),
# each one line without the password.
set -u
bin=$1
work=$2
pg=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data/ledger
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
db=$work/spend.db
if [ -n "$pg" ]; then
  bash "$here/pg_server.sh" installed || exit $?
  db=$(bash "$here/pg_server.sh" schema "$pg" cli_test) || fail "create schema cli_test"
fi
# expect RC PATTERN ARGS...: runs flopscope, checks the exit code and that stdout matches.
expect() {
  local rc=$1 pattern=$2
  shift 2
  "$bin" "$@" > "$work/out" 2> "$work/err"
  local got=$?
  [ "$got" -eq "$rc" ] || fail "flopscope $*: exit $got, expected $rc; stderr: $(cat "$work/err")"
  if [ "$pattern" = "^$" ]; then
    [ ! -s "$work/out" ] || fail "flopscope $*: expected nothing on stdout, got: $(cat "$work/out")"
  else
    grep -qE -- "$pattern" "$work/out" || fail "flopscope $*: stdout does not match '$pattern':
$(cat "$work/out")"
  fi
  if [ "$rc" -eq 2 ]; then
    [ "$(wc -l < "$work/err")" -eq 1 ] || fail "flopscope $*: expected a one-line diagnostic, got: $(cat "$work/err")"
  fi
}

expect 0 "focus +10 +10 +imported" ledger import --db "$db" "$data/focus_small.csv" "$data/nvidia_smi.csv" "$data/progress.jsonl"
expect 0 "already imported" ledger import --db "$db" "$data/focus_small.csv"
expect 0 '"rows_added": 1' ledger import --db "$db" --json "$data/focus_small_next_day.csv"
expect 2 "^$" ledger import --db "$db" "$data/bad/focus_bad_cost.csv"
grep -q "focus_bad_cost.csv: line 5, column 1 (BilledCost): expected a number" "$work/err" || fail "bad row message: $(cat "$work/err")"
expect 2 "^$" ledger import --db "$db" --format fokus "$data/focus_small.csv"
expect 2 "^$" ledger import --db "$db" /dev/zero  # a device never ends: refused before reading
expect 0 '"usd_effective_total": 7350.25' ledger report --db "$db" --json
expect 0 "Burn rate: \\\$1050.04/day" ledger report --db "$db" --cap 10000
expect 0 "Cap \\\$10000.00/month: reached on 2024-09-10" ledger report --db "$db" --cap 10000
expect 0 "2024-09-07" ledger report --db "$db" --period day
expect 0 "llama-8b-pt +8 x h100-sxm" ledger report --db "$db" --jobs "$data/jobs.toml"
expect 0 "clean" ledger check --db "$db" --cap 1000000
expect 1 "over-cap: 2024-09" ledger check --db "$db" --cap 5000
expect 1 '"rule": "over-plan"' ledger check --db "$db" --jobs "$data/jobs.toml" --json
expect 1 "idle-gpu" ledger check --db "$db" --idle-hours 0.05
expect 2 "^$" ledger check --db "$db" --idle-hours -1
expect 2 "^$" ledger check --db "$db" --mfu-ratio 2
expect 2 "^$" ledger report --db "$db" --period week
expect 2 "^$" ledger report --db "$work/missing.db"
grep -q "missing.db: cannot open ledger: no such file" "$work/err" || fail "missing ledger message: $(cat "$work/err")"
[ ! -e "$work/missing.db" ] || fail "report created a ledger at a mistyped path"
if [ -n "$pg" ]; then
  expect 2 "^$" ledger import --db "postgresql://ann:s3cret@db.internal/x?colour=blue" "$data/focus_small.csv"
  grep -qx 'flopscope: postgresql://ann@db.internal/x?colour=blue: not a PostgreSQL URL: invalid URI query parameter: "colour"' "$work/err" ||
    fail "bad URL message: $(cat "$work/err")"
  for sub in "import --db postgresql://ann:s3cret@127.0.0.1:1/x $data/focus_small.csv" "report --db postgresql://ann:s3cret@127.0.0.1:1/x"; do
    expect 1 "^$" ledger $sub
    [ "$(wc -l < "$work/err")" -eq 1 ] || fail "flopscope ledger $sub: expected one line, got: $(cat "$work/err")"
    grep -q "^flopscope: postgresql://ann@127.0.0.1:1/x: cannot connect: " "$work/err" || fail "unreachable message: $(cat "$work/err")"
    ! grep -q s3cret "$work/err" || fail "the password is in the message: $(cat "$work/err")"
  done
  # A database without a ledger: report creates nothing, says how to create one.
  empty=$(bash "$here/pg_server.sh" schema "$pg" cli_test_empty) || fail "create schema cli_test_empty"
  expect 2 "^$" ledger report --db "$empty"
  grep -q "no ledger in this database (create it with flopscope ledger import --db" "$work/err" || fail "empty database message: $(cat "$work/err")"
fi
for sub in import report check; do
  expect 0 "Examples:" ledger "$sub" --help
done
expect 0 "Examples:" ledger --help
echo "ledger CLI: ok"
rm -rf "$work"
