#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.cc) with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for FUZZ_SECONDS (default 30) over the committed
# corpus (tests/fuzz/corpus/<target>). New inputs go to a scratch folder, not the corpus.
# Exit 1 on any crash, leak, sanitizer report or timeout; the input that broke the target is
# kept under build/fuzz/artifacts/ (copy it into the corpus once fixed: CLI11 tests/fuzzFail).
#
#   FUZZ_SECONDS=60 bash scripts/fuzz.sh            # all targets
#   bash scripts/fuzz.sh gguf onnx                  # some
#   FUZZ_BUILD=build/fuzz12 bash scripts/fuzz.sh    # another build folder
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(gguf onnx safetensors hf_config ledger serving_input)
build="${FUZZ_BUILD:-build/fuzz}"
# fuzzer-no-link instruments the library for coverage: without it only the small harness
# is instrumented and libFuzzer mutates blind (fuzz_onnx: 84 edges covered instead of 2,384 after 3 minutes).
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFLOPSCOPE_FUZZ=ON -DFLOPSCOPE_BUILD_TESTS=OFF -DFLOPSCOPE_BUILD_BENCH=OFF -DFLOPSCOPE_CUDA=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  scratch="$(mktemp -d)"
  echo "fuzz_$t: ${seconds} s over tests/fuzz/corpus/$t"
  # -rss_limit_mb and -timeout turn unbounded memory or a hang into a failure.
  if ! "$build/src/flopscope/fuzz_$t" "$scratch" "tests/fuzz/corpus/$t" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      >"$build/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t FAILED; last lines of $build/fuzz_$t.log:"
    tail -40 "$build/fuzz_$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$build/fuzz_$t.log" | tail -1 || true
  fi
  rm -rf "$scratch"
done
exit $status
