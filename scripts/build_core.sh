#!/usr/bin/env bash
# Rebuild the compiled core after a change in csrc/ (editable install; serialised by a lock
# so that two builds never run at once in the same tree).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
exec 9>build/.build.lock
flock 9
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --no-build-isolation --no-deps -e . "$@"
