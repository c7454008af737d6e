"""The DDSP harmonic-plus-noise synthesiser: decoder network + oscillator bank + filtered noise.

Offline (whole signal) form used for training and as the parity reference of the C++ core:
the exact maths is docs/ddsp-maths.md.
"""
from __future__ import annotations

import torch
from torch import nn

from rt_synth.dsp.harmonic import HarmonicOscillator
from rt_synth.dsp.noise import FilteredNoise
from rt_synth.kinds.ddsp.model.config import DDSPConfig
from rt_synth.kinds.ddsp.model.decoder import DDSPDecoder, count_parameters


class DDSPModel(nn.Module):
    def __init__(self, config: DDSPConfig):
        super().__init__()
        self.config = config
        self.decoder = DDSPDecoder(config)
        self.harmonic = HarmonicOscillator(config.sample_rate, config.hop, config.n_harmonics)
        self.noise = FilteredNoise(config.sample_rate, config.hop, config.n_noise_bands)

    @property
    def n_parameters(self) -> int:
        return count_parameters(self.decoder)

    def controls(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor):
        """Per-frame synthesis controls. f0_hz, loudness_db: [B, F]."""
        k = self.config.n_harmonics
        raw, _ = self.decoder(f0_hz, loudness_db)
        amps = self.harmonic.get_controls(raw[..., :1], raw[..., 1:1 + k], f0_hz.unsqueeze(-1))
        mags = self.noise.get_controls(raw[..., 1 + k:])
        return amps, mags

    def forward(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor,
                noise: torch.Tensor | None = None) -> torch.Tensor:
        """f0_hz, loudness_db: [B, F] per frame → audio [B, F*hop].
        noise: optional white noise [B, F*hop] in [-1, 1) (parity tests pass the core's)."""
        amps, mags = self.controls(f0_hz, loudness_db)
        harmonic = self.harmonic.get_signal(amps, f0_hz.unsqueeze(-1))
        return harmonic + self.noise.get_signal(mags, noise)

    # ---- checkpoint payload (weights + everything needed to rebuild) ----
    def payload(self) -> dict:
        return {"kind": "ddsp", "config": self.config.to_dict(),
                "state_dict": {k: v.detach().cpu() for k, v in self.decoder.state_dict().items()}}

    @classmethod
    def from_payload(cls, payload: dict) -> "DDSPModel":
        model = cls(DDSPConfig.from_dict(payload["config"]))
        model.decoder.load_state_dict(payload["state_dict"])
        return model
