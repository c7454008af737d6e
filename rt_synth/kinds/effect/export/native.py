"""Native model file of kind "effect" (docs/effect-models.md), read by the C++ core
(csrc/kinds/effect/effect_model.cpp). Keys: rt_synth.effect.arch, .hidden_size,
.num_layers, .skip; tensors lstm.l{k}.weight_ih/weight_hh/bias_ih/bias_hh and head.weight/bias
under PyTorch's shapes."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rt_synth.errors import UserError
from rt_synth.export.native import finish_writer, open_writer


def write_effect(model, path: str | Path, name: str) -> Path:
    c = model.config
    if c.arch != "lstm":
        raise UserError(f"{name}: the core plays effect models of arch 'lstm' so far; a "
                        f"{c.arch!r} model exports its checkpoint only (issue 11)")
    w, path = open_writer(path, "effect", name)
    w.add_uint32("rt_synth.sample_rate", c.sample_rate)
    w.add_uint32("rt_synth.latency_samples", 0)
    w.add_uint64("rt_synth.parameters", int(model.n_parameters))
    w.add_string("rt_synth.effect.arch", c.arch)
    w.add_uint32("rt_synth.effect.hidden_size", c.hidden_size)
    w.add_uint32("rt_synth.effect.num_layers", c.num_layers)
    w.add_uint32("rt_synth.effect.skip", int(bool(c.skip)))
    tensors = {}
    for k, t in model.net.state_dict().items():
        a = t.detach().cpu().float().numpy().astype(np.float32)
        if k.startswith("lstm."):
            field, layer = k[len("lstm."):].rsplit("_l", 1)  # weight_ih_l0 → (weight_ih, 0)
            tensors[f"lstm.l{layer}.{field}"] = a
        else:
            tensors[k] = a
    finish_writer(w, tensors)
    return path
