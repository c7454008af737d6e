"""Measurements of a trained model: held-out reconstruction distance and latency.

Latency: the spectral losses fix the timing of the output's envelope, not its phase, so the
delay is measured on envelopes: RMS in frames of `hop` samples of input and output, the lag
that maximises their cross-correlation (resolution `hop`, refined by a parabola through the
peak). The onset variant finds the first frame of the output over -20 dB of its peak after
an input that starts from silence.
"""
from __future__ import annotations

import numpy as np
import torch


def envelope(x: np.ndarray, hop: int) -> np.ndarray:
    n = len(x) // hop
    return np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)


def envelope_lag(x: np.ndarray, y: np.ndarray, hop: int = 16, max_lag: int = 2048) -> float:
    """Samples by which y's envelope lags x's (log envelopes, mean removed)."""
    ex, ey = np.log(envelope(x, hop)), np.log(envelope(y, hop))
    ex, ey = ex - ex.mean(), ey - ey.mean()
    lags = np.arange(0, max_lag // hop + 1)
    n = len(ex)
    c = np.array([np.dot(ex[: n - k], ey[k:]) / (n - k) for k in lags])
    i = int(np.argmax(c))
    frac = 0.0
    if 0 < i < len(c) - 1:
        a, b, d = c[i - 1], c[i], c[i + 1]
        den = a - 2 * b + d
        frac = 0.5 * (a - d) / den if den != 0 else 0.0
    return float((lags[i] + frac) * hop)


def onset_time(x: np.ndarray, hop: int = 16, threshold_db: float = -20.0) -> int:
    e = envelope(x, hop)
    above = np.nonzero(20 * np.log10(e / e.max()) > threshold_db)[0]
    return int(above[0] * hop) if len(above) else -1


@torch.no_grad()
def measure_latency(model, audio: list[np.ndarray], hop: int = 16) -> dict:
    """Envelope-lag latency over held-out clips (median) and an onset test: each clip
    preceded by 0.5 s of silence."""
    model.eval()
    lags, onsets = [], []
    r = model.config.ratio
    for a in audio:
        a = a[: len(a) // r * r].astype(np.float32)
        y = model.reconstruct(torch.from_numpy(a)[None, None])[0, 0].numpy()
        lags.append(envelope_lag(a, y, hop))
        pad = np.concatenate([np.zeros(r * (24000 // r), np.float32), a])
        yp = model.reconstruct(torch.from_numpy(pad)[None, None])[0, 0].numpy()
        onsets.append(onset_time(yp, hop) - onset_time(pad, hop))
    return {"envelope_lag_median": float(np.median(lags)), "envelope_lags": lags,
            "onset_delay_median": float(np.median(onsets)), "onset_delays": onsets,
            "resolution": hop}
