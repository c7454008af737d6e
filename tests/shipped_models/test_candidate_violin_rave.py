"""The candidate pitched RAVE-style violin (exports/candidates/violin-rave.*, issue 14): through
the core it plays the note it is given (the unpitched ensemble-rave buzzed at 187.5 Hz
whatever the note), stays bounded, and reports the latency in budget."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rt_synth.eval.rave_heldout import forward

MODEL = Path(__file__).resolve().parents[2] / "exports" / "candidates" / "violin-rave.rtsynth"
SR = 48000


@pytest.fixture(scope="module")
def model():
    from rt_synth.core import load_core

    m = load_core().RaveModel(str(MODEL))
    m.prepare(SR, 4096)
    return m


@pytest.fixture(scope="module")
def phrases():
    """Unseen phrases (seed 5151, not a training seed): FluidR3 violin and flute, 20 s each."""
    from rt_synth.data.render import generate_phrases, render_phrases

    items = generate_phrases(40, 20, 5151) + generate_phrases(73, 20, 5151)
    return render_phrases(items, sample_rate=SR)


def _median_f0(y):
    from rt_synth.eval.pyin import pyin

    f0, voiced = pyin(y, SR)[:2]
    f0 = np.asarray(f0)[np.asarray(voiced, dtype=bool)]
    return float(np.median(f0)) if f0.size else float("nan"), f0.size


def test_reports_latency_within_budget_and_has_a_pitch_source(model):
    assert model.latency <= 512
    assert model.pitch_source
    lo, hi = model.pitch_range
    assert 100 <= lo < 200 and 1500 < hi < 2500


def test_plays_the_pitch_it_is_given(model, phrases):
    """Median over phrases of the pYIN f0 error on frames voiced in both (the unpitched
    ensemble-rave: ~1 700 cents)."""
    from rt_synth.eval.resynthesis import f0_error_cents

    errors = []
    for x in phrases:
        y = forward(model, np.concatenate([x, np.zeros(model.latency, np.float32)]))[model.latency:]
        err, frames = f0_error_cents(x, y, SR)
        assert frames > 50, "the output should be pitched where the input is"
        errors.append(err)
    assert np.median(errors) <= 25.0, errors


def test_bounded_on_hostile_input_through_the_engine():
    from rt_synth.core import load_core

    core = load_core()
    if not hasattr(core, "RaveEngine"):
        pytest.fail("the core lacks RaveEngine")
    eng = core.RaveEngine(str(MODEL))
    eng.prepare(SR, 256)
    rng = np.random.default_rng(0)
    blocks = [np.full(256, np.nan, np.float32), np.full(256, np.inf, np.float32),
              np.full(256, 1e6, np.float32), rng.uniform(-1, 1, 256).astype(np.float32)]
    peak = 0.0
    for i in range(400):
        y = np.asarray(eng.process(blocks[i % len(blocks)]))
        assert np.all(np.isfinite(y))
        peak = max(peak, float(np.abs(y).max()))
    assert peak <= 1.0
