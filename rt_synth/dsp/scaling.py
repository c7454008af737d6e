"""Scaling of raw network outputs into synthesis controls, and pitch unit conversions.

``exp_sigmoid`` is the exact curve of docs/ddsp-maths.md section 1::

    exp_sigmoid(x) = max_value * sigmoid(x) ** exponent + threshold
                   = 2 * sigmoid(x) ** ln(10) + 1e-7            (defaults)

``hz_to_midi`` / ``midi_to_hz`` accept torch tensors, numpy arrays and Python floats and
return the same kind (``midi(f) = 69 + 12 * log2(f / 440)``).
"""
from __future__ import annotations

import math

import numpy as np
import torch

LN10 = math.log(10.0)


def exp_sigmoid(x: torch.Tensor, exponent: float = LN10, max_value: float = 2.0,
                threshold: float = 1e-7) -> torch.Tensor:
    """``max_value * sigmoid(x) ** exponent + threshold``: soft, positive, log-like.

    Works on torch tensors (any float dtype, differentiable) and on numpy arrays."""
    if isinstance(x, torch.Tensor):
        return max_value * torch.sigmoid(x) ** exponent + threshold
    x = np.asarray(x)
    # numerically safe logistic: 0.5 * (1 + tanh(x / 2))
    sig = 0.5 * (1.0 + np.tanh(0.5 * x))
    return max_value * sig ** exponent + threshold


def hz_to_midi(f_hz):
    """MIDI note number of a frequency: ``69 + 12 * log2(f / 440)`` (f must be > 0)."""
    if isinstance(f_hz, torch.Tensor):
        return 69.0 + 12.0 * torch.log2(f_hz / 440.0)
    if isinstance(f_hz, np.ndarray):
        return 69.0 + 12.0 * np.log2(f_hz / 440.0)
    return 69.0 + 12.0 * math.log2(float(f_hz) / 440.0)


def midi_to_hz(midi):
    """Frequency of a MIDI note number: ``440 * 2 ** ((m - 69) / 12)``."""
    if isinstance(midi, torch.Tensor):
        return 440.0 * torch.pow(2.0, (midi - 69.0) / 12.0)
    if isinstance(midi, np.ndarray):
        return 440.0 * np.power(2.0, (midi - 69.0) / 12.0)
    return 440.0 * 2.0 ** ((float(midi) - 69.0) / 12.0)
