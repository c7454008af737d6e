"""Any audio file libsndfile reads, MP3 included: `data prepare` takes WAV, FLAC, OGG, MP3 and
AIFF side by side and ends with one line naming what it skipped and why; `transfer` reads an
MP3 input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from rt_synth.cli.main import main

SR = 48000
ROOT = Path(__file__).resolve().parents[2]


def _tone(seconds: float, f0: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))).astype(np.float32)


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "audio"
    (d / "sub").mkdir(parents=True)
    sf.write(d / "a.wav", _tone(5, 220), SR)
    sf.write(d / "b.flac", _tone(5, 247), SR)
    sf.write(d / "c.ogg", _tone(5, 262), SR, format="OGG", subtype="VORBIS")
    sf.write(d / "sub" / "d.mp3", _tone(5, 294), SR, format="MP3", subtype="MPEG_LAYER_III")
    sf.write(d / "e.aiff", _tone(5, 330), SR, format="AIFF")
    (d / "notes.txt").write_text("not audio")
    (d / "broken.mp3").write_bytes(b"\xff\xfb" + bytes(range(256)) * 8)
    sf.write(d / "short.wav", _tone(0.2, 440), SR)
    return d


def test_prepare_reads_every_libsndfile_format_and_summarises_skips(tmp_path, capsys):
    d = _folder(tmp_path)
    ds = tmp_path / "ds"
    assert main(["data", "prepare", str(d), "--out", str(ds), "--example-seconds", "2"]) == 0
    out = capsys.readouterr().out
    info = json.loads((ds / "dataset.json").read_text())
    used = sorted(s["path"] for s in info["sources"])
    assert used == ["a.wav", "b.flac", "c.ogg", "e.aiff", "sub/d.mp3"]
    assert all(s["examples"] >= 2 for s in info["sources"])
    summary = [l for l in out.splitlines() if l.startswith("skipped")]
    assert len(summary) == 1, out
    line = summary[0]
    assert "skipped 3 file(s)" in line and "1 not audio by extension (1 .txt)" in line
    assert "1 unreadable" in line and "1 too short" in line
    assert {r["path"] for r in info["rejected"]} == {"broken.mp3", "short.wav"}


def test_transfer_reads_an_mp3(tmp_path):
    src = tmp_path / "in.mp3"
    sf.write(src, _tone(2, 294), SR, format="MP3", subtype="MPEG_LAYER_III")
    out = tmp_path / "out.wav"
    assert main(["transfer", "violin-live-ddsp", str(src), str(out)]) == 0
    y, sr = sf.read(out, dtype="float32")
    assert sr == SR and abs(len(y) - 2 * SR) < SR // 10  # MP3 adds encoder padding
    assert np.isfinite(y).all() and np.sqrt(np.mean(y ** 2)) > 1e-3
