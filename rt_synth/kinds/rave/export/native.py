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
harmonic_head.py) are part of the format. Optional head keys, written only when they differ
from the default (so files of the plain head are unchanged):
  ``rt_synth.rave.harmonic_f0`` = 1       the conv also reads q and p (2 more input channels)
  ``rt_synth.rave.harmonic_latent`` = 0   the conv does not read z (default 1)
  ``rt_synth.rave.harmonic_loudness`` = 1 the conv also reads the loudness (1 more channel, the
        last), with ``rt_synth.rave.loudness_floor_db`` and ``rt_synth.rave.loudness_max``
        (float64; pitch_source.loudness_feature: -100 dB, 1.2)
  ``rt_synth.rave.harmonic_layers`` = L   L - 1 hidden 1x1 layers after the conv,
        ``decoder.harmonic_head.hidden.{j}.conv.*`` [C, C, 1] (default 1)
  ``rt_synth.rave.harmonic_noise`` = 1    M more outputs: per-band noise gains (out.conv is
        [1+H+M, C, 1]) on the decoder's noise stream
Decoder keys (optional, absent = 0): ``rt_synth.rave.decoder_gate_floor`` (float64, the gate
is f + (1 - f) sigmoid(amp)) and ``rt_synth.rave.decoder_dc_block_hz`` (float64, the per-band
DC blocker of band_dc_blocker.py). A file with any of the optional head or decoder keys is
format version 2 (rave_format_version), which a version-1 core refuses instead of skipping.
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


def rave_format_version(c) -> int:
    """2 when the file carries a key that a version-1 core would skip and then run another
    network (the DDSP-style head's keys, the gate floor, the DC blocker); else 1, so that
    files of the earlier designs stay readable by earlier cores."""
    newer = (getattr(c, "decoder_gate_floor", 0.0) != 0.0
             or getattr(c, "decoder_dc_block_hz", 0.0) != 0.0
             or (c.harmonics and (getattr(c, "harmonic_layers", 1) != 1
                                  or getattr(c, "harmonic_noise", False)
                                  or not getattr(c, "harmonic_latent", True)
                                  or getattr(c, "harmonic_loudness", False))))
    return 2 if newer else 1


def write_rave(model, path: str | Path, name: str, measurements: dict | None = None) -> Path:
    """measurements (optional, from rt_synth.kinds.rave.model.measure via the payload):
    ``latency_samples`` (measured onset/envelope delay) and ``heldout_distance``."""
    c = model.config
    w, path = open_writer(path, "rave", name, rave_format_version(c))
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
    gate_floor = float(getattr(c, "decoder_gate_floor", 0.0))
    if gate_floor != 0.0:  # decoder.py: bands = wave * (f + (1 - f) * sigmoid(amp)); absent = 0
        w.add_float64("rt_synth.rave.decoder_gate_floor", gate_floor)
    dc_hz = float(getattr(c, "decoder_dc_block_hz", 0.0))
    if dc_hz != 0.0:  # band_dc_blocker.py; absent = no DC blocker
        w.add_float64("rt_synth.rave.decoder_dc_block_hz", dc_hz)
    w.add_uint32("rt_synth.rave.band_delay_frames", c.band_delay_frames)
    w.add_float32("rt_synth.rave.input_gain", float(model.input_gain))
    w.add_uint32("rt_synth.control.latent_count", c.latent_size)
    w.add_float32("rt_synth.control.latent_offset_range", LATENT_OFFSET_RANGE)
    w.add_float32("rt_synth.control.latent_scale_max", LATENT_SCALE_MAX)
    if c.pitch_source:
        from rt_synth.kinds.rave.model import pitch_source as ps

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
        if not c.harmonic_latent:
            w.add_uint32("rt_synth.rave.harmonic_latent", 0)
        if c.harmonic_loudness:
            from rt_synth.kinds.rave.model import pitch_source as ps

            w.add_uint32("rt_synth.rave.harmonic_loudness", 1)
            w.add_float64("rt_synth.rave.loudness_floor_db", float(ps.LOUDNESS_FLOOR_DB))
            w.add_float64("rt_synth.rave.loudness_max", float(ps.LOUDNESS_MAX))
        if c.harmonic_layers != 1:
            w.add_uint32("rt_synth.rave.harmonic_layers", c.harmonic_layers)
        if c.harmonic_noise:
            w.add_uint32("rt_synth.rave.harmonic_noise", 1)
    m = measurements or {}
    if "latency_samples" in m:
        w.add_float32("rt_synth.rave.measured_latency_samples", float(m["latency_samples"]))
    if "heldout_distance" in m:
        w.add_float32("rt_synth.rave.heldout_distance", float(m["heldout_distance"]))
    finish_writer(w, rave_tensors(model))
    return path
