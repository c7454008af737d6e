#!/usr/bin/env bash
# Copies the plugins built by scripts/build_plugins.sh to the per-user folders hosts scan:
#   VST3 -> ~/.vst3   CLAP -> ~/.clap   LV2 -> ~/.lv2   (Pd external: see plugins/pd/README.md)
#   bash scripts/install_plugins.sh [--build] [--prefix DIR]
# --build runs scripts/build_plugins.sh first; --prefix DIR installs into DIR/.vst3, DIR/.clap,
# DIR/.lv2 instead of $HOME (used by the tests). Existing bundles of the same name are replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/embed/plugins
PREFIX="$HOME"
BUILD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=1 ;;
    --prefix) PREFIX="$2"; shift ;;
    *) echo "install_plugins.sh: unknown option $1 (use --build, --prefix DIR)" >&2; exit 2 ;;
  esac
  shift
done
[ "$BUILD" = 1 ] && bash scripts/build_plugins.sh
if [ ! -d "$B/dpf/vst3" ] || [ ! -d "$B/lv2" ]; then
  echo "install_plugins.sh: $B has no plugins: run bash scripts/build_plugins.sh (or pass --build)" >&2
  exit 1
fi
mkdir -p "$PREFIX/.vst3" "$PREFIX/.clap" "$PREFIX/.lv2"
n=0
for b in "$B"/dpf/vst3/*.vst3 "$B"/lv2/*.lv2; do
  case "$b" in *.vst3) dest="$PREFIX/.vst3" ;; *) dest="$PREFIX/.lv2" ;; esac
  rm -rf "$dest/$(basename "$b")"
  cp -r "$b" "$dest/"
  n=$((n + 1))
done
for f in "$B"/dpf/clap/*.clap; do
  cp "$f" "${f%.clap}.rtsynth" "$PREFIX/.clap/"  # the CLAP binary and its model, side by side
  n=$((n + 1))
done
echo "installed $n plugins into $PREFIX/.vst3, $PREFIX/.clap, $PREFIX/.lv2"
