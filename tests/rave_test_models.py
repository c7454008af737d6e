"""A random-weight RAVE-style model with a pitch source, shared by the streaming, export and
core tests (tests/kinds/rave/model, tests/export)."""
from __future__ import annotations

import torch

from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.model import RaveModel


# test variants of the shipped configs (name -> (base config, overrides))
VARIANTS = {
    # the DDSP-style head that reads the latent too (docs/rave.md section 13's probe)
    "tiny-harmonic-ddsp-latent": ("tiny-harmonic-ddsp", {"harmonic_latent": True}),
    # the head's noise without the decoder's noise branch: the stream is generated anyway
    "tiny-harmonic-ddsp-nonoise": ("tiny-harmonic-ddsp", {"noise": False}),
    # the decoder's output gate with a floor (config.decoder_gate_floor, as harmonic-ddsp)
    "tiny-harmonic-ddsp-floor": ("tiny-harmonic-ddsp", {"decoder_gate_floor": 0.3}),
    # and the per-band DC blocker (config.decoder_dc_block_hz, as harmonic-ddsp; a cutoff high
    # enough that the blocker changes the output of a short test signal)
    "tiny-harmonic-ddsp-dc": ("tiny-harmonic-ddsp", {"decoder_gate_floor": 0.1,
                                                     "decoder_dc_block_hz": 40.0}),
}


def config_named(name: str):
    """CONFIGS[name], or one of VARIANTS."""
    from dataclasses import replace

    if name in VARIANTS:
        base, kw = VARIANTS[name]
        return replace(CONFIGS[base], **kw)
    return CONFIGS[name]


def pitched_model(name: str) -> RaveModel:
    """Random weights (default init, random biases), latent statistics and input gain; float32."""
    torch.manual_seed(0)
    m = RaveModel(config_named(name))
    with torch.no_grad():
        for pname, p in m.named_parameters():
            if not pname.startswith("pqmf") and pname.endswith("bias"):
                p.normal_(0, 0.1)
    d = m.config.latent_size
    q, _ = torch.linalg.qr(torch.randn(d, d))
    m.set_latent_statistics(torch.randn(d) * 0.1, q, torch.rand(d) + 0.5)
    m.input_gain.fill_(2.5)
    return m.eval()
