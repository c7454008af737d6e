"""rt_synth.model_locator: a model argument is a path or a known name (RT_SYNTH_MODEL_PATH,
the user data folder, the shipped models, a checkout's exports/), and every wrong input gets
one plain line from the CLI, fast, with a non-zero exit (never a hang on a FIFO)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from rt_synth import _core
from rt_synth.errors import UserError
from rt_synth.model_locator import check_model_file, known_models, resolve_model

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "exports" / "violin-live-ddsp.rtsynth"


@pytest.fixture
def model_env(tmp_path, monkeypatch):
    user = tmp_path / "xdg"
    extra = tmp_path / "extra"
    extra.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(user))
    monkeypatch.setenv("RT_SYNTH_MODEL_PATH", str(extra))
    return user / "rt-synth" / "models", extra


def test_shipped_models_are_known_by_name(model_env):
    names = {m.name for m in known_models()}
    assert {"violin-live-ddsp", "cello-ddsp", "flute-ddsp", "violin-rave"} <= names
    assert resolve_model("violin-live-ddsp").samefile(SHIPPED)
    assert resolve_model("violin-live-ddsp.rtsynth").samefile(SHIPPED)
    assert resolve_model(None).name == "violin-live-ddsp.rtsynth"  # the default model


def test_user_folders_come_first(model_env):
    user, extra = model_env
    user.mkdir(parents=True)
    shutil.copy(SHIPPED, user / "my-violin.rtsynth")
    assert resolve_model("my-violin") == user / "my-violin.rtsynth"
    shutil.copy(SHIPPED, extra / "cello-ddsp.rtsynth")  # shadows the shipped one
    assert resolve_model("cello-ddsp") == extra / "cello-ddsp.rtsynth"
    by_name = {m.name: m for m in known_models()}
    assert by_name["cello-ddsp"].source == "RT_SYNTH_MODEL_PATH"
    assert by_name["my-violin"].source == "user"


def test_unknown_name_lists_the_known_ones(model_env):
    with pytest.raises(UserError) as e:
        resolve_model("tuba-ddsp")
    assert "no known model" in str(e.value) and "violin-live-ddsp" in str(e.value)


def test_models_command_lists_kind_size_latency(model_env):
    user, _ = model_env
    user.mkdir(parents=True)
    (user / "broken.rtsynth").write_bytes(b"GGUF" + b"\0" * 20)
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "models"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = {l.split()[0]: l for l in r.stdout.splitlines()[1:] if l.strip()}
    assert "ddsp" in lines["violin-live-ddsp"] and "1.5M" in lines["violin-live-ddsp"]
    rave = {m.name: m for m in known_models()}["violin-rave"].path
    mf = _core.ModelFile(str(rave))
    lat, sr = int(mf.get("rt_synth.latency_samples")), float(mf.get("rt_synth.sample_rate"))
    assert 0 < lat <= 512
    assert "rave" in lines["violin-rave"] and f"{lat} ({1000 * lat / sr:.1f} ms)" in lines["violin-rave"]
    assert "unreadable" in lines["broken"]  # listed with its reason, the rest still listed


def _wrong_inputs(tmp: Path) -> dict:
    fifo = tmp / "pipe.rtsynth"
    os.mkfifo(fifo)
    empty = tmp / "empty.rtsynth"
    empty.write_bytes(b"")
    garbage = tmp / "garbage.rtsynth"
    garbage.write_bytes(os.urandom(4096))
    zipped = tmp / "zipped.rtsynth"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("data.pkl", b"x")
    return {
        "a folder": (str(ROOT / "exports"), "is a folder"),
        "a FIFO": (str(fifo), "FIFO"),
        "a device": ("/dev/zero", "is a device"),
        "an empty file": (str(empty), "empty"),
        "TorchScript": (str(ROOT / "exports" / "violin-live-ddsp.ts"), "TorchScript"),
        "ONNX": (str(ROOT / "exports" / "violin-live-ddsp.onnx"), "ONNX"),
        "a checkpoint": (str(ROOT / "exports" / "violin-live-ddsp.pt"), "PyTorch checkpoint"),
        "garbage": (str(garbage), "not an rt-synth model file"),
        "a zip": (str(zipped), "zip archive"),
        "a missing file": (str(tmp / "nope" / "m.rtsynth"), "no such file"),
    }


@pytest.mark.parametrize("command", ["info", "transfer", "render", "bench"])
def test_wrong_inputs_one_plain_line_fast(tmp_path, command):
    wav = tmp_path / "in.wav"
    import numpy as np
    import soundfile as sf
    sf.write(wav, np.zeros(4800, np.float32), 48000)
    for what, (arg, expect) in _wrong_inputs(tmp_path).items():
        argv = {"info": ["info", arg], "transfer": ["transfer", arg, str(wav), str(tmp_path / "o.wav")],
                "render": ["render", arg, "--midi", "x.mid", "--out", str(tmp_path / "o.wav")],
                "bench": ["bench", arg]}[command]
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", *argv],
                           capture_output=True, text=True, timeout=20)
        elapsed = time.monotonic() - t0
        err = r.stderr.strip().splitlines()
        assert r.returncode == 2, (what, r.stdout, r.stderr)
        assert len(err) == 1 and expect in err[0], (what, r.stderr)
        assert "Traceback" not in r.stderr and "kBad" not in r.stderr
        assert elapsed < 5.0, (what, elapsed)  # a second of work; slack for a loaded machine


def test_check_model_file_accepts_a_native_file():
    assert check_model_file(SHIPPED) == SHIPPED
