"""Mel-cepstral distance (MCD) between two time-aligned renderings of the same performance.

The one definition used by rt_synth.eval (docs/timbre-distance.md):

    mel power spectrum   |STFT|² (Hann, n_fft 2048, hop 240 = 5 ms at 48 kHz), 80 mel bands
                         20 Hz .. sr/2 (librosa's Slaney mel filterbank)
    cepstrum             c = DCT-II (orthonormal) of ln(mel power + 1e-8 · the signal's loudest
                         mel bin), coefficients 1..24 (the floor is relative, -80 dB, so a
                         gain change only moves c0)
                         (c0, the frame's overall level, is left out: MCD compares timbre,
                         the loudness error is reported separately)
    frame distance       MCD_t = (10 / ln 10) · sqrt(2 · Σ_{d=1..24} (c_d − c'_d)²)   [dB]
    frames               the same frame index in both (the signals are aligned by construction:
                         same MIDI, model latency removed); a frame counts when BOTH signals
                         are within 40 dB of their own loudest frame (rests, release tails and
                         one-sided silence excluded)
    MCD                  mean of MCD_t over the counted frames

The distance of a signal to itself is exactly 0.
"""
from __future__ import annotations

import math

import numpy as np

N_FFT = 2048
HOP = 240
N_MELS = 80
N_CEPS = 24
FMIN = 20.0
SILENCE_DB = 40.0
FLOOR = 1e-8  # relative to the signal's loudest mel bin (-80 dB): a gain change leaves c1.. unchanged
MCD_SCALE = 10.0 / math.log(10.0) * math.sqrt(2.0)


def mel_cepstrum(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(cepstra [frames, N_CEPS] = c1..c24, frame level in dB [frames]) of a mono signal."""
    import librosa
    from scipy.fft import dct

    y = np.asarray(audio, np.float32)
    if y.ndim != 1:
        raise ValueError(f"mel_cepstrum: mono audio expected, got shape {y.shape}")
    mel = librosa.feature.melspectrogram(y=y, sr=sample_rate, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                                         fmin=FMIN, fmax=sample_rate / 2, power=2.0, center=True)
    mel = mel.astype(np.float64)
    log_mel = np.log(mel + FLOOR * max(float(mel.max()), 1e-20))
    ceps = dct(log_mel, type=2, axis=0, norm="ortho")[1:N_CEPS + 1].T
    level_db = 10.0 * np.log10(mel.sum(axis=0) + 1e-20)
    return ceps, level_db


def mel_cepstral_distance(reference: np.ndarray, other: np.ndarray, sample_rate: int) -> tuple[float, int]:
    """(MCD in dB, frames counted) between two aligned mono signals at `sample_rate`; NaN and
    0 frames when no frame is loud in both."""
    n = min(len(reference), len(other))
    ca, la = mel_cepstrum(reference[:n], sample_rate)
    cb, lb = mel_cepstrum(other[:n], sample_rate)
    mask = (la > la.max() - SILENCE_DB) & (lb > lb.max() - SILENCE_DB)
    if not mask.any():
        return float("nan"), 0
    per_frame = MCD_SCALE * np.sqrt(np.sum((ca[mask] - cb[mask]) ** 2, axis=1))
    return float(per_frame.mean()), int(mask.sum())
