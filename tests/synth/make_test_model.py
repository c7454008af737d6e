"""Writes a random-weight DDSP model file for the synth tests: `make_test_model.py OUT [size]`.
size: "small" (64 harmonics, 65 noise bands, hidden 64, GRU 96: the default), "tiny" or
"base". The head is scaled so the harmonic amplitudes span a useful range, and the
normalisation is set like a trained model's (f0 mean MIDI 55 ± 10, loudness −35 ± 15 dB)."""
from __future__ import annotations

import math
import sys
from pathlib import Path


def make(path, size: str = "small", seed: int = 0, clean: bool = False) -> Path:
    """clean: a tone whose fundamental dominates (harmonic k about 1/k³ of it) and almost no
    noise, so pitch tests can read f0 off a spectrum."""
    import torch
    from rt_synth.kinds.ddsp.export.native import write_ddsp
    from rt_synth.kinds.ddsp.model.config import CONFIGS
    from rt_synth.kinds.ddsp.model.model import DDSPModel

    if size == "small":
        cfg = CONFIGS["base"].with_overrides(hidden_size=64, gru_size=96, mlp_layers=2)
    else:
        cfg = CONFIGS[size]
    torch.manual_seed(seed)
    model = DDSPModel(cfg)
    with torch.no_grad():
        model.decoder.head.weight.mul_(4.0)
        model.decoder.set_normalisation(55.0, 10.0, -35.0, 15.0)
        if clean:
            K = cfg.n_harmonics
            w, b = model.decoder.head.weight, model.decoder.head.bias
            w[1:].mul_(0.02)
            b[1:1 + K] = torch.tensor([-1.0 - 3.0 * math.log10(k + 1.0) for k in range(K)])
            b[1 + K:] = -12.0
    path = Path(path)
    return write_ddsp(model, path.with_suffix(""), path.stem)


if __name__ == "__main__":
    out = make(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "small")
    print(out)
