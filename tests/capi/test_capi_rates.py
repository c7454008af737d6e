"""The rate contract through the C ABI (docs/safety.md): rt_synth_prepare accepts every whole
rate from 1 000 to 768 000 Hz, odd ratios included (47 999 and 48 001 Hz were refused as "too
complex" before), for the DDSP transfer and synth and the RAVE forward method of the shipped
models: the reported latency is the engine's delay rounded, the output is finite and |y| <= 1.
The onset and frequency checks at every rate and block size are in tests/csrc/test_host_rates.cpp."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rt_synth.capi import CModel

EXPORTS = Path(__file__).resolve().parents[2] / "exports"
RATES = [1000, 22050, 47999, 48001, 768000]


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("model,method", [("violin-live-ddsp", "transfer"), ("violin-live-ddsp", "synth"),
                                          ("violin-rave", 3)])
def test_prepare_any_whole_rate(model, method, rate):
    c = CModel(EXPORTS / f"{model}.rtsynth", method)
    c.prepare(rate, 512)
    assert c.latency == round(c.latency_seconds * rate) and c.latency > 0
    n = max(rate // 20, 600)
    x = np.random.default_rng(rate).uniform(-1, 1, n).astype(np.float32)
    if method == "synth":
        c.send_midi(bytes([0x90, 69, 100]))
    y = np.concatenate([c.process(inputs=None if method == "synth" else [x[i:i + 512]], n=min(512, n - i))[0]
                        for i in range(0, n, 512)])
    assert np.isfinite(y).all() and np.abs(y).max() <= 1.0


def test_rates_outside_the_contract_refused():
    c = CModel(EXPORTS / "violin-live-ddsp.rtsynth", "transfer")
    for bad in (999, 768001, 44100.5):
        with pytest.raises(Exception, match="sample_rate must be in 1000..768000|whole number"):
            c.prepare(bad, 512)
