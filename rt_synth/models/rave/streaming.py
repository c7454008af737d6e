"""The RAVE model run block by block, with the whole state explicit (a list of tensors):

    u, enc_state'  = encode_step(audio [B, 1, n], enc_state)       u: [B, D, m] controls
    y, dec_state'  = decode_step(u [B, D, m], noise [B, M, m*R_e], dec_state)   y: [B, 1, m*R]

Any block size n works (m = 0.. latent frames come out, depending on the stride phases that
the conv buffers encode); with n a multiple of R every state keeps a fixed shape and m = n/R
(what the ONNX export uses). Concatenated, the outputs equal the offline model exactly:
encode() frame for frame, decode() sample for sample (tests/models/rave).

Order of the state tensors (also the ONNX input order):
  encoder: pqmf.analysis, encoder.conv_in, per stage [residual.conv, down], encoder.conv_out
  decoder: decoder.conv_in, per stage [up, residual_j.conv ...], decoder.conv_out,
           pqmf.synthesis
"""
from __future__ import annotations

from typing import List, Tuple

import torch
from torch import nn

from rt_synth.models.rave.model import RaveModel


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

    def initial_encoder_state(self, batch: int) -> List[torch.Tensor]:
        return [self.pqmf.analysis.initial_state(batch)] + self.encoder.initial_state(batch)

    def initial_decoder_state(self, batch: int) -> List[torch.Tensor]:
        return self.decoder.initial_state(batch) + [self.pqmf.synthesis.initial_state(batch)]

    def encode_step(self, audio: torch.Tensor, states: List[torch.Tensor]
                    ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        bands, s0 = self.pqmf.analysis.step(audio * self.input_gain, states[0])
        mean, ss = self.encoder.step(bands, states[1:])
        u = torch.matmul(self.latent_pca, mean - self.latent_mean.unsqueeze(-1))
        return u, [s0] + ss

    def decode_step(self, u: torch.Tensor, noise: torch.Tensor, states: List[torch.Tensor]
                    ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        z = torch.matmul(self.latent_pca.t(), u) + self.latent_mean.unsqueeze(-1)
        n = len(states)
        bands, ss = self.decoder.step(z, noise, states[: n - 1])
        audio, s = self.pqmf.synthesis.step(bands, states[n - 1])
        return audio / self.input_gain, ss + [s]


def band_noise(flat: torch.Tensor, n_bands: int) -> torch.Tensor:
    """White noise [B, F*M] in stream order -> [B, M, F]: value j*M + k feeds band k of
    band frame j, so any block split of the stream gives the same noise (docs/rave.md)."""
    b = flat.shape[0]
    return flat.reshape(b, -1, n_bands).transpose(1, 2)
