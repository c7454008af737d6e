"""rt-synth data prepare: mixed folders, bad files, layout, features, statistics, split."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from rt_synth.cli.main import main
from rt_synth.data.audio import trim_silence
from rt_synth.data.prepare import choose_split
from tests_data_helpers import cents, make_mixed_folder, tone

SR, HOP, T = 48000, 192, 96000
F = T // HOP


def _rows(info):
    """(split, row) → source file, reconstructed from the documented write order."""
    rows, idx = {}, {"train": 0, "valid": 0}
    for s in info["sources"]:
        for k in range(s["examples"]):
            split = "train" if k < s["train_examples"] else "valid"
            rows[split, idx[split]] = s["path"]
            idx[split] += 1
    return rows


def _read(ds, split, name, width, count):
    return np.fromfile(ds / split / f"{name}.f32", dtype="<f4").reshape(count, width)


def test_prepare_mixed_folder(tmp_path, capsys):
    expected = make_mixed_folder(tmp_path / "audio")
    ds = tmp_path / "ds"
    rc = main(["data", "prepare", str(tmp_path / "audio"), "--out", str(ds)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    err = captured.err
    for name, reason in [("empty.wav", "empty"), ("notes.wav", "not readable as audio"),
                         ("short.wav", "too short")]:
        line = next((l for l in err.splitlines() if name in l and "warning" in l), None)
        assert line is not None, f"no warning for {name}:\n{err}"
        assert reason in line
    assert "README.txt" not in err and "vorbis.ogg" not in err

    info = json.loads((ds / "dataset.json").read_text())
    assert info["sample_rate"] == SR and info["hop"] == HOP and info["example_samples"] == T
    used = {s["path"]: s for s in info["sources"]}
    assert set(used) == set(expected)
    for rel, (_, n) in expected.items():
        assert used[rel]["examples"] == n, (rel, used[rel])
    assert used["stereo44k.wav"]["sample_rate_in"] == 44100
    assert used["stereo44k.wav"]["channels"] == 2
    assert {r["path"] for r in info["rejected"]} == {"empty.wav", "notes.wav", "short.wav"}
    counts = info["counts"]
    assert counts["train"] + counts["valid"] == 5 and counts["train"] >= 1
    stats = info["stats"]
    for key in ("f0_midi_mean", "f0_midi_std", "loudness_mean", "loudness_std"):
        assert np.isfinite(stats[key]), key
    assert 57 - 1 < stats["f0_midi_mean"] < 69 + 1         # between A3 and A4
    assert stats["f0_midi_std"] > 0 and stats["loudness_std"] > 0

    rows = _rows(info)
    voiced_frames = {}
    for split in ("train", "valid"):
        n = counts[split]
        sizes = {name: (ds / split / f"{name}.f32").stat().st_size
                 for name in ("audio", "f0", "periodicity", "loudness")}
        assert sizes == {"audio": n * T * 4, "f0": n * F * 4, "periodicity": n * F * 4,
                         "loudness": n * F * 4}
        if n == 0:
            continue
        audio = _read(ds, split, "audio", T, n)
        f0 = _read(ds, split, "f0", F, n)
        per = _read(ds, split, "periodicity", F, n)
        ld = _read(ds, split, "loudness", F, n)
        for r in range(n):
            want_hz = expected[rows[split, r]][0]
            voiced = per[r] > 0.8
            # prepare keeps internal silences up to 1 s, so one 2 s example may be half
            # silent; the voiced share is checked per source file below
            voiced_frames.setdefault(rows[split, r], []).append(voiced)
            assert voiced.mean() > 0.25, (split, r, rows[split, r])
            assert abs(np.median(cents(f0[r][voiced], want_hz))) < 10, rows[split, r]
            assert np.sqrt(np.mean(audio[r] ** 2)) > 0.05   # trimmed: examples are not silent
            assert np.all(np.isfinite(ld[r])) and np.median(ld[r]) > -40

    for src, v in voiced_frames.items():
        assert np.concatenate(v).mean() > 0.6, src

    # The 44.1 kHz file was resampled to 48 kHz: its tone is still 220 Hz in samples at 48 kHz.
    split, r = next(k for k, v in rows.items() if v == "stereo44k.wav")
    clip = _read(ds, split, "audio", T, counts[split])[r]
    spec = np.abs(np.fft.rfft(clip * np.hanning(T)))
    assert abs(np.argmax(spec) * SR / T - 220.0) < 1.0


def test_prepare_only_bad_files_fails_with_summary(tmp_path, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a.wav").write_bytes(b"")
    (folder / "b.wav").write_text("RIFF? no.")
    sf.write(folder / "c.flac", tone(200, 0.5, SR), SR)
    sf.write(folder / "d.wav", np.zeros(3 * SR, np.float32), SR)
    (folder / "notes.txt").write_text("x")
    rc = main(["data", "prepare", str(folder), "--out", str(tmp_path / "ds")])
    err = capsys.readouterr().err
    assert rc != 0
    assert "no usable audio" in err and "found 5 file(s)" in err
    assert "3 .wav" in err and "1 .flac" in err and ".txt" in err
    for name in ("a.wav", "b.wav", "c.flac", "d.wav"):
        assert name in err
    assert "empty" in err and "too short" in err and "silent" in err
    assert "needed" in err and "2.00 s" in err
    assert not (tmp_path / "ds" / "dataset.json").exists()


def test_prepare_refuses_to_overwrite_a_foreign_folder(tmp_path, capsys):
    make_mixed_folder(tmp_path / "audio")
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("...")
    rc = main(["data", "prepare", str(tmp_path / "audio"), "--out", str(out)])
    assert rc == 2 and "not a prepared dataset" in capsys.readouterr().err
    assert (out / "thesis.tex").exists()


def test_trim_silence_edges_and_internal_gaps():
    sr = 48000
    x = np.concatenate([np.zeros(sr), tone(300, 1.0, sr), np.zeros(5 * sr), tone(300, 1.0, sr),
                        1e-5 * np.ones(sr, np.float32)])
    y = trim_silence(x, sr, silence_db=-60.0, max_silence=1.0)
    # 2 s of tone + 1 s of kept gap + two 10 ms edge blocks
    assert abs(y.size / sr - 3.02) < 0.011
    assert np.abs(y[:480]).max() < 1e-6 and np.abs(y[480:960]).max() > 0.1
    assert trim_silence(np.zeros(sr, np.float32), sr).size == 0
    # Short internal gaps (rests) are kept whole.
    z = np.concatenate([tone(300, 1.0, sr), np.zeros(sr // 2), tone(300, 1.0, sr)])
    assert trim_silence(z, sr, max_silence=1.0).size == z.size


def test_split_by_file_when_possible_else_by_example():
    files = [(f"take{i:02d}.wav", 10) for i in range(20)]
    mode, valid = choose_split(files, 0.1)
    assert mode == "by_file"
    assert sum(valid.values()) == 20 and all(v in (0, 10) for v in valid.values())
    assert choose_split(files, 0.1) == (mode, valid)          # deterministic
    mode, valid = choose_split([("one.wav", 50)], 0.1)
    assert mode == "by_example" and valid == {"one.wav": 5}
    mode, valid = choose_split([("big.wav", 90), ("huge.wav", 95)], 0.1)
    assert mode == "by_example" and sum(valid.values()) == 18
    assert choose_split([("a.wav", 4)], 0.0)[1] == {"a.wav": 0}
