"""Native model file of kind "effect" (docs/effect-models.md), read by the C++ core
(csrc/kinds/effect/). Key rt_synth.effect.arch, then
- lstm: rt_synth.effect.hidden_size, .num_layers, .skip; tensors lstm.l{k}.weight_ih /
  weight_hh / bias_ih / bias_hh and head.weight / bias, and when the model has a learned
  initial state (an imported NAM LSTM) lstm.l{k}.h0 / c0 [hidden] (absent: zeros);
- wavenet: rt_synth.effect.wavenet.arrays, .head_scale and per array A .A.input_size,
  condition_size, head_size, channels, kernel_size, dilations (array), activation, gated,
  head_bias; tensors under the PyTorch names (arrays.A.rechannel.weight, arrays.A.layers.L.
  conv.weight/bias, .input_mixer.weight, .layer1x1.weight/bias, arrays.A.head_rechannel.*).
Knobs (a conditioned model, docs/effect-models.md "Knobs"): rt_synth.effect.knobs.names
(strings), .min, .max, .default (float32 arrays, one entry per knob); the LSTM's first layer
then reads 1 + K inputs and every WaveNet array's condition_size is 1 + K. Absent: no knobs.
Extra metadata (an imported .nam's rt_synth.effect.nam.* keys, rt_synth/kinds/effect/
nam_import.py) is written under the names given: strings as strings, numbers as float32."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rt_synth.errors import UserError
from rt_synth.export.native import finish_writer, open_writer


def write_effect(model, path: str | Path, name: str, extra_metadata: dict | None = None) -> Path:
    c = model.config
    if c.arch not in ("lstm", "wavenet"):
        raise UserError(f"{name}: effect arch {c.arch!r} has no native form")
    if c.arch == "wavenet":
        return _write_wavenet(model, path, name, extra_metadata)
    w, path = open_writer(path, "effect", name)
    _add_extra(w, extra_metadata)
    w.add_uint32("rt_synth.sample_rate", c.sample_rate)
    w.add_uint32("rt_synth.latency_samples", 0)
    w.add_uint64("rt_synth.parameters", int(model.n_parameters))
    w.add_string("rt_synth.effect.arch", c.arch)
    _add_knobs(w, c)
    w.add_uint32("rt_synth.effect.hidden_size", c.hidden_size)
    w.add_uint32("rt_synth.effect.num_layers", c.num_layers)
    w.add_uint32("rt_synth.effect.skip", int(bool(c.skip)))
    tensors = {}
    for k, t in model.net.state_dict().items():
        a = t.detach().cpu().float().numpy().astype(np.float32)
        if k.startswith("lstm."):
            field, layer = k[len("lstm."):].rsplit("_l", 1)  # weight_ih_l0 → (weight_ih, 0)
            tensors[f"lstm.l{layer}.{field}"] = a
        elif k in ("h0", "c0"):  # learned initial state [num_layers, hidden]
            for layer, row in enumerate(a):
                tensors[f"lstm.l{layer}.{k}"] = row
        else:
            tensors[k] = a
    finish_writer(w, tensors)
    return path


def _add_knobs(w, c) -> None:
    if not c.knobs:
        return  # an unconditioned model's file is as it always was
    for k in c.knobs:
        lo, hi, d = float(k["min"]), float(k["max"]), float(k["default"])
        if not (np.isfinite([lo, hi, d]).all() and lo < hi and lo <= d <= hi):
            raise UserError(f"knob {k['name']!r}: needs finite min < max and min <= default <= max, "
                            f"got {lo}, {hi}, {d}")
    w.add_array("rt_synth.effect.knobs.names", [str(k["name"]) for k in c.knobs])
    for key in ("min", "max", "default"):
        w.add_array(f"rt_synth.effect.knobs.{key}", [float(k[key]) for k in c.knobs])


def _add_extra(w, extra: dict | None) -> None:
    for key, value in (extra or {}).items():
        if isinstance(value, str):
            w.add_string(key, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            w.add_float32(key, float(value))
        else:
            raise ValueError(f"metadata {key}: {type(value).__name__} is not a string or number")


def _write_wavenet(model, path, name: str, extra_metadata: dict | None = None) -> Path:
    c = model.config
    w, path = open_writer(path, "effect", name)
    _add_extra(w, extra_metadata)
    w.add_uint32("rt_synth.sample_rate", c.sample_rate)
    w.add_uint32("rt_synth.latency_samples", 0)
    w.add_uint64("rt_synth.parameters", int(model.n_parameters))
    w.add_string("rt_synth.effect.arch", "wavenet")
    _add_knobs(w, c)
    w.add_uint32("rt_synth.effect.wavenet.arrays", len(c.layers))
    w.add_float32("rt_synth.effect.wavenet.head_scale", float(c.head_scale))
    for a, la in enumerate(c.layers):
        p = f"rt_synth.effect.wavenet.{a}."
        for key in ("input_size", "condition_size", "head_size", "channels", "kernel_size"):
            w.add_uint32(p + key, int(la[key]))
        w.add_array(p + "dilations", [int(d) for d in la["dilations"]])
        w.add_string(p + "activation", str(la.get("activation", "Tanh")))
        w.add_uint32(p + "gated", int(bool(la.get("gated", False))))
        w.add_uint32(p + "head_bias", int(bool(la.get("head_bias", False))))
    tensors = {k: t.detach().cpu().float().numpy().astype(np.float32)
               for k, t in model.net.state_dict().items()}
    finish_writer(w, tensors)
    return path
