"""TorchScript export of an effect model with the nn~ module contract (docs/nn-tilde.md),
written without the nn_tilde package, and the streaming step it shares with the ONNX export.

Module (what nn~ reads):
  forward [B, 1, N] -> [B, 1, N]   the effect, any N (nn~ uses powers of two), latency 0;
                                   ``forward_params`` = [1, 1, 1, 1]
  get_methods() = ["forward"], get_attributes() = [] (no settable attribute),
  get_latency_samples() = 0, reset() returns the stream to silence; a new batch size resets.

State between calls lives in the module:
- lstm: (h, c) of every layer, starting from ``LSTMEffect.initial_state`` (zeros, or the
  learned initial state when the model has one);
- wavenet: per layer, the last (kernel − 1)·dilation samples of that layer's input (a cached
  dilated convolution: each call computes N outputs per layer, not the receptive field's
  4 092 extra samples that re-running ``valid()`` on [history | x] would cost). After reset a
  layer's history holds what silence leaves there (a constant per channel: the biases'
  response), so that the output equals the zero-padded ``WaveNetEffect.forward`` from the
  first sample, as the core's reset does.
"""

from pathlib import Path
from typing import List, Optional, Tuple

import torch
from torch import nn


class WaveNetStep(nn.Module):
    """N samples of a WaveNetEffect from each layer's cached input history.

    forward(x [B, N], state) → (y [B, N], new state); state = one tensor per layer,
    [B, channels, (kernel − 1)·dilation]. With ``offset`` the state is held as its difference
    from silence's state, so that zeros are the state after reset (the ONNX contract)."""

    def __init__(self, net, offset: bool = False):
        super().__init__()
        self.arrays = net.arrays
        self.head_scale = float(net.head_scale)
        self.offset = bool(offset)
        self.history: List[int] = [int((layer.conv.kernel_size[0] - 1) * layer.conv.dilation[0])
                                   for arr in net.arrays for layer in arr.layers]
        self.silence: List[torch.Tensor] = _wavenet_silence(net)

    @torch.jit.export
    def initial_state(self, batch: int) -> List[torch.Tensor]:
        out: List[torch.Tensor] = []
        for i in range(len(self.history)):
            s = self.silence[i]
            if self.offset:
                s = torch.zeros_like(s)
            out.append(s.expand(batch, s.shape[1], self.history[i]).contiguous())
        return out

    def forward(self, x: torch.Tensor, state: List[torch.Tensor]
                ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        c = x.unsqueeze(1)
        h = c
        head: Optional[torch.Tensor] = None
        new: List[torch.Tensor] = []
        i = 0
        for arr in self.arrays:
            h = arr.rechannel(h)
            for layer in arr.layers:
                past = state[i]
                if self.offset:
                    past = past + self.silence[i]
                full = torch.cat([past, h], 2)
                kept = full[:, :, full.shape[2] - self.history[i]:]
                if self.offset:
                    kept = kept - self.silence[i]
                new.append(kept)
                h, post = layer(full, c)
                if head is None:
                    head = post
                else:
                    head = head + post
                i += 1
            assert head is not None
            head = arr.head_rechannel(head)
        assert head is not None
        return self.head_scale * head[:, 0], new


def _wavenet_silence(net) -> List[torch.Tensor]:
    """Each layer's input while the model hears silence: [1, channels, 1] per layer (constant
    in time; what the zero padding of WaveNetEffect.forward leaves in every layer's past)."""
    out = []
    with torch.no_grad():
        zero = torch.zeros(1, 1, 1, dtype=next(net.parameters()).dtype)
        v = zero
        for arr in net.arrays:
            v = arr.rechannel(v)
            for layer in arr.layers:
                out.append(v.detach().clone())
                k = (layer.conv.kernel_size[0] - 1) * layer.conv.dilation[0]
                v, _ = layer(v.expand(1, v.shape[1], k + 1), zero)
    return out


class LSTMStep(nn.Module):
    """N samples of an LSTMEffect from its (h, c) state ([layers, B, hidden] each). With
    ``offset`` the state is held as its difference from the initial state (zeros = reset)."""

    def __init__(self, net, offset: bool = False):
        super().__init__()
        self.lstm, self.head, self.skip = net.lstm, net.head, bool(net.skip)
        h0, c0 = net.initial_state(1)  # zeros, or the model's learned initial state
        self.register_buffer("h0", h0.detach().clone().float())
        self.register_buffer("c0", c0.detach().clone().float())
        # a zero initial state needs no offset (zeros are already the reset state)
        self.offset = bool(offset) and bool((h0 != 0).any() or (c0 != 0).any())

    @torch.jit.export
    def initial_state(self, batch: int) -> List[torch.Tensor]:
        h, c = self.h0, self.c0
        if self.offset:
            h, c = torch.zeros_like(h), torch.zeros_like(c)
        return [h.expand(h.shape[0], batch, h.shape[2]).contiguous(),
                c.expand(c.shape[0], batch, c.shape[2]).contiguous()]

    def forward(self, x: torch.Tensor, state: List[torch.Tensor]
                ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        h, c = state[0], state[1]
        if self.offset:
            h, c = h + self.h0, c + self.c0
        out, hc = self.lstm(x.unsqueeze(2), (h, c))  # as LSTMEffect.step
        y = self.head(out)[:, :, 0]
        if self.skip:
            y = y + x
        h, c = hc
        if self.offset:
            h, c = h - self.h0, c - self.c0
        return y, [h, c]


def streaming_step(model, offset: bool = False) -> nn.Module:
    """The EffectModel's streaming step (float32, eval)."""
    if model.config.knobs:
        from rt_synth.errors import UserError

        raise UserError(
            f"an effect model with knobs ({', '.join(model.config.knob_names)}) has no TorchScript "
            f"or ONNX form yet: their streaming step lacks the knob inputs (nn~ attributes or "
            f"extra input channels). Export the native .rtsynth (--formats native,checkpoint): "
            f"the core, the C ABI and the plugins play its knobs (docs/effect-models.md, \"Knobs\")")
    net = model.float().eval().net
    if model.config.arch == "lstm":
        return LSTMStep(net, offset).eval()
    if model.config.arch == "wavenet":
        return WaveNetStep(net, offset).eval()
    raise ValueError(f"effect arch {model.config.arch!r} has no streaming step")


class NNTildeEffect(nn.Module):
    state: List[torch.Tensor]

    def __init__(self, step: nn.Module):
        super().__init__()
        self.step = step
        self.register_buffer("forward_params", torch.tensor([1, 1, 1, 1]))
        self.batch = 1
        self.state = step.initial_state(1)

    @torch.jit.export
    def get_methods(self) -> List[str]:
        return ["forward"]

    @torch.jit.export
    def get_attributes(self) -> List[str]:
        out: List[str] = []
        return out

    @torch.jit.export
    def get_latency_samples(self) -> int:
        return 0

    @torch.jit.export
    def reset(self) -> None:
        self.state = self.step.initial_state(self.batch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] != self.batch:
            self.batch = x.shape[0]
            self.reset()
        y, self.state = self.step(x[:, 0].to(torch.float32), self.state)
        return y.unsqueeze(1)


def self_test(module) -> None:
    """nn~'s arithmetic (rt_synth/export/nn_tilde_host.py) at 2048, batch 1 and 4: shapes and
    finiteness of every method; then back to silence at batch 1."""
    from rt_synth.export.nn_tilde_host import NNTildeHost

    for method in module.get_methods():
        for batch in (1, 4):
            host = NNTildeHost(module, method, buffer_size=2048, batch=batch)
            y = host.process(torch.zeros(batch, host.in_channels, 2048))
            if tuple(y.shape) != (batch, host.out_channels, 2048) or not torch.isfinite(y).all():
                raise RuntimeError(f"TorchScript self-test of {method}: got {tuple(y.shape)}")
    module.forward(torch.zeros(1, 1, 1))  # batch 1 again (a new batch size resets)
    module.reset()


def script_effect(model):
    """The scripted nn~ module of an EffectModel (not saved)."""
    import warnings

    module = NNTildeEffect(streaming_step(model)).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.script is deprecated in 2.13 but works
        return torch.jit.script(module)


def export_torchscript(model, path: str | Path) -> Path:
    path = Path(path)
    scripted = script_effect(model)
    self_test(scripted)
    path.parent.mkdir(parents=True, exist_ok=True)
    scripted.save(str(path))
    return path
