"""Resynthesis quality of a DDSP model on audio it never saw, measured with trackers that are
not the model's own: f0 by librosa's pYIN, loudness as an RMS curve in dB.

    f0 error        median |cents| between the original's and the resynthesis' pYIN f0, over
                    frames both call voiced
    loudness error  mean |dB| between the RMS curves (2048-sample frames, hop 512), over frames
                    where the original is within 40 dB of its peak (rests excluded)

The resynthesis is compared after removing the model's analysis delay (feature_delay), which
offline rendering can undo.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class ResynthesisScore:
    f0_median_cents: float
    f0_voiced_frames: int
    loudness_mean_abs_db: float
    loudness_frames: int

    def to_dict(self) -> dict:
        return asdict(self)


def pyin_track(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(f0 Hz, voiced flags) by librosa's pYIN, the settings every f0 error here uses
    (rt_synth.eval.pyin: librosa.pyin with an exact, faster Viterbi decoder)."""
    from rt_synth.eval.pyin import pyin

    return pyin(audio, sample_rate)


def f0_error_from_tracks(a: tuple, b: tuple) -> tuple[float, int]:
    """Median |cents| between two pYIN tracks over frames both call voiced, and that frame count."""
    (f_a, v_a), (f_b, v_b) = a, b
    n = min(len(f_a), len(f_b))
    both = v_a[:n] & v_b[:n] & np.isfinite(f_a[:n]) & np.isfinite(f_b[:n])
    if not both.any():
        return float("nan"), 0
    cents = 1200 * np.abs(np.log2(f_b[:n][both] / f_a[:n][both]))
    return float(np.median(cents)), int(both.sum())


def f0_error_cents(original: np.ndarray, resynth: np.ndarray, sample_rate: int) -> tuple[float, int]:
    return f0_error_from_tracks(pyin_track(original, sample_rate), pyin_track(resynth, sample_rate))


def rms_db(audio: np.ndarray, frame: int = 2048, hop: int = 512) -> np.ndarray:
    audio = np.pad(np.asarray(audio, np.float64), (frame // 2, frame // 2))
    n = 1 + (len(audio) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    return 10 * np.log10(np.mean(audio[idx] ** 2, axis=1) + 1e-10)


def loudness_error_db(original: np.ndarray, resynth: np.ndarray, floor_db: float = 40.0):
    a, b = rms_db(original), rms_db(resynth)
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    mask = a > a.max() - floor_db
    if not mask.any():
        return float("nan"), 0
    return float(np.mean(np.abs(a[mask] - b[mask]))), int(mask.sum())


def score(original: np.ndarray, resynth: np.ndarray, sample_rate: int) -> ResynthesisScore:
    n = min(len(original), len(resynth))
    f0_err, f0_n = f0_error_cents(original[:n], resynth[:n], sample_rate)
    ld_err, ld_n = loudness_error_db(original[:n], resynth[:n])
    return ResynthesisScore(f0_err, f0_n, ld_err, ld_n)
