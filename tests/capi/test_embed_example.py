"""examples/embed_c: a C99 program built with CMake against the C ABI that the Python package
installs (find_package(rt_synth) with rt_synth.capi.cmake_dir()), run on a random-weight
model: it writes a WAV identical to the same note sequence rendered through the C ABI from
Python, prints the latency the library reports, and fails cleanly on a corrupt model."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from rt_synth.capi import CModel, cmake_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def embed_c(tmp_path_factory) -> Path:
    if not shutil.which("cmake"):
        pytest.skip("cmake not installed")
    cfg = cmake_dir()
    assert cfg is not None, "rt_synthConfig.cmake is not installed with the package: run scripts/build_core.sh"
    b = ROOT / "build" / "embed_c"
    r = subprocess.run(["cmake", "-S", str(ROOT / "examples" / "embed_c"), "-B", str(b),
                        f"-Drt_synth_DIR={cfg}", "-DCMAKE_BUILD_TYPE=Release"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--build", str(b), "-j", "2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return b / "embed_c"


def _expected(model: Path, rate: int, block: int = 256) -> np.ndarray:
    """The example's note sequence through the C ABI from Python."""
    m = CModel(model, "synth", voices=4)
    m.prepare(rate, block)
    m.set_param("release_s", 0.1)
    events = []
    for k, note in enumerate([60, 64, 67, 72]):
        on = int(rate * (0.05 + 0.25 * k))
        events += [(on, bytes([0x90, note, 100])), (on + int(rate * 0.2), bytes([0x80, note, 0]))]
    return m.render(events, int(rate * 1.3), block), m.latency


@pytest.mark.parametrize("rate", [48000, 44100])
def test_example_renders_and_reports_latency(embed_c, tiny_model, tmp_path, rate):
    wav = tmp_path / "notes.wav"
    r = subprocess.run([str(embed_c), str(tiny_model), str(wav), str(rate)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "kind ddsp" in r.stdout and "method synth: in 0 ch" in r.stdout
    y, sr = sf.read(str(wav), dtype="float32")
    assert sr == rate
    expected, latency = _expected(tiny_model, rate)
    assert np.abs(expected).max() > 0.01
    assert np.array_equal(y, expected)
    lat = int(re.search(r"latency: (\d+) samples", r.stdout).group(1))
    assert lat == latency
    assert (lat == 0) == (rate == 48000)  # the synth is zero-latency at the model's rate; resampling adds delay


def test_example_fails_cleanly_on_corrupt_model(embed_c, corrupt_model, tmp_path):
    r = subprocess.run([str(embed_c), str(corrupt_model), str(tmp_path / "x.wav")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert "error:" in r.stderr and "truncated or corrupt model file" in r.stderr and "kTruncated" not in r.stderr and "corrupt.rtsynth" in r.stderr
    assert not (tmp_path / "x.wav").exists()
