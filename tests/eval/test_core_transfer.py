"""rt_synth.eval.core_transfer: the model file's kind picks the core path (DDSP ->
TimbreTransfer, RAVE -> RaveEngine), the output is exactly `rt-synth transfer
--compensate-latency`'s, and the reported latency is removed."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from rt_synth.eval.core_transfer import StreamingTransfer, open_transfer, run_aligned, transfer_audio
from rt_synth.model_locator import resolve_model

SR = 48000


def _tone(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.2 * np.sin(2 * np.pi * 392.0 * t) * np.minimum(1.0, t / 0.05) * (t > 0.1)).astype(np.float32)


@pytest.mark.parametrize("name,kind,engine", [("violin-live-ddsp", "ddsp", "TimbreTransfer"),
                                              ("violin-rave", "rave", "RaveEngine")])
def test_dispatch_on_the_files_kind(name, kind, engine):
    from rt_synth.core import load_core

    path = resolve_model(name)
    tr = open_transfer(path, SR)
    assert tr.kind == kind
    if kind == "rave":
        expected = load_core().RaveEngine(str(path))
        expected.prepare(float(SR), 512)
    else:
        expected = load_core().TimbreTransfer(str(path))
        expected.prepare(SR, 512)
    assert tr.latency == expected.latency > 0, engine


@pytest.mark.parametrize("name", ["violin-live-ddsp", "violin-rave"])
def test_same_output_as_rt_synth_transfer(tmp_path, name):
    x = _tone()
    sf.write(tmp_path / "in.wav", x, SR, subtype="FLOAT")
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "transfer", name, str(tmp_path / "in.wav"),
                        str(tmp_path / "out.wav"), "--compensate-latency"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    cli, sr = sf.read(tmp_path / "out.wav", dtype="float32")
    ours = transfer_audio(resolve_model(name), x, SR)
    assert sr == SR and cli.shape == ours.shape == x.shape
    assert np.abs(ours).max() > 1e-3
    np.testing.assert_array_equal(ours, cli)


class _DelayLine:
    """A stand-in engine: the input delayed by `latency` samples, block by block."""

    def __init__(self, latency: int):
        self.latency, self.buf = latency, np.zeros(latency, np.float32)

    def reset(self):
        self.buf[:] = 0

    def process(self, x, out):
        z = np.concatenate([self.buf, x])
        out[:] = z[:len(x)]
        self.buf = z[len(x):]


@pytest.mark.parametrize("latency,block", [(0, 512), (447, 512), (704, 100), (1000, 1)])
def test_run_aligned_removes_the_reported_latency(latency, block):
    d = _DelayLine(latency)
    tr = StreamingTransfer("fake", latency, SR, d.process, d.reset)
    x = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
    y = run_aligned(tr, x, block)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(run_aligned(tr, x, block), x)  # reset between runs
