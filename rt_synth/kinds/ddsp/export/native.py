"""Native model file of kind "ddsp" (docs/model-format.md), read by the C++ core."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rt_synth.export.native import finish_writer, open_writer


def _ddsp_tensors(decoder) -> dict[str, np.ndarray]:
    out = {}
    for name, t in decoder.state_dict().items():
        if name in ("f0_midi_mean", "f0_midi_std", "loudness_mean", "loudness_std"):
            continue  # stored as metadata
        name = name.replace("weight_ih_l0", "weight_ih").replace("weight_hh_l0", "weight_hh")
        name = name.replace("bias_ih_l0", "bias_ih").replace("bias_hh_l0", "bias_hh")
        out[name] = t.detach().cpu().to(dtype=__import__("torch").float32).numpy()
    return out


def write_ddsp(model, path: str | Path, name: str, feature_delay: int = 0) -> Path:
    """Write a DDSPModel to `path` (the .rtsynth extension is added if missing)."""
    c = model.config
    d = model.decoder
    w, path = open_writer(path, "ddsp", name)
    w.add_uint32("rt_synth.sample_rate", c.sample_rate)
    w.add_uint32("rt_synth.hop", c.hop)
    w.add_uint32("rt_synth.latency_samples", 0)  # control path: docs/ddsp-maths.md §6
    w.add_uint32("rt_synth.feature_delay_samples", int(feature_delay))
    w.add_uint64("rt_synth.parameters", int(model.n_parameters))
    w.add_uint32("rt_synth.ddsp.n_harmonics", c.n_harmonics)
    w.add_uint32("rt_synth.ddsp.n_noise_bands", c.n_noise_bands)
    w.add_uint32("rt_synth.ddsp.hidden_size", c.hidden_size)
    w.add_uint32("rt_synth.ddsp.gru_size", c.gru_size)
    w.add_uint32("rt_synth.ddsp.mlp_layers", c.mlp_layers)
    w.add_float32("rt_synth.ddsp.f0_midi_mean", float(d.f0_midi_mean))
    w.add_float32("rt_synth.ddsp.f0_midi_std", float(d.f0_midi_std))
    w.add_float32("rt_synth.ddsp.loudness_mean", float(d.loudness_mean))
    w.add_float32("rt_synth.ddsp.loudness_std", float(d.loudness_std))
    w.add_float32("rt_synth.control.f0_min_hz", float(c.f0_min_hz))
    w.add_float32("rt_synth.control.f0_max_hz", float(c.f0_max_hz))
    w.add_float32("rt_synth.control.loudness_min_db", float(c.loudness_min_db))
    w.add_float32("rt_synth.control.loudness_max_db", float(c.loudness_max_db))
    finish_writer(w, _ddsp_tensors(d))
    return path
