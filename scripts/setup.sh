#!/usr/bin/env bash
# One-time (idempotent) set-up on a Debian machine, run as root:
# Debian packages, torch==2.13.0 (CPU) before anything can resolve a bare `torch`,
# then this package (editable, with the C++ core compiled) and its extras.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake git pkg-config python3 python3-dev python3-pip
  libsndfile1 fluidsynth fluid-soundfont-gm libportaudio2 sox espeak-ng
  jackd2 libjack-jackd2-dev puredata-core puredata-dev lv2-dev lilv-utils jalv  # libjack-jackd2-dev: rt-synth-jack (docs/live-jack.md)
  musescore-general-soundfont  # the soundfont no model trains on: rt_synth.eval.timbre_distance (docs/timbre-distance.md)
  clang-19 libclang-rt-19-dev  # libFuzzer + sanitizers for tests/fuzz (docs/fuzzing.md)
  dpf-source  # DISTRHO Plugin Framework: the VST3/CLAP plugins of plugins/dpf
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
PY=${PYTHON:-python3}
# torch first, pinned: a bare `torch` requirement would pull several GB of CUDA packages.
if ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.__version__.startswith("2.13.0") else 1)' 2>/dev/null; then
  echo "setup: installing torch==2.13.0 (CPU)"
  "$PY" -m pip install -q "torch==2.13.0"
fi
"$PY" -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" cmake ninja build  # build: scripts/build_dist.sh
"$PY" -m pip install -q "pedalboard==0.9.26" mido  # a VST3 host for tests/plugins/test_dpf_vst3.py
# the .nam reference for tests/kinds/effect/test_nam_import.py (tests only), after the pinned
# torch so that it cannot pull a CUDA torch; 0.12.3 writes the 0.5.x .nam format of the
# community captures (0.13 dropped the presets and cannot read 0.5.x files)
"$PY" -m pip install -q "neural-amp-modeler==0.12.3"
echo "setup: installing rt-synth (compiling the C++ core)"
"$PY" -m pip install -q --no-build-isolation -e ".[train,live,dev]"
"$PY" -c 'from rt_synth import _core; print("setup: core", _core.version(), "ready")'
