"""ONNX export of one streaming block of an effect model, the state as explicit inputs and
outputs (the same step as the TorchScript export, rt_synth/kinds/effect/export/torchscript.py).

Inputs:  audio [1, 1, n] (n = the block, fixed at export: ONNX fixes an LSTM's time axis to
         the example's length; 64 samples × --onnx-frames); a model with knobs then takes
         ``knobs`` [1, K, n], each knob's value per sample in its own units (clamped to its
         range, NaN = its default, as the core does; order in rt_synth.effect.knobs); then the
         state:
         lstm: ``h_in``, ``c_in`` [layers, 1, hidden];
         wavenet: ``layer_<i>_in`` [1, channels, (kernel − 1)·dilation] per layer (the last
         samples of that layer's input).
Outputs: ``audio_out`` [1, 1, n], then ``h_out``, ``c_out`` / ``layer_<i>_out`` in the same
         order; feed each block's state outputs back as the next block's inputs.
Zeros are the state after reset: the state is held as its difference from silence's state
(a WaveNet layer's history under silence is its biases' response, not zero; an LSTM with a
learned initial state starts from h0, c0), so a host starts and resets with zeros. With knobs,
zeros are silence at the knobs' defaults (a stream started at other values settles within the
receptive field).
Metadata (``metadata_props``): rt_synth.kind = effect, rt_synth.effect.arch,
rt_synth.sample_rate, rt_synth.block (n), rt_synth.latency_samples = 0, rt_synth.state.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rt_synth.kinds.effect.export.torchscript import streaming_step

SAMPLES_PER_FRAME = 64  # an effect's ONNX block is --onnx-frames × 64 samples


class EffectOnnxStep(nn.Module):
    def __init__(self, step: nn.Module, knobs: list):
        super().__init__()
        from rt_synth.kinds.effect.export.torchscript import KnobInputs

        self.step = step
        self.n_knobs = len(knobs)
        self.knob_inputs = KnobInputs(knobs) if knobs else None

    def forward(self, audio, *rest):
        if self.n_knobs:
            knobs, state = self.knob_inputs(rest[0]), list(rest[1:])
        else:
            knobs, state = audio[:, 1:1], list(rest)
        y, new = self.step(audio[:, 0], knobs, state)
        return (y.unsqueeze(1), *new)


def state_names(model) -> list[str]:
    if model.config.arch == "lstm":
        return ["h", "c"]
    return [f"layer_{i}" for i in range(sum(len(la["dilations"]) for la in model.config.layers))]


def export_onnx(model, path: str | Path, block: int = SAMPLES_PER_FRAME) -> Path:
    import warnings

    import onnx

    path = Path(path)
    if block < 1:
        raise ValueError(f"ONNX block must be ≥ 1 sample, got {block}")
    step = streaming_step(model, offset=True)
    state = step.initial_state(1)
    names = state_names(model)
    audio = torch.zeros(1, 1, block)
    knobs = list(model.config.knobs)
    extra = (torch.tensor([float(k["default"]) for k in knobs]).view(1, -1, 1).expand(1, len(knobs), block)
             .contiguous(),) if knobs else ()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(EffectOnnxStep(step, knobs).eval(), (audio, *extra, *state), str(path),
                          input_names=["audio"] + (["knobs"] if knobs else []) + [n + "_in" for n in names],
                          output_names=["audio_out"] + [n + "_out" for n in names],
                          opset_version=17, dynamo=False)
    m = onnx.load(str(path))
    onnx.helper.set_model_props(m, {
        "rt_synth.kind": "effect",
        "rt_synth.effect.arch": model.config.arch,
        "rt_synth.sample_rate": str(model.config.sample_rate),
        "rt_synth.block": str(block),
        "rt_synth.latency_samples": "0",
        "rt_synth.state": "zeros = the state after reset; feed each *_out back as *_in",
        **({"rt_synth.effect.knobs": ",".join(k["name"] for k in knobs)} if knobs else {}),
    })
    onnx.save(m, str(path))
    return path


class OnnxEffectStream:
    """Runs the exported block after block in onnxruntime (single thread by default)."""

    def __init__(self, path: str | Path, threads: int = 1):
        import numpy as np

        from rt_synth.export.onnx_runtime import cpu_session

        self.session, shapes = cpu_session(path, threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.block = int(meta.get("rt_synth.block", shapes["audio"][2]))
        self.state_names = [i.name for i in self.session.get_inputs() if i.name.endswith("_in")]
        self.state = {n: np.zeros(shapes[n], np.float32) for n in self.state_names}
        self.knob_names = [k for k in meta.get("rt_synth.effect.knobs", "").split(",") if k]

    def reset(self) -> None:
        for v in self.state.values():
            v[...] = 0

    def step(self, audio, knobs=None):
        """audio [1, 1, block] float32 (and, with knobs, knobs [1, K, block] in their units)
        → [1, 1, block], continuing the stream."""
        feed = {"audio": audio, **self.state}
        if self.knob_names:
            if knobs is None:
                raise ValueError(f"this ONNX effect takes knobs {self.knob_names} [1, K, block]")
            feed["knobs"] = knobs
        out = self.session.run(None, feed)
        for name, value in zip(self.state_names, out[1:]):
            self.state[name] = value
        return out[0]
