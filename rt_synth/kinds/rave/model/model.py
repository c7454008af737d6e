"""The RAVE-style model: PQMF -> causal encoder -> latent -> causal decoder -> PQMF^-1.

Offline (whole signal) form for training; streaming.py runs the same weights block by block.
Audio is [B, 1, T]; T a multiple of the ratio R for training (any T works offline).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
import torch
from torch import nn

from rt_synth.kinds.rave.model.config import RaveConfig
from rt_synth.kinds.rave.model.decoder import Decoder
from rt_synth.kinds.rave.model.encoder import Encoder
from rt_synth.kinds.rave.model.pitch_source import (CONSTANTS, excitation_step, loudness_frames,
                                               track_frames)
from rt_synth.kinds.rave.model.pqmf import PQMF


class RaveModel(nn.Module):
    def __init__(self, config: RaveConfig):
        super().__init__()
        config.validate()
        self.config = config
        self.pqmf = PQMF(config.n_bands, config.pqmf_taps, config.pqmf_beta)
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        d = config.latent_size
        self.register_buffer("latent_mean", torch.zeros(d))
        self.register_buffer("latent_pca", torch.eye(d))
        self.register_buffer("latent_std", torch.ones(d))
        self.register_buffer("latent_stats_ready", torch.zeros(()))
        # The network works on audio at a fixed level: x * input_gain in, y / input_gain
        # out (set from the training set's RMS, so a quiet dataset trains as well as a loud
        # one; the training loop feeds gain-scaled audio to forward()).
        self.register_buffer("input_gain", torch.ones(()))
        # training only (config.harmonic_warmup; the trainer sets it per step): the harmonic
        # head's audio, harmonics and noise, is scaled by this. 1 everywhere else.
        self.head_scale = 1.0

    @property
    def n_parameters(self) -> int:
        """Trained parameters (encoder + decoder; the PQMF filters are fixed)."""
        return sum(p.numel() for m in (self.encoder, self.decoder) for p in m.parameters())

    # ---- training path ----
    def posterior(self, audio: torch.Tensor):
        """Posterior of audio at the network's level (already multiplied by input_gain)."""
        return self.encoder(self.pqmf(audio))

    @staticmethod
    def sample(mean: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised sample and the KL to N(0, I) (summed over D, mean over frames)."""
        z = mean + scale * torch.randn_like(mean)
        kl = 0.5 * (mean.pow(2) + scale.pow(2) - 2 * torch.log(scale) - 1).sum(1).mean()
        return z, kl

    # ---- pitch source ----
    def track(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Causal YIN of audio [B, 1, T] (at the input's level, before input_gain: YIN is level
        independent apart from its silence floor, which the core applies to the raw input too)
        → f0, periodicity per latent frame [B, T/R] (pitch_source.track_frames)."""
        rows = [track_frames(a.detach().cpu().numpy(), self.config) for a in audio[:, 0]]
        f0 = torch.from_numpy(np.stack([r[0] for r in rows])).to(audio.device)
        per = torch.from_numpy(np.stack([r[1] for r in rows])).to(audio.device)
        return f0, per

    def track_loudness(self, audio: torch.Tensor) -> Optional[torch.Tensor]:
        """The harmonic head's loudness input per latent frame [B, T/R] of audio [B, 1, T] (raw
        level, as the tracker hears it; pitch_source.loudness_frames), or None when the head
        does not read it."""
        if not (self.config.harmonics and self.config.harmonic_loudness):
            return None
        rows = [loudness_frames(a.detach().cpu().numpy(), self.config) for a in audio[:, 0]]
        return torch.from_numpy(np.stack(rows)).to(audio.device)

    def excitation_bands(self, f0: torch.Tensor, periodicity: torch.Tensor,
                         previous: Optional[tuple] = None,
                         amps: Optional[torch.Tensor] = None
                         ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """f0, periodicity [B, F] → PQMF bands of the harmonic excitation [B, M, F*R_e], and
        with the harmonic head's amplitudes amps [B, H, F] the PQMF bands of the harmonic
        audio (else None). previous: (f0, periodicity, phase) [B] each, the state before
        frame 0 (training crops start at a random phase); default: as after a reset (the
        amplitudes before frame 0 are zero, as after a reset)."""
        c = self.config
        b = f0.shape[0]
        pf, pp, ph = previous if previous is not None else (None, None, None)
        if pf is None:
            pf = torch.full((b,), c.pitch_f0_min, dtype=torch.float64, device=f0.device)
        if pp is None:
            pp = torch.zeros(b, dtype=torch.float64, device=f0.device)
        if ph is None:
            ph = torch.zeros(b, dtype=torch.float64, device=f0.device)
        prev_amps = None
        if amps is not None:
            prev_amps = torch.zeros(b, amps.shape[1], dtype=torch.float64, device=f0.device)
        e, y, _, _, _, _ = excitation_step(
            f0, periodicity, pf, pp, ph, float(c.sample_rate), c.ratio, float(c.pitch_f0_min),
            float(c.pitch_f0_max), *CONSTANTS, amps=amps, previous_amps=prev_amps)
        # e and y are float32 (what the core computes); a float64 model (the parity
        # references) analyses those float32 values in float64
        dtype = self.pqmf.analysis.conv.weight.dtype
        return self.pqmf(e.to(dtype)), (self.pqmf(y.to(dtype)) if amps is not None else None)

    def decode_bands(self, z: torch.Tensor, noise: Optional[torch.Tensor] = None,
                     f0: Optional[torch.Tensor] = None, periodicity: Optional[torch.Tensor] = None,
                     previous: Optional[tuple] = None,
                     loudness: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Latent z [B, D, F] (+ the pitch source's f0, periodicity [B, F], and the loudness
        [B, F] when the head reads it) → output bands [B, M, F*R_e]: the decoder's, plus the
        harmonic head's audio analysed by the PQMF."""
        if not self.config.pitch_source:
            return self.decoder(z, noise)
        if f0 is None or periodicity is None:
            raise ValueError("this model has a pitch source: pass f0 and periodicity")
        head = self.decoder.harmonic_head
        amps, gains = head.with_noise(z, f0, periodicity, loudness) if head is not None else (
            None, None)
        if self.head_scale != 1.0:
            amps = amps * self.head_scale if amps is not None else None
            gains = gains * self.head_scale if gains is not None else None
        exc, harm = self.excitation_bands(f0, periodicity, previous, amps)
        if gains is not None and noise is None:  # the head's noise and the decoder's: one stream
            noise = torch.rand(exc.shape, dtype=exc.dtype, device=exc.device) * 2 - 1
        bands = self.decoder(z, noise, exc)
        if gains is not None:  # ramped from the frame before (0 at the start, as after reset)
            r_e = exc.shape[-1] // gains.shape[-1]
            prev = torch.cat([torch.zeros_like(gains[:, :, :1]), gains[:, :, :-1]], dim=-1)
            w = torch.arange(1, r_e + 1, dtype=gains.dtype, device=gains.device) / r_e
            ramp = (prev.unsqueeze(-1) + (gains - prev).unsqueeze(-1) * w).flatten(2)
            bands = bands + ramp * noise
        return bands + harm if harm is not None else bands

    def forward(self, audio: torch.Tensor, noise: Optional[torch.Tensor] = None,
                deterministic: bool = False, f0: Optional[torch.Tensor] = None,
                periodicity: Optional[torch.Tensor] = None,
                previous: Optional[tuple] = None,
                loudness: Optional[torch.Tensor] = None) -> dict:
        """Training path on audio at the network's level (input_gain applied by the caller).
        Pitch source: f0/periodicity [B, T/R] of the audio (pitch_source.track_frames), and
        the head's loudness (pitch_source.loudness_frames); when omitted they are measured
        here from audio / input_gain."""
        bands_in = self.pqmf(audio)
        mean, scale = self.encoder(bands_in)
        if deterministic:
            z, kl = mean, mean.new_zeros(())
        else:
            z, kl = self.sample(mean, scale)
        if self.config.pitch_source and (f0 is None or periodicity is None):
            f0, periodicity = self.track(audio / self.input_gain)
        if loudness is None:
            loudness = self.track_loudness(audio / self.input_gain)
        bands = self.decode_bands(z, noise, f0, periodicity, previous, loudness)
        return {"bands_in": bands_in, "bands": bands, "audio": self.pqmf.inverse(bands),
                "kl": kl, "mean": mean}

    # ---- exported maths (nn~ encode / decode / forward) ----
    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """audio [B, 1, T] -> latent controls u [B, D, T/R] (posterior mean, PCA-rotated)."""
        mean, _ = self.posterior(audio * self.input_gain)
        return torch.einsum("ij,bjt->bit", self.latent_pca, mean - self.latent_mean[:, None])

    def decode(self, u: torch.Tensor, noise: Optional[torch.Tensor] = None,
               f0: Optional[torch.Tensor] = None,
               periodicity: Optional[torch.Tensor] = None,
               loudness: Optional[torch.Tensor] = None) -> torch.Tensor:
        """latent controls u [B, D, F] (+ f0, periodicity [B, F] with a pitch source, and the
        loudness [B, F] when the head reads it) -> audio [B, 1, F*R]."""
        z = torch.einsum("ji,bjt->bit", self.latent_pca, u) + self.latent_mean[:, None]
        if self.config.pitch_source and (f0 is None or periodicity is None):
            raise ValueError("this model has a pitch source: decode needs f0 and periodicity")
        return self.pqmf.inverse(self.decode_bands(z, noise, f0, periodicity, None, loudness)
                                 ) / self.input_gain

    def reconstruct(self, audio: torch.Tensor, noise: Optional[torch.Tensor] = None):
        f0 = per = None
        if self.config.pitch_source:
            f0, per = self.track(audio)
        return self.decode(self.encode(audio), noise, f0, per, self.track_loudness(audio))

    def set_latent_statistics(self, mean, pca, std) -> None:
        self.latent_mean.copy_(mean)
        self.latent_pca.copy_(pca)
        self.latent_std.copy_(std)
        self.latent_stats_ready.fill_(1.0)

    # ---- checkpoint payload ----
    def payload(self) -> dict:
        return {"kind": "rave", "config": self.config.to_dict(),
                "latency_samples": self.config.latency, "ratio": self.config.ratio,
                "state_dict": {k: v.detach().cpu() for k, v in self.state_dict().items()}}

    @classmethod
    def from_payload(cls, payload: dict) -> "RaveModel":
        model = cls(RaveConfig.from_dict(payload["config"]))
        model.load_state_dict(payload["state_dict"])
        return model
