"""Per-sample recurrent effect model (Wright et al. 2020; GuitarML): an LSTM over the input
samples and a linear head, plus the input itself when skip is on, so that the network
learns the difference the device makes. Streams with its (h, c) state.

The state starts at zero, unless the model has a learned initial state: parameters h0, c0
[num_layers, hidden] (Neural Amp Modeler's LSTM keeps one; rt_synth/kinds/effect/nam_import.py).
They exist when a state dict that holds them is loaded (or with initial_state=True), so our
own models and their checkpoints keep exactly the zero start and state dict they had.

With n_knobs > 0 the LSTM reads [audio, knob_1..knob_K] per sample (input size 1 + K), the
knobs normalised to 0..1 (docs/effect-models.md, "Knobs"); the skip adds the audio alone."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn


class LSTMEffect(nn.Module):
    def __init__(self, hidden_size: int, num_layers: int = 1, skip: bool = True,
                 initial_state: bool = False, n_knobs: int = 0):
        super().__init__()
        self.n_knobs = int(n_knobs)
        self.lstm = nn.LSTM(1 + self.n_knobs, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)
        self.skip = skip
        if initial_state:
            self._add_initial_state()
        self._register_load_state_dict_pre_hook(self._adopt_initial_state)

    @property
    def has_initial_state(self) -> bool:
        return hasattr(self, "h0")

    def _add_initial_state(self) -> None:
        shape = (self.lstm.num_layers, self.lstm.hidden_size)
        w = self.head.weight
        self.h0 = nn.Parameter(torch.zeros(shape, dtype=w.dtype, device=w.device))
        self.c0 = nn.Parameter(torch.zeros(shape, dtype=w.dtype, device=w.device))

    def _adopt_initial_state(self, state_dict, prefix, *args) -> None:
        # a state dict with h0/c0 (an imported NAM LSTM) gives this model an initial state
        if prefix + "h0" in state_dict and not self.has_initial_state:
            self._add_initial_state()

    def initial_state(self, batch: int) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.has_initial_state:
            shape = (self.lstm.num_layers, batch, self.lstm.hidden_size)
            return (self.h0[:, None].expand(shape).contiguous(),
                    self.c0[:, None].expand(shape).contiguous())
        z = torch.zeros(self.lstm.num_layers, batch, self.lstm.hidden_size,
                        dtype=self.head.weight.dtype, device=self.head.weight.device)
        return z, z.clone()

    def step(self, x: torch.Tensor, state: Tuple[torch.Tensor, torch.Tensor],
             knobs: Optional[torch.Tensor] = None):
        """x [B, N] → (y [B, N], new state): N samples continuing from `state`. knobs: the
        normalised knob values, [B, K] (constant over the N samples) or [B, K, N]."""
        h, new = self.lstm(with_knobs(x, knobs, self.n_knobs).transpose(1, 2), state)
        y = self.head(h)[..., 0]
        if self.skip:
            y = y + x
        return y, new

    def forward(self, x: torch.Tensor, knobs: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x [B, N] → y [B, N], from the initial state (zeros unless the model has one)."""
        return self.step(x, self.initial_state(x.shape[0]), knobs)[0]


def with_knobs(x: torch.Tensor, knobs: Optional[torch.Tensor], n_knobs: int) -> torch.Tensor:
    """x [B, N] and knobs [B, K] or [B, K, N] → the network's input channels [B, 1 + K, N]."""
    if n_knobs == 0:
        if knobs is not None and knobs.numel() > 0:
            raise ValueError("this effect model has no knobs")
        return x[:, None]
    if knobs is None or knobs.shape[1] != n_knobs:
        raise ValueError(f"this effect model needs {n_knobs} knob values per example "
                         f"(normalised 0..1), got {None if knobs is None else tuple(knobs.shape)}")
    k = knobs.to(x.dtype)
    if k.dim() == 2:
        k = k[..., None].expand(-1, -1, x.shape[-1])
    return torch.cat([x[:, None], k], dim=1)
