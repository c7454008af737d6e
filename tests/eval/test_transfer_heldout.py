"""rt_synth.eval.transfer_heldout: scoring with a known answer (an identity "model" on a set
whose reference is its input scores 0 everywhere), the pooling rule, and the command on a
short render of both shipped model kinds (the RAVE row beside the first DDSP model's)."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from rt_synth.eval.core_transfer import StreamingTransfer
from rt_synth.eval.heldout_sets import HeldoutSet
from rt_synth.eval.pooling import pool_rows
from rt_synth.eval.transfer_heldout import baselines, score_model

SR = 48000


def _melody(transpose: float = 1.0, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    f = transpose * np.array([262.0, 330.0, 392.0, 523.0])[(t * 2).astype(int) % 4]
    ph = 2 * np.pi * np.cumsum(f) / SR
    return (0.1 * sum(np.sin(k * ph) / k for k in range(1, 6))).astype(np.float32)


def _identity() -> StreamingTransfer:
    return StreamingTransfer("fake", 0, SR, lambda x, out: out.__setitem__(slice(None), x), lambda: None)


def test_identity_on_its_own_reference_scores_zero():
    x = _melody()
    sets = [HeldoutSet("melody", True, ["p0"], [x], [x.copy()]),
            HeldoutSet("noise", False, ["noise"], [np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.1],
                       [None])]
    tracks, fixed = baselines(sets, SR)
    assert fixed["melody"]["input"][0]["mcd_db"] == 0.0
    assert fixed["melody"]["reference"][0]["f0_median_cents"] == 0.0
    r = score_model(_identity(), sets, tracks, SR)
    p = r["melody"]["pooled"]
    assert p["f0_median_cents"] == 0.0 and p["f0_voiced_share"] > 0.9
    assert p["loudness_mean_abs_db"] == 0.0 and p["loudness_ref_mean_abs_db"] == 0.0 and p["mcd_db"] == 0.0
    assert r["pooled"]["pooled"]["mcd_frames"] == p["mcd_frames"] > 0
    n = r["noise"]["pooled"]
    assert n["mss"] == 0.0 and n["mcd_db"] == 0.0 and n["envelope_corr"] == pytest.approx(1.0)


def test_an_octave_down_is_1200_cents():
    x, y = _melody(), _melody(0.5)
    sets = [HeldoutSet("melody", True, ["p0"], [x], [x.copy()])]
    tracks, _ = baselines(sets, SR)
    pos = [0]

    def play_y(block, out):  # a "model" that plays y, block by block
        out[:] = y[pos[0]:pos[0] + len(block)]
        pos[0] += len(block)

    fake = StreamingTransfer("fake", 0, SR, play_y, lambda: pos.__setitem__(0, 0))
    p = score_model(fake, sets, tracks, SR)["melody"]["pooled"]
    assert abs(p["f0_median_cents"] - 1200.0) < 15.0, p
    assert p["f0_voiced_share"] > 0.9 and p["mcd_db"] > 0.0


def test_pooling_rule():
    rows = [{"mcd_db": 10.0, "mcd_frames": 100, "f0_median_cents": 5.0, "loudness_mean_abs_db": 1.0,
             "f0_voiced_share": 1.0},
            {"mcd_db": 40.0, "mcd_frames": 300, "f0_median_cents": float("nan"), "loudness_mean_abs_db": 3.0,
             "f0_voiced_share": 0.0},
            {"mcd_db": 0.0, "mcd_frames": 0, "f0_median_cents": 7.0, "loudness_mean_abs_db": 2.0,
             "f0_voiced_share": 0.5}]
    p = pool_rows(rows)
    assert p["mcd_db"] == pytest.approx(32.5) and p["mcd_frames"] == 400  # frame-weighted
    assert p["f0_median_cents"] == 6.0 and p["loudness_mean_abs_db"] == 2.0 and p["f0_voiced_share"] == 0.5


def test_command_on_both_model_kinds(tmp_path):
    r = subprocess.run([sys.executable, "-m", "rt_synth.eval.transfer_heldout", "violin-live-ddsp", "violin-rave",
                        "--seconds", "3", "--instruments", "violin", "--probes", "noise,chord", "--probe-seconds", "3",
                        "--json", "--keep", str(tmp_path / "k")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["first_ddsp"] == "violin-live-ddsp"
    ddsp, rave = res["models"]
    assert (ddsp["kind"], rave["kind"]) == ("ddsp", "rave")
    assert ddsp["sets"]["violin"]["pooled"]["mcd_ratio"] == 1.0
    assert ddsp["sets"]["violin"]["pooled"]["f0_median_cents"] < 25.0  # the DDSP violin plays in tune
    # the pitched RAVE violin plays in tune too (issue 14; the retired unpitched ensemble-rave
    # missed by ~21 semitones); its timbre distance is measured, relative to the DDSP model's
    assert rave["sets"]["violin"]["pooled"]["f0_median_cents"] < 50.0
    assert math.isfinite(rave["sets"]["violin"]["pooled"]["mcd_ratio"]) and rave["sets"]["violin"]["pooled"]["mcd_ratio"] > 0
    for m in (ddsp, rave):
        for probe in ("noise", "chord"):
            p = m["sets"][probe]["pooled"]
            assert p["finite"] and p["peak"] <= 1.0 and math.isfinite(p["mss"]), (m["name"], probe, p)
    assert math.isfinite(rave["sets"]["chord"]["pooled"]["mcd_to_reference_db"])
    assert (tmp_path / "k" / "sets" / "violin" / "phrase_0000.reference.wav").is_file()
    assert (tmp_path / "k" / "violin-rave" / "noise" / "noise.wav").is_file()
