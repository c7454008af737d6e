"""`rt-synth soak MODEL --seconds S --json` on the shipped models (a brief run of the soak
benchmark, docs/soak.md): no non-finite sample, peak within |y| <= 1 with random MIDI,
parameters (NaN, out of range), resets, model swaps and adversarial input; the held note of
the DDSP probe drifts < 1 cent; per-block percentiles finite in every interval; RSS bounded."""
import json
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _soak(model, seconds):
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "soak", os.path.join(ROOT, "exports", model),
                        "--seconds", str(seconds), "--json"], capture_output=True, text=True, timeout=seconds + 120)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def _common(r):
    assert r["nan_count"] == 0
    assert r["peak"] <= 1.0, f"peak |y| {r['peak']} above 1"
    assert r["swaps"] >= 6 and r["midi_events"] > 100 and r["param_sets"] > 100 and r["param_refused"] > 0
    assert len(r["intervals"]) >= 5
    for iv in r["intervals"]:
        for s in (iv["chaos"], iv["probe"]):
            if s:
                assert all(math.isfinite(s[k]) and s[k] > 0 for k in ("p50_us", "p99_us", "p999_us", "max_us"))
                assert s["p50_us"] <= s["p99_us"] <= s["p999_us"] <= s["max_us"]
    # Warm (every method x rate opened once) to the end of a short run: no steady growth.
    assert r["rss_growth_mib"] < 16.0, f"RSS grew {r['rss_growth_mib']} MiB"


@pytest.mark.slow
def test_soak_ddsp_brief():
    r = _soak("violin-live-ddsp.rtsynth", 14)
    assert r["kind"] == "ddsp" and r["methods"] == ["synth", "transfer"]
    _common(r)
    assert r["drift_cents"] is not None and abs(r["drift_cents"]) < 1.0, r.get("drift_cents")
    assert abs(1200 * math.log2(r["f0_start_hz"] / 440.0)) < 5.0  # the probe really holds A4
    assert all(iv["probe"] for iv in r["intervals"])


@pytest.mark.slow
def test_soak_rave_brief():
    r = _soak("violin-rave.rtsynth", 8)
    assert r["kind"] == "rave" and r["drift_cents"] is None and "no note" in r["drift_note"]
    _common(r)
