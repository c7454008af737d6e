"""Shared helpers of the RAVE core tests: a random-weight PyTorch RAVE model written to .rtsynth
by the native exporter, a test signal, the float64 offline reference with the core's counter
noise, and block-wise runners for the core's encode/decode/forward."""
from __future__ import annotations

import numpy as np

SR = 48000
BLOCKS = [1, 7, 64, 100, 256, 1000, 4096]


def make_model(tmp_path, config="tiny", seed=0, weight_std=0.25, name="rave", noise=None):
    import torch
    from dataclasses import replace

    from rt_synth.kinds.rave.export.native import write_rave
    from rt_synth.kinds.rave.model.model import RaveModel

    cfg = _config(config)
    if noise is not None:
        cfg = replace(cfg, noise=noise)
    torch.manual_seed(seed)
    m = RaveModel(cfg)
    with torch.no_grad():
        for pname, p in m.named_parameters():
            if not pname.startswith("pqmf"):
                fan_in = p.shape[1] * p.shape[2] if p.dim() == 3 else 1
                p.normal_(0, weight_std if config == "tiny" else 0.7 / np.sqrt(fan_in))
        d = cfg.latent_size
        q, _ = torch.linalg.qr(torch.randn(d, d))
        m.set_latent_statistics(torch.randn(d) * 0.1, q, torch.rand(d) + 0.5)
        m.input_gain.fill_(2.5)
    m.eval()
    path = write_rave(m, tmp_path / name, name)
    return m, path


def _config(name):
    """CONFIGS[name] or a test variant of tests/rave_test_models.py (VARIANTS)."""
    import sys
    from pathlib import Path

    tests = str(Path(__file__).resolve().parents[1])
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from rave_test_models import config_named

    return config_named(name)


def signal(seconds, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    x = 0.5 * np.sin(2 * np.pi * 220 * t * (1 + 0.3 * t)) * np.sin(2 * np.pi * 3 * t)
    x += 0.05 * rng.standard_normal(n)
    x[n // 2: n // 2 + 2000] = 0.0  # a silence
    return x.astype(np.float32)


def reference(model, x, u=None):
    """float64 offline model: (u [D, F], decode(u) [F·R]) with F = ceil(len(x)/R)."""
    import torch

    from rt_synth.export.counter_noise_torch import counter_noise
    from rt_synth.kinds.rave.model.streaming import band_noise

    md = model.double()
    c = model.config
    try:
        with torch.no_grad():
            if u is None:
                u = md.encode(torch.tensor(x, dtype=torch.float64)[None, None])[0]
            u = torch.as_tensor(u, dtype=torch.float64)
            n = u.shape[-1] * c.ratio
            noise = band_noise(counter_noise(0, torch.zeros(1, dtype=torch.int64), n),
                               c.n_bands).double()
            y = md.decode(u[None], noise)[0, 0]
        return u.numpy(), y.numpy()
    finally:
        model.float()


def chunks(n, block):
    sizes = block if isinstance(block, (list, np.ndarray)) else None
    i = k = 0
    while i < n:
        b = int(sizes[k % len(sizes)]) if sizes is not None else block
        yield i, min(n, i + b)
        i += b
        k += 1


def run_forward(core, x, block):
    core.reset()
    return np.concatenate([core.forward(x[a:b]) for a, b in chunks(len(x), block)])


def run_encode(core, x, block):
    core.reset()
    return np.concatenate([core.encode(x[a:b]) for a, b in chunks(len(x), block)], axis=1)


def run_decode(core, u, frames_per_call):
    core.reset()
    u = np.ascontiguousarray(u, dtype=np.float32)
    return np.concatenate([core.decode(np.ascontiguousarray(u[:, a:b]))
                           for a, b in chunks(u.shape[1], frames_per_call)])
