"""Writes a random-weight effect model for the C++ tests: `make_effect_test_model.py OUT
[lstm|wavenet|wavenet-knobs]`: arch lstm (hidden 16, two layers, skip), wavenet (config
wavenet-nano) or wavenet-knobs (config wavenet-knobs-tiny: gain and tone knobs)."""
import sys
from pathlib import Path

import torch

from rt_synth.kinds.effect.export.native import write_effect
from rt_synth.kinds.effect.model.config import CONFIGS, EffectConfig
from rt_synth.kinds.effect.model.model import EffectModel

if __name__ == "__main__":
    out = Path(sys.argv[1])
    torch.manual_seed(0)
    arch = sys.argv[2] if len(sys.argv) > 2 else "lstm"
    config = {"wavenet": CONFIGS["wavenet-nano"], "wavenet-knobs": CONFIGS["wavenet-knobs-tiny"]}.get(
        arch, EffectConfig(arch="lstm", hidden_size=16, num_layers=2, skip=True))
    m = EffectModel(config).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.4)
    out.parent.mkdir(parents=True, exist_ok=True)
    print(write_effect(m, out.with_suffix(""), out.stem))
