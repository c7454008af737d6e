"""TorchScript export following the nn~ module contract, written without the nn_tilde package.

Contract (what an nn~-style host reads):
- each exported method M has a buffer ``M_params`` = [in_channels, in_ratio, out_channels,
  out_ratio]; ``get_methods()`` lists the methods;
- settable attributes A: ``get_attributes()`` lists them, buffer ``A_params`` holds the default
  value, ``get_A()`` reads and ``set_A(value)`` writes (returns 0 on success, -1 if refused);
- streaming caches live inside the module (the host calls the method block after block);
  ``reset()`` returns them to silence; any batch size works (the state follows the batch).

DDSP: ``forward`` takes [B, 2, F] controls (channel 0: f0 in Hz, channel 1: loudness in dB,
one value per frame, in_ratio = hop) and returns [B, 1, F*hop] audio (out_ratio = 1).
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import torch
from torch import nn

from rt_synth.export.counter_noise_torch import counter_noise
from rt_synth.models.ddsp.streaming import DDSPStreamingStep


class NNTildeDDSP(nn.Module):
    def __init__(self, step: DDSPStreamingStep, noise_seed: int = 0):
        super().__init__()
        self.step = step
        self.hop = step.hop
        self.noise_seed = noise_seed
        self.register_buffer("forward_params", torch.tensor([2, step.hop, 1, 1]))
        self.register_buffer("pitch_shift_params", torch.tensor([0.0]))
        self.register_buffer("loudness_offset_params", torch.tensor([0.0]))
        self.pitch_shift = 0.0  # semitones
        self.loudness_offset = 0.0  # dB
        st = step.initial_state(1)
        self.s_gru, self.s_amps, self.s_f0, self.s_started, self.s_phase, self.s_tail = st
        self.s_counter = torch.zeros(1, dtype=torch.int64)

    @torch.jit.export
    def get_methods(self) -> List[str]:
        return ["forward"]

    @torch.jit.export
    def get_attributes(self) -> List[str]:
        return ["pitch_shift", "loudness_offset"]

    @torch.jit.export
    def get_pitch_shift(self) -> float:
        return self.pitch_shift

    @torch.jit.export
    def set_pitch_shift(self, value: float) -> int:
        if not (value >= -48.0 and value <= 48.0):  # also refuses NaN
            return -1
        self.pitch_shift = value
        return 0

    @torch.jit.export
    def get_loudness_offset(self) -> float:
        return self.loudness_offset

    @torch.jit.export
    def set_loudness_offset(self, value: float) -> int:
        if not (value >= -60.0 and value <= 60.0):  # also refuses NaN
            return -1
        self.loudness_offset = value
        return 0

    @torch.jit.export
    def reset(self) -> None:
        self._reset_state(self.s_phase.shape[0])

    def _reset_state(self, batch: int) -> None:
        g = self.s_gru.shape[2]
        self.s_gru = torch.zeros(1, batch, g)
        self.s_amps = torch.zeros(batch, self.s_amps.shape[1])
        self.s_f0 = torch.zeros(batch)
        self.s_started = torch.zeros(batch)
        self.s_phase = torch.zeros(batch, dtype=torch.float64)
        self.s_tail = torch.zeros(batch, self.s_tail.shape[1])
        self.s_counter = torch.zeros(batch, dtype=torch.int64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames = x.shape[0], x.shape[2]
        if batch != self.s_phase.shape[0]:
            self._reset_state(batch)
        f0 = x[:, 0] * (2.0 ** (self.pitch_shift / 12.0))
        ld = x[:, 1] + self.loudness_offset
        noise = counter_noise(self.noise_seed, self.s_counter, frames * self.hop)
        out = self.step(f0, ld, noise, self.s_gru, self.s_amps, self.s_f0, self.s_started,
                        self.s_phase, self.s_tail)
        audio, self.s_gru, self.s_amps, self.s_f0, self.s_started, self.s_phase, self.s_tail = out
        self.s_counter = self.s_counter + frames * self.hop
        return audio.unsqueeze(1)


def export_torchscript(model, path: str | Path) -> Path:
    """Script the DDSP model with the nn~ contract and run the export self-test."""
    import warnings

    path = Path(path)
    c = model.config
    step = DDSPStreamingStep(model.decoder, c.sample_rate, c.hop, c.n_harmonics,
                             c.n_noise_bands).eval()
    module = NNTildeDDSP(step).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.script is deprecated in 2.13 but works
        scripted = torch.jit.script(module)
    self_test(scripted)
    scripted.reset()
    path.parent.mkdir(parents=True, exist_ok=True)
    scripted.save(str(path))
    return path


def self_test(module) -> None:
    """Run every method on zeros at batch 1 and 4 with its declared channel counts/ratios."""
    for method in module.get_methods():
        in_ch, in_ratio, out_ch, out_ratio = [int(v) for v in getattr(module, f"{method}_params")]
        for batch in (1, 4):
            n = 4 * in_ratio  # four model steps
            x = torch.zeros(batch, in_ch, n // in_ratio)
            y = getattr(module, method)(x)
            want = (batch, out_ch, n // out_ratio)
            if tuple(y.shape) != want or not torch.isfinite(y).all():
                raise RuntimeError(f"TorchScript self-test of {method}: got {tuple(y.shape)}, "
                                   f"want {want}, finite={bool(torch.isfinite(y).all())}")
    for attr in module.get_attributes():
        value = getattr(module, f"get_{attr}")()
        if getattr(module, f"set_{attr}")(value) != 0:
            raise RuntimeError(f"TorchScript self-test: set_{attr}({value}) refused")
