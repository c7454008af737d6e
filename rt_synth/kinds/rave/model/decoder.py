"""Causal decoder: latent [B, D, T/R] -> PQMF bands [B, M, T/M].

    conv_in (k) -> for each stage i: lrelu, CachedConvTranspose1d(k=2s, stride s),
    ResidualUnit(d) for d in dilations -> lrelu -> conv_out (k) to 2M (+M with noise):
    bands = wave * sigmoid(amp) [+ sigmoid(noise_amp) * noise]
    (with config.decoder_gate_floor f: wave * (f + (1 - f) * sigmoid(amp)))
    (with config.decoder_dc_block_hz > 0 the gated waveform passes a per-band DC blocker,
    band_dc_blocker.py, before the noise is added; its state is the decoder's last)

noise: uniform white noise in [-1, 1), [B, M, frames] (the caller supplies it so that the
streaming, TorchScript, ONNX and C++ paths can play the same sequence; docs/rave.md).

Pitch source (config.pitch_source): the last stage, right after its upsampling, adds the
PQMF bands of the harmonic excitation (pitch_source.py), projected and gated by the stage's
own features (FiLM-style):  h = up(x);  h = h + exc_in(e) * (1 + exc_film(h));  residuals.
exc_in: causal conv M -> C (k), exc_film: 1x1 conv C -> C.

Harmonic head (config.harmonics > 0; harmonic_head.py): `harmonic_head` maps z to per-harmonic
amplitudes; the model turns them into audio with the pitch source and adds its PQMF bands to
this decoder's output bands (model.py decode_bands). Its state is not among the decoder's
(streaming.py keeps it with the pitch source's)."""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from rt_synth.kinds.rave.model.band_dc_blocker import dc_block, dc_block_coefficient
from rt_synth.kinds.rave.model.config import RaveConfig
from rt_synth.kinds.rave.model.harmonic_head import HarmonicHead
from rt_synth.kinds.rave.model.residual import ResidualUnit
from rt_synth.kinds.rave.model.streaming_layers import CachedConv1d, CachedConvTranspose1d


