"""A random-weight RAVE-style model with a pitch source, shared by the streaming, export and
core tests (tests/models/rave, tests/export)."""
from __future__ import annotations

import torch

from rt_synth.models.rave.config import CONFIGS
from rt_synth.models.rave.model import RaveModel


def pitched_model(name: str) -> RaveModel:
    """Random weights (default init, random biases), latent statistics and input gain; float32."""
    torch.manual_seed(0)
    m = RaveModel(CONFIGS[name])
    with torch.no_grad():
        for pname, p in m.named_parameters():
            if not pname.startswith("pqmf") and pname.endswith("bias"):
                p.normal_(0, 0.1)
    d = m.config.latent_size
    q, _ = torch.linalg.qr(torch.randn(d, d))
    m.set_latent_statistics(torch.randn(d) * 0.1, q, torch.rand(d) + 0.5)
    m.input_gain.fill_(2.5)
    return m.eval()
