import numpy as np
import pytest

from rt_synth.dsp.yin import REFRESH_FRAMES, StreamingYin, yin_params, yin_track

SR, HOP = 48000, 192
W, TAU_MIN, TAU_MAX = yin_params(SR, 60.0, 1800.0)
WARM = (W + TAU_MAX) // HOP + 1  # first frames see the zero padding before the start


def _cents(f, ref):
    return 1200 * np.abs(np.log2(np.asarray(f, np.float64) / ref))


def test_parameters():
    assert (W, TAU_MIN, TAU_MAX) == (800, 26, 800)
    assert StreamingYin().lookback == 1600


@pytest.mark.parametrize("freq", [100.0, 220.0, 440.0, 880.0])
def test_sines_within_10_cents(freq):
    t = np.arange(SR) / SR
    f0, per = yin_track((0.5 * np.sin(2 * np.pi * freq * t + 1.0)).astype(np.float32))
    assert f0.shape == per.shape == (SR // HOP,)
    assert f0.dtype == np.float32
    assert _cents(f0[WARM:], freq).max() < 10.0
    assert per[WARM:].min() > 0.9


def test_sawtooth_tracked_at_fundamental():
    f = 150.0
    t = np.arange(SR) / SR
    saw = 0.4 * (2 * ((f * t) % 1.0) - 1)  # all harmonics, 1/k amplitudes
    f0, per = yin_track(saw)
    assert _cents(f0[WARM:], f).max() < 10.0
    assert per[WARM:].min() > 0.8
    # a missing fundamental (harmonics 2..8 only) is still heard at 150 Hz
    tone = sum(np.sin(2 * np.pi * k * f * t) / k for k in range(2, 9))
    f0, _ = yin_track(0.3 * tone)
    assert np.median(_cents(f0[WARM:], f)) < 10.0


def test_white_noise_has_low_periodicity():
    x = np.random.default_rng(0).uniform(-0.5, 0.5, SR)
    _, per = yin_track(x)
    assert per[WARM:].mean() < 0.4
    assert np.mean(per[WARM:] > 0.85) < 0.02  # hardly any frame passes the 0.15 threshold


def test_silence_is_unvoiced_with_finite_f0():
    f0, per = yin_track(np.zeros(SR // 10))
    assert np.all(per == 0.0) and np.all(f0 == 60.0)
    # after a tone, silence holds the last voiced f0
    t = np.arange(SR // 2) / SR
    x = np.concatenate([0.5 * np.sin(2 * np.pi * 300 * t), np.zeros(SR // 4)])
    f0, per = yin_track(x)
    assert np.all(per[-20:] == 0.0)
    assert _cents(f0[-20:], 300.0).max() < 10.0


def _test_signal(seconds=3.0):
    rng = np.random.default_rng(5)
    n = int(SR * seconds)
    t = np.arange(n) / SR
    freq = 110 * 2 ** (2 * t / seconds)  # glide over two octaves
    x = 0.4 * np.sin(2 * np.pi * np.cumsum(freq) / SR) + 0.02 * rng.standard_normal(n)
    x[n // 3:n // 3 + 4000] = 0.0  # a silent gap
    return x.astype(np.float32)


def test_streaming_equals_offline_frame_for_frame():
    x = _test_signal()  # 3 s: crosses the exact-recomputation point (every 256 frames) twice
    assert x.size > 2 * REFRESH_FRAMES * HOP
    f0, per = yin_track(x)
    rng = np.random.default_rng(7)
    for trial in range(2):
        yin = StreamingYin()
        out_f, out_p, pos = [], [], 0
        while pos < x.size:
            n = int(rng.integers(1, 700)) if trial == 0 else int(rng.choice([1, 5, 191, 192, 193, 4096]))
            f, p = yin.push(x[pos:pos + n])
            assert len(f) == (pos + len(x[pos:pos + n])) // HOP - pos // HOP
            out_f.append(f)
            out_p.append(p)
            pos += n
        assert np.array_equal(np.concatenate(out_f), f0)
        assert np.array_equal(np.concatenate(out_p), per)
    yin.reset()
    f, p = yin.push(x)
    assert np.array_equal(f, f0) and np.array_equal(p, per)


def test_nan_inf_and_huge_values_do_not_poison_later_frames():
    t = np.arange(2 * SR) / SR
    clean = 0.5 * np.sin(2 * np.pi * 220 * t)
    bad = clean.copy()
    start = SR // 2
    bad[start:start + 50] = np.nan
    bad[start + 50:start + 60] = np.inf
    bad[start + 60:start + 70] = -np.inf
    bad[start + 70:start + 80] = 1e30
    f0_bad, per_bad = yin_track(bad)
    f0_clean, per_clean = yin_track(clean)
    assert np.all(np.isfinite(f0_bad)) and np.all(np.isfinite(per_bad))
    assert np.all((per_bad >= 0) & (per_bad <= 1))
    after = (start + 80 + W + TAU_MAX) // HOP + 1  # the burst has left the look-back
    assert _cents(f0_bad[after:], 220.0).max() < 10.0
    assert np.allclose(f0_bad[after:], f0_clean[after:], rtol=1e-6)
    assert np.allclose(per_bad[after:], per_clean[after:], atol=1e-6)
    # before the burst, identical
    assert np.array_equal(f0_bad[:start // HOP], f0_clean[:start // HOP])


def test_causal():
    x = _test_signal(1.0)
    f0, per = yin_track(x)
    y = x.copy()
    y[100 * HOP:] = np.random.default_rng(1).standard_normal(y.size - 100 * HOP)
    f0b, perb = yin_track(y)
    assert np.array_equal(f0[:100], f0b[:100]) and np.array_equal(per[:100], perb[:100])
    assert not np.array_equal(per[100:], perb[100:])
