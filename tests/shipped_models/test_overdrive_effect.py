"""The shipped effect model, overdrive-effect (a NAM-standard WaveNet trained on sox overdrive
pairs): its held-out figure is reproduced from scratch (the held-out pairs rendered again with
the same command, seed 7, which the training pairs (seed 0) never contained) through the core,
and meets Wright et al.'s 0.01; its exports agree with the core."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rt_synth import _core

EXPORTS = Path(__file__).resolve().parents[2] / "exports"
MODEL = EXPORTS / "overdrive-effect.rtsynth"
FIGURES = json.loads((EXPORTS / "overdrive-effect.heldout.json").read_text())


def test_the_file_is_the_documented_model():
    m = _core.EffectModel(str(MODEL))
    assert (m.kind, m.arch, m.sample_rate, m.latency) == ("effect", "wavenet", 48000, 0)
    assert FIGURES["esr"] <= 0.01
    for split in ("train", "valid"):  # the independent trackers' figures are there
        row = FIGURES["splits"][split]
        assert row["f0_error_cents"] < 5 and row["loudness_error_db"] < 1.0 and row["mcd_db"] > 0


@pytest.fixture(scope="module")
def heldout_pairs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("heldout") / "overdrive-heldout"
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "data", "pairs", "render", "--out", str(out),
                        "--seconds", "60", "--seed", "7", "--valid-fraction", "0.2"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def test_heldout_esr_is_reproduced_through_the_core(heldout_pairs):
    from rt_synth.kinds.effect.heldout import evaluate

    r = evaluate(str(MODEL), str(heldout_pairs), perceptual=False)
    assert r["runtime"] == "core"
    assert r["esr"] == pytest.approx(FIGURES["esr"], rel=1e-3) and r["esr"] <= 0.01
    for split in ("train", "valid"):
        assert r["splits"][split]["esr"] == pytest.approx(FIGURES["splits"][split]["esr"], rel=1e-3)


def test_exports_play_what_the_core_plays():
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from rt_synth.kinds.effect.bench import guitar_like
    from rt_synth.kinds.effect.export.onnx import OnnxEffectStream

    x = guitar_like(48000, 48000)
    ref = _core.EffectModel(str(MODEL)).process(x)
    ts = torch.jit.load(str(EXPORTS / "overdrive-effect.ts"))
    ts.reset()
    with torch.no_grad():
        y_ts = ts.forward(torch.from_numpy(x).view(1, 1, -1))[0, 0].numpy()
    assert np.abs(y_ts - ref).max() <= 1e-4
    stream = OnnxEffectStream(EXPORTS / "overdrive-effect.onnx", threads=1)
    step = stream.block
    stream.reset()
    y_onnx = np.concatenate([np.asarray(stream.step(x[i:i + step].reshape(1, 1, -1))).reshape(-1)
                             for i in range(0, len(x) - len(x) % step, step)])
    assert np.abs(y_onnx - ref[:len(y_onnx)]).max() <= 1e-4
    assert np.abs(ref).max() > 0.05
