"""Inputs without one clear f0, to check that a model still follows them: noise bursts and
two-note chords (the drum loop is rt_synth.data.drum_loop).

noise_bursts   white or low-passed noise bursts, 50-800 ms, RMS -36..-12 dBFS, attack 2-30 ms,
               exponential decay, separated by 0.1-0.6 s of digital silence (numpy, no MIDI)
chord_phrase   a violin line of two-note chords (a third to an octave, the lower note
               G3..G5), 1-2 s each with short rests, no vibrato, as a Phrase (MIDI), so that
               it can be rendered on any soundfont and program
"""
from __future__ import annotations

import numpy as np

from rt_synth.data.phrases import TICKS_PER_SECOND, Note, Phrase

CHORD_INTERVALS = (3, 4, 5, 7, 8, 9, 12)  # semitones between the two notes


def noise_bursts(rng: np.random.Generator, seconds: float, sample_rate: int = 48000) -> np.ndarray:
    n = int(round(seconds * sample_rate))
    out = np.zeros(n, np.float64)
    t = int(rng.uniform(0.1, 0.3) * sample_rate)
    while True:
        length = int(rng.uniform(0.05, 0.8) * sample_rate)
        if t + length > n - int(0.1 * sample_rate):
            break
        x = rng.standard_normal(length)
        if rng.random() < 0.5:  # a darker burst: one-pole low-pass at 300 Hz..4 kHz
            from scipy.signal import lfilter

            a = np.exp(-2 * np.pi * rng.uniform(300.0, 4000.0) / sample_rate)
            x = lfilter([1.0 - a], [1.0, -a], x)
        x /= np.sqrt(np.mean(x ** 2)) + 1e-12
        attack = max(1, int(rng.uniform(0.002, 0.03) * sample_rate))
        env = np.minimum(1.0, np.arange(length) / attack)
        env *= np.exp(-np.arange(length) / (length * rng.uniform(0.2, 0.6)))
        level = 10 ** (rng.uniform(-36.0, -12.0) / 20)
        out[t:t + length] = level * env * x
        t += length + int(rng.uniform(0.1, 0.6) * sample_rate)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def chord_phrase(rng: np.random.Generator, seconds: float, sample_rate: int = 48000,
                 program: int = 40, low: int = 55, high: int = 79) -> Phrase:
    n_samples = int(round(seconds * sample_rate))
    ph = Phrase(program=program, n_samples=n_samples, sample_rate=sample_rate, expression=[(0, 100)])
    tps = TICKS_PER_SECOND
    t, end = int(0.1 * tps), int((seconds - 0.4) * tps)
    while True:
        length = int(rng.uniform(1.0, 2.0) * tps)
        if t + length > end:
            break
        lower = int(rng.integers(low, high + 1))
        upper = lower + int(rng.choice(CHORD_INTERVALS))
        vel = int(rng.integers(70, 111))
        ph.notes += [Note(t, t + length, lower, vel), Note(t, t + length, upper, vel)]
        t += length + int(rng.uniform(0.15, 0.5) * tps)
    return ph
