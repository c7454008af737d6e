import numpy as np
import torch
from scipy.signal import welch

from rt_synth.dsp.noise import FilteredNoise, noise_impulse_responses
from rt_synth.dsp.prng import counter_noise
from rt_synth.dsp.scaling import exp_sigmoid

SR, HOP, BANDS = 48000, 192, 65


def _direct_reference(mags, u, hop):
    """§4 literally: per-frame full convolution, overlap-add, tail dropped (float64)."""
    h = noise_impulse_responses(torch.tensor(mags, dtype=torch.float64)).numpy()
    f = mags.shape[0]
    out = np.zeros(f * hop + h.shape[-1] - 1)
    for i in range(f):
        out[i * hop:i * hop + hop + h.shape[-1] - 1] += np.convolve(u[i * hop:(i + 1) * hop], h[i])
    return out[:f * hop]


def test_impulse_response_is_windowed_linear_phase():
    mags = torch.rand(3, BANDS, dtype=torch.float64)
    h = noise_impulse_responses(mags)
    assert h.shape == (3, 128)
    assert torch.all(h[:, 0] == 0)  # symmetric Hann: w[0] = 0
    # linear phase about L/2: h[L/2 + t] == h[L/2 - t] up to the window's asymmetry
    h0 = torch.fft.irfft(mags, n=128)
    assert torch.allclose(h0[:, 1:], h0[:, 1:].flip(-1), atol=1e-12)  # zero-phase prototype


def test_matches_direct_overlap_add_float64_and_float32():
    rng = np.random.default_rng(1)
    frames = 30
    mags = rng.uniform(0, 1, size=(2, frames, BANDS))
    u = np.stack([counter_noise(frames * HOP, seed=s) for s in (1, 2)]).astype(np.float64)
    fn = FilteredNoise(SR, HOP, BANDS)
    y64 = fn.get_signal(torch.tensor(mags), torch.tensor(u))
    assert y64.dtype == torch.float64 and y64.shape == (2, frames * HOP)
    y32 = fn.get_signal(torch.tensor(mags, dtype=torch.float32), torch.tensor(u, dtype=torch.float32))
    assert y32.dtype == torch.float32
    for b in range(2):
        ref = _direct_reference(mags[b], u[b], HOP)
        assert np.max(np.abs(y64[b].numpy() - ref)) < 1e-12
        assert np.max(np.abs(y32[b].numpy() - ref)) < 1e-5


def test_long_filters_spanning_several_frames():
    rng = np.random.default_rng(2)
    bands, hop, frames = 257, 64, 12  # L = 512 > hop: tails overlap several frames
    mags = rng.uniform(0, 1, size=(1, frames, bands))
    u = rng.uniform(-1, 1, size=(1, frames * hop))
    y = FilteredNoise(SR, hop, bands).get_signal(torch.tensor(mags), torch.tensor(u))
    assert np.max(np.abs(y[0].numpy() - _direct_reference(mags[0], u[0], hop))) < 1e-12


def test_lowpass_band_filter_spectrum():
    frames = 1250  # 5 s
    freqs = np.arange(BANDS) * SR / (2 * (BANDS - 1))
    mags = torch.tensor((freqs < 4000).astype(np.float64)).expand(1, frames, BANDS)
    u = torch.tensor(counter_noise(frames * HOP, seed=5), dtype=torch.float64)[None]
    y = FilteredNoise(SR, HOP, BANDS).get_signal(mags, u)[0].numpy()
    f, psd = welch(y, fs=SR, nperseg=4096)
    band = (f > 200) & (f < 3000)
    level = np.median(psd[band])
    # white uniform noise has PSD (1/3) / (SR/2) one-sided: a unit-gain passband keeps it
    assert abs(10 * np.log10(level / ((1 / 3) / (SR / 2)))) < 1.0
    assert np.all(np.abs(10 * np.log10(psd[band] / level)) < 3.0)
    assert np.all(10 * np.log10(psd[f > 8000] / level) < -30.0)


def test_no_clicks_at_frame_edges():
    rng = np.random.default_rng(3)
    frames = 2000
    # low-passed noise (small sample-to-sample steps) with a very different level every frame:
    # a missing overlap-add (14x) or a hard filter switch (5x) shows as larger steps at edges
    freqs = np.arange(BANDS) * SR / (2 * (BANDS - 1))
    mags = (freqs < 1500).astype(np.float64)[None, None, :] * rng.uniform(0.2, 1, (1, frames, 1))
    fn = FilteredNoise(SR, HOP, BANDS).double()
    y = fn.get_signal(torch.tensor(mags), torch.tensor(counter_noise(frames * HOP, 11),
                                                       dtype=torch.float64)[None])[0].numpy()
    step = np.abs(np.diff(y))  # step[n-1] = |y[n] - y[n-1]|
    at_edge = np.zeros(step.size, dtype=bool)
    at_edge[np.arange(1, frames) * HOP - 1] = True
    ratio = step[at_edge].mean() / step[~at_edge].mean()
    assert 0.85 < ratio < 1.15, ratio


def test_controls_and_default_noise():
    fn = FilteredNoise()
    raw = torch.randn(2, 4, BANDS)
    m = fn.get_controls(raw)
    assert torch.allclose(m, exp_sigmoid(raw - 5.0))
    torch.manual_seed(0)
    y = fn.get_signal(m)
    assert y.shape == (2, 4 * HOP) and torch.isfinite(y).all()
    y64 = fn.get_signal(m.double())
    assert y64.dtype == torch.float64
