"""Shared helpers of the DDSP core tests: a random-weight PyTorch model written to .rtsynth,
per-sample control streams, and the float64 PyTorch reference with the core's counter noise."""
from __future__ import annotations

import numpy as np

SR, HOP = 48000, 192


def make_model(tmp_path, name="small", seed=0, **overrides):
    import torch
    from rt_synth.kinds.ddsp.export.native import write_ddsp
    from rt_synth.kinds.ddsp.model.config import CONFIGS
    from rt_synth.kinds.ddsp.model.model import DDSPModel

    base = CONFIGS["base"] if name == "base" else CONFIGS["base"].with_overrides(
        hidden_size=64, gru_size=96, mlp_layers=2)
    cfg = base.with_overrides(**overrides)
    torch.manual_seed(seed)
    model = DDSPModel(cfg)
    with torch.no_grad():  # make the head's outputs span the useful range of exp_sigmoid
        model.decoder.head.weight.mul_(4.0)
        model.decoder.set_normalisation(55.0, 10.0, -35.0, 15.0)
    path = write_ddsp(model, tmp_path / name, name)
    return model, path


def control_streams(seconds, seed=0):
    """Per-sample f0 (glides, vibrato, a jump) and loudness (swells, a silence)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    f0 = 220.0 * 2 ** (np.sin(2 * np.pi * 0.3 * t) + 0.02 * np.sin(2 * np.pi * 5.5 * t))
    f0[n // 3: n // 3 + SR // 4] *= 1.5
    ld = -30.0 + 25.0 * np.sin(2 * np.pi * 0.45 * t + rng.uniform(0, 6))
    ld[2 * n // 3: 2 * n // 3 + SR // 5] = -110.0
    return f0.astype(np.float32), ld.astype(np.float32)


def reference(model, f0, ld, seed):
    """PyTorch float64 offline model on frame values f0[i·H], ld[i·H], noise = counter noise."""
    import torch
    from rt_synth import _core

    n_frames = len(f0) // HOP
    f0f = torch.from_numpy(f0[::HOP][:n_frames].astype(np.float64))[None]
    ldf = torch.from_numpy(ld[::HOP][:n_frames].astype(np.float64))[None]
    noise = torch.from_numpy(_core.dsp.counter_noise(seed, 0, n_frames * HOP).astype(np.float64))[None]
    m64 = __import__("copy").deepcopy(model).double()
    with torch.no_grad():
        return m64(f0f, ldf, noise)[0].numpy()


def run_core(core, f0, ld, block, seed):
    core.reset(seed)
    out = np.empty(len(f0), np.float32)
    if isinstance(block, int):
        sizes = None
    else:
        sizes = block
    i = 0
    k = 0
    while i < len(f0):
        b = block if sizes is None else int(sizes[k % len(sizes)])
        b = min(b, len(f0) - i)
        core.process(f0[i:i + b], ld[i:i + b], out[i:i + b])
        i += b
        k += 1
    return out
