#!/usr/bin/env bash
# rt-synth bench on an imported Neural Amp Modeler "standard" WaveNet (issue 11): the reference
# package (neural-amp-modeler 0.12.3, installed by scripts/setup.sh) builds its standard preset
# and writes a .nam; `rt-synth import` converts it, `rt-synth export` adds the TorchScript and
# ONNX exports of the same network, and `rt-synth bench` times the core, TorchScript and ONNX
# Runtime on the same 64-sample blocks at 48 kHz, one thread each, in one run.
#   bash bench/nam_standard_bench.sh [OUT_DIR] [SECONDS]
set -euo pipefail
OUT=${1:-/tmp/rt-synth-nam-bench}
SECONDS_OF_AUDIO=${2:-20}
mkdir -p "$OUT"
python3 - "$OUT" <<'PY'
import sys
from pathlib import Path

import torch
from nam.models.wavenet import WaveNet
from nam.train.core import Architecture, get_wavenet_config

torch.manual_seed(0)
c = get_wavenet_config(Architecture.STANDARD)
m = WaveNet(c["layers_configs"], head_scale=c["head_scale"], sample_rate=48000)  # the package's init
m.export(Path(sys.argv[1]), basename="standard")
print(f"wrote {sys.argv[1]}/standard.nam")
PY
rt-synth import "$OUT/standard.nam" --out "$OUT/nam-standard" --force
rt-synth export "$OUT/nam-standard.pt" --out "$OUT/nam-standard" --formats torchscript,onnx
rt-synth bench "$OUT/nam-standard.rtsynth" --block 64 --seconds "$SECONDS_OF_AUDIO"
