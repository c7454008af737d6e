"""The core's live analysis equals the dataset's: C++ StreamingYin == rt_synth.dsp.yin.yin_track
frame for frame (bit for bit) at random block sizes, and the C++ LoudnessMeter ==
a_weighted_loudness within 1e-4 dB."""
import numpy as np
import pytest

from rt_synth import _core

pytest.importorskip("numba")
from rt_synth.dsp.loudness import a_weighted_loudness  # noqa: E402
from rt_synth.dsp.yin import yin_track  # noqa: E402

SR = 48000


def _signals():
    rng = np.random.default_rng(0)
    t = np.arange(int(SR * 2.5)) / SR
    f = 150 * 2 ** (2 * t / t[-1])
    ph = np.cumsum(f) / SR
    glide = 0.5 * np.sin(2 * np.pi * ph)
    saw = 0.4 * (2 * (ph % 1.0) - 1)
    noise = 0.3 * rng.standard_normal(len(t))
    silence = np.zeros(len(t))
    mixed = glide.copy()
    mixed[SR // 2: SR // 2 + 4000] = 0.0
    mixed[SR: SR + 3000] = rng.standard_normal(3000) * 0.3
    nan = glide.copy()
    for k in range(8):  # NaN / Inf / huge bursts
        s = int(rng.integers(0, len(t) - 200))
        nan[s: s + int(rng.integers(1, 200))] = [np.nan, np.inf, -np.inf, 1e30][k % 4]
    long = 0.3 * np.sin(2 * np.pi * 220 * np.arange(SR * 3) / SR) + 0.01 * rng.standard_normal(SR * 3)
    return {"glide": glide, "saw": saw, "noise": noise, "silence": silence, "mixed": mixed,
            "nan_bursts": nan, "long_across_refresh": long}


def _push_random_blocks(obj, x, seed):
    rng = np.random.default_rng(seed)
    outs, i = [], 0
    while i < len(x):
        b = int(rng.choice([1, 7, 64, 191, 193, int(rng.integers(1, 5000))]))
        outs.append(obj.push(x[i:i + b]))
        i += b
    return outs


@pytest.mark.parametrize("f0_min", [60.0, 80.0])
@pytest.mark.parametrize("name", list(_signals().keys()))
def test_yin_bit_exact(name, f0_min):
    x = _signals()[name].astype(np.float32)
    ref_f0, ref_per = yin_track(x, SR, 192, f0_min)
    y = _core.transfer.StreamingYin(SR, 192, f0_min)
    outs = _push_random_blocks(y, x, hash(name) % 1000)
    f0 = np.concatenate([o[0] for o in outs])
    per = np.concatenate([o[1] for o in outs])
    assert len(f0) == len(ref_f0)
    np.testing.assert_array_equal(f0, ref_f0)
    np.testing.assert_array_equal(per, ref_per)
    if name == "glide":
        assert np.mean(per > 0.85) > 0.9  # a real signal: voiced most of the time


def test_yin_reset_replays():
    x = _signals()["mixed"].astype(np.float32)
    y = _core.transfer.StreamingYin(SR, 192, 80.0)
    a = y.push(x)[0]
    y.reset()
    b = y.push(x)[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["glide", "saw", "noise", "silence", "mixed"])
def test_loudness_matches(name):
    x = _signals()[name].astype(np.float32)
    ref = a_weighted_loudness(x.astype(np.float64), SR, 192, 1024)
    m = _core.transfer.LoudnessMeter(SR, 192, 1024)
    got = np.concatenate(_push_random_blocks(m, x, 5))
    assert len(got) == len(ref)
    err = np.max(np.abs(got - ref))
    assert err < 1e-4, err


def test_loudness_bad_input_is_finite():
    x = _signals()["nan_bursts"].astype(np.float32)
    m = _core.transfer.LoudnessMeter(SR, 192, 1024)
    got = m.push(x)
    assert np.all(np.isfinite(got))
    # after the bursts, equal to the sanitised signal's loudness
    clean = np.nan_to_num(x.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0).clip(-4, 4)
    np.testing.assert_allclose(got, a_weighted_loudness(clean, SR, 192, 1024), atol=1e-4)
