"""`rt-synth demo`: uses the bundled flute clip (rt_synth/assets/demo_clip.wav, 16-bit mono
48 kHz, < 700 kB) for the timbre-transfer part and writes synth.wav, transfer.wav,
transfer_input.wav and spectrogram.png; without --model it prefers exports/violin-ddsp.rtsynth,
falls back to another exports/*ddsp*.rtsynth, and otherwise fails naming the file and the
commands that make it."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "rt_synth" / "assets" / "demo_clip.wav"


def test_bundled_clip_format():
    info = sf.info(str(CLIP))
    assert (info.samplerate, info.channels, info.subtype) == (48000, 1, "PCM_16")
    assert 5.0 <= info.duration <= 7.0
    assert CLIP.stat().st_size < 700_000
    x, _ = sf.read(str(CLIP), dtype="float32")
    assert np.abs(x).max() > 0.02  # a played phrase, not silence


def test_demo_uses_clip_and_writes_outputs(synth_model, tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "demo", "--model", synth_model, "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "demo_clip.wav" in r.stdout, r.stdout
    for name in ("synth.wav", "transfer.wav", "transfer_input.wav", "spectrogram.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 1000, name
    assert (out / "spectrogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    x, _ = sf.read(str(out / "transfer_input.wav"), dtype="float32")
    clip, _ = sf.read(str(CLIP), dtype="float32")
    assert len(x) == len(clip) and np.abs(x - clip).max() < 1e-3  # the bundled clip, not the synthetic line
    y, _ = sf.read(str(out / "transfer.wav"), dtype="float32")
    assert len(y) == len(clip) and np.isfinite(y).all() and np.sqrt(np.mean(y ** 2)) > 1e-4


def test_demo_model_choice(tmp_path, synth_model):
    from rt_synth.cli.demo_cmd import pick_model
    from rt_synth.errors import UserError
    from rt_synth.model_locator import ModelLocation
    ex = tmp_path / "exports"
    ex.mkdir()

    def found():
        return [ModelLocation(p.stem, p, "test") for p in sorted(ex.glob("*.rtsynth"))]
    with pytest.raises(UserError) as e:
        pick_model(None, found())
    assert "violin-ddsp.rtsynth" in str(e.value) and "rt-synth train ddsp" in str(e.value)
    shutil.copy(synth_model, ex / "flute-ddsp.rtsynth")
    m, note = pick_model(None, found())
    assert m.name == "flute-ddsp.rtsynth" and "violin-ddsp.rtsynth not found" in note
    shutil.copy(synth_model, ex / "violin-ddsp.rtsynth")
    os.utime(ex / "flute-ddsp.rtsynth")  # newer, but the shipped one wins
    m, note = pick_model(None, found())
    assert m.name == "violin-ddsp.rtsynth" and note == ""
    with pytest.raises(UserError):
        pick_model(str(ex / "missing.rtsynth"), found())
