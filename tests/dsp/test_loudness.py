import math

import numpy as np
import torch

from rt_synth.dsp.loudness import a_weighted_loudness, a_weighted_loudness_torch, a_weighting_db

SR, HOP, NFFT = 48000, 192, 1024


def _sine(freq, amp, seconds=0.5):
    t = np.arange(int(SR * seconds)) / SR
    return amp * np.sin(2 * np.pi * freq * t + 0.3)


def test_a_weighting_curve():
    assert abs(a_weighting_db(1000.0)) < 0.01
    assert abs(a_weighting_db(100.0) - (-19.1)) < 0.05
    assert abs(a_weighting_db(10000.0) - (-2.5)) < 0.05
    assert a_weighting_db(20.0) < -50.0


def test_1khz_sine_reads_its_rms_at_two_levels():
    for amp in (1.0, 0.01):
        ld = a_weighted_loudness(_sine(1000.0, amp))
        assert ld.shape == (int(SR * 0.5) // HOP,)
        steady = ld[NFFT // HOP + 1:]  # frames whose window lies fully in the signal
        assert np.all(np.abs(steady - 20 * math.log10(amp / math.sqrt(2))) < 0.5)
    # 40 dB apart exactly
    d = a_weighted_loudness(_sine(1000.0, 1.0))[10:] - a_weighted_loudness(_sine(1000.0, 0.01))[10:]
    assert np.allclose(d, 40.0, atol=1e-6)


def test_100hz_is_about_19db_down():
    # a long window, so the tone's leakage stays where the curve is ~ -19 dB
    lo = a_weighted_loudness(_sine(100.0, 0.5), n_fft=8192)[60:]
    hi = a_weighted_loudness(_sine(1000.0, 0.5), n_fft=8192)[60:]
    assert abs(np.median(lo - hi) - (-19.1)) < 0.3


def test_causal_and_zero_padded_start():
    x = np.random.default_rng(0).standard_normal(SR // 4) * 0.1
    ld = a_weighted_loudness(x)
    y = x.copy()
    y[20 * HOP:] = 0.5  # change everything from sample 20*HOP on
    ld2 = a_weighted_loudness(y)
    assert np.array_equal(ld[:20], ld2[:20])
    assert not np.allclose(ld[20:], ld2[20:])
    # frame 0 sees only the first HOP samples (rest zero-padded)
    z = np.zeros_like(x)
    z[:HOP] = x[:HOP]
    assert a_weighted_loudness(z)[0] == ld[0]


def test_silence_floor_and_batch_shape():
    ld = a_weighted_loudness(np.zeros((2, 3, 1000), dtype=np.float32))
    assert ld.shape == (2, 3, 1000 // HOP) and ld.dtype == np.float32
    assert np.all(ld == -100.0)


def test_torch_matches_numpy_and_is_differentiable():
    x = np.random.default_rng(1).standard_normal((2, SR // 5)) * 0.2
    ref = a_weighted_loudness(x)
    t = torch.tensor(x, requires_grad=True)
    ld = a_weighted_loudness_torch(t)
    assert ld.dtype == torch.float64 and ld.shape == ref.shape
    assert np.max(np.abs(ld.detach().numpy() - ref)) < 1e-9
    ld32 = a_weighted_loudness_torch(torch.tensor(x, dtype=torch.float32))
    assert np.max(np.abs(ld32.numpy() - ref)) < 1e-3
    ld.sum().backward()
    assert torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0
