"""A-weighted loudness in dB per frame, causal (what the decoder is conditioned on).

Exact definition (the C++ core reimplements it for live input; follow it to the letter)::

    N = n_fft, H = hop, frame i = 0 .. T//H - 1
    x_i[t] = audio[(i+1)*H - N + t],  t = 0..N-1    (samples before 0 read as 0)
    w[t]   = 0.5 - 0.5*cos(2*pi*t/N)                 (periodic Hann)
    X_k    = sum_t w[t] x_i[t] exp(-2j*pi*k*t/N),  k = 0..N/2
    f_k    = k * SR / N
    R_A(f) = 12194^2 f^4 / ((f^2 + 20.6^2) * sqrt((f^2 + 107.7^2)(f^2 + 737.9^2)) * (f^2 + 12194^2))
    g_k    = (R_A(f_k) * 10^(2.00/20))^2             (IEC 61672-1 A-curve, as a power gain)
    c_k    = 1 for k = 0 and k = N/2, else 2         (one-sided spectrum)
    P_i    = sum_k c_k g_k |X_k|^2 / (N * sum_t w[t]^2)
    L_i    = 10 * log10(max(P_i, 1e-10))             dB, floored at -100 dB

Frame i therefore measures the N samples ENDING at sample (i+1)*H: it depends on nothing after
the frame (causal, like the C++ live analysis). By Parseval, sum_k c_k |X_k|^2 / (N sum w^2) is
the window-weighted mean square of the signal, so without weighting a sine of amplitude a reads
its RMS, 20*log10(a/sqrt(2)) dB (-3.01 dB for a full-scale sine); A-weighting is 0 dB at 1 kHz,
so a 1 kHz sine reads the same. The floor (-100 dB = mean square 1e-10) keeps digital silence
finite; in the torch version the gradient is 0 below the floor.

Resolution note: with N = 1024 (46.9 Hz bins) a low tone's window leakage spreads over bins
where the A-curve is steep, so a 100 Hz sine reads about 0.75 dB above its A-weighted level
(-18.35 instead of -19.1 dB re 1 kHz); n_fft = 8192 reads -19.1. Fine for conditioning, and the
C++ core computes the same thing.

``a_weighted_loudness`` (numpy, float64 inside, returns the input's float dtype) and
``a_weighted_loudness_torch`` (differentiable, in the input's dtype) give the same numbers.
"""
from __future__ import annotations


import numpy as np
import torch

FLOOR_DB = -100.0
_FLOOR_POWER = 10.0 ** (FLOOR_DB / 10.0)


def a_weighting_db(freqs_hz) -> np.ndarray:
    """IEC 61672-1 A-weighting in dB (0 dB at 1 kHz, -19.1 dB at 100 Hz; -inf at 0 Hz)."""
    f2 = np.asarray(freqs_hz, dtype=np.float64) ** 2
    ra = (12194.0 ** 2 * f2 ** 2) / (
        (f2 + 20.6 ** 2) * np.sqrt((f2 + 107.7 ** 2) * (f2 + 737.9 ** 2)) * (f2 + 12194.0 ** 2))
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(ra) + 2.0


def _bin_weights(sample_rate: int, n_fft: int) -> np.ndarray:
    """c_k * g_k / (N * sum w^2) for k = 0..N/2 (float64)."""
    freqs = np.arange(n_fft // 2 + 1) * (sample_rate / n_fft)
    f2 = freqs ** 2
    ra = (12194.0 ** 2 * f2 ** 2) / (
        (f2 + 20.6 ** 2) * np.sqrt((f2 + 107.7 ** 2) * (f2 + 737.9 ** 2)) * (f2 + 12194.0 ** 2))
    gain = (ra * 10.0 ** (2.0 / 20.0)) ** 2
    c = np.full(n_fft // 2 + 1, 2.0)
    c[0] = 1.0
    if n_fft % 2 == 0:
        c[-1] = 1.0
    w = _hann(n_fft)
    return c * gain / (n_fft * np.sum(w ** 2))


def _hann(n_fft: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)


def a_weighted_loudness(audio: np.ndarray, sample_rate: int = 48000, hop: int = 192,
                        n_fft: int = 1024) -> np.ndarray:
    """audio [..., T] → loudness in dB [..., T//hop] (see module docstring)."""
    audio = np.asarray(audio)
    out_dtype = audio.dtype if np.issubdtype(audio.dtype, np.floating) else np.float32
    x = audio.astype(np.float64, copy=False)
    lead = x.shape[:-1]
    x = x.reshape(-1, x.shape[-1])
    n_frames = x.shape[-1] // hop
    weights = _bin_weights(sample_rate, n_fft)
    window = _hann(n_fft)
    padded = np.concatenate([np.zeros((x.shape[0], n_fft)), x[:, :n_frames * hop]], axis=-1)
    out = np.empty((x.shape[0], n_frames))
    chunk = max(1, (1 << 22) // n_fft)  # frames per chunk: ~32 MB of windows at a time
    for row in range(x.shape[0]):
        for start in range(0, n_frames, chunk):
            stop = min(n_frames, start + chunk)
            idx = (np.arange(start, stop) + 1)[:, None] * hop + np.arange(n_fft)[None, :]
            frames = padded[row, idx] * window  # padded offset n_fft: (i+1)*H - N + N + t
            power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2 @ weights
            out[row, start:stop] = 10.0 * np.log10(np.maximum(power, _FLOOR_POWER))
    return out.reshape(*lead, n_frames).astype(out_dtype)


def a_weighted_loudness_torch(audio: torch.Tensor, sample_rate: int = 48000, hop: int = 192,
                              n_fft: int = 1024) -> torch.Tensor:
    """Differentiable torch version: audio [..., T] → dB [..., T//hop] in audio's dtype."""
    dtype, device = audio.dtype, audio.device
    lead = audio.shape[:-1]
    x = audio.reshape(-1, audio.shape[-1])
    n_frames = x.shape[-1] // hop
    x = torch.nn.functional.pad(x[:, :n_frames * hop], (n_fft, 0))
    frames = x.unfold(-1, n_fft, hop)[:, 1:n_frames + 1]  # frame i starts at (i+1)*H
    window = torch.as_tensor(_hann(n_fft), dtype=dtype, device=device)
    weights = torch.as_tensor(_bin_weights(sample_rate, n_fft), dtype=dtype, device=device)
    spec = torch.fft.rfft(frames * window, dim=-1)
    power = (spec.real ** 2 + spec.imag ** 2) @ weights
    db = 10.0 * torch.log10(torch.clamp(power, min=_FLOOR_POWER))
    return db.reshape(*lead, n_frames)
