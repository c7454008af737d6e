"""`rt-synth live RAVE.rtsynth --input DEV` under a dummy JACK server (headless): a jack_metro
tone into live's input, MIDI CCs sent through a JACK MIDI port; the report must say rave mode,
no callback errors, non-silent output, and the latent offsets/scales the CCs asked for
(read back from the core's RaveEngine at the end of the run). Also runs the C++ real-time
test of the engine (tests/csrc/test_rave_engine_rt.cpp: zero allocations in process)."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rt_synth.synth.jack_session import dummy_jack, live_with_tone_input, midi_sender

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "core"))


@pytest.fixture(scope="module")
def rave_model(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("gguf")
    from rave_core_helpers import make_model

    _, path = make_model(tmp_path_factory.mktemp("rave_live"), "tiny", name="tiny")
    return str(path)


def test_rave_live_input_and_ccs_under_dummy_jack(rave_model, tmp_path):
    from rt_synth import _core

    server = f"rtsynth-rave-{os.getpid()}"
    report = tmp_path / "live_rave.json"
    with dummy_jack(server) as env:
        with live_with_tone_input(rave_model, server, env, report, wait_midi_port=True):
            with midi_sender(server, env, "rtsynth-rave-sender") as out:
                time.sleep(1.5)
                for v in range(64, 128, 8):   # a sweep of control 0's offset, ending at 127
                    out.send_message([0xB0, 16, v])
                    time.sleep(0.1)
                out.send_message([0xB0, 16, 127])
                out.send_message([0xB0, 17, 0])    # control 1 to its lowest offset
                out.send_message([0xB0, 1, 127])   # mod wheel: global scale to latent_scale_max
                time.sleep(2.0)
    stats = json.loads(report.read_text())
    print(stats)
    assert stats["mode"] == "rave" and stats["jack"], stats
    assert stats["callback_errors"] == 0, stats
    assert stats["blocks"] > 4.0 * 48000 / 128 * 0.9, stats
    assert stats["rms"] > 1e-3 and stats["peak"] > 1e-2, stats
    assert stats["midi_messages"] >= 11 and stats["cc_applied"] >= 11, stats
    m = _core.RaveModel(rave_model)
    rng, smax, std = m.metadata["latent_offset_range"], m.metadata["latent_scale_max"], m.latent_std
    assert stats["latent_offsets"][0] == pytest.approx(rng * std[0], rel=1e-5), stats
    assert stats["latent_offsets"][1] == pytest.approx(-rng * std[1], rel=1e-5), stats
    assert stats["latent_scales"] == pytest.approx([smax] * m.latent_size, rel=1e-5), stats
    assert stats["engine_latency_samples"] == m.latency, stats


def test_rave_engine_rt_native(rave_model):
    """tests/csrc/test_rave_engine_rt.cpp, built in build/ctest (only that target)."""
    assert shutil.which("cmake"), "cmake not found: run scripts/setup.sh (installs cmake)"
    b = Path(ROOT) / "build" / "ctest"
    r = subprocess.run(["cmake", "-S", ROOT, "-B", str(b), "-DRT_SYNTH_BUILD_TESTS=ON", "-DCMAKE_BUILD_TYPE=Release"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--build", str(b), "-j", "2", "--target", "test_rave_engine_rt"], capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, (r.stdout + r.stderr)[-20000:]
    r = subprocess.run([str(b / "tests" / "csrc" / "test_rave_engine_rt"), rave_model], capture_output=True,
                       text=True, timeout=300)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all checks passed" in r.stdout and r.stdout.count(", 0 allocations") == 2
