"""The synth method (0) on a pitched rave file through the C ABI (cffi, rt_synth.capi): listed by
method_info as a fourth method, its parameters by id, and the same samples as pybind11's
_core.RaveSynth at 48 and 44.1 kHz (events at block starts: the rave synth applies MIDI at
the start of a process() call). Zero allocations: test_capi_rt with a pitched rave model
(ctest capi_rt_pitched)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rt_synth import _core
from rt_synth.capi import CModel

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "exports" / "violin-rave.rtsynth"
SYNTH = 0

pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="exports/violin-rave.rtsynth not in this checkout")


def test_methods_and_params():
    c = CModel(MODEL, SYNTH)
    assert (c.kind, c.method) == ("rave", SYNTH)
    meths = c.methods()
    assert [m["name"] for m in meths] == ["forward", "encode", "decode", "synth"]
    s = meths[3]
    assert (s["in_channels"], s["out_channels"], s["takes_midi"], s["latency"]) == (0, 1, True, 591)
    p = c.params()
    assert p["attack_s"][0] == 5000 and p["gain_db"][3] == pytest.approx(12.0)
    assert p["latent_offset_1"][0] == 1001 and "output_ceiling_db" in p
    c.set_param("release_s", 0.3)
    c.set_param("glide_s", 99.0)  # clamped
    assert c.get_param("release_s") == pytest.approx(0.3) and c.get_param("glide_s") == pytest.approx(2.0)
    assert len(CModel(MODEL, "transfer").methods()) == 4  # the model offers synth whatever the handle runs


@pytest.mark.parametrize("rate", [48000, 44100])
def test_synth_identical_to_pybind11(rate):
    block = 256
    b = lambda k: k * block  # noqa: E731  events at block starts
    ev = [(b(2), bytes([0xB0, 17, 30])), (b(3), bytes([0x90, 67, 100])), (b(60), bytes([0x90, 74, 80])),
          (b(70), bytes([0xE0, 0, 80])), (b(90), bytes([0x80, 67, 0])), (b(120), bytes([0x80, 74, 0]))]
    n = b(200)
    c = CModel(MODEL, SYNTH)
    c.prepare(rate, block)
    c.set_param("latent_offset_2", -0.3)
    p = _core.RaveSynth(str(MODEL))
    p.prepare(rate, block)
    p.set_latent_offset(2, -0.3)
    assert c.latency == p.latency and c.latency_seconds == pytest.approx(p.latency_seconds)
    yc = c.render(ev, n, block)
    yp = np.asarray(p.render(ev, n, block))
    assert np.abs(yp).max() > 0.01
    np.testing.assert_array_equal(yc, yp)
