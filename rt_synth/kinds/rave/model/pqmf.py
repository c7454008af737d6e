"""Pseudo-QMF bank: M-band cosine-modulated analysis/synthesis, causal and streamable.

Prototype p[n], n = 0..N-1: a Kaiser-windowed sinc lowpass (Kaiser's design, as in Lin &
Vaidyanathan 1998). Its cutoff is found by a one-dimensional search that makes
|P(w)|^2 + |P(pi/M - w)|^2 as flat as possible on [0, pi/M] (the condition for the
distortion function T(z) = 1/M sum_k F_k(z) H_k(z) to be ~ a pure delay); the window's beta
sets the stopband. Analysis and synthesis filters (Vaidyanathan's cosine modulation):

    h_k[n] = 2 p[n] cos((2k+1) pi/(2M) (n - (N-1)/2) + theta_k)
    f_k[n] = 2 p[n] cos((2k+1) pi/(2M) (n - (N-1)/2) - theta_k),  theta_k = (-1)^k pi/4

Analysis is a causal strided convolution (stride M, kernel N, output frame j sees input
samples <= j*M); synthesis is a transposed convolution (stride M, kernel N, scaled by M). The
pair reconstructs x delayed by exactly N-1 samples (linear-phase prototype: (N-1)/2 for each
filter), up to the small distortion and alias residue of a pseudo-QMF
(``reconstruction_error_db``, tested).

The filters are plain conv weights, so the C++ core runs them with CachedConv1d and
CachedConvTranspose1d; the file stores them as tensors (``pqmf.analysis.weight`` [M, 1, N],
``pqmf.synthesis.weight`` [M, 1, N]).
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import nn

from rt_synth.kinds.rave.model.streaming_layers import CachedConv1d, CachedConvTranspose1d


def _kaiser_sinc(n_taps: int, cutoff: float, beta: float) -> np.ndarray:
    """Lowpass, cutoff in radians/sample, linear phase, unit DC gain."""
    t = np.arange(n_taps) - (n_taps - 1) / 2
    h = cutoff / np.pi * np.sinc(cutoff * t / np.pi) * np.kaiser(n_taps, beta)
    return h / h.sum()


def _flatness(p: np.ndarray, m: int, n_grid: int = 512) -> float:
    w = np.linspace(0, np.pi / m, n_grid)
    n = np.arange(len(p))
    resp = lambda ww: np.abs(np.exp(-1j * np.outer(ww, n)) @ p) ** 2  # noqa: E731
    return float(np.max(np.abs(resp(w) + resp(np.pi / m - w) - 1.0)))


@functools.lru_cache(maxsize=8)
def _design(n_bands: int, n_taps: int, beta: float) -> tuple:
    return tuple(_search_prototype(n_bands, n_taps, beta))


def design_prototype(n_bands: int, n_taps: int, beta: float) -> np.ndarray:
    """Prototype lowpass with the cutoff chosen for the flattest power complementarity."""
    return np.array(_design(int(n_bands), int(n_taps), float(beta)))


def _search_prototype(n_bands: int, n_taps: int, beta: float) -> np.ndarray:
    lo, hi = 0.5 * np.pi / (2 * n_bands), 1.5 * np.pi / (2 * n_bands)
    for _ in range(60):  # golden-section search on a unimodal-enough objective
        a = hi - (hi - lo) / 1.618034
        b = lo + (hi - lo) / 1.618034
        if _flatness(_kaiser_sinc(n_taps, a, beta), n_bands) < _flatness(
                _kaiser_sinc(n_taps, b, beta), n_bands):
            hi = b
        else:
            lo = a
    return _kaiser_sinc(n_taps, 0.5 * (lo + hi), beta)


def stopband_attenuation_db(p: np.ndarray, n_bands: int, n_grid: int = 8192) -> float:
    """-20 log10 of the largest |P(w)| / P(0) for w >= pi/M (the band edge of a neighbour)."""
    w = np.linspace(np.pi / n_bands, np.pi, n_grid)
    resp = np.abs(np.exp(-1j * np.outer(w, np.arange(len(p)))) @ p)
    return float(-20 * np.log10(resp.max() / abs(p.sum())))


def cosine_modulated_filters(p: np.ndarray, n_bands: int) -> tuple[np.ndarray, np.ndarray]:
    n = np.arange(len(p))
    k = np.arange(n_bands)[:, None]
    theta = ((-1.0) ** k) * np.pi / 4
    arg = (2 * k + 1) * np.pi / (2 * n_bands) * (n - (len(p) - 1) / 2)
    return 2 * p * np.cos(arg + theta), 2 * p * np.cos(arg - theta)


class PQMF(nn.Module):
    """x [B, 1, T] <-> bands [B, M, T/M]. Both directions are causal streaming layers."""

    def __init__(self, n_bands: int, n_taps: int, beta: float):
        super().__init__()
        self.n_bands, self.n_taps, self.beta = n_bands, n_taps, beta
        proto = design_prototype(n_bands, n_taps, beta)
        h, f = cosine_modulated_filters(proto, n_bands)
        self.analysis = CachedConv1d(1, n_bands, n_taps, stride=n_bands, bias=False)
        self.synthesis = CachedConvTranspose1d(n_bands, 1, n_taps, stride=n_bands, bias=False)
        with torch.no_grad():
            # conv1d correlates: tap j of the kernel meets x[jM - (N-1) + j], so flip h
            self.analysis.conv.weight.copy_(torch.tensor(h[:, ::-1].copy()[:, None, :]))
            self.synthesis.conv.weight.copy_(torch.tensor(n_bands * f[:, None, :]))
        for prm in self.parameters():
            prm.requires_grad_(False)
        self.prototype = proto

    @property
    def delay(self) -> int:
        """Samples between input and analysis→synthesis output (linear phase, twice)."""
        return self.n_taps - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # analysis
        return self.analysis(x)

    def inverse(self, bands: torch.Tensor) -> torch.Tensor:
        return self.synthesis(bands)


def reconstruction_error_db(pqmf: PQMF, seconds: float = 2.0, sample_rate: int = 48000,
                            seed: int = 0) -> float:
    """Error of analysis→synthesis on white noise, relative to the signal, in dB
    (after removing the N-1 delay, edges excluded)."""
    g = torch.Generator().manual_seed(seed)
    t = int(seconds * sample_rate) // pqmf.n_bands * pqmf.n_bands
    x = torch.rand(1, 1, t, generator=g, dtype=torch.float64) * 2 - 1
    pq = pqmf.double()
    with torch.no_grad():
        y = pq.inverse(pq(x))
    pqmf.float()
    d, edge = pqmf.delay, pqmf.n_taps
    err = y[..., d + edge:] - x[..., edge:t - d]
    ref = x[..., edge:t - d]
    return float(10 * math.log10(err.pow(2).mean() / ref.pow(2).mean()))
