"""An effect model: its config and network, and the light payload export reads."""
from __future__ import annotations

import torch
from torch import nn

from rt_synth.kinds.effect.model.config import EffectConfig


class EffectModel(nn.Module):
    def __init__(self, config: EffectConfig):
        super().__init__()
        self.config = config
        if config.arch == "lstm":
            from rt_synth.kinds.effect.model.lstm import LSTMEffect

            self.net = LSTMEffect(config.hidden_size, config.num_layers, config.skip)
        elif config.arch == "wavenet":
            from rt_synth.kinds.effect.model.wavenet import WaveNetEffect

            if not config.layers:
                raise ValueError("a wavenet effect config needs layers")
            self.net = WaveNetEffect(config.layers, config.head_scale)
        else:
            raise ValueError(f"unknown effect arch {config.arch!r} (lstm or wavenet)")

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, N] → y [B, N], from silence (zero state or zero history)."""
        return self.net(x)

    def payload(self) -> dict:
        return {"kind": "effect", "config": self.config.to_dict(),
                "state_dict": {k: v.detach().cpu() for k, v in self.net.state_dict().items()}}

    @classmethod
    def from_payload(cls, payload: dict) -> "EffectModel":
        m = cls(EffectConfig.from_dict(payload["config"]))
        m.net.load_state_dict(payload["state_dict"])
        return m
