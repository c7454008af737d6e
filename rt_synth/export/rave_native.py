"""Native model file (GGUF, docs/model-format.md "RAVE") of kind "rave", read by the C++ core.

Tensors are the model's state_dict entries under their PyTorch names and shapes (float32):
the PQMF filters (``pqmf.analysis.conv.weight`` [M, 1, N] — already flipped for a
correlation, as nn.Conv1d uses it — and ``pqmf.synthesis.conv.weight`` [M, 1, N], scaled by
M), every conv of the encoder and decoder (``*.conv.weight``/``*.conv.bias``, Conv1d
[C_out, C_in, k], ConvTranspose1d [C_in, C_out, k]) and the latent statistics
(``latent_mean`` [D], ``latent_pca`` [D, D] rows = directions, ``latent_std`` [D]).

Pitch source (config.pitch_source): ``rt_synth.rave.pitch_source`` = 1, the tracker's range and
threshold and the excitation's constants as float64 keys (the core must use exactly the values
PyTorch used: they decide the YIN lag range and the harmonic count K), and the last decoder
stage's ``exc_in.conv.*`` [C, M, k] and ``exc_film.conv.*`` [C, C, 1]. Without one the keys are
absent (older files and readers are unaffected).

Harmonic head (config.harmonics > 0): ``rt_synth.rave.harmonics`` (H) and
``rt_synth.rave.harmonic_channels`` (C), and ``decoder.harmonic_head.conv.conv.*`` [C, D, k],
``decoder.harmonic_head.out.conv.*`` [1+H, C, 1]. The amplitude constants (2, ln 10, 1e-7;
harmonic_head.py) are part of the format.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from rt_synth.export.native import finish_writer, open_writer

NOISE_SEED = 0
LATENT_OFFSET_RANGE = 3.0  # a CC offsets control i by up to ±3 std_i
LATENT_SCALE_MAX = 2.0  # and scales it by 0..2


def rave_tensors(model) -> dict[str, np.ndarray]:
    out = {}
    for name, t in model.state_dict().items():
        if name in ("latent_stats_ready", "input_gain"):  # stored as metadata
            continue
        out[name] = t.detach().cpu().to(torch.float32).numpy()
    return out


def write_rave(model, path: str | Path, name: str, measurements: dict | None = None) -> Path:
    """measurements (optional, from rt_synth.models.rave.measure via the payload):
    ``latency_samples`` (measured onset/envelope delay) and ``heldout_distance``."""
    c = model.config
    if c.harmonics and (c.harmonic_loudness or not c.harmonic_latent or c.harmonic_layers != 1):
        from rt_synth.errors import UserError

        raise UserError(f"{name}: the core runs a harmonic head of one hidden layer on the "
                        "latent (+ f0); this model's head (harmonic_latent, harmonic_loudness, "
                        "harmonic_layers) is a training-time experiment the native format does "
                        "not carry yet (docs/rave.md section 13)")
    w, path = open_writer(path, "rave", name)
    w.add_uint32("rt_synth.sample_rate", c.sample_rate)
    w.add_uint32("rt_synth.hop", c.ratio)
    w.add_uint32("rt_synth.latency_samples", c.latency)
    w.add_uint64("rt_synth.parameters", int(model.n_parameters))
    w.add_uint32("rt_synth.rave.n_bands", c.n_bands)
    w.add_uint32("rt_synth.rave.pqmf_taps", c.pqmf_taps)
    w.add_float32("rt_synth.rave.pqmf_beta", float(c.pqmf_beta))
    w.add_uint32("rt_synth.rave.latent_size", c.latent_size)
    w.add_array("rt_synth.rave.encoder_channels", [int(v) for v in c.encoder_channels])
    w.add_array("rt_synth.rave.encoder_strides", [int(v) for v in c.encoder_strides])
    w.add_array("rt_synth.rave.decoder_channels", [int(v) for v in c.decoder_channels])
    w.add_array("rt_synth.rave.decoder_strides", [int(v) for v in c.decoder_strides])
    w.add_array("rt_synth.rave.dilations", [int(v) for v in c.dilations])
    w.add_uint32("rt_synth.rave.kernel", c.kernel)
    w.add_uint32("rt_synth.rave.noise", int(bool(c.noise)))
    w.add_uint32("rt_synth.rave.noise_seed", NOISE_SEED)
    w.add_float32("rt_synth.rave.leaky_slope", float(c.leaky_slope))
    w.add_uint32("rt_synth.rave.band_delay_frames", c.band_delay_frames)
    w.add_float32("rt_synth.rave.input_gain", float(model.input_gain))
    w.add_uint32("rt_synth.control.latent_count", c.latent_size)
    w.add_float32("rt_synth.control.latent_offset_range", LATENT_OFFSET_RANGE)
    w.add_float32("rt_synth.control.latent_scale_max", LATENT_SCALE_MAX)
    if c.pitch_source:
        from rt_synth.models.rave import pitch_source as ps

        w.add_uint32("rt_synth.rave.pitch_source", 1)
        w.add_float64("rt_synth.rave.pitch_f0_min", float(c.pitch_f0_min))
        w.add_float64("rt_synth.rave.pitch_f0_max", float(c.pitch_f0_max))
        w.add_float64("rt_synth.rave.pitch_threshold", float(c.pitch_threshold))
        w.add_float64("rt_synth.rave.pitch_harmonic_limit", float(ps.HARMONIC_LIMIT))
        w.add_float64("rt_synth.rave.pitch_gate_low", float(ps.GATE_LOW))
        w.add_float64("rt_synth.rave.pitch_gate_high", float(ps.GATE_HIGH))
        w.add_float64("rt_synth.rave.pitch_level", float(ps.LEVEL))
    if c.harmonics:
        w.add_uint32("rt_synth.rave.harmonics", c.harmonics)
        w.add_uint32("rt_synth.rave.harmonic_channels", c.harmonic_channels)
        if c.harmonic_f0:
            w.add_uint32("rt_synth.rave.harmonic_f0", 1)
    m = measurements or {}
    if "latency_samples" in m:
        w.add_float32("rt_synth.rave.measured_latency_samples", float(m["latency_samples"]))
    if "heldout_distance" in m:
        w.add_float32("rt_synth.rave.heldout_distance", float(m["heldout_distance"]))
    finish_writer(w, rave_tensors(model))
    return path
