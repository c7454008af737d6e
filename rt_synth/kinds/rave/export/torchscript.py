"""TorchScript export of the RAVE model with the nn~ module contract (see torchscript.py for
the contract), written without the nn_tilde package.

Methods (buffers ``<method>_params`` = [in_channels, in_ratio, out_channels, out_ratio]):
  encode  [B, 1, n]       -> [B, D, n/R]   latent controls u (PCA-rotated posterior mean)
  decode  [B, D, F]       -> [B, 1, F*R]
  forward [B, 1, n]       -> [B, 1, n]     timbre transfer = decode(encode(x))
n must be a multiple of R (nn~ buffers are powers of two >= R). Each method keeps its own
streaming state (a host may run encode and decode on different streams); ``reset()``
returns all of them to silence; a new batch size resets them.
Attribute ``latent_size`` (int, 1..D; ``latent_size_params`` = [1], nn~'s type code for int;
``get_latent_size()`` returns a one-element list): decode and forward use only the first
latent_size controls (the most meaningful: PCA order) and hold the others at the training mean.
Noise: the core's counter-based generator (counter_noise_torch.py), one counter per stream.

Pitch source (config.pitch_source; NNTildeRavePitched): the latent frames carry the pitch too,
so that a host can transpose between encode and decode:
  encode  [B, 1, n]       -> [B, D+2, n/R]  u, then f0 (Hz) and periodicity (0..1) of the
                                            causal YIN on the raw input (torch_yin.py)
  decode  [B, D+2, F]     -> [B, 1, F*R]    (f0 clamped to the model's range; scale it to
                                            transpose)
  forward [B, 1, n]       -> [B, 1, n]      decode(encode(x)), its own tracker state
latent_size masks only the D controls, never the f0/periodicity channels.
A harmonic head that reads the loudness (config.harmonic_loudness) adds one more channel after
the periodicity: the loudness of the tracker's window (0..1.2, -100..+20 dB mean square;
pitch_source.loudness_frames), so encode gives D+3 channels and decode takes them.
"""

from pathlib import Path
from typing import List, Optional

import torch
from torch import nn

from rt_synth.export.counter_noise_torch import counter_noise
from rt_synth.export.nn_tilde_host import TYPE_INT, self_test
from rt_synth.kinds.rave.model.streaming import RaveStreaming


class NNTildeRave(nn.Module):
    enc_state: List[torch.Tensor]
    dec_state: List[torch.Tensor]
    fwd_enc_state: List[torch.Tensor]
    fwd_dec_state: List[torch.Tensor]

    def __init__(self, streaming: RaveStreaming, noise_seed: int = 0):
        super().__init__()
        self.stream = streaming
        self.ratio = streaming.ratio
        self.n_bands = streaming.n_bands
        self.encoder_ratio = streaming.encoder_ratio
        self.full_latent_size = streaming.latent_size
        self.latent_size = streaming.latent_size
        self.noise_seed = noise_seed
        d, r = streaming.latent_size, streaming.ratio
        self.register_buffer("encode_params", torch.tensor([1, 1, d, r]))
        self.register_buffer("decode_params", torch.tensor([d, r, 1, 1]))
        self.register_buffer("forward_params", torch.tensor([1, 1, 1, 1]))
        self.register_buffer("latent_size_params", torch.tensor([TYPE_INT]))
        self.enc_state = streaming.initial_encoder_state(1)
        self.dec_state = streaming.initial_decoder_state(1)
        self.fwd_enc_state = streaming.initial_encoder_state(1)
        self.fwd_dec_state = streaming.initial_decoder_state(1)
        self.dec_counter = torch.zeros(1, dtype=torch.int64)
        self.fwd_counter = torch.zeros(1, dtype=torch.int64)

    @torch.jit.export
    def get_methods(self) -> List[str]:
        return ["encode", "decode", "forward"]

    @torch.jit.export
    def get_attributes(self) -> List[str]:
        return ["latent_size"]

    @torch.jit.export
    def get_latent_size(self) -> List[int]:
        return [self.latent_size]

    @torch.jit.export
    def set_latent_size(self, value: int) -> int:
        if value < 1 or value > self.full_latent_size:
            return -1
        self.latent_size = value
        return 0

    @torch.jit.export
    def reset(self) -> None:
        self._reset(self.dec_counter.shape[0])

    def _reset(self, batch: int) -> None:
        self.enc_state = self.stream.initial_encoder_state(batch)
        self.dec_state = self.stream.initial_decoder_state(batch)
        self.fwd_enc_state = self.stream.initial_encoder_state(batch)
        self.fwd_dec_state = self.stream.initial_decoder_state(batch)
        self.dec_counter = torch.zeros(batch, dtype=torch.int64)
        self.fwd_counter = torch.zeros(batch, dtype=torch.int64)

    def _check_batch(self, batch: int) -> None:
        if batch != self.dec_counter.shape[0]:
            self._reset(batch)

    def _mask(self, u: torch.Tensor) -> torch.Tensor:
        if self.latent_size >= self.full_latent_size:
            return u
        keep = (torch.arange(self.full_latent_size) < self.latent_size).to(u.dtype)
        return u * keep.view(1, -1, 1)

    def _noise(self, counter: torch.Tensor, frames: int) -> torch.Tensor:
        n = frames * self.encoder_ratio * self.n_bands
        flat = counter_noise(self.noise_seed, counter, n)
        return flat.reshape(counter.shape[0], -1, self.n_bands).transpose(1, 2)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._check_batch(x.shape[0])
        u, self.enc_state = self.stream.encode_step(x, self.enc_state)
        return u

    @torch.jit.export
    def decode(self, u: torch.Tensor) -> torch.Tensor:
        self._check_batch(u.shape[0])
        noise = self._noise(self.dec_counter, u.shape[2])
        self.dec_counter = self.dec_counter + u.shape[2] * self.ratio
        y, self.dec_state = self.stream.decode_step(self._mask(u), noise, self.dec_state)
        return y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_batch(x.shape[0])
        u, self.fwd_enc_state = self.stream.encode_step(x, self.fwd_enc_state)
        noise = self._noise(self.fwd_counter, u.shape[2])
        self.fwd_counter = self.fwd_counter + u.shape[2] * self.ratio
        y, self.fwd_dec_state = self.stream.decode_step(self._mask(u), noise, self.fwd_dec_state)
        return y


