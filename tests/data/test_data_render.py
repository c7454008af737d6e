"""rt-synth data render: MIDI phrases rendered by FluidSynth with exact ground-truth f0."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from rt_synth.cli.main import main
from tests_data_helpers import cents, needs_fluidsynth, stable_frames

HOP = 192


def _render(out, instrument="violin", seconds=3.0, seed=5):
    rc = main(["data", "render", "--instrument", instrument, "--seconds", str(seconds),
               "--seed", str(seed), "--out", str(out)])
    assert rc == 0
    return json.loads((out / "manifest.json").read_text())


@needs_fluidsynth
@pytest.mark.parametrize("instrument,low_hz,high_hz", [("violin", 190.0, 1600.0),
                                                       ("cello", 60.0, 530.0)])
def test_render_wav_f0_and_pitch_agree(tmp_path, instrument, low_hz, high_hz):
    from rt_synth.dsp.yin import yin_track

    m = _render(tmp_path / instrument, instrument, seconds=3.0, seed=11)
    assert m["sample_rate"] == 48000 and m["hop"] == HOP
    assert len(m["phrases"]) == 1
    ph = m["phrases"][0]
    audio, sr = sf.read(tmp_path / instrument / ph["wav"], dtype="float32", always_2d=True)
    assert sr == 48000 and audio.shape[1] == 1
    audio = audio[:, 0]
    assert abs(audio.shape[0] - 3.0 * sr) <= HOP
    assert np.sqrt(np.mean(audio ** 2)) > 1e-3, "rendered audio is silent"
    gt = np.load(tmp_path / instrument / ph["f0"])
    assert gt.dtype == np.float32 and gt.shape == (audio.shape[0] // HOP,)
    voiced = gt[gt > 0]
    assert 0.3 < voiced.size / gt.size < 1.0          # notes and at least the tail rest
    assert voiced.min() >= low_hz and voiced.max() <= high_hz   # inside the instrument range

    f0, per = yin_track(audio, sample_rate=sr, hop=HOP)
    sel = stable_frames(gt, 12) & (per > 0.8)
    assert sel.sum() >= 100, f"only {sel.sum()} comparable frames"
    err = np.abs(cents(f0[sel], gt[sel]))
    assert np.median(err) < 30.0, f"median pitch error {np.median(err):.1f} cents"
    assert np.mean(err < 50.0) > 0.85


@needs_fluidsynth
def test_render_is_deterministic_and_seed_dependent(tmp_path):
    a = _render(tmp_path / "a", seed=3, seconds=2.5)
    b = _render(tmp_path / "b", seed=3, seconds=2.5)
    c = _render(tmp_path / "c", seed=4, seconds=2.5)
    name = a["phrases"][0]["name"]
    assert (tmp_path / "a" / f"{name}.mid").read_bytes() == (tmp_path / "b" / f"{name}.mid").read_bytes()
    assert (tmp_path / "a" / f"{name}.mid").read_bytes() != (tmp_path / "c" / f"{name}.mid").read_bytes()
    np.testing.assert_array_equal(np.load(tmp_path / "a" / f"{name}.f0.npy"),
                                  np.load(tmp_path / "b" / f"{name}.f0.npy"))
    wa, _ = sf.read(tmp_path / "a" / f"{name}.wav", dtype="float32")
    wb, _ = sf.read(tmp_path / "b" / f"{name}.wav", dtype="float32")
    np.testing.assert_allclose(wa, wb, atol=1e-6)


@needs_fluidsynth
def test_render_several_phrases_through_subprocess(tmp_path):
    out = tmp_path / "flute"
    proc = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "data", "render",
                           "--instrument", "flute", "--seconds", "30", "--seed", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["program"] == 73
    lengths = [p["seconds"] for p in m["phrases"]]
    assert len(lengths) >= 2 and all(8.0 - 0.01 <= s <= 20.0 + 0.01 for s in lengths)
    assert abs(sum(lengths) - 30.0) < 0.01
    for p in m["phrases"]:   # every phrase cut from the batch at its own place: sound in each
        audio, sr = sf.read(out / p["wav"], dtype="float32")
        gt = np.load(out / p["f0"])
        assert gt.shape == (audio.shape[0] // HOP,)
        frames = audio[: gt.size * HOP].reshape(gt.size, HOP)
        rms = np.sqrt(np.mean(frames ** 2, axis=1))
        # Sound where notes are held, little before the first note starts.
        assert np.median(rms[gt > 0]) > 1e-3
        first = int(np.argmax(gt > 0))
        if first > 2:
            assert rms[: first - 1].max() < 0.05 * np.median(rms[gt > 0])


def test_render_errors_name_the_fix(tmp_path, capsys, monkeypatch):
    rc = main(["data", "render", "--instrument", "violin", "--seconds", "1", "--out",
               str(tmp_path / "x"), "--soundfont", str(tmp_path / "missing.sf2")])
    err = capsys.readouterr().err
    assert rc == 2 and "missing.sf2" in err and "apt-get install fluidsynth fluid-soundfont-gm" in err
    rc = main(["data", "render", "--instrument", "kazoo-9000", "--seconds", "1", "--out",
               str(tmp_path / "x")])
    assert rc == 2 and "unknown instrument" in capsys.readouterr().err
    monkeypatch.setenv("PATH", str(tmp_path))   # no fluidsynth on PATH
    rc = main(["data", "render", "--instrument", "violin", "--seconds", "1", "--out",
               str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2 and "fluidsynth" in err and "apt-get install" in err
