"""Timbre transfer through a random-weight DDSP model (the core's streaming path):
glide following within 20 cents, onset and pitch-step delays agree with latency(), voicing
gate, NaN/Inf/huge input, dry path delayed by exactly latency(), host rates and block sizes."""
import numpy as np
import pytest

from rt_synth import _core

SR, HOP, FD = 48000, 192, 512
LATENCY = FD + HOP  # 704 samples: docs/timbre-transfer.md


def _run(t, x, block=256):
    y = np.empty_like(x)
    sizes = block if isinstance(block, (list, tuple)) else [block]
    i = k = 0
    while i < len(x):
        b = min(sizes[k % len(sizes)], len(x) - i)
        y[i:i + b] = t.process(x[i:i + b])
        i += b
        k += 1
    return y


def _make(path, rate=SR, max_block=4096):
    t = _core.TimbreTransfer(path)
    t.prepare(rate, max_block)
    return t


def test_latency_reported(small_model):
    t = _make(small_model)
    assert t.latency == LATENCY and t.model_latency == LATENCY and t.feature_delay == FD
    assert t.latency_seconds * 1000 < 15.0
    assert t.yin_window == 600  # f0_min 80 Hz


def _f0_harmonic_sum(y, centres, lo=100.0, hi=900.0, w=4096, pad=8):
    """Independent f0 estimate (not YIN): for each frame, the candidate f (1-cent grid) whose
    first 6 harmonics carry the most spectral magnitude (Hann window, zero-padded FFT,
    magnitudes read by linear interpolation), refined by a parabola."""
    cand = lo * 2 ** (np.arange(0, 1200 * np.log2(hi / lo)) / 1200)
    nfft = w * pad
    win = np.hanning(w)
    out = []
    for c in centres:
        fr = y[c - w // 2: c + w // 2].astype(np.float64) * win
        mag = np.abs(np.fft.rfft(fr, nfft))
        bins = np.outer(np.arange(1, 7), cand) * nfft / SR
        score = np.interp(bins, np.arange(len(mag)), mag).sum(0)
        k = int(np.argmax(score))
        if 0 < k < len(cand) - 1:
            a_, b_, c_ = score[k - 1: k + 2]
            den = a_ - 2 * b_ + c_
            k = k + (0.5 * (a_ - c_) / den if den < 0 else 0.0)
        out.append(lo * 2 ** (k / 1200))
    return np.array(out)


def test_glide_followed_within_20_cents(small_model):
    t = _make(small_model)
    n = 3 * SR
    tt = np.arange(n) / SR
    f_in = 150 * 2 ** (2 * tt / tt[-1])  # sawtooth glide 150 -> 600 Hz
    ph = np.cumsum(f_in) / SR
    x = (0.4 * (2 * (ph % 1.0) - 1)).astype(np.float32)
    y = _run(t, x, [128, 77, 1000])
    centres = np.arange(SR // 4, n - 4096, 512)
    f_out = _f0_harmonic_sum(y, centres)
    ref = np.interp(centres - LATENCY, np.arange(n), f_in)  # the input's pitch, latency() earlier
    cents = 1200 * np.abs(np.log2(f_out / ref))
    print(f"glide: median {np.median(cents):.1f} cents, p95 {np.percentile(cents, 95):.1f}, max {cents.max():.1f}")
    assert np.percentile(cents, 95) < 20.0
    assert np.median(cents) < 10.0


def _env(y, w=64):
    return np.sqrt(np.convolve(y.astype(np.float64) ** 2, np.ones(w) / w, "same"))


@pytest.mark.parametrize("freq", [220.0, 440.0])
def test_onset_delay_matches_latency(small_model, freq):
    """A tone burst in; the output's onset (its envelope crossing half the steady level) must
    come latency() after the input's, within 1.5 hops: controls change only at frame
    boundaries (up to one hop of quantisation) and the voicing gate opens on the first frame YIN
    calls voiced, whose window centre lies (W + period)/2 = 355..420 samples before the frame end
    for 200..440 Hz vs the loudness window's 512 the model's timeline is built on (< 0.5 hop)."""
    t = _make(small_model)
    delays = []
    for onset in range(12000, 12000 + HOP, 48):
        x = np.zeros(SR // 2, np.float32)
        x[onset:] = 0.5 * np.sin(2 * np.pi * freq * np.arange(SR // 2 - onset) / SR)
        t.reset()
        y = _run(t, x)
        assert np.max(np.abs(y[:onset + 300])) == 0.0  # silence before: gate closed, nothing early
        e = _env(y)
        steady = np.median(e[onset + 4000:])
        delays.append(int(np.argmax(e > 0.5 * steady)) - onset)
    delays = np.array(delays)
    print(f"{freq} Hz onset delays: {delays} (latency {t.latency})")
    assert np.all(np.abs(delays - t.latency) <= 1.5 * HOP)
    assert abs(np.mean(delays) - t.latency) <= HOP


def _harmonic_energy(y, f0, w=1536, step=16):
    n = np.arange(w)
    basis = np.exp(-2j * np.pi * np.outer(np.arange(1, 9) * f0, n) / SR) * np.hanning(w)
    idx = np.arange(0, len(y) - w, step)
    frames = np.stack([y[i:i + w] for i in idx]).astype(np.float64)
    return idx + w // 2, (np.abs(frames @ basis.T) ** 2).sum(1)


def test_pitch_step_delay_matches_latency(small_model):
    """200 -> 283 Hz step (no shared low harmonics) in; the output's step time is where the
    harmonic energy at 283 Hz overtakes that at 200 Hz (an estimator independent of YIN).
    Same tolerance as the onset test (1.5 hops)."""
    t = _make(small_model)
    delays = []
    for sw in range(12000, 12000 + HOP, 48):
        f = np.where(np.arange(SR // 2) < sw, 200.0, 283.0)
        ph = np.cumsum(f) / SR
        x = (0.4 * np.sin(2 * np.pi * ph) + 0.2 * np.sin(4 * np.pi * ph)).astype(np.float32)
        t.reset()
        y = _run(t, x, 333)
        c, a = _harmonic_energy(y, 200.0)
        _, b = _harmonic_energy(y, 283.0)
        p = b / (a + b)  # share of the new pitch's harmonics, normalised between its steady values
        p0 = np.median(p[(c > sw - 4000) & (c < sw - 1500)])
        p1 = np.median(p[(c > sw + 3000) & (c < sw + 6000)])
        q = (p - p0) / (p1 - p0)
        m = (c > sw - 1000) & (c < sw + 3000)
        delays.append(int(c[m][np.argmax(q[m] > 0.5)]) - sw)
    delays = np.array(delays)
    print(f"pitch step delays: {delays} (latency {t.latency})")
    assert np.all(np.abs(delays - t.latency) <= 1.5 * HOP)


def test_gate_noise_and_silence(small_model):
    t = _make(small_model)
    rng = np.random.default_rng(0)
    n = 2 * SR
    voiced = (0.3 * np.sin(2 * np.pi * 220 * np.arange(n) / SR)).astype(np.float32)
    e_voiced = np.mean(_run(t, voiced)[SR // 2:] ** 2)
    for name, x in {"white": 0.3 * rng.standard_normal(n),
                    "loud white": 0.9 * rng.standard_normal(n).clip(-3, 3),
                    "silence": np.zeros(n),
                    "hiss": 1e-4 * rng.standard_normal(n)}.items():
        t.reset()
        y = _run(t, x.astype(np.float32))
        e = np.mean(y ** 2)
        print(name, e / e_voiced)
        assert e < 1e-6 * e_voiced, name  # no harmonic output at all (gate closed)


def test_no_pitch_glitch_through_gap(small_model):
    """A 220 Hz note, a 30 ms noise burst inside it, then the note again: the f0 the model gets
    stays at 220 Hz (held through the unvoiced frames)."""
    t = _make(small_model)
    n = SR
    x = (0.3 * np.sin(2 * np.pi * 220 * np.arange(n) / SR)).astype(np.float32)
    x[SR // 2: SR // 2 + 1440] = np.random.default_rng(1).standard_normal(1440) * 0.3
    f0s = []
    for i in range(0, n, 480):
        _, f0, _, _ = t.process_with_controls(x[i:i + 480])
        f0s.append(f0)
    f0 = np.concatenate(f0s)[SR // 8:]
    assert np.max(np.abs(1200 * np.log2(f0 / 220.0))) < 25.0


def test_octave_error_smoothed(small_model):
    """A single frame's octave jump in the tracker (simulated: one frame of a tone an octave
    up) does not reach the model; a lasting octave change does, after the hold."""
    t = _make(small_model)
    n = SR
    f = np.full(n, 220.0)
    f[SR // 2: SR // 2 + 150] = 440.0  # shorter than a YIN window: at most a frame or two
    f[3 * SR // 4:] = 440.0
    x = (0.3 * np.sin(2 * np.pi * np.cumsum(f) / SR)).astype(np.float32)
    _, f0, _, _ = t.process_with_controls(x[:4096])
    out = [f0]
    for i in range(4096, n, 4096):
        out.append(t.process_with_controls(x[i:i + 4096])[1])
    f0 = np.concatenate(out)
    mid = f0[SR // 4: 3 * SR // 4]
    assert np.all(np.abs(1200 * np.log2(mid / 220.0)) < 100)  # no octave glitch
    assert abs(1200 * np.log2(f0[-1] / 440.0)) < 25  # the real octave change is taken


def test_pitch_shift_gain_offset(small_model):
    t = _make(small_model)
    x = (0.3 * np.sin(2 * np.pi * 220 * np.arange(SR) / SR)).astype(np.float32)
    _, f0a, lda, _ = t.process_with_controls(x[:4096])
    t.reset()
    t.pitch_shift = 7.0
    t.loudness_offset_db = -6.0
    t.input_gain_db = 6.0
    _, f0b, ldb, _ = t.process_with_controls(x[:4096])
    s = slice(2000, 4096)
    np.testing.assert_allclose(f0b[s] / f0a[s], 2 ** (7 / 12), rtol=1e-5)
    np.testing.assert_allclose(ldb[s] - lda[s], 0.0, atol=0.05)  # +6 dB gain, -6 dB offset


@pytest.mark.parametrize("rate", [48000, 44100, 88200, 96000])
def test_dry_path_delayed_by_latency(small_model, rate):
    """dry = 1, wet = 0: the output is the input delayed by latency() host samples (through the
    HostAdapter's resamplers off 48 kHz): checked by a sub-sample fit of a 1 kHz tone."""
    t = _make(small_model, rate)
    t.dry, t.wet = 1.0, 0.0
    t.reset()
    n = rate
    x = (0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(n) / rate)).astype(np.float32)
    y = _run(t, x, 100)
    seg0 = rate // 4
    seg = y[seg0:seg0 + rate // 2].astype(np.float64)
    tt = np.arange(len(seg)) / rate
    A = np.stack([np.sin(2 * np.pi * 1000 * tt), np.cos(2 * np.pi * 1000 * tt)], 1)
    c, *_ = np.linalg.lstsq(A, seg, rcond=None)
    phase = np.arctan2(c[1], c[0])
    d = (seg0 / rate - phase / (2 * np.pi * 1000.0)) * rate  # delay in samples, modulo a period
    period = rate / 1000.0
    err = (d - t.latency + period / 2) % period - period / 2
    print(rate, "latency", t.latency, "measured", t.latency + err)
    assert abs(err) <= 0.5 + 1e-3
    assert abs(20 * np.log10(np.hypot(*c) / 0.5)) < 0.1
    if rate == 48000:  # exact integer delay, bit for bit
        np.testing.assert_array_equal(y[t.latency + 1000:], x[1000:n - t.latency])


@pytest.mark.parametrize("rate", [44100, 88200, 96000])
def test_host_rates_block_size_independent(small_model, rate):
    t = _make(small_model, rate, 4096)
    n = rate
    tt = np.arange(n) / rate
    x = (0.3 * np.sin(2 * np.pi * np.cumsum(200 * 2 ** tt) / rate)).astype(np.float32)
    t.reset()
    ref = _run(t, x, 4096)
    assert np.sqrt(np.mean(ref[n // 2:] ** 2)) > 1e-3
    for blocks in (1, 7, 64, 512, [13, 4096, 1, 700]):
        t.reset()
        if blocks == 1:
            got = _run(t, x[: n // 4], 1)
            np.testing.assert_array_equal(got, ref[: n // 4])
        else:
            np.testing.assert_array_equal(_run(t, x, blocks), ref)
    assert t.underruns == 0


@pytest.mark.parametrize("rate", [48000, 44100])
def test_bad_input_finite_and_recovers(small_model, rate):
    t = _make(small_model, rate)
    n = rate
    clean = (0.3 * np.sin(2 * np.pi * 220 * np.arange(2 * n) / rate)).astype(np.float32)
    t.reset()
    ref = _run(t, clean, 256)
    x = clean.copy()
    x[n // 4: n // 4 + 100] = np.nan
    x[n // 3: n // 3 + 100] = np.inf
    x[n // 2: n // 2 + 100] = -np.inf
    x[n // 2 + 5000: n // 2 + 5100] = 1e30
    t.reset()
    y = _run(t, x, 256)
    assert np.all(np.isfinite(y))
    assert np.max(np.abs(y)) < 100
    # recovers: a second later the tracker and meter windows hold clean audio again; the gated
    # model output is back near the clean run's level
    e_ref = np.mean(ref[-n // 4:] ** 2)
    e = np.mean(y[-n // 4:] ** 2)
    assert 0.1 < e / e_ref < 10
    t.reset()
    np.testing.assert_array_equal(_run(t, clean, 256), ref)  # reset replays exactly
