"""The core's DSP blocks (csrc/dsp/) against docs/ddsp-maths.md, computed here in float64 numpy,
and against the Python/PyTorch DSP (rt_synth.dsp) where it is installed. Max abs error ≤ 1e-5."""
import math

import numpy as np
import pytest

from rt_synth import _core

dsp = _core.dsp
SR, HOP = 48000, 192
TOL = 1e-5


# ---------- float64 references, straight from the maths page ----------

def ref_counter_noise(seed, start, n):
    with np.errstate(over="ignore"):
        idx = np.arange(start + 1, start + n + 1, dtype=np.uint64)
        z = np.uint64(seed) + idx * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) * 2.0 ** -23 - 1.0


def ref_upsample(frames, first, hop):
    frames = np.asarray(frames, np.float64)
    prev = np.concatenate([np.asarray(first, np.float64)[None], frames[:-1]], 0)
    r = np.arange(1, hop + 1, dtype=np.float64) / hop
    out = prev[:, None] + (frames - prev)[:, None] * r[None, :, None]
    return out.reshape(-1, frames.shape[1])


def ref_harmonic(f0_frames, amps, hop=HOP, sr=SR):
    f0_s = ref_upsample(f0_frames[:, None], [f0_frames[0]], hop)[:, 0]
    a_s = ref_upsample(amps, np.zeros(amps.shape[1]), hop)
    p = np.cumsum(f0_s / sr)
    p -= np.floor(p)
    k = np.arange(1, amps.shape[1] + 1, dtype=np.float64)
    kp = p[:, None] * k
    kp -= np.floor(kp)
    return (np.sin(2 * np.pi * kp) * a_s).sum(-1)


def ref_ir(mags):
    L = 2 * (len(mags) - 1)
    h0 = np.fft.irfft(np.asarray(mags, np.float64), n=L)
    t = np.arange(L)
    return np.roll(h0, L // 2) * (0.5 - 0.5 * np.cos(2 * np.pi * t / (L - 1)))


def ref_filtered_noise(mags, noise, hop=HOP):
    F = mags.shape[0]
    L = 2 * (mags.shape[1] - 1)
    out = np.zeros(F * hop + L)
    for i in range(F):
        y = np.convolve(noise[i * hop:(i + 1) * hop].astype(np.float64), ref_ir(mags[i]))
        out[i * hop:i * hop + len(y)] += y
    return out[:F * hop]


def exp_sigmoid64(x):
    return 2.0 / (1.0 + np.exp(-np.asarray(x, np.float64))) ** math.log(10.0) + 1e-7


def glide_frames(seconds=3.0, k=64, seed=0):
    rng = np.random.default_rng(seed)
    F = int(seconds * SR / HOP)
    t = np.arange(F) / (SR / HOP)
    f0 = (110.0 * 2 ** (3 * t / seconds) * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))).astype(np.float32)
    amps = np.abs(rng.standard_normal((F, k))).astype(np.float32)
    amps /= amps.sum(1, keepdims=True)
    amps *= (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))[:, None].astype(np.float32)
    mask = (np.arange(1, k + 1)[None] * f0[:, None]) < SR / 2
    return f0, (amps * mask).astype(np.float32)


# ---------- tests ----------

@pytest.mark.parametrize("seed,start", [(0, 0), (12345, 0), (2**63 + 7, 2**40), (2**64 - 1, 99)])
def test_counter_noise_matches_spec(seed, start):
    got = dsp.counter_noise(seed, start, 4096)
    np.testing.assert_array_equal(got.astype(np.float64), ref_counter_noise(seed, start, 4096))
    assert got.min() >= -1.0 and got.max() < 1.0


def test_counter_noise_matches_torch_export():
    torch = pytest.importorskip("torch")
    from rt_synth.export.counter_noise_torch import counter_noise
    got = counter_noise(777, torch.tensor([1000]), 2000)[0].numpy()
    np.testing.assert_array_equal(got, dsp.counter_noise(777, 1000, 2000))


def test_exp_sigmoid_and_scaling():
    x = np.linspace(-30, 30, 2001).astype(np.float32)
    np.testing.assert_allclose(dsp.exp_sigmoid(x), exp_sigmoid64(x), rtol=1e-6, atol=1e-9)
    rng = np.random.default_rng(1)
    F, K = 50, 64
    a_raw = rng.standard_normal(F).astype(np.float32)
    d_raw = rng.standard_normal((F, K)).astype(np.float32)
    f0 = rng.uniform(50, 2000, F).astype(np.float32)
    got = dsp.harmonic_amplitudes(a_raw, d_raw, f0, SR)
    d = exp_sigmoid64(d_raw) * ((np.arange(1, K + 1, dtype=np.float32)[None] * f0[:, None]) < SR / 2)
    d /= d.sum(1, keepdims=True) + 1e-7
    np.testing.assert_allclose(got, exp_sigmoid64(a_raw)[:, None] * d, atol=1e-6)
    n_raw = rng.standard_normal(65).astype(np.float32) * 5
    np.testing.assert_allclose(dsp.noise_magnitudes(n_raw), exp_sigmoid64(n_raw - 5.0), rtol=1e-6)


