"""rt_synth.eval.reconstruction on cases with a known answer: an identical output scores 0
and follows the envelope perfectly; a delayed copy does too once core_transfer removes the
reported latency; a constant drone over noise bursts does not follow them."""
from __future__ import annotations

import numpy as np
import pytest

from rt_synth.eval.core_transfer import StreamingTransfer, run_aligned
from rt_synth.eval.probe_signals import noise_bursts
from rt_synth.eval.reconstruction import envelope_correlation, reconstruction_scores

SR = 48000


@pytest.fixture(scope="module")
def bursts():
    return noise_bursts(np.random.default_rng(4), 2.5, SR)


def test_bursts_are_bursts(bursts):
    assert np.abs(bursts).max() <= 1.0
    silent = np.abs(bursts) == 0
    assert 0.1 < silent.mean() < 0.9  # gaps of digital silence between the bursts


def test_identity_scores_zero(bursts):
    s = reconstruction_scores(bursts, bursts.copy(), SR)
    assert s["finite"] and s["peak"] == s["input_peak"] > 0
    assert s["envelope_corr"] == pytest.approx(1.0, abs=1e-12)
    assert s["envelope_db_error"] == 0.0 and s["mss"] == 0.0 and s["mcd_db"] == 0.0 and s["mcd_frames"] > 100


def test_a_delayed_copy_is_compensated(bursts):
    lat = 447

    class Delay:
        buf = np.zeros(lat, np.float32)

        def process(self, x, out):
            z = np.concatenate([self.buf, x])
            out[:] = z[:len(x)]
            self.buf = z[len(x):]

        def reset(self):
            self.buf = np.zeros(lat, np.float32)

    d = Delay()
    y = run_aligned(StreamingTransfer("fake", lat, SR, d.process, d.reset), bursts, 512)
    s = reconstruction_scores(bursts, y, SR)
    assert s["mss"] == 0.0 and s["mcd_db"] == 0.0 and s["envelope_corr"] == pytest.approx(1.0)
    # uncompensated, the same delay is seen
    late = np.concatenate([np.zeros(lat, np.float32), bursts])[:len(bursts)]
    s = reconstruction_scores(bursts, late, SR)
    assert s["mss"] > 0.1 and s["envelope_corr"] < 0.999


def test_gain_moves_only_the_envelope_error(bursts):
    s = reconstruction_scores(bursts, 0.5 * bursts, SR)
    assert s["envelope_db_error"] == pytest.approx(20 * np.log10(2), abs=1e-3)
    assert s["envelope_corr"] > 0.99 and s["mcd_db"] < 1e-6  # (the floor clips the quieter tails a little)


def test_a_drone_does_not_follow_the_bursts(bursts):
    t = np.arange(len(bursts)) / SR
    drone = (0.05 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    s = reconstruction_scores(bursts, drone, SR)
    assert s["envelope_corr"] < 0.5 and s["mss"] > 1.0 and s["mcd_db"] > 10.0
    assert envelope_correlation(bursts, np.zeros_like(bursts)) == 0.0


def test_non_finite_output_is_flagged_not_propagated(bursts):
    y = bursts.copy()
    y[100] = np.nan
    s = reconstruction_scores(bursts, y, SR)
    assert not s["finite"] and np.isfinite(s["mss"]) and np.isfinite(s["peak"])
