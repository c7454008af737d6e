"""Synthetic test signals with a known pitch: for the pitch-source exports' parity tests and
quick checks of a pitched model without a dataset."""
from __future__ import annotations

import numpy as np


def violin_like(seconds: float = 20.0, sample_rate: int = 48000, seed: int = 0,
                midi_range: tuple = (55, 88)) -> np.ndarray:
    """A bowed-string-like melody, float32 [T]: notes of 0.2-1.2 s between G3 and E6 (a
    violin's range), each a band-limited sawtooth-like tone (1/k harmonics below 0.45*SR, a
    fixed formant-ish tilt) with a 40 ms attack, 60 ms release and vibrato (5.5 Hz, up to 25
    cents, fading in), bow noise at -30 dB under the tone; a third of the note changes are
    60 ms glides (legato), and some rests are digital silence, others a -70 dB hiss."""
    rng = np.random.default_rng(seed)
    n_total = int(seconds * sample_rate)
    f_track = np.zeros(n_total)
    amp = np.zeros(n_total)
    pos, note = 0, float(rng.integers(*midi_range))
    while pos < n_total:
        dur = int(rng.uniform(0.2, 1.2) * sample_rate)
        end = min(pos + dur, n_total)
        n = end - pos
        t = np.arange(n) / sample_rate
        nxt = float(np.clip(note + rng.integers(-7, 8), *midi_range))
        midi = np.full(n, note)
        if rng.random() < 0.33:  # legato glide into the next note over the last 60 ms
            g = min(n, int(0.06 * sample_rate))
            midi[n - g:] = note + (nxt - note) * np.linspace(0, 1, g)
        depth = 25.0 * np.clip((t - 0.15) / 0.3, 0, 1)
        cents = depth * np.sin(2 * np.pi * 5.5 * t + rng.uniform(0, 2 * np.pi))
        f_track[pos:end] = 440.0 * 2 ** ((midi - 69 + cents / 100) / 12)
        env = np.minimum(1.0, t / 0.04) * np.minimum(1.0, (t[-1] - t) / 0.06 + 1e-3)
        amp[pos:end] = rng.uniform(0.15, 0.45) * np.clip(env, 0, 1)
        pos = end
        note = nxt
        if rng.random() < 0.2 and pos < n_total:  # a rest
            rest = min(int(rng.uniform(0.1, 0.4) * sample_rate), n_total - pos)
            amp[pos:pos + rest] = 0.0
            f_track[pos:pos + rest] = 440.0
            pos += rest
    phase = 2 * np.pi * np.cumsum(f_track) / sample_rate
    y = np.zeros(n_total)
    for k in range(1, 41):
        alive = k * f_track < 0.45 * sample_rate
        y += alive * np.sin(k * phase) / k * (1.0 + 0.6 * np.sin(0.7 * k))
    y = amp * y / 2.0
    noise = rng.standard_normal(n_total)
    bow = np.convolve(noise, np.ones(8) / 8, mode="same") * 0.03 * amp
    hiss = (amp == 0) * noise * 10 ** (-70 / 20)
    silent = (amp == 0) & (np.arange(n_total) // sample_rate % 2 == 0)  # some rests: silence
    out = y + bow + np.where(silent, 0.0, hiss)
    return out.astype(np.float32)
