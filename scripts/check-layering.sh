#!/usr/bin/env bash
# Fails when a pipeline stage includes a header of a stage it may not depend on
# (design.md: each stage links only the stages before it; src/flopscope/CMakeLists.txt).
#
# One grep and one awk over the whole tree (no process per include line), so the check
# takes a few milliseconds; ctest runs it as the test 'layering'.
set -u
cd "$(dirname "$0")/../src/flopscope" || exit 2
# stage: the stages its files may include (itself among them), in pipeline order. `api`
# (one entry point per analysis, src/flopscope/README.md) sits above every analysis stage
# and below apps/.
allowed='
util: util
data: util data
model: util data model
cost: util data model cost
hw: util data hw
perf: util data model cost hw perf
probe: util data model cost hw perf probe
scaling: util data model cost hw perf scaling
plan: util data model cost hw perf scaling plan
ledger: util data model cost hw perf ledger
report: util report
api: util data model cost hw perf probe scaling plan ledger report api
'
dirs=$(ls -d */ 2>/dev/null | tr -d /)
grep -rn --include='*.h' --include='*.cc' --include='*.cu' '#include "flopscope/' . |
  awk -v allowed="$allowed" -v dirs="$dirs" '
    BEGIN {
      n = split(allowed, lines, "\n")
      for (i = 1; i <= n; ++i) {
        if (lines[i] == "") continue
        stage = lines[i]; sub(/:.*/, "", stage)
        deps = lines[i]; sub(/^[^:]*: */, "", deps)
        known[stage] = deps; ++stages
        m = split(deps, d, " ")
        for (j = 1; j <= m; ++j) ok[stage, d[j]] = 1
      }
      split(dirs, ds, "\n")
      for (i in ds) {
        if (ds[i] != "" && !(ds[i] in known)) {
          print "src/flopscope/" ds[i] ": not a known stage: add it to scripts/check-layering.sh"
          bad = 1
        }
      }
    }
    {
      # ./STAGE/FILE:LINE:#include "flopscope/DEP/..."
      split($0, f, ":")
      path = substr(f[1], 3); stage = path; sub(/\/.*/, "", stage)
      if (!(stage in known)) next
      dep = $0; sub(/^[^"]*"flopscope\//, "", dep); sub(/\/.*/, "", dep)
      if (!((stage, dep) in ok)) {
        printf "src/flopscope/%s:%s: stage '\''%s'\'' includes stage '\''%s'\'' (allowed: %s)\n", path, f[2], stage, dep, known[stage]
        bad = 1
      }
    }
    END {
      if (!bad) printf "layering: ok (%d stages)\n", stages
      exit bad
    }'
