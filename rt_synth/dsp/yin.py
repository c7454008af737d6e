"""Causal YIN pitch tracker with a recursively updated sliding-window difference function.

Offline (``yin_track``) and streaming (``StreamingYin``) run the same numba kernel on the same
float64 state, so they agree bit for bit, frame for frame, whatever the block sizes.
The full specification (what the C++ core must reproduce) is docs/yin.md; in short:

    W = tau_max = ceil(SR / f0_min),  tau_min = floor(SR / f0_max)
    x[n]  = sanitise(input[n]): non-finite -> 0, then clip to [-4, 4]; x[n < 0] = 0
    d(tau) += (x[n] - x[n-tau])^2 - (x[n-W] - x[n-W-tau])^2     tau = 1..tau_max, float64
    e      += x[n]^2 - x[n-W]^2                                  window energy, float64
    every REFRESH_FRAMES*hop samples (absolute count), d and e are recomputed from the window
    frame i (after sample n = (i+1)*hop - 1): d(tau) = sum_{m=n-W+1..n} (x[m] - x[m-tau])^2
        -> CMNDF -> absolute threshold + local-min walk -> parabolic interpolation.

Outputs per frame: f0 in Hz, periodicity = clip(1 - CMNDF(tau_best), 0, 1).
Unvoiced frames (no dip under the threshold): f0 from the global CMNDF minimum in
[tau_min, tau_max], periodicity = 1 - that minimum (< 1 - threshold, low for noise).
Silent frames (window mean square < 1e-12, i.e. -120 dBFS): periodicity 0 and f0 held from the
last voiced frame (f0_min before the first one).
"""
from __future__ import annotations

import math

import numba
import numpy as np

REFRESH_FRAMES = 256          # exact recomputation of d every 256 frames (~1 s at 48 kHz / 192)
SILENCE_POWER = 1e-12         # window mean square below this (-120 dBFS): silent
CLIP = 4.0


def yin_params(sample_rate: int, f0_min: float, f0_max: float) -> tuple[int, int, int]:
    """(W, tau_min, tau_max) for the given range: W = tau_max = ceil(SR/f0_min),
    tau_min = floor(SR/f0_max)."""
    if not 0 < f0_min < f0_max:
        raise ValueError("need 0 < f0_min < f0_max")
    tau_max = int(math.ceil(sample_rate / f0_min))
    tau_min = int(math.floor(sample_rate / f0_max))
    if tau_min < 2 or tau_max < tau_min + 2:
        raise ValueError(f"unusable lag range tau_min={tau_min}, tau_max={tau_max}")
    return tau_max, tau_min, tau_max


@numba.njit(cache=True)
def _sanitise(block, out):
    for i in range(block.shape[0]):
        v = block[i]
        if not np.isfinite(v):
            v = 0.0
        elif v > CLIP:
            v = CLIP
        elif v < -CLIP:
            v = -CLIP
        out[i] = v


@numba.njit(cache=True)
def _analyse(dr, cmndf, energy, sample_rate, window, tau_min, tau_max, threshold, held_f0):
    """One frame from the difference function (dr[j] = d(tau_max - j)) and the window's
    energy → (f0, periodicity, voiced). cmndf: scratch [tau_max + 1]."""
    if energy < SILENCE_POWER * window:  # silent window: hold the last voiced f0
        return held_f0, 0.0, False
    running = 0.0
    cmndf[0] = 1.0
    for tau in range(1, tau_max + 1):
        v = dr[tau_max - tau]
        if v < 0.0:  # rounding residue of the running sums
            v = 0.0
        running += v
        if running > 0.0:
            cmndf[tau] = v * tau / running
        else:
            cmndf[tau] = 1.0
    best = -1
    for tau in range(tau_min, tau_max + 1):
        if cmndf[tau] < threshold:
            while tau + 1 <= tau_max and cmndf[tau + 1] < cmndf[tau]:
                tau += 1
            best = tau
            break
    voiced = best >= 0
    if best < 0:  # unvoiced: global minimum (first one on ties)
        best = tau_min
        for tau in range(tau_min + 1, tau_max + 1):
            if cmndf[tau] < cmndf[best]:
                best = tau
    shift = 0.0
    if best + 1 <= tau_max:
        a = cmndf[best - 1]
        b = cmndf[best]
        c = cmndf[best + 1]
        denom = a - 2.0 * b + c
        if denom > 0.0:
            shift = 0.5 * (a - c) / denom
            if shift > 1.0:
                shift = 1.0
            elif shift < -1.0:
                shift = -1.0
    periodicity = 1.0 - cmndf[best]
    if periodicity < 0.0:
        periodicity = 0.0
    elif periodicity > 1.0:
        periodicity = 1.0
    return sample_rate / (best + shift), periodicity, voiced


