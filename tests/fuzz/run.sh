#!/usr/bin/env bash
# Runs the libFuzzer harnesses one after the other, each for a fixed time, at nice 10:
#   bash tests/fuzz/run.sh --minutes 30            # every harness, 30 minutes each
#   bash tests/fuzz/run.sh --seconds 20 fuzz_midi  # one harness, 20 s
# Builds them first (tests/fuzz/build.sh). The corpus grows in build/fuzz/corpus/<harness>
# (seeded from tests/fuzz/corpus/<kind>), findings land in build/fuzz/findings/<harness>/,
# the log in build/fuzz/logs/<harness>.log. Prints one summary line per harness (total execs,
# execs/s, cov, ft, corpus size, exit status) and exits non-zero if any harness found something.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="$ROOT/build/fuzz"
seconds=60
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) seconds=$(( $2 * 60 )); shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_load fuzz_midi fuzz_process)
bash "$ROOT/tests/fuzz/build.sh" "$B" >/dev/null
status=0
for h in "${harnesses[@]}"; do
  seeds="$ROOT/tests/fuzz/corpus/${h#fuzz_}"
  corpus="$B/corpus/$h"
  findings="$B/findings/$h"
  log="$B/logs/$h.log"
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  rc=0
  nice -n 10 "$B/tests/fuzz/$h" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  ncorp=$(find "$corpus" -type f | wc -l)
  echo "$h: ${seconds} s, execs ${execs:-?}, exec/s ${rate:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus ${ncorp}, exit ${rc}$( [ $rc -eq 0 ] || echo " (finding: see $log and $findings)")"
  [ $rc -eq 0 ] || status=1
done
exit $status
