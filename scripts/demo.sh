#!/usr/bin/env bash
# The main job of the README: set-up (idempotent), then `rt-synth demo` on the shipped model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -m rt_synth.cli.main demo "$@"
