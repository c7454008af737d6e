#!/usr/bin/env bash
# Builds the C ABI library, the Pure Data external, the LV2 bundles and the VST3/CLAP plugins
# (plugins/dpf, on Debian's dpf-source) into build/embed
# (Release, at most 2 jobs; serialised by a lock so concurrent test runs share one build).
#   bash scripts/build_plugins.sh [extra cmake -D options]
# Outputs: build/embed/librt_synth_c.so (+ rt_synthConfig.cmake for find_package),
#          build/embed/plugins/pd/rt_synth~.pd_linux, build/embed/plugins/lv2/*.lv2/,
#          build/embed/plugins/dpf/vst3/*.vst3/, build/embed/plugins/dpf/clap/*.clap (+ .rtsynth)
# Install them for hosts with bash scripts/install_plugins.sh (~/.vst3, ~/.clap, ~/.lv2).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/embed
mkdir -p "$B"
exec 9>"$B/.lock"
flock 9
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DRT_SYNTH_BUILD_CAPI=ON -DRT_SYNTH_BUILD_PLUGINS=ON "$@" >/dev/null
cmake --build "$B" -j "${RT_SYNTH_TEST_JOBS:-2}" --target rt_synth_c rt_synth_plugins
