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

from rt_synth.export.nn_tilde_host import self_test


class WaveNetStep(nn.Module):
    """N samples of a WaveNetEffect from each layer's cached input history.

    forward(x [B, N], state) → (y [B, N], new state); state = one tensor per layer,
    [B, channels, (kernel − 1)·dilation]. With ``offset`` the state is held as its difference
    from silence's state, so that zeros are the state after reset (the ONNX contract)."""

    def __init__(self, net, offset: bool = False, default_knobs: Optional[List[float]] = None):
        super().__init__()
        self.arrays = net.arrays
        self.head_scale = float(net.head_scale)
        self.offset = bool(offset)
        self.n_knobs = int(net.n_knobs)
        self.history: List[int] = [int((layer.conv.kernel_size[0] - 1) * layer.conv.dilation[0])
                                   for arr in net.arrays for layer in arr.layers]
        with torch.no_grad():  # silence at the defaults: the reset state (ONNX: its zeros)
            self.silence: List[torch.Tensor] = [
                t.detach().clone() for t in self.silence_at(torch.tensor(default_knobs or [], dtype=torch.float32))]

    @torch.jit.export
    def silence_at(self, knobs: torch.Tensor) -> List[torch.Tensor]:
        """Each layer's input under silence with the condition's knob rows at `knobs` [K]
        (normalised): [1, channels, 1] per layer. What reset leaves for a stream whose first
        knob values are these (the core and WaveNetEffect.forward pad the same way)."""
        c = torch.cat([torch.zeros(1, 1, 1), knobs.view(1, -1, 1).to(torch.float32)], 1)
        out: List[torch.Tensor] = []
        v = torch.zeros(1, 1, 1)
        for arr in self.arrays:
            v = arr.rechannel(v)
            for layer in arr.layers:
                out.append(v)
                k = (layer.conv.kernel_size[0] - 1) * layer.conv.dilation[0]
                v, _ = layer(v.expand(1, v.shape[1], k + 1), c)
        return out

    @torch.jit.export
    def state_at(self, batch: int, knobs: torch.Tensor) -> List[torch.Tensor]:
        """The state after reset for a stream whose first knob values are `knobs` [K]."""
        sil = self.silence_at(knobs)
        out: List[torch.Tensor] = []
        for i in range(len(self.history)):
            out.append(sil[i].expand(batch, sil[i].shape[1], self.history[i]).contiguous())
        return out

    @torch.jit.export
    def initial_state(self, batch: int) -> List[torch.Tensor]:
        out: List[torch.Tensor] = []
        for i in range(len(self.history)):
            s = self.silence[i]
            if self.offset:
                s = torch.zeros_like(s)
            out.append(s.expand(batch, s.shape[1], self.history[i]).contiguous())
        return out

    def forward(self, x: torch.Tensor, knobs: torch.Tensor, state: List[torch.Tensor]
                ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """x [B, N], knobs [B, K, N] normalised (K = 0: an empty [B, 0, N])."""
        c = torch.cat([x.unsqueeze(1), knobs], 1)
        h = x.unsqueeze(1)
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


class LSTMStep(nn.Module):
    """N samples of an LSTMEffect from its (h, c) state ([layers, B, hidden] each). With
    ``offset`` the state is held as its difference from the initial state (zeros = reset)."""

    def __init__(self, net, offset: bool = False):
        super().__init__()
        self.lstm, self.head, self.skip = net.lstm, net.head, bool(net.skip)
        self.n_knobs = int(net.n_knobs)
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

    @torch.jit.export
    def state_at(self, batch: int, knobs: torch.Tensor) -> List[torch.Tensor]:
        return self.initial_state(batch)  # the recurrent state does not depend on the knobs

    def forward(self, x: torch.Tensor, knobs: torch.Tensor, state: List[torch.Tensor]
                ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """x [B, N], knobs [B, K, N] normalised (K = 0: an empty [B, 0, N])."""
        h, c = state[0], state[1]
        if self.offset:
            h, c = h + self.h0, c + self.c0
        inp = torch.cat([x.unsqueeze(1), knobs], 1).transpose(1, 2)
        out, hc = self.lstm(inp, (h, c))  # as LSTMEffect.step
        y = self.head(out)[:, :, 0]
        if self.skip:
            y = y + x
        h, c = hc
        if self.offset:
            h, c = h - self.h0, c - self.c0
        return y, [h, c]


def streaming_step(model, offset: bool = False) -> nn.Module:
    """The EffectModel's streaming step (float32, eval): forward(x [B, N], knobs [B, K, N]
    normalised, state) → (y, new state). A WaveNet's reset state is silence at the knobs'
    defaults (``state_at`` gives it at other values)."""
    cfg = model.config
    net = model.float().eval().net
    if cfg.arch == "lstm":
        return LSTMStep(net, offset).eval()
    if cfg.arch == "wavenet":
        return WaveNetStep(net, offset, cfg.normalise_knobs(cfg.knob_defaults()) if cfg.knobs else None).eval()
    raise ValueError(f"effect arch {cfg.arch!r} has no streaming step")


class KnobInputs(nn.Module):
    """Knob values in their own units (channels 1..K of the input) → the network's 0..1:
    clamped to each knob's range (NaN → its default), then normalised, as the core does."""

    def __init__(self, knobs: list):
        super().__init__()
        self.register_buffer("lo", torch.tensor([float(k["min"]) for k in knobs], dtype=torch.float32).view(1, -1, 1))
        self.register_buffer("hi", torch.tensor([float(k["max"]) for k in knobs], dtype=torch.float32).view(1, -1, 1))
        self.register_buffer("default", torch.tensor([float(k["default"]) for k in knobs],
                                                     dtype=torch.float32).view(1, -1, 1))

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        v = torch.where(torch.isnan(raw), self.default.expand_as(raw), raw)
        v = torch.minimum(torch.maximum(v, self.lo), self.hi)
        return (v - self.lo) / torch.clamp(self.hi - self.lo, min=1e-12)


class NNTildeEffect(nn.Module):
    state: List[torch.Tensor]
    knob_names: List[str]

    def __init__(self, step: nn.Module, knobs: list):
        super().__init__()
        self.step = step
        self.n_knobs = len(knobs)
        self.knob_names: List[str] = [str(k["name"]) for k in knobs]
        self.knob_inputs = KnobInputs(knobs)
        # inlets: the audio, then one signal per knob in its own units (Pd: [sig~ 20])
        self.register_buffer("forward_params", torch.tensor([1 + len(knobs), 1, 1, 1]))
        self.batch = 1
        self.state = step.initial_state(1)
        self.fresh = True  # nothing played since reset: the first call's knobs set the silence

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
    def get_knob_names(self) -> List[str]:
        """The knobs, in inlet order after the audio (inlet 2 = the first)."""
        return self.knob_names

    @torch.jit.export
    def reset(self) -> None:
        self.state = self.step.initial_state(self.batch)
        self.fresh = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] != self.batch:
            self.batch = x.shape[0]
            self.reset()
        with torch.no_grad():  # a player: no autograd (the state may come from inference mode)
            x = x.to(torch.float32)
            knobs = self.knob_inputs(x[:, 1:]) if self.n_knobs > 0 else x[:, 1:1]
            if self.fresh and self.n_knobs > 0 and x.shape[2] > 0:
                self.state = self.step.state_at(self.batch, knobs[0, :, 0])
            self.fresh = False
            y, self.state = self.step(x[:, 0], knobs, self.state)
            return y.unsqueeze(1)


def script_effect(model):
    """The scripted nn~ module of an EffectModel (not saved)."""
    import warnings

    module = NNTildeEffect(streaming_step(model), list(model.config.knobs)).eval()
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
