"""Pitch source of the RAVE-style decoder: a phase-continuous harmonic excitation at the f0 of
the causal streaming YIN (rt_synth/dsp/yin.py, the tracker the C++ core runs), gated by its
periodicity (docs/rave.md, "Pitch source").

Per latent frame t (R samples) the tracker gives F[t] = (f0, periodicity) of the YIN frame
whose window ends at sample t*R - 1: the newest one complete when latent frame t is encoded
(F[0]: f0_min, periodicity 0). Within latent frame t, sample s = t*R + i (i = 0..R-1) uses the
straight line from F[t-1] to F[t]:

    f[s] = F0[t-1] + (F0[t] - F0[t-1]) * (i + 1) / R        (the same for the periodicity p)
    phi[s] = (phi[s-1] + 2*pi*f[s]/SR) mod 2*pi               (phi[-1] = 0; float64)
    K[s] = max(1, floor(harmonic_limit * SR / f[s]))          harmonics below 0.45*SR
    h[s] = sum_{k=1..K} sin(k*phi) = sin(K*phi/2) * sin((K+1)*phi/2) / sin(phi/2)
           (0 where |sin(phi/2)| < 1e-9: the limit of the sum)
    g[s] = clip((p[s] - gate_low) / (gate_high - gate_low), 0, 1)
    e[s] = level * sqrt(2 / K[s]) * g[s] * h[s]               (RMS = level when voiced)

The decoder receives the PQMF analysis of e (M bands at the band-frame rate) at its last
stage.

Harmonic head (config.harmonics = H > 0; harmonic_head.py): per latent frame t the head gives
amplitudes alpha_k[t] (k = 1..H); within frame t they follow the same line as the f0, from
alpha_k[t-1] (0 before frame 0, as after a reset) to alpha_k[t], and

    y[s] = g[s] * sum_{k=1..min(H, K[s])} alpha_k[s] * sin(k*phi[s])      (float64, then float32)

with the phase, gate and harmonic count K above: the harmonics of the excitation, each at the
level the latent asks for. The model adds the PQMF analysis of y to the decoder's output bands. The C++ core (csrc/kinds/rave/rave_pitch_source.*) computes the same numbers in double.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import numpy as np
import torch

from rt_synth.kinds.rave.model.config import RaveConfig

GATE_LOW = 0.5    # periodicity below this: no harmonic excitation (noise, silence, drums)
GATE_HIGH = 0.85  # 1 - YIN threshold: a voiced frame gets the whole excitation
HARMONIC_LIMIT = 0.45  # highest harmonic below 0.45 * SR
LEVEL = 0.1       # RMS of the voiced excitation: the network's working level (-20 dBFS)
CONSTANTS = (HARMONIC_LIMIT, GATE_LOW, GATE_HIGH, LEVEL)  # excitation_step's last arguments


def track_frames(audio: np.ndarray, config: RaveConfig) -> Tuple[np.ndarray, np.ndarray]:
    """Causal YIN of audio [T] at hop R → (f0, periodicity) [ceil(T/R)] where frame t is
    F[t] above (window ending at t*R - 1; frame 0 is (f0_min, 0)), float32."""
    from rt_synth.dsp.yin import yin_track

    r = config.ratio
    f0, per = yin_track(np.asarray(audio, dtype=np.float32), config.sample_rate, r,
                        config.pitch_f0_min, config.pitch_f0_max, config.pitch_threshold)
    n = -(-audio.shape[-1] // r)  # ceil: the encoder's frame count (frame t at sample t*R)
    f0_frames = np.empty(n, dtype=np.float32)
    per_frames = np.empty(n, dtype=np.float32)
    if n:
        f0_frames[0], per_frames[0] = config.pitch_f0_min, 0.0
        f0_frames[1:], per_frames[1:] = f0[: n - 1], per[: n - 1]
    return f0_frames, per_frames


LOUDNESS_FLOOR_DB = -100.0  # loudness feature 0 (silence); 0 dBFS mean square is 1
LOUDNESS_MAX = 1.2          # the clipped tracker input (+-4) reaches +12 dB


def loudness_feature(mean_square: torch.Tensor) -> torch.Tensor:
    """Mean square of the tracker's window -> the harmonic head's loudness input:
    (10 log10(ms + 1e-10) - floor) / -floor, clamped to 0..LOUDNESS_MAX."""
    db = 10.0 * torch.log10(mean_square + 1e-10)
    return ((db - LOUDNESS_FLOOR_DB) / -LOUDNESS_FLOOR_DB).clamp(0.0, LOUDNESS_MAX)


def loudness_frames(audio: np.ndarray, config: RaveConfig) -> np.ndarray:
    """Loudness of audio [T] per latent frame, aligned with track_frames: frame t is the mean
    square of the tracker's window (W samples, sanitised as the tracker sees them) ending at
    sample t*R - 1 (zeros before the start; frame 0 is silence), through loudness_feature.
    float32 [ceil(T/R)]."""
    from rt_synth.dsp.yin import CLIP, yin_params

    r = config.ratio
    w = yin_params(config.sample_rate, config.pitch_f0_min, config.pitch_f0_max)[0]
    x = np.asarray(audio, dtype=np.float64)
    x = np.clip(np.where(np.isfinite(x), x, 0.0), -CLIP, CLIP)
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    n = -(-x.shape[-1] // r)
    ends = np.arange(n) * r                         # exclusive end of frame t's window
    e = c[ends] - c[np.maximum(ends - w, 0)]
    e = np.maximum(e, 0.0)                          # cumsum rounding
    return loudness_feature(torch.from_numpy(e / w)).numpy().astype(np.float32)


def _ramp(frames: torch.Tensor, previous: torch.Tensor, ratio: int) -> torch.Tensor:
    """frames [B, F], previous [B] (the value before frame 0) → per sample [B, F*R]: the line
    from frame t-1 to frame t over the R samples of frame t, reaching frame t's value on the
    last sample."""
    prev = torch.cat([previous.unsqueeze(1), frames[:, :-1]], dim=1)
    w = torch.arange(1, ratio + 1, dtype=frames.dtype, device=frames.device) / ratio
    out = prev.unsqueeze(-1) + (frames - prev).unsqueeze(-1) * w
    return out.reshape(frames.shape[0], -1)


def excitation(f0: torch.Tensor, periodicity: torch.Tensor, config: RaveConfig,
               previous_f0: torch.Tensor | None = None,
               previous_periodicity: torch.Tensor | None = None,
               phase: torch.Tensor | None = None
               ) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """f0, periodicity [B, F] per latent frame → excitation [B, 1, F*R] (float32) and the state
    that continues it (last f0, last periodicity, phase; float64). previous_*: the frame before
    frame 0 (default: f0_min and 0, as after a reset); phase: phi[-1] (default 0)."""
    b = f0.shape[0]
    if previous_f0 is None:
        previous_f0 = torch.full((b,), config.pitch_f0_min, dtype=torch.float64, device=f0.device)
    if previous_periodicity is None:
        previous_periodicity = torch.zeros(b, dtype=torch.float64, device=f0.device)
    if phase is None:
        phase = torch.zeros(b, dtype=torch.float64, device=f0.device)
    e, _, last_f0, last_per, last_phase, _ = excitation_step(
        f0, periodicity, previous_f0, previous_periodicity, phase, float(config.sample_rate),
        config.ratio, float(config.pitch_f0_min), float(config.pitch_f0_max), *CONSTANTS)
    return e, (last_f0, last_per, last_phase)


def amplitude_ramp(amps: torch.Tensor, previous_amps: torch.Tensor, ratio: int) -> torch.Tensor:
    """amps [B, H, F] per latent frame, previous_amps [B, H] (the frame before) -> per-sample
    amplitudes [B, H, F*R] (float64) on the line from frame t-1 to frame t."""
    a = amps.to(torch.float64)
    prev = torch.cat([previous_amps.to(torch.float64).unsqueeze(2), a[:, :, :-1]], dim=2)
    w = torch.arange(1, ratio + 1, dtype=torch.float64, device=a.device) / ratio
    out = prev.unsqueeze(-1) + (a - prev).unsqueeze(-1) * w
    return out.reshape(a.shape[0], a.shape[1], -1)


def excitation_step(f0: torch.Tensor, periodicity: torch.Tensor, previous_f0: torch.Tensor,
                    previous_periodicity: torch.Tensor, phase: torch.Tensor, sample_rate: float,
                    ratio: int, f0_min: float, f0_max: float, harmonic_limit: float,
                    gate_low: float, gate_high: float, level: float,
                    amps: Optional[torch.Tensor] = None,
                    previous_amps: Optional[torch.Tensor] = None
                    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                               torch.Tensor, torch.Tensor]:
    """The maths above for F latent frames (TorchScript and ONNX export it; the offline path
    and the streaming one both call it). f0, periodicity [B, F]; previous_f0,
    previous_periodicity, phase [B] (float64; a previous f0 of 0, the zero state, is clamped
    to f0_min like any other) → excitation [B, 1, F*R] float32, last f0, last periodicity,
    phase (float64 [B]). The four arguments after f0_max are CONSTANTS (TorchScript cannot
    read module globals).

    Harmonic head: amps [B, H, F] (harmonic_head.py) and previous_amps [B, H] (float64; zeros
    after a reset) give the harmonic audio y [B, 1, F*R] float32 (module docstring) and the
    last frame's amps (float64 [B, H]); without amps both are empty ([B, 1, 0], [B, 0]).
    Returns (e, y, last f0, last periodicity, phase, last amps)."""
    f0 = f0.to(torch.float64).clamp(f0_min, f0_max)
    per = periodicity.to(torch.float64).clamp(0.0, 1.0)
    previous_f0 = previous_f0.to(torch.float64)
    previous_periodicity = previous_periodicity.to(torch.float64)
    phase = phase.to(torch.float64)
    fs = _ramp(f0, previous_f0.clamp(f0_min, f0_max), ratio)
    ps = _ramp(per, previous_periodicity.clamp(0.0, 1.0), ratio)
    two_pi = 2.0 * math.pi
    phi = torch.remainder(phase.unsqueeze(1) + torch.cumsum(fs * (two_pi / sample_rate), dim=1),
                          two_pi)
    k = torch.floor(harmonic_limit * sample_rate / fs).clamp(min=1.0)
    half = torch.sin(phi * 0.5)
    small = half.abs() < 1e-9
    safe = torch.where(small, torch.ones_like(half), half)
    h = torch.sin(k * phi * 0.5) * torch.sin((k + 1.0) * phi * 0.5) / safe
    h = torch.where(small, torch.zeros_like(h), h)
    g = ((ps - gate_low) / (gate_high - gate_low)).clamp(0.0, 1.0)
    e = level * torch.sqrt(2.0 / k) * g * h
    b = f0.shape[0]
    y = torch.zeros(b, 1, 0, dtype=torch.float32, device=f0.device)
    last_amps = torch.zeros(b, 0, dtype=torch.float64, device=f0.device)
    if amps is not None and previous_amps is not None:
        n_h = amps.shape[1]
        a = amplitude_ramp(amps, previous_amps, ratio)  # [B, H, T]
        kk = torch.arange(1, n_h + 1, dtype=torch.float64, device=f0.device).view(1, n_h, 1)
        on = (kk <= k.unsqueeze(1)).to(torch.float64)  # harmonics below the limit
        y = (g * (a * on * torch.sin(kk * phi.unsqueeze(1))).sum(1)).to(torch.float32).unsqueeze(1)
        last_amps = a[:, :, -1] if f0.shape[1] > 0 else previous_amps.to(torch.float64)
    if f0.shape[1] == 0:
        return (e.to(torch.float32).unsqueeze(1), y, previous_f0, previous_periodicity, phase,
                last_amps)
    return e.to(torch.float32).unsqueeze(1), y, f0[:, -1], per[:, -1], phi[:, -1], last_amps


def crop_frames(f0: np.ndarray, per: np.ndarray, start_frame: int, n_frames: int,
                config: RaveConfig) -> Tuple[np.ndarray, np.ndarray, float, float]:
    """Frames [start, start+n) of a whole example's track and the frame before them (for the
    ramp into the crop's first frame)."""
    if start_frame > 0:
        pf, pp = float(f0[start_frame - 1]), float(per[start_frame - 1])
    else:
        pf, pp = float(config.pitch_f0_min), 0.0
    return (f0[start_frame:start_frame + n_frames], per[start_frame:start_frame + n_frames], pf, pp)
