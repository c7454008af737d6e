"""The RAVE model run block by block, with the whole state explicit (a list of tensors):

    u, enc_state'  = encode_step(audio [B, 1, n], enc_state)       u: [B, D, m] controls
    y, dec_state'  = decode_step(u [B, D, m], noise [B, M, m*R_e], dec_state)   y: [B, 1, m*R]

Any block size n works (m = 0.. latent frames come out, depending on the stride phases that
the conv buffers encode); with n a multiple of R every state keeps a fixed shape and m = n/R
(what the ONNX export uses). Concatenated, the outputs equal the offline model exactly:
encode() frame for frame, decode() sample for sample (tests/models/rave).

Order of the state tensors (also the ONNX input order):
  encoder: pqmf.analysis, encoder.conv_in, per stage [residual.conv, down], encoder.conv_out
  decoder: decoder.conv_in, per stage [up, residual_j.conv ...] (the last stage of a pitch
           source model: [up, exc_in, residual_j.conv ...]), decoder.conv_out,
           pqmf.synthesis
           pitch source only, then: the excitation's PQMF analysis (float32 [B, 1, N-1]),
           previous f0, previous periodicity, phase (float64 [B]; pitch_source.py)
           harmonic head only, then: decoder.harmonic_head.conv, the harmonic audio's PQMF
           analysis (float32 [B, 1, N-1]), the previous frame's amplitudes (float64 [B, H])

Pitch source (config.pitch_source): the decoder also takes f0 and periodicity per latent frame
[B, m] (pitch_source.track_frames' F[t]):

    y, dec_state'  = decode_step(u, noise, dec_state, f0, periodicity)

and the tracker runs on the raw input (before input_gain), block by block:

    f0, periodicity, track_state' = track_step(audio [B, 1, n], track_state)

giving F[t] for exactly the latent frames encode_step emits for the same block (frame t at
input sample t*R, its YIN window ending at sample t*R - 1). Its state: the YIN history
(float64 [B, W + tau_max], sanitised), the held f0 (float64 [B]) and the input position
modulo R (int64 [B]); torch_yin.py. Zeros are the state after reset everywhere.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
from torch import nn

from rt_synth.models.rave.model import RaveModel
from rt_synth.models.rave.pitch_source import CONSTANTS, excitation_step
from rt_synth.models.rave.torch_yin import TorchYin


class RaveStreaming(nn.Module):
    def __init__(self, model: RaveModel):
        super().__init__()
        self.pqmf = model.pqmf
        self.encoder = model.encoder
        self.decoder = model.decoder
        c = model.config
        if c.harmonics and c.harmonic_loudness:
            from rt_synth.errors import UserError

            raise UserError("this RAVE model's harmonic head reads the loudness "
                            "(config harmonic_loudness), which the streaming form, the exports "
                            "and the core do not compute yet (docs/rave.md section 13); "
                            "evaluate it offline with python3 -m rt_synth.eval.rave_curve")
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

    def encode_step(self, audio: torch.Tensor, states: List[torch.Tensor]
                    ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        bands, s0 = self.pqmf.analysis.step(audio * self.input_gain, states[0])
        mean, ss = self.encoder.step(bands, states[1:])
        u = torch.matmul(self.latent_pca, mean - self.latent_mean.unsqueeze(-1))
        return u, [s0] + ss

    def decode_step(self, u: torch.Tensor, noise: Optional[torch.Tensor],
                    states: List[torch.Tensor], f0: Optional[torch.Tensor] = None,
                    periodicity: Optional[torch.Tensor] = None
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
        h = 3 if head is not None else 0
        n = len(states) - 4 - h  # the network's states, the pitch source's four, the head's
        amps: Optional[torch.Tensor] = None
        prev_amps: Optional[torch.Tensor] = None
        head_states: List[torch.Tensor] = []
        if head is not None:
            amps, head_states = head.step(z, states[n + 4:n + 5], f0, periodicity)
            prev_amps = states[n + 6]
        e, y, last_f0, last_per, phase, last_amps = excitation_step(
            f0, periodicity, states[n + 1], states[n + 2], states[n + 3], self.sample_rate,
            self.ratio, self.f0_min, self.f0_max, self.harmonic_limit, self.gate_low,
            self.gate_high, self.level, amps, prev_amps)
        exc, sa = self.pqmf.analysis.step(e.to(z.dtype), states[n])
        bands, ss = self.decoder.step(z, noise, states[: n - 1], exc)
        tail = [sa, last_f0, last_per, phase]
        if head is not None:
            harm, sh = self.pqmf.analysis.step(y.to(z.dtype), states[n + 5])
            bands = bands + harm
            tail = tail + head_states + [sh, last_amps]
        audio, s = self.pqmf.synthesis.step(bands, states[n - 1])
        return audio / self.input_gain, ss + [s] + tail


def band_noise(flat: torch.Tensor, n_bands: int) -> torch.Tensor:
    """White noise [B, F*M] in stream order -> [B, M, F]: value j*M + k feeds band k of
    band frame j, so any block split of the stream gives the same noise (docs/rave.md)."""
    b = flat.shape[0]
    return flat.reshape(b, -1, n_bands).transpose(1, 2)