def test_causal_frame_upsample():
    rng = np.random.default_rng(2)
    fr = rng.standard_normal((20, 3)).astype(np.float32)
    first = rng.standard_normal(3).astype(np.float32)
    got = dsp.causal_frame_upsample(fr, HOP, first)
    np.testing.assert_allclose(got, ref_upsample(fr, first, HOP), atol=1e-12)
    # frame i's value is reached on its last sample; nothing looks ahead
    np.testing.assert_allclose(got[HOP - 1::HOP], fr, atol=1e-12)


@pytest.mark.parametrize("chunk", [0, 1, 7, 64])
def test_harmonic_oscillator_glide_matches_exact_sin(chunk):
    f0, amps = glide_frames(3.0 if chunk == 0 else 0.5)
    got = dsp.harmonic_oscillator(f0, amps, SR, HOP, chunk)
    err = np.abs(got - ref_harmonic(f0, amps)).max()
    assert err <= TOL, err


def test_oscillator_recurrence_error_is_tiny_in_double():
    # Unit amplitudes on all 64 partials, random pitches: the worst-case sum of errors.
    rng = np.random.default_rng(3)
    F = 500
    f0 = rng.uniform(20, 370, F).astype(np.float32)  # 64·370 < 24000: no partial masked
    amps = np.ones((F, 64), np.float32) / 64
    got = dsp.harmonic_oscillator(f0, amps, SR, HOP)
    err = np.abs(got - ref_harmonic(f0, amps)).max()
    assert err < 2e-7, err  # float32 rounding of the output dominates; recurrence ≪ this


def test_noise_impulse_response_matches_irfft():
    rng = np.random.default_rng(4)
    for bands in (65, 17, 33):
        m = rng.uniform(0, 2, bands).astype(np.float32)
        np.testing.assert_allclose(dsp.noise_impulse_response(m), ref_ir(m), atol=1e-6)


@pytest.mark.parametrize("chunk", [0, 1, 13])
def test_filtered_noise_matches_overlap_add(chunk):
    rng = np.random.default_rng(5)
    F = 300 if chunk == 0 else 60
    mags = rng.uniform(0, 2, (F, 65)).astype(np.float32)
    noise = dsp.counter_noise(42, 0, F * HOP)
    got = dsp.filtered_noise(mags, noise, HOP, chunk)
    err = np.abs(got - ref_filtered_noise(mags, noise)).max()
    assert err <= TOL, err


def test_filtered_noise_matches_streaming_export_matrix():
    pytest.importorskip("torch")
    from rt_synth.kinds.ddsp.model.streaming import noise_filter_matrix
    m = np.random.default_rng(6).uniform(0, 2, 65)
    W = noise_filter_matrix(65).numpy()
    np.testing.assert_allclose(dsp.noise_impulse_response(m.astype(np.float32)),
                               m @ W, atol=1e-6)


# ---------- against the Python DSP modules, once they exist ----------

def test_against_python_harmonic_oscillator():
    torch = pytest.importorskip("torch")
    mod = pytest.importorskip("rt_synth.dsp.harmonic")
    f0, amps = glide_frames(3.0)
    osc = mod.HarmonicOscillator(SR, HOP, amps.shape[1])
    ref = osc.get_signal(torch.from_numpy(amps.astype(np.float64))[None],
                         torch.from_numpy(f0.astype(np.float64))[None, :, None])
    ref = ref.detach().numpy().reshape(-1)
    got = dsp.harmonic_oscillator(f0, amps, SR, HOP, 0)
    assert np.abs(got - ref).max() <= TOL


def test_against_python_filtered_noise():
    torch = pytest.importorskip("torch")
    mod = pytest.importorskip("rt_synth.dsp.noise")
    rng = np.random.default_rng(7)
    F = 300
    mags = rng.uniform(0, 2, (F, 65)).astype(np.float32)
    noise = dsp.counter_noise(9, 0, F * HOP)
    fn = mod.FilteredNoise(SR, HOP, 65)
    ref = fn.get_signal(torch.from_numpy(mags.astype(np.float64))[None],
                        torch.from_numpy(noise.astype(np.float64))[None])
    ref = ref.detach().numpy().reshape(-1)
    got = dsp.filtered_noise(mags, noise, HOP)
    assert np.abs(got - ref).max() <= TOL
