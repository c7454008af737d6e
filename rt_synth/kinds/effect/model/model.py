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

            self.net = LSTMEffect(config.hidden_size, config.num_layers, config.skip,
                                  n_knobs=len(config.knobs))
        elif config.arch == "wavenet":
            from rt_synth.kinds.effect.model.wavenet import WaveNetEffect

            if not config.layers:
                raise ValueError("a wavenet effect config needs layers")
            conds = {int(la["condition_size"]) for la in config.layers}
            if conds != {1 + len(config.knobs)}:
                raise ValueError(f"a wavenet effect with {len(config.knobs)} knobs needs "
                                 f"condition_size {1 + len(config.knobs)} in every layer array, "
                                 f"got {sorted(conds)}")
            self.net = WaveNetEffect(config.layers, config.head_scale)
        else:
            raise ValueError(f"unknown effect arch {config.arch!r} (lstm or wavenet)")

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @property
    def n_knobs(self) -> int:
        return len(self.config.knobs)

    def knob_tensor(self, values=None, batch: int = 1) -> torch.Tensor | None:
        """Knob values (physical units: a list, a dict by name, None = the defaults) → the
        normalised [batch, K] tensor the network reads; None for a model without knobs."""
        if not self.config.knobs:
            return None
        v = self.config.normalise_knobs(self.config.knob_defaults() if values is None else values)
        w = next(self.parameters())
        return torch.tensor(v, dtype=w.dtype, device=w.device)[None].expand(batch, -1)

    def forward(self, x: torch.Tensor, knobs: torch.Tensor | None = None) -> torch.Tensor:
        """x [B, N] → y [B, N], from silence (zero state or zero history). knobs: normalised
        [B, K] or [B, K, N]; None = the defaults."""
        if knobs is None and self.config.knobs:
            knobs = self.knob_tensor(batch=x.shape[0])
        return self.net(x, knobs)

    def payload(self) -> dict:
        return {"kind": "effect", "config": self.config.to_dict(),
                "state_dict": {k: v.detach().cpu() for k, v in self.net.state_dict().items()}}

    @classmethod
    def from_payload(cls, payload: dict) -> "EffectModel":
        m = cls(EffectConfig.from_dict(payload["config"]))
        m.net.load_state_dict(payload["state_dict"])
        return m
