#!/usr/bin/env bash
# Builds the sdist, then the wheel FROM that sdist (so the wheel proves the sdist is complete),
# into dist/ (or the folder given). Uses the build tools scripts/setup.sh installed
# (scikit-build-core, pybind11, cmake, ninja) without an isolated environment.
#   bash scripts/build_dist.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-dist}
mkdir -p "$OUT"
# cd away from the checkout: its build/ folder would shadow the `build` package.
REPO=$PWD
(cd / && python3 -m build --no-isolation --outdir "$(realpath "$REPO/$OUT" 2>/dev/null || realpath "$OUT")" "$REPO")
ls -l "$OUT"
