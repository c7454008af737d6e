"""TorchScript export following the nn~ module contract, written without the nn_tilde package.

Contract (what nn~ reads; reference-figures.md, "nn~ ... observed headless in Pure Data"):
- each exported method M has a buffer ``M_params`` = [in_channels, in_ratio, out_channels,
  out_ratio]; ``get_methods()`` lists the methods. nn~ rounds its buffer N up to a power of
  two, reshapes each inlet's N samples to (N / in_ratio, in_ratio) keeping the LAST sample of
  each group, and holds each of the N / out_ratio output values out_ratio samples. So every
  ratio must divide every power of two nn~ may use: here all ratios are 1 (DDSP) or the RAVE
  ratio (a power of two).
- settable attributes A: ``get_attributes()`` lists them; buffer ``A_params`` holds nn~'s
  *type codes*, one per argument (0 bool, 1 int, 2 float, 3 str, 4 tensor, 5 buffer);
  ``set_A(...)`` returns 0 on success (-1 if the value is refused); ``get_A()`` returns a list.
- streaming caches live inside the module (the host calls the method block after block);
  ``reset()`` returns them to silence; any batch size works (a new batch size resets).

DDSP: ``forward`` takes [B, 2, N] controls at audio rate (channel 0: f0 in Hz, channel 1:
loudness in dB; e.g. ``sig~ 440`` and ``sig~ -20`` in Pd) and returns [B, 1, N] audio, for
any N, with the frame phase kept across calls. Internally the controls are decimated to the
model's frame rate exactly as nn~ decimates (the last sample of each hop), one network step
runs per completed hop, and a FIFO of hop − 1 samples makes every call return N samples: the
module's delay is ``hop − 1`` samples (``latency_samples``), plus the host's own buffering.
``forward_frames`` ([B, 2, F] frame-rate controls → [B, 1, F·hop]) is the undelayed frame
interface for hosts that decimate themselves (benchmarks, tests); it shares the synthesis state
with ``forward``, so use one or the other on a given stream.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import torch
from torch import nn

from rt_synth.export.counter_noise_torch import counter_noise
from rt_synth.export.nn_tilde_host import TYPE_FLOAT, self_test
from rt_synth.kinds.ddsp.model.streaming import DDSPStreamingStep


class NNTildeDDSP(nn.Module):
    def __init__(self, step: DDSPStreamingStep, noise_seed: int = 0):
        super().__init__()
        self.step = step
        self.hop = step.hop
        self.noise_seed = noise_seed
        self.latency_samples = step.hop - 1
        self.register_buffer("forward_params", torch.tensor([2, 1, 1, 1]))
        self.register_buffer("forward_frames_params", torch.tensor([2, step.hop, 1, 1]))
        self.register_buffer("pitch_shift_params", torch.tensor([TYPE_FLOAT]))
        self.register_buffer("loudness_offset_params", torch.tensor([TYPE_FLOAT]))
        self.pitch_shift = 0.0  # semitones
        self.loudness_offset = 0.0  # dB
        st = step.initial_state(1)
        self.s_gru, self.s_amps, self.s_f0, self.s_started, self.s_phase, self.s_tail = st
        self.s_counter = torch.zeros(1, dtype=torch.int64)
        # audio-rate forward: samples since the last frame boundary, and the output FIFO
        # (hop - 1 - (samples seen mod hop) samples of synthesised audio not yet returned).
        self.s_pos = 0
        self.s_fifo = torch.zeros(1, step.hop - 1)

    @torch.jit.export
    def get_methods(self) -> List[str]:
        return ["forward"]

    @torch.jit.export
    def get_attributes(self) -> List[str]:
        return ["pitch_shift", "loudness_offset"]

    @torch.jit.export
    def get_pitch_shift(self) -> List[float]:
        return [self.pitch_shift]

    @torch.jit.export
    def set_pitch_shift(self, value: float) -> int:
        if not (value >= -48.0 and value <= 48.0):  # also refuses NaN
            return -1
        self.pitch_shift = value
        return 0

    @torch.jit.export
    def get_loudness_offset(self) -> List[float]:
        return [self.loudness_offset]

    @torch.jit.export
    def set_loudness_offset(self, value: float) -> int:
        if not (value >= -60.0 and value <= 60.0):  # also refuses NaN
            return -1
        self.loudness_offset = value
        return 0

    @torch.jit.export
    def get_latency_samples(self) -> int:
        """Delay of ``forward`` in samples (the FIFO that makes any N work)."""
        return self.latency_samples

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
        self.s_pos = 0
        self.s_fifo = torch.zeros(batch, self.hop - 1)

    def _synthesise(self, f0_frames: torch.Tensor, ld_frames: torch.Tensor) -> torch.Tensor:
        """[B, F] frame controls → [B, F*hop] audio, advancing the synthesis state."""
        frames = f0_frames.shape[1]
        f0 = f0_frames * (2.0 ** (self.pitch_shift / 12.0))
        ld = ld_frames + self.loudness_offset
        noise = counter_noise(self.noise_seed, self.s_counter, frames * self.hop)
        out = self.step(f0, ld, noise, self.s_gru, self.s_amps, self.s_f0, self.s_started,
                        self.s_phase, self.s_tail)
        audio, self.s_gru, self.s_amps, self.s_f0, self.s_started, self.s_phase, self.s_tail = out
        self.s_counter = self.s_counter + frames * self.hop
        return audio

    @torch.jit.export
    def forward_frames(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] != self.s_phase.shape[0]:
            self._reset_state(x.shape[0])
        return self._synthesise(x[:, 0], x[:, 1]).unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, n = x.shape[0], x.shape[2]
        if batch != self.s_phase.shape[0]:
            self._reset_state(batch)
        # Frame boundaries: the last sample of each hop, counted from the stream's start.
        first = self.hop - 1 - self.s_pos
        frames = (self.s_pos + n) // self.hop
        pieces = [self.s_fifo]
        if frames > 0:
            idx = torch.arange(frames, dtype=torch.int64) * self.hop + first
            controls = x.index_select(2, idx)
            pieces.append(self._synthesise(controls[:, 0], controls[:, 1]).to(self.s_fifo.dtype))
        audio = torch.cat(pieces, dim=1)
        self.s_fifo = audio[:, n:]
        self.s_pos = (self.s_pos + n) % self.hop
        return audio[:, :n].unsqueeze(1)


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
