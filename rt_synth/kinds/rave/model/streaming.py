"""The RAVE model run block by block, with the whole state explicit (a list of tensors):

    u, enc_state'  = encode_step(audio [B, 1, n], enc_state)       u: [B, D, m] controls
    y, dec_state'  = decode_step(u [B, D, m], noise [B, M, m*R_e], dec_state)   y: [B, 1, m*R]

Any block size n works (m = 0.. latent frames come out, depending on the stride phases that
the conv buffers encode); with n a multiple of R every state keeps a fixed shape and m = n/R
(what the ONNX export uses). Concatenated, the outputs equal the offline model exactly:
encode() frame for frame, decode() sample for sample (tests/kinds/rave/model).

Order of the state tensors (also the ONNX input order):
  encoder: pqmf.analysis, encoder.conv_in, per stage [residual.conv, down], encoder.conv_out
  decoder: decoder.conv_in, per stage [up, residual_j.conv ...] (the last stage of a pitch
           source model: [up, exc_in, residual_j.conv ...]), decoder.conv_out,
           pqmf.synthesis
           pitch source only, then: the excitation's PQMF analysis (float32 [B, 1, N-1]),
           previous f0, previous periodicity, phase (float64 [B]; pitch_source.py)
           harmonic head only, then: decoder.harmonic_head.conv, the harmonic audio's PQMF
           analysis (float32 [B, 1, N-1]), the previous frame's amplitudes (float64 [B, H]),
           and with config.harmonic_noise the previous frame's noise gains (the model's
           dtype, [B, M]; the 1x1 hidden layers of config.harmonic_layers keep no state)

Pitch source (config.pitch_source): the decoder also takes f0 and periodicity per latent frame
[B, m] (pitch_source.track_frames' F[t]):

    y, dec_state'  = decode_step(u, noise, dec_state, f0, periodicity)

and the tracker runs on the raw input (before input_gain), block by block:

    f0, periodicity, track_state' = track_step(audio [B, 1, n], track_state)

giving F[t] for exactly the latent frames encode_step emits for the same block (frame t at
input sample t*R, its YIN window ending at sample t*R - 1). Its state: the YIN history
(float64 [B, W + tau_max], sanitised), the held f0 (float64 [B]) and the input position
modulo R (int64 [B]); torch_yin.py. Zeros are the state after reset everywhere.

Harmonic head reading the loudness (config.harmonic_loudness): track_features gives, besides
F[t], the loudness of the same frames (the mean square of the tracker's window ending at
t*R - 1 through pitch_source.loudness_feature, float32 [B, m]; pitch_source.loudness_frames
offline), and decode_step takes it:

    f0, periodicity, loudness, track_state' = track_features(audio, track_state)
    y, dec_state' = decode_step(u, noise, dec_state, f0, periodicity, loudness)

Head noise (config.harmonic_noise): the head's per-band gains, ramped over each latent frame
from the previous frame's (0 after reset), multiply the same noise the decoder's noise branch
gets; the product adds to the output bands (model.py decode_bands).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
from torch import nn

from rt_synth.kinds.rave.model.model import RaveModel
from rt_synth.kinds.rave.model.pitch_source import (CONSTANTS, LOUDNESS_FLOOR_DB, LOUDNESS_MAX,
                                               excitation_step)
from rt_synth.kinds.rave.model.torch_yin import TorchYin


class RaveStreaming(nn.Module):
    def __init__(self, model: RaveModel):
        super().__init__()
        self.pqmf = model.pqmf
        self.encoder = model.encoder
        self.decoder = model.decoder
        c = model.config
        self.ratio = c.ratio
        self.n_bands = c.n_bands
        self.encoder_ratio = c.encoder_ratio
        self.latent_size = c.latent_size
        self.register_buffer("latent_mean", model.latent_mean.clone())
        self.register_buffer("latent_pca", model.latent_pca.clone())
        self.register_buffer("input_gain", model.input_gain.clone())
        self.pitch_source = bool(c.pitch_source)
        self.harmonics = int(c.harmonics)
        self.sample_rate = float(c.sample_rate)
        self.f0_min = float(c.pitch_f0_min)
        self.f0_max = float(c.pitch_f0_max)
        self.harmonic_limit, self.gate_low, self.gate_high, self.level = (
            float(v) for v in CONSTANTS)
        # None without a pitch source: TorchScript then drops the branches that use it
        self.tracker: Optional[TorchYin] = (
            TorchYin(c.sample_rate, c.pitch_f0_min, c.pitch_f0_max, c.pitch_threshold)
            if c.pitch_source else None)
        # the harmonic head's loudness input (pitch_source.loudness_feature's constants) and
        # its noise bands (0: none)
        self.with_loudness = bool(c.harmonics and c.harmonic_loudness)
        self.noise_bands = int(c.n_bands if (c.harmonics and c.harmonic_noise) else 0)
        self.loudness_floor_db = float(LOUDNESS_FLOOR_DB)
        self.loudness_max = float(LOUDNESS_MAX)
        self.window = int(self.tracker.window) if self.tracker is not None else 1

    def initial_encoder_state(self, batch: int) -> List[torch.Tensor]:
        return [self.pqmf.analysis.initial_state(batch)] + self.encoder.initial_state(batch)

    def initial_decoder_state(self, batch: int) -> List[torch.Tensor]:
        out = self.decoder.initial_state(batch) + [self.pqmf.synthesis.initial_state(batch)]
        if self.pitch_source:
            out += [self.pqmf.analysis.initial_state(batch)] + [
                torch.zeros(batch, dtype=torch.float64) for _ in range(3)]
        head = self.decoder.harmonic_head
        if head is not None:
            out += head.initial_state(batch) + [
                self.pqmf.analysis.initial_state(batch),
                torch.zeros(batch, self.harmonics, dtype=torch.float64)]
            if self.noise_bands > 0:
                out.append(torch.zeros(batch, self.noise_bands))
        return out

    def initial_tracker_state(self, batch: int) -> List[torch.Tensor]:
        tracker = self.tracker
        assert tracker is not None, "this model has no pitch source"
        return tracker.initial_state(batch) + [torch.zeros(batch, dtype=torch.int64)]

    def track_step(self, audio: torch.Tensor, states: List[torch.Tensor]
                   ) -> Tuple[torch.Tensor, torch.Tensor, List[torch.Tensor]]:
        """Raw audio [B, 1, n] → f0, periodicity [B, m] float32 for the m latent frames that
        encode_step emits for this block (frame t at input sample t*R)."""
        tracker = self.tracker
        assert tracker is not None, "this model has no pitch source"
        n = audio.shape[-1]
        done = int(states[2][0])  # input samples since the last frame boundary
        first = (self.ratio - done) % self.ratio
        ends = list(range(first, n, self.ratio))
        f0, per, history, held = tracker.step(audio[:, 0], states[0], states[1], ends)
        return f0, per, [history, held, (states[2] + n) % self.ratio]

    def track_aligned(self, audio: torch.Tensor, history: torch.Tensor, held: torch.Tensor
                      ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """track_step for a block that starts on a frame boundary and whose length is a
        multiple of R (the ONNX step): no position state."""
        tracker = self.tracker
        assert tracker is not None, "this model has no pitch source"
        ends = list(range(0, audio.shape[-1], self.ratio))
        return tracker.step(audio[:, 0], history, held, ends)

    def loudness(self, energy: torch.Tensor) -> torch.Tensor:
        """Window energies (float64) → the head's loudness input, float32: the mean square in
        dB, -100 dB → 0 .. +20 dB → 1.2 (pitch_source.loudness_feature, the same ops)."""
        db = 10.0 * torch.log10(energy.clamp(min=0.0) / self.window + 1e-10)
        floor = self.loudness_floor_db
        return ((db - floor) / -floor).clamp(0.0, self.loudness_max).to(torch.float32)

    def track_features(self, audio: torch.Tensor, states: List[torch.Tensor]
                       ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, List[torch.Tensor]]:
        """track_step, and the loudness of the same frames (float32 [B, m]; module docs)."""
        tracker = self.tracker
        assert tracker is not None, "this model has no pitch source"
        n = audio.shape[-1]
        done = int(states[2][0])
        first = (self.ratio - done) % self.ratio
        ends = list(range(first, n, self.ratio))
        f0, per, energy, history, held = tracker.step_with_energy(audio[:, 0], states[0],
                                                                  states[1], ends)
        return f0, per, self.loudness(energy), [history, held, (states[2] + n) % self.ratio]

    def track_aligned_features(self, audio: torch.Tensor, history: torch.Tensor,
                               held: torch.Tensor
                               ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                                          torch.Tensor]:
        """track_aligned, and the loudness: f0, periodicity, loudness, history', held'."""
        tracker = self.tracker
        assert tracker is not None, "this model has no pitch source"
        ends = list(range(0, audio.shape[-1], self.ratio))
        f0, per, energy, history, held = tracker.step_with_energy(audio[:, 0], history, held,
                                                                  ends)
        return f0, per, self.loudness(energy), history, held

    def encode_step(self, audio: torch.Tensor, states: List[torch.Tensor]
                    ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        bands, s0 = self.pqmf.analysis.step(audio * self.input_gain, states[0])
        mean, ss = self.encoder.step(bands, states[1:])
        u = torch.matmul(self.latent_pca, mean - self.latent_mean.unsqueeze(-1))
        return u, [s0] + ss

    def decode_step(self, u: torch.Tensor, noise: Optional[torch.Tensor],
                    states: List[torch.Tensor], f0: Optional[torch.Tensor] = None,
                    periodicity: Optional[torch.Tensor] = None,
                    loudness: Optional[torch.Tensor] = None
                    ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        z = torch.matmul(self.latent_pca.t(), u) + self.latent_mean.unsqueeze(-1)
        if not self.pitch_source:
            n = len(states)
            bands, ss = self.decoder.step(z, noise, states[: n - 1])
            audio, s = self.pqmf.synthesis.step(bands, states[n - 1])
            return audio / self.input_gain, ss + [s]
        if f0 is None or periodicity is None:
            raise ValueError("this model has a pitch source: decode_step needs f0 and periodicity")
        head = self.decoder.harmonic_head
        h = (3 + (1 if self.noise_bands > 0 else 0)) if head is not None else 0
        n = len(states) - 4 - h  # the network's states, the pitch source's four, the head's
        amps: Optional[torch.Tensor] = None
        prev_amps: Optional[torch.Tensor] = None
        gains: Optional[torch.Tensor] = None
        head_states: List[torch.Tensor] = []
        if head is not None:
            amps, g, head_states = head.step_with_noise(z, states[n + 4:n + 5], f0, periodicity,
                                                        loudness)
            prev_amps = states[n + 6]
            if self.noise_bands > 0:
                gains = g
        e, y, last_f0, last_per, phase, last_amps = excitation_step(
            f0, periodicity, states[n + 1], states[n + 2], states[n + 3], self.sample_rate,
            self.ratio, self.f0_min, self.f0_max, self.harmonic_limit, self.gate_low,
            self.gate_high, self.level, amps, prev_amps)
        exc, sa = self.pqmf.analysis.step(e.to(z.dtype), states[n])
        if gains is not None and noise is None:  # the head's noise and the decoder's: one stream
            noise = torch.rand(exc.shape, dtype=exc.dtype, device=exc.device) * 2 - 1
        bands, ss = self.decoder.step(z, noise, states[: n - 1], exc)
        tail = [sa, last_f0, last_per, phase]
        if head is not None:
            last_gains: List[torch.Tensor] = []
            if gains is not None and noise is not None:
                # ramped from the previous frame's gains over each frame's R_e band frames
                prev_gains = states[n + 7].to(gains.dtype)
                m = gains.shape[-1]
                if m > 0:
                    r_e = self.encoder_ratio
                    prev = torch.cat([prev_gains.unsqueeze(-1), gains[:, :, :-1]], dim=-1)
                    w = torch.arange(1, r_e + 1, dtype=gains.dtype, device=gains.device) / r_e
                    ramp = (prev.unsqueeze(-1) + (gains - prev).unsqueeze(-1) * w).flatten(2)
                    bands = bands + ramp * noise
                    prev_gains = gains[:, :, -1]
                last_gains = [prev_gains]
            harm, sh = self.pqmf.analysis.step(y.to(z.dtype), states[n + 5])
            bands = bands + harm
            tail = tail + head_states + [sh, last_amps] + last_gains
        audio, s = self.pqmf.synthesis.step(bands, states[n - 1])
        return audio / self.input_gain, ss + [s] + tail

def band_noise(flat: torch.Tensor, n_bands: int) -> torch.Tensor:
    """White noise [B, F*M] in stream order -> [B, M, F]: value j*M + k feeds band k of
    band frame j, so any block split of the stream gives the same noise (docs/rave.md)."""
    b = flat.shape[0]
    return flat.reshape(b, -1, n_bands).transpose(1, 2)
