"""The shipped RAVE-style model (exports/ensemble-rave.*): the latency it reports is within
the 512-sample budget and an onset test through the core agrees with it; its native,
TorchScript and ONNX files are one model; it streams at any block size."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rt_synth.cli.main import main
from rt_synth.eval.rave_heldout import forward, onset_delays, plucked_tone

EXPORTS = Path(__file__).resolve().parents[2] / "exports"
STEM = EXPORTS / "ensemble-rave"
SR = 48000


@pytest.fixture(scope="module")
def core_model():
    from rt_synth.core import load_core

    m = load_core().RaveModel(str(STEM.with_suffix(".rtsynth")))
    m.prepare(SR, 4096)
    return m


def test_shipped_files_exist():
    for ext in (".rtsynth", ".ts", ".onnx", ".pt", ".metrics.json"):
        assert Path(str(STEM) + ext).is_file(), f"{STEM}{ext} missing"


def test_info_reports_latency_within_budget(capsys):
    assert main(["info", str(STEM.with_suffix(".rtsynth")), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == "rave" and info["hop"] <= 256
    assert 0 < info["latency_samples"] <= 512
    assert info["latency_samples"] == 447  # (N - 1) + (R_e - 1)·M = 207 + 15·16


def test_onset_through_the_core_agrees_with_reported_latency(core_model):
    """Silence, then plucked tones at 110..880 Hz: the output's onset (first 16-sample frame
    over -20 dB of its peak) comes the reported latency after the input's, to the frame
    resolution (measured 464 at -20 dB and 448 at -30 dB, for L = 447)."""
    L = core_model.latency
    for delay in onset_delays(core_model):
        assert L - 16 <= delay <= L + 32 and delay <= 512, delay
    for delay in onset_delays(core_model, threshold_db=-30.0):
        assert L - 16 <= delay <= L + 16, delay
    y = forward(core_model, plucked_tone(440.0), 256)
    assert np.isfinite(y).all() and np.abs(y).max() > 1e-2


def test_core_is_block_size_independent(core_model):
    x = plucked_tone(330.0, seconds=0.6, silence=3000)
    ref = forward(core_model, x, 256)
    for block in (1, 7, 100, 1000, 4096):
        assert np.abs(forward(core_model, x, block) - ref).max() <= 1e-5, block


def test_torchscript_and_onnx_exports_equal_the_core(core_model):
    import torch

    from rt_synth.export.rave_onnx import OnnxRaveStream

    ratio = core_model.ratio
    x = plucked_tone(262.0, seconds=0.5, silence=2048)
    x = x[: len(x) // (4 * ratio) * 4 * ratio]
    core = forward(core_model, x, 256)

    ts = torch.jit.load(str(STEM.with_suffix(".ts")))
    ts.reset()
    xt = torch.from_numpy(x)
    with torch.inference_mode():
        ts_out = torch.cat([ts.forward(xt[i:i + ratio].view(1, 1, -1))[0, 0]
                            for i in range(0, len(x), ratio)]).numpy()
    assert np.abs(ts_out - core).max() <= 1e-4

    stream = OnnxRaveStream(STEM.with_suffix(".onnx"))
    assert not stream.has_noise  # the base config has no noise branch
    step = stream.block
    n = len(x) // step * step
    onnx_out = np.concatenate([stream.step(x[None, None, i:i + step])[0, 0]
                               for i in range(0, n, step)])
    assert np.abs(onnx_out - core[:n]).max() <= 1e-4


def test_metrics_file_matches_the_model(core_model, capsys):
    """The measurements stored in the native file are the ones in the metrics file."""
    metrics = json.loads(Path(str(STEM) + ".metrics.json").read_text())
    assert main(["info", str(STEM.with_suffix(".rtsynth")), "--json"]) == 0
    md = json.loads(capsys.readouterr().out)["metadata"]
    assert metrics["latency_design_samples"] == core_model.latency
    assert metrics["ratio"] == core_model.ratio
    assert abs(metrics["heldout_distance"] - md["rave.heldout_distance"]) < 1e-4
    assert metrics["latency_samples"] == md["rave.measured_latency_samples"] <= 512