class DecoderStage(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int, dilations, slope: float,
                 excitation_bands: int = 0):
        super().__init__()
        self.up = CachedConvTranspose1d(c_in, c_out, 2 * stride, stride)
        self.has_excitation = excitation_bands > 0
        # None on the stages without the excitation: TorchScript then drops the branches that
        # use them (a plain bool would not, and scripting would fail on the missing layers)
        self.exc_in: Optional[CachedConv1d] = (
            CachedConv1d(excitation_bands, c_out, kernel) if self.has_excitation else None)
        self.exc_film: Optional[CachedConv1d] = (
            CachedConv1d(c_out, c_out, 1) if self.has_excitation else None)
        self.residuals = nn.ModuleList([ResidualUnit(c_out, kernel, d, slope) for d in dilations])
        self.slope = slope
        self.n_states = 1 + len(dilations) + (1 if self.has_excitation else 0)

    def forward(self, x: torch.Tensor, exc: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.up(F.leaky_relu(x, self.slope))
        if self.exc_in is not None and self.exc_film is not None:
            if exc is None:
                raise ValueError("this decoder has a pitch source: pass the excitation bands")
            h = h + self.exc_in(exc) * (1.0 + self.exc_film(h))
        for r in self.residuals:
            h = r(h)
        return h

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        out = [self.up.initial_state(batch)]
        if self.exc_in is not None:
            out.append(self.exc_in.initial_state(batch))
        for r in self.residuals:
            out += r.initial_state(batch)
        return out

    def step(self, x: torch.Tensor, states: List[torch.Tensor],
             exc: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        h, s = self.up.step(F.leaky_relu(x, self.slope), states[0])
        new = [s]
        i = 1
        if self.exc_in is not None and self.exc_film is not None:
            if exc is None:
                raise ValueError("this decoder has a pitch source: pass the excitation bands")
            e, se = self.exc_in.step(exc, states[1])
            new.append(se)
            i = 2
            if h.shape[-1] > 0:
                h = h + e * (1.0 + self.exc_film(h))
        for r in self.residuals:
            h, ss = r.step(h, states[i:i + 1])
            new += ss
            i += 1
        return h, new


class Decoder(nn.Module):
    def __init__(self, c: RaveConfig):
        super().__init__()
        ch = c.decoder_channels
        self.n_bands = c.n_bands
        self.use_noise = c.noise
        self.gate_floor = float(c.decoder_gate_floor)
        self.dc_block_on = c.decoder_dc_block_hz > 0.0
        self.dc_a = (dc_block_coefficient(c.decoder_dc_block_hz, c.sample_rate, c.n_bands)
                     if self.dc_block_on else 0.0)
        self.slope = c.leaky_slope
        self.conv_in = CachedConv1d(c.latent_size, ch[0], c.kernel)
        last = len(c.decoder_strides) - 1
        self.pitch_source = c.pitch_source
        self.stages = nn.ModuleList(
            [DecoderStage(ch[i], ch[i + 1], s, c.kernel, c.dilations, c.leaky_slope,
                          c.n_bands if (c.pitch_source and i == last) else 0)
             for i, s in enumerate(c.decoder_strides)])
        self.conv_out = CachedConv1d(ch[-1], (3 if c.noise else 2) * c.n_bands, c.kernel)
        # harmonic head (config.harmonics > 0): its amplitudes become audio in the pitch
        # source (the model adds that audio's bands to these); part of the decoder so that
        # the adversarial phase, which trains the decoder alone, trains it too
        self.harmonic_head: Optional[HarmonicHead] = (
            HarmonicHead(c) if c.harmonics > 0 else None)
        if c.noise:
            with torch.no_grad():  # start the noise quiet: sigmoid(-4) = 0.018
                self.conv_out.conv.bias[2 * c.n_bands:].fill_(-4.0)

    def head(self, h: torch.Tensor, noise: Optional[torch.Tensor],
             dc_state: Optional[torch.Tensor] = None
             ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """conv_out's h → bands, and the DC blocker's new state (None without one; dc_state
        None: as after a reset)."""
        m = self.n_bands
        gate = torch.sigmoid(h[:, m:2 * m])
        if self.gate_floor > 0.0:
            gate = self.gate_floor + (1.0 - self.gate_floor) * gate
        bands = h[:, :m] * gate
        new_state: Optional[torch.Tensor] = None
        if self.dc_block_on:
            if dc_state is None:
                dc_state = bands.new_zeros(bands.shape[0], m, 1)
            bands, new_state = dc_block(bands, dc_state, self.dc_a)
        if self.use_noise:
            if noise is None:
                noise = torch.rand_like(bands) * 2 - 1
            bands = bands + torch.sigmoid(h[:, 2 * m:]) * noise
        return bands, new_state

    def forward(self, z: torch.Tensor, noise: Optional[torch.Tensor] = None,
                exc: Optional[torch.Tensor] = None) -> torch.Tensor:
        """z [B, D, F] -> bands [B, M, F*R_e]; exc: excitation bands [B, M, F*R_e] (pitch
        source only)."""
        h = self.conv_in(z)
        for stage in self.stages:
            h = stage(h, exc if stage.has_excitation else None)
        return self.head(self.conv_out(F.leaky_relu(h, self.slope)), noise)[0]

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        out = [self.conv_in.initial_state(batch)]
        for stage in self.stages:
            out += stage.initial_state(batch)
        out.append(self.conv_out.initial_state(batch))
        if self.dc_block_on:
            out.append(torch.zeros(batch, self.n_bands, 1))
        return out

    def step(self, z: torch.Tensor, noise: Optional[torch.Tensor], states: List[torch.Tensor],
             exc: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        h, s = self.conv_in.step(z, states[0])
        new = [s]
        i = 1
        for stage in self.stages:
            n = stage.n_states
            h, ss = stage.step(h, states[i:i + n], exc if stage.has_excitation else None)
            new += ss
            i += n
        h, s = self.conv_out.step(F.leaky_relu(h, self.slope), states[i])
        new.append(s)
        if self.dc_block_on:
            bands, dc = self.head(h, noise, states[i + 1])
            if dc is not None:  # always true here; refines Optional for TorchScript
                new.append(dc)
            return bands, new
        return self.head(h, noise)[0], new
