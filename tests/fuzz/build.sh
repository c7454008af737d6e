#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/fuzz_*.cpp) with clang-19, ASan + UBSan (every
# finding aborts) and libFuzzer's coverage instrumentation on the whole core, into
# build/fuzz (or $1). Needs clang-19 and libclang-rt-19-dev (scripts/setup.sh). At most 2 jobs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="${1:-$ROOT/build/fuzz}"
for tool in clang-19 clang++-19 cmake; do
  command -v "$tool" >/dev/null || { echo "tests/fuzz/build.sh: $tool not found: run scripts/setup.sh (it installs clang-19 and libclang-rt-19-dev)" >&2; exit 1; }
done
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" \
  -DRT_SYNTH_SANITIZE=ON -DRT_SYNTH_BUILD_FUZZ=ON -DRT_SYNTH_BUILD_CAPI=ON >/dev/null
cmake --build "$B" -j "${RT_SYNTH_FUZZ_JOBS:-2}" --target rt_synth_fuzzers
echo "tests/fuzz/build.sh: $B/tests/fuzz/{fuzz_load,fuzz_midi,fuzz_process}"
