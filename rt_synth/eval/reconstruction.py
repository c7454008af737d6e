"""How well an output follows an input it should reconstruct (unpitched input, chords).

For an aligned pair (input x, output y; the model's latency already removed):

    peak            max |y| (and max |x| beside it): bounded output
    envelope corr   Pearson correlation of the RMS curves in dB (rt_synth.eval.resynthesis.
                    rms_db: frames 2048, hop 512), both floored at x's loudest frame - 60 dB,
                    over all frames: silence between hits counts, a model that keeps
                    sounding in the gaps loses here. 1 = the same envelope shape
    envelope error  mean |dB| between the RMS curves over the frames where x is within 40 dB
                    of its peak (resynthesis.loudness_error_db, the loudness-curve error)
    MSS             the trainer's full-band multi-scale spectral distance (rt_synth.eval.
                    rave_heldout.spectral_distance: linear + log magnitudes, FFT 2048..128)
                    with both signals scaled by one gain that brings x to -20 dBFS RMS, so the
                    figure does not depend on the input's level or the model
    MCD             mel-cepstral distance (rt_synth.eval.mel_cepstrum) of y to x

An identical output scores peak = max|x|, correlation 1, envelope error 0, MSS 0, MCD 0.
"""
from __future__ import annotations

import numpy as np

ENVELOPE_RANGE_DB = 60.0
MSS_LEVEL = 0.1  # -20 dBFS RMS


def envelope_correlation(x: np.ndarray, y: np.ndarray) -> float:
    from rt_synth.eval.resynthesis import rms_db

    a, b = rms_db(x), rms_db(y)
    n = min(len(a), len(b))
    floor = a[:n].max() - ENVELOPE_RANGE_DB
    a, b = np.maximum(a[:n], floor), np.maximum(b[:n], floor)
    if a.std() < 1e-9 or b.std() < 1e-9:  # a flat curve (e.g. a silent output): nothing followed
        return 1.0 if np.allclose(a, b) else 0.0
    return float(np.corrcoef(a, b)[0, 1])


def reconstruction_scores(x: np.ndarray, y: np.ndarray, sample_rate: int) -> dict:
    from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
    from rt_synth.kinds.rave.heldout import spectral_distance
    from rt_synth.eval.resynthesis import loudness_error_db

    n = min(len(x), len(y))
    x = np.asarray(x[:n], np.float32)
    y = np.asarray(y[:n], np.float32)
    finite = bool(np.isfinite(y).all())
    y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    gain = MSS_LEVEL / max(float(np.sqrt(np.mean(x.astype(np.float64) ** 2))), 1e-9)
    mcd, frames = mel_cepstral_distance(x, y, sample_rate)
    return {"peak": float(np.max(np.abs(y))) if n else 0.0, "input_peak": float(np.max(np.abs(x))) if n else 0.0,
            "finite": finite, "envelope_corr": envelope_correlation(x, y),
            "envelope_db_error": loudness_error_db(x, y)[0],
            "mss": spectral_distance(x, y, gain), "mcd_db": mcd, "mcd_frames": frames}