class NNTildeRavePitched(NNTildeRave):
    enc_state: List[torch.Tensor]
    dec_state: List[torch.Tensor]
    fwd_enc_state: List[torch.Tensor]
    fwd_dec_state: List[torch.Tensor]
    enc_track: List[torch.Tensor]
    fwd_track: List[torch.Tensor]

    def __init__(self, streaming: RaveStreaming, noise_seed: int = 0):
        super().__init__(streaming, noise_seed)
        d, r = streaming.latent_size, streaming.ratio
        self.with_loudness = bool(streaming.with_loudness)
        p = 3 if self.with_loudness else 2  # f0, periodicity (, loudness)
        self.encode_params = torch.tensor([1, 1, d + p, r])
        self.decode_params = torch.tensor([d + p, r, 1, 1])
        self.enc_track = streaming.initial_tracker_state(1)
        self.fwd_track = streaming.initial_tracker_state(1)

    def _reset(self, batch: int) -> None:
        self.enc_state = self.stream.initial_encoder_state(batch)
        self.dec_state = self.stream.initial_decoder_state(batch)
        self.fwd_enc_state = self.stream.initial_encoder_state(batch)
        self.fwd_dec_state = self.stream.initial_decoder_state(batch)
        self.enc_track = self.stream.initial_tracker_state(batch)
        self.fwd_track = self.stream.initial_tracker_state(batch)
        self.dec_counter = torch.zeros(batch, dtype=torch.int64)
        self.fwd_counter = torch.zeros(batch, dtype=torch.int64)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._check_batch(x.shape[0])
        if self.with_loudness:
            f0, per, loud, self.enc_track = self.stream.track_features(x, self.enc_track)
            u, self.enc_state = self.stream.encode_step(x, self.enc_state)
            return torch.cat([u, f0.unsqueeze(1).to(u.dtype), per.unsqueeze(1).to(u.dtype),
                              loud.unsqueeze(1).to(u.dtype)], 1)
        f0, per, self.enc_track = self.stream.track_step(x, self.enc_track)
        u, self.enc_state = self.stream.encode_step(x, self.enc_state)
        return torch.cat([u, f0.unsqueeze(1).to(u.dtype), per.unsqueeze(1).to(u.dtype)], 1)

    @torch.jit.export
    def decode(self, u: torch.Tensor) -> torch.Tensor:
        self._check_batch(u.shape[0])
        d = self.full_latent_size
        noise = self._noise(self.dec_counter, u.shape[2])
        self.dec_counter = self.dec_counter + u.shape[2] * self.ratio
        loud: Optional[torch.Tensor] = u[:, d + 2] if self.with_loudness else None
        y, self.dec_state = self.stream.decode_step(self._mask(u[:, :d]), noise, self.dec_state,
                                                    u[:, d], u[:, d + 1], loud)
        return y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_batch(x.shape[0])
        loud: Optional[torch.Tensor] = None
        if self.with_loudness:
            f0, per, lo, self.fwd_track = self.stream.track_features(x, self.fwd_track)
            loud = lo
        else:
            f0, per, self.fwd_track = self.stream.track_step(x, self.fwd_track)
        u, self.fwd_enc_state = self.stream.encode_step(x, self.fwd_enc_state)
        noise = self._noise(self.fwd_counter, u.shape[2])
        self.fwd_counter = self.fwd_counter + u.shape[2] * self.ratio
        y, self.fwd_dec_state = self.stream.decode_step(self._mask(u), noise, self.fwd_dec_state,
                                                        f0, per, loud)
        return y


def export_torchscript(model, path: str | Path, noise_seed: int = 0) -> Path:
    import warnings

    path = Path(path)
    streaming = RaveStreaming(model.float().eval())
    cls = NNTildeRavePitched if model.config.pitch_source else NNTildeRave
    module = cls(streaming, noise_seed).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.script is deprecated in 2.13 but works
        scripted = torch.jit.script(module)
    self_test(scripted, max(2048, model.config.ratio))
    scripted.reset()
    path.parent.mkdir(parents=True, exist_ok=True)
    scripted.save(str(path))
    return path
