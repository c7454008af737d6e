"""Timbre augmentation of the RAVE encoder's input (config.timbre_augment; docs/rave.md §12).

A model trained on one instrument should play *that* instrument whatever comes in (issue 14:
flute, clarinet, trumpet or another violin into a violin model). An autoencoder whose latent
carries the input's spectral envelope reproduces the input's timbre instead. So during
training the encoder (and the tracker) hear the example through a random spectral envelope,
while the loss still compares the output with the clean example: the latent can only keep
what survives any such envelope (loudness, articulation, noisiness), and the decoder has to
supply the training instrument's own envelope.

The envelope, per example, in dB over octaves x = log2(f / 1 kHz) (f clamped to 50 Hz):

    tilt * x  +  sum_{i=1..3} g_i * exp(-((x - c_i) / w_i)^2 / 2)

tilt ~ U(-6, 6) dB/octave, g_i ~ U(-A, A) dB (A = config.timbre_augment), c_i ~ U(-2.5, 3)
octaves (250 Hz .. 8 kHz), w_i ~ U(0.3, 1.5) octaves. Applied as a zero-phase filter (FFT of
the zero-padded example) and rescaled to the example's RMS, so the loudness the encoder hears
does not change on average. The pitch is untouched: the tracker finds the same f0.
"""
from __future__ import annotations

import numpy as np

TILT_DB_PER_OCTAVE = 6.0
BUMPS = 3
CENTRE_OCTAVES = (-2.5, 3.0)
WIDTH_OCTAVES = (0.3, 1.5)
PAD = 2048  # zero padding: the filter's impulse response does not wrap around


def random_envelope_db(freqs: np.ndarray, amount_db: float, rng: np.random.Generator) -> np.ndarray:
    x = np.log2(np.maximum(freqs, 50.0) / 1000.0)
    db = rng.uniform(-TILT_DB_PER_OCTAVE, TILT_DB_PER_OCTAVE) * x
    for _ in range(BUMPS):
        g = rng.uniform(-amount_db, amount_db)
        c = rng.uniform(*CENTRE_OCTAVES)
        w = rng.uniform(*WIDTH_OCTAVES)
        db = db + g * np.exp(-0.5 * ((x - c) / w) ** 2)
    return db


def augment_timbre(audio: np.ndarray, sample_rate: int, amount_db: float,
                   rng: np.random.Generator) -> np.ndarray:
    """audio [T] (float32) through a random spectral envelope, at the same RMS. amount_db <= 0
    or a silent example: returned unchanged."""
    audio = np.asarray(audio, dtype=np.float32)
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    if amount_db <= 0 or rms < 1e-7:
        return audio
    n = 1 << int(np.ceil(np.log2(audio.size + PAD)))
    spec = np.fft.rfft(audio.astype(np.float64), n)
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    spec *= 10.0 ** (random_envelope_db(freqs, amount_db, rng) / 20.0)
    out = np.fft.irfft(spec, n)[: audio.size]
    out_rms = float(np.sqrt(np.mean(out ** 2)))
    if out_rms > 0:
        out *= rms / out_rms
    return out.astype(np.float32)
