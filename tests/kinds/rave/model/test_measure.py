"""The latency measurement finds a known delay of an amplitude-modulated signal."""
import numpy as np

from rt_synth.kinds.rave.model.measure import envelope_lag, onset_time


def test_envelope_lag_finds_known_delay():
    rng = np.random.default_rng(0)
    t = np.arange(48000)
    env = np.abs(np.sin(2 * np.pi * 2.3 * t / 48000)) ** 3 + 0.01
    x = rng.standard_normal(48000) * env
    for d in (0, 100, 447):
        y = np.concatenate([np.zeros(d), x[: len(x) - d]]) * 0.5
        y = y + 0.001 * rng.standard_normal(len(y))  # a different waveform, same envelope
        assert abs(envelope_lag(x, y) - d) <= 16


def test_onset_time():
    x = np.zeros(4800)
    x[1000:] = 0.3
    assert onset_time(x, hop=16) == 992
