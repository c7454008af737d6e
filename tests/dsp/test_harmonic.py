import math

import numpy as np
import torch

from rt_synth.dsp.harmonic import HarmonicOscillator, accumulate_phase
from rt_synth.dsp.scaling import exp_sigmoid

SR, HOP = 48000, 192


def _numpy_reference(amps, f0, sr, hop):
    """Direct transcription of docs/ddsp-maths.md §2-3 for one batch item (float64)."""
    f, k = amps.shape
    ramp = np.arange(1, hop + 1) / hop
    prev_a = np.vstack([np.zeros((1, k)), amps[:-1]])
    prev_f = np.concatenate([[f0[0]], f0[:-1]])
    a_s = (prev_a[:, None, :] + (amps - prev_a)[:, None, :] * ramp[None, :, None]).reshape(-1, k)
    f_s = (prev_f[:, None] + (f0 - prev_f)[:, None] * ramp[None, :]).reshape(-1)
    p = np.cumsum(f_s / sr)
    p -= np.floor(p)
    y = np.zeros_like(p)
    for h in range(1, k + 1):
        y += a_s[:, h - 1] * np.sin(2 * np.pi * h * p)
    return y


def test_single_sine_frequency_and_level():
    osc = HarmonicOscillator(SR, HOP, n_harmonics=4)
    frames = 250  # 1 s
    amps = torch.zeros(1, frames, 4)
    amps[..., 0] = 0.5
    f0 = torch.full((1, frames, 1), 1000.0)
    y = osc.get_signal(amps, f0)[0].numpy()
    assert y.shape == (frames * HOP,)
    tail = y[-24000:]  # 0.5 s: 2 Hz bins, 1 kHz at bin 500
    spec = np.abs(np.fft.rfft(tail * np.hanning(tail.size)))
    assert np.argmax(spec) == 500
    rms = np.sqrt(np.mean(tail.astype(np.float64) ** 2))
    assert abs(rms - 0.5 / math.sqrt(2)) < 1e-4
    # the amplitude ramps from 0 over the first frame (causal interpolation)
    assert abs(y[0]) < 0.5 / HOP * 1.01


def test_harmonic_sum_matches_direct_numpy_sum():
    rng = np.random.default_rng(0)
    b, frames, k = 2, 40, 16
    amps = rng.uniform(0, 0.2, size=(b, frames, k))
    f0 = rng.uniform(80, 600, size=(b, frames))
    osc = HarmonicOscillator(SR, HOP, k)
    y64 = osc.get_signal(torch.tensor(amps), torch.tensor(f0)[..., None])
    assert y64.dtype == torch.float64
    y32 = osc.get_signal(torch.tensor(amps, dtype=torch.float32),
                         torch.tensor(f0, dtype=torch.float32)[..., None])
    assert y32.dtype == torch.float32
    for i in range(b):
        ref = _numpy_reference(amps[i], f0[i].astype(np.float32).astype(np.float64), SR, HOP)
        ref64 = _numpy_reference(amps[i], f0[i], SR, HOP)
        assert np.max(np.abs(y64[i].numpy() - ref64)) < 1e-10
        assert np.max(np.abs(y32[i].numpy() - ref)) < 2e-4


def test_controls_zero_partials_above_nyquist_and_renormalise():
    k = 64
    osc = HarmonicOscillator(SR, HOP, k)
    torch.manual_seed(0)
    a_raw = torch.randn(2, 3, 1, dtype=torch.float64)
    d_raw = torch.randn(2, 3, k, dtype=torch.float64)
    f0 = torch.tensor([[1000.0, 440.0, 3000.0], [100.0, 1000.0, 24000.0]],
                      dtype=torch.float64)[..., None]
    amps = osc.get_controls(a_raw, d_raw, f0)
    assert amps.shape == (2, 3, k)
    a = exp_sigmoid(a_raw)
    kk = torch.arange(1, k + 1, dtype=torch.float64)
    for bi in range(2):
        for fi in range(3):
            f = f0[bi, fi, 0].item()
            keep = kk * f < SR / 2
            d = amps[bi, fi] / a[bi, fi]
            assert torch.all(d[~keep] == 0)
            if keep.any():
                assert abs(d.sum().item() - 1.0) < 1e-6
                expect = exp_sigmoid(d_raw[bi, fi])[keep]
                assert torch.allclose(d[keep], expect / (expect.sum() + 1e-7))
            else:
                assert torch.all(amps[bi, fi] == 0)
    # 1000 Hz: harmonics 1..23 kept, 24 (exactly Nyquist) dropped
    d = amps[0, 0]
    assert torch.all(d[:23] > 0) and torch.all(d[23:] == 0)


def test_phase_after_ten_minutes_matches_closed_form():
    n = 10 * 60 * SR  # 28.8 M samples
    f0 = 437.1
    p = accumulate_phase(torch.full((1, n), f0, dtype=torch.float64), SR)[0].numpy()
    assert p.dtype == np.float64 and p.min() >= 0.0 and p.max() < 1.0
    idx = np.arange(n - 1000, n, dtype=np.float64)  # the last samples, where drift would show
    ref = np.mod((idx + 1) * f0 / SR, 1.0)  # p(n) = frac((n+1) f0 / SR), p(-1) = 0
    err = np.abs(p[n - 1000:] - ref)
    err = np.minimum(err, 1.0 - err)
    assert err.max() < 1e-6
    mid = np.arange(0, n, 997)
    err = np.abs(p[mid] - np.mod((mid + 1.0) * f0 / SR, 1.0))
    assert np.minimum(err, 1.0 - err).max() < 1e-6


def test_initial_and_final_phase_continue_a_stream():
    osc = HarmonicOscillator(SR, HOP, 8)
    amps = torch.full((1, 20, 8), 0.1, dtype=torch.float64)
    f0 = torch.full((1, 20, 1), 233.3, dtype=torch.float64)
    whole = osc.get_signal(amps, f0)
    first, phase = osc.get_signal(amps[:, :10], f0[:, :10], return_final_phase=True)
    second = osc.get_signal(amps[:, 10:], f0[:, 10:], initial_phase=phase)
    assert phase.dtype == torch.float64 and phase.shape == (1,)
    assert torch.allclose(first, whole[:, :10 * HOP], atol=1e-12)
    # second call restarts its amplitude ramp from 0 (state after reset); from its 2nd frame on
    # the amplitudes are the same, and the phase must continue exactly
    assert torch.allclose(second[:, HOP:], whole[:, 11 * HOP:], atol=1e-9)


def test_gradients_flow_to_amplitudes():
    osc = HarmonicOscillator(SR, HOP, 8)
    amps = torch.rand(2, 5, 8, requires_grad=True)
    y = osc.get_signal(amps, torch.full((2, 5, 1), 300.0))
    y.pow(2).sum().backward()
    assert amps.grad is not None and torch.isfinite(amps.grad).all() and amps.grad.abs().sum() > 0
