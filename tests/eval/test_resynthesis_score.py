"""The evaluator itself must measure right: known detuning in cents, known level in dB."""
import numpy as np

from rt_synth.eval.resynthesis import score

SR = 48000


def _tone(f0, seconds=1.0, amp=0.3):
    t = np.arange(int(seconds * SR)) / SR
    return (amp * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))).astype(np.float32)


def test_identical_signals_score_zero():
    x = _tone(330.0)
    s = score(x, x, SR)
    assert s.f0_median_cents < 1.0 and s.loudness_mean_abs_db < 1e-6
    assert s.f0_voiced_frames > 50


def test_detuned_and_quieter_copy_scores_its_offsets():
    x = _tone(330.0)
    y = _tone(330.0 * 2 ** (30 / 1200), amp=0.3 * 10 ** (-3 / 20))  # +30 cents, -3 dB
    s = score(x, y, SR)
    assert abs(s.f0_median_cents - 30) < 8
    assert abs(s.loudness_mean_abs_db - 3.0) < 0.3