@numba.njit(cache=True)
def _yin_run(buf, start, dr, cmndf, n0, state, sample_rate, hop, window, tau_min, tau_max,
             threshold, refresh, f0_out, per_out):
    """Process buf[start:] (sanitised; buf[:start] holds the window + tau_max samples before
    it, zeros before the stream start). dr[j] = d(tau_max - j), j = 0..tau_max-1: lags stored
    in reverse so that both loads in the inner loop run forward (it vectorises; the per-lag
    arithmetic is unchanged). n0: absolute index of buf[start]. state[0]: last voiced f0
    (held over silence), state[1]: running energy of the window (both updated).
    Returns the number of frames written to f0_out / per_out."""
    count = 0
    for i in range(start, buf.shape[0]):
        xn = buf[i]
        xo = buf[i - window]
        past = buf[i - tau_max:i]                    # past[j] = x[n - (tau_max - j)]
        old = buf[i - window - tau_max:i - window]   # old[j]  = x[n - W - (tau_max - j)]
        for j in range(tau_max):
            a = xn - past[j]
            b = xo - old[j]
            dr[j] += a * a - b * b
        state[1] += xn * xn - xo * xo
        n = n0 + (i - start)
        if (n + 1) % refresh == 0:  # exact recomputation: bounds the rounding drift
            for j in range(tau_max):
                tau = tau_max - j
                s = 0.0
                for m in range(i - window + 1, i + 1):
                    a = buf[m] - buf[m - tau]
                    s += a * a
                dr[j] = s
            s = 0.0
            for m in range(i - window + 1, i + 1):
                s += buf[m] * buf[m]
            state[1] = s
        if (n + 1) % hop == 0:
            f0, per, voiced = _analyse(dr, cmndf, state[1], sample_rate, window, tau_min,
                                       tau_max, threshold, state[0])
            if voiced:
                state[0] = f0
            f0_out[count] = f0
            per_out[count] = per
            count += 1
    return count


class StreamingYin:
    """Push blocks of any size; get back the frames completed. Same numbers as ``yin_track``."""

    def __init__(self, sample_rate: int = 48000, hop: int = 192, f0_min: float = 60.0,
                 f0_max: float = 1800.0, threshold: float = 0.15):
        self.sample_rate = int(sample_rate)
        self.hop = int(hop)
        self.f0_min = float(f0_min)
        self.f0_max = float(f0_max)
        self.threshold = float(threshold)
        self.window, self.tau_min, self.tau_max = yin_params(self.sample_rate, f0_min, f0_max)
        self.lookback = self.window + self.tau_max  # samples of history the sums need
        self.refresh = REFRESH_FRAMES * self.hop
        self.reset()

    def reset(self) -> None:
        self._history = np.zeros(self.lookback, dtype=np.float64)
        self._d = np.zeros(self.tau_max, dtype=np.float64)  # d(tau_max - j)
        self._cmndf = np.zeros(self.tau_max + 1, dtype=np.float64)
        self._state = np.array([self.f0_min, 0.0], dtype=np.float64)  # held f0, energy
        self._n = 0  # samples consumed since reset

    def push(self, block) -> tuple[np.ndarray, np.ndarray]:
        """block: 1-D samples → (f0 [k], periodicity [k]) float32 for the k frames completed."""
        block = np.asarray(block, dtype=np.float64).reshape(-1)
        buf = np.empty(self.lookback + block.shape[0], dtype=np.float64)
        buf[:self.lookback] = self._history
        _sanitise(block, buf[self.lookback:])
        n_frames = (self._n + block.shape[0]) // self.hop - self._n // self.hop
        f0 = np.empty(n_frames, dtype=np.float64)
        per = np.empty(n_frames, dtype=np.float64)
        written = _yin_run(buf, self.lookback, self._d, self._cmndf, self._n, self._state,
                           float(self.sample_rate), self.hop, self.window, self.tau_min,
                           self.tau_max, self.threshold, self.refresh, f0, per)
        assert written == n_frames
        self._history = buf[buf.shape[0] - self.lookback:].copy()
        self._n += block.shape[0]
        return f0.astype(np.float32), per.astype(np.float32)


def yin_track(audio: np.ndarray, sample_rate: int = 48000, hop: int = 192, f0_min: float = 60.0,
              f0_max: float = 1800.0, threshold: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Offline causal YIN: audio [T] (or [..., T]) → (f0 Hz, periodicity), float32 [..., T//hop].

    Frame i analyses the window of W samples ending at sample (i+1)*hop."""
    audio = np.asarray(audio)
    if audio.ndim != 1:
        rows = audio.reshape(-1, audio.shape[-1])
        outs = [yin_track(r, sample_rate, hop, f0_min, f0_max, threshold) for r in rows]
        shape = audio.shape[:-1] + (audio.shape[-1] // hop,)
        return (np.stack([o[0] for o in outs]).reshape(shape),
                np.stack([o[1] for o in outs]).reshape(shape))
    tracker = StreamingYin(sample_rate, hop, f0_min, f0_max, threshold)
    return tracker.push(audio)
