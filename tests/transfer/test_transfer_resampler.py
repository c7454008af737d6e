"""The core's Resampler: level and frequency kept through 44.1 -> 48 -> 44.1 (< 0.1 dB),
and through 47 999 / 48 001 Hz (interpolated table) likewise;
stopband (aliases and images) >= 80 dB measured, delay = delay_seconds (linear phase), and the
same output stream for any block size."""
import numpy as np
import pytest

from rt_synth import _core

PAIRS = [(44100, 48000), (48000, 44100), (88200, 48000), (48000, 88200), (96000, 48000), (48000, 96000),
         # ratios with terms > 4096: the interpolated table (docs/safety.md, the rate contract)
         (47999, 48000), (48000, 47999), (48001, 48000), (48000, 48001)]


def _run(r, x, blocks=(4096,)):
    out, i, k = [], 0, 0
    while i < len(x):
        b = blocks[k % len(blocks)]
        out.append(r.process(x[i:i + b]))
        i += b
        k += 1
    return np.concatenate(out)


def _tone(f, sr, seconds=1.0, amp=0.5):
    return (amp * np.sin(2 * np.pi * f * np.arange(int(sr * seconds)) / sr)).astype(np.float32)


def _fit(y, f, sr):
    """Least-squares amplitude and phase of a sine at f; relative residual power."""
    t = np.arange(len(y)) / sr
    A = np.stack([np.sin(2 * np.pi * f * t), np.cos(2 * np.pi * f * t)], 1)
    c, *_ = np.linalg.lstsq(A, y.astype(np.float64), rcond=None)
    res = y - A @ c
    return np.hypot(*c), np.arctan2(c[1], c[0]), np.mean(res ** 2) / np.mean(y.astype(np.float64) ** 2)


@pytest.mark.parametrize("rate", [44100, 47999])
def test_round_trip_keeps_level_and_frequency(rate):
    """rate -> 48 kHz -> rate keeps a 1 kHz sine's level and frequency: the exact polyphase
    form (44.1 kHz) and the interpolated table (47 999 Hz: reduced terms > 4096) alike."""
    up, down = _core.transfer.Resampler(rate, 48000), _core.transfer.Resampler(48000, rate)
    x = _tone(1000.0, rate, 2.0)
    y = _run(down, _run(up, x))
    seg = y[8000:8000 + rate]
    amp, _, resid = _fit(seg, 1000.0, rate)
    assert abs(20 * np.log10(amp / 0.5)) < 0.1
    assert resid < 1e-7  # nothing but the 1 kHz sine: same frequency, no distortion (< -70 dB)


@pytest.mark.parametrize("rin,rout", PAIRS)
def test_delay_equals_reported(rin, rout):
    r = _core.transfer.Resampler(rin, rout)
    for f in (500.0, 3000.0, 12000.0):
        x = _tone(f, rin, 1.0)
        y = _run(r, x)
        r.reset()
        seg0 = 4000
        seg = y[seg0:seg0 + rout // 2]
        amp, phase, _ = _fit(seg, f, rout)
        # y[m] = a sin(2 pi f (m/rout - D)): phase at m = seg0 is 2 pi f (seg0/rout - D)
        d = (seg0 / rout - phase / (2 * np.pi * f))
        period = 1.0 / f
        err = (d - r.delay_seconds + period / 2) % period - period / 2
        assert abs(err) < 2e-7, (f, err * rout)  # < 0.01 output samples
        assert abs(20 * np.log10(amp / 0.5)) < 0.05, f


def _band_power(y, sr, lo, hi):
    w = np.kaiser(len(y), 30.0)  # sidelobes far below -150 dB
    spec = np.abs(np.fft.rfft(y.astype(np.float64) * w)) ** 2
    f = np.fft.rfftfreq(len(y), 1 / sr)
    return spec[(f >= lo) & (f <= hi)].sum(), spec.sum()


@pytest.mark.parametrize("rin,rout", PAIRS)
def test_stopband_at_least_80_db(rin, rout):
    r = _core.transfer.Resampler(rin, rout)
    edge = min(rin, rout) / 2
    worst = -np.inf
    if (rin > rout and rin / 2 - 200 > edge + 50) or (rin, rout) == (48000, 44100):  # aliases of tones above the edge
        for f in np.linspace(edge + 50, rin / 2 - 200, 12):
            y = _run(r, _tone(f, rin, 0.5))[2000:]
            r.reset()
            p = np.mean(y.astype(np.float64) ** 2)
            worst = max(worst, 10 * np.log10(p / 0.125 + 1e-30))
    elif abs(rin - rout) < 1000:  # near-unity ratio (interpolated table): no alias band; every
        # spurious component (interpolation error, images) is what a sine fit leaves over
        for f in (1000.0, 5000.0, 10000.0, 15000.0, 19000.0):
            y = _run(r, _tone(f, rin, 0.5))[2000:]
            r.reset()
            worst = max(worst, 10 * np.log10(_fit(y, f, rout)[2] + 1e-30))
    else:  # images of passband tones above the input's Nyquist
        for f in (1000.0, 10000.0, 15000.0, 19000.0, 20000.0):
            y = _run(r, _tone(f, rin, 0.5))[2000:]
            r.reset()
            img, total = _band_power(y, rout, edge + 10, rout / 2)
            worst = max(worst, 10 * np.log10(img / total + 1e-30))
    print(f"{rin}->{rout}: worst stopband level {worst:.1f} dB")
    assert worst < -80.0, worst


@pytest.mark.parametrize("rin,rout", [(44100, 48000), (48000, 44100), (96000, 48000), (47999, 48000), (48000, 48001)])
def test_block_size_independent(rin, rout):
    x = np.random.default_rng(1).standard_normal(rin).astype(np.float32) * 0.3
    ref = _run(_core.transfer.Resampler(rin, rout), x, (4096,))
    for blocks in ((1,), (7,), (64, 3, 511), (4096, 1)):
        np.testing.assert_array_equal(_run(_core.transfer.Resampler(rin, rout), x, blocks), ref)


def test_odd_ratio_keeps_the_exact_ratio():
    """47 999 Hz: the interpolated table still tracks the exact ratio (no drift)."""
    assert _core.transfer.Resampler(47999, 48000).up == 48000
