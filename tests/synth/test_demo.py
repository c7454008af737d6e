"""`rt-synth demo`: uses the bundled flute clip (rt_synth/assets/demo_clip.wav, 16-bit mono
48 kHz, < 700 kB) for the timbre-transfer part and writes synth.wav, transfer.wav,
transfer_input.wav and spectrogram.png; without --model it prefers exports/violin-live-ddsp.rtsynth,
falls back to another exports/*ddsp*.rtsynth, and otherwise fails naming the file and the
commands that make it. Every DDSP instrument found plays the same short tune in its own register
(instruments/NAME.wav)."""
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
    assert "violin-live-ddsp.rtsynth" in str(e.value) and "rt-synth train ddsp" in str(e.value)
    shutil.copy(synth_model, ex / "flute-ddsp.rtsynth")
    m, note = pick_model(None, found())
    assert m.name == "flute-ddsp.rtsynth" and "violin-live-ddsp.rtsynth not found" in note
    shutil.copy(synth_model, ex / "violin-live-ddsp.rtsynth")
    os.utime(ex / "flute-ddsp.rtsynth")  # newer, but the shipped one wins
    m, note = pick_model(None, found())
    assert m.name == "violin-live-ddsp.rtsynth" and note == ""
    with pytest.raises(UserError):
        pick_model(str(ex / "missing.rtsynth"), found())


def test_tune_lies_in_each_instruments_register():
    """The tune is centred on the model's training pitch: a cello (mean MIDI 55) plays it an
    octave and more below a flute (mean 79), and it is one note at a time."""
    from rt_synth.synth.instrument_piece import TUNE, piece_events, tonic_for

    for mean in (55.0, 67.5, 79.0):
        tonic = tonic_for(mean)
        events, end = piece_events(tonic, 48000)
        notes = [e[1][1] for e in events if e[1][0] & 0xF0 == 0x90]
        assert len(notes) == len(TUNE) and end > 4 * 48000
        assert abs((min(notes) + max(notes)) / 2 - mean) <= 1.0, (mean, notes)
        held = 0
        for _, msg in events:  # never two notes at once
            held += {0x90: 1, 0x80: -1}.get(msg[0] & 0xF0, 0)
            assert 0 <= held <= 1
    assert tonic_for(float("nan")) == tonic_for(66.0)


def test_demo_plays_the_tune_on_every_ddsp_model(synth_model, tmp_path):
    """Each DDSP model plays the tune in tune (pYIN's median pitch of the output lies on the
    tune's notes); a file that is not a readable DDSP model is left out, the others still play."""
    import librosa
    from rt_synth.cli.demo_cmd import play_each_instrument
    from rt_synth.model_locator import ModelLocation
    from rt_synth.synth.instrument_piece import TUNE

    ex = tmp_path / "models"
    ex.mkdir()
    shutil.copy(synth_model, ex / "a-ddsp.rtsynth")
    (ex / "broken-ddsp.rtsynth").write_bytes(b"GGUF" + b"\0" * 20)
    found = [ModelLocation(p.stem, p, "test") for p in sorted(ex.glob("*.rtsynth"))]
    played = play_each_instrument(tmp_path / "out", 128, found)
    assert [name for name, _, _ in played] == ["a-ddsp"]
    y, sr = sf.read(str(tmp_path / "out" / "a-ddsp.wav"), dtype="float32")
    assert np.isfinite(y).all() and np.abs(y).max() > 1e-3 and len(y) / sr == pytest.approx(played[0][2])
    tonic = played[0][1]
    f0, voiced, _ = librosa.pyin(y[::2], fmin=60, fmax=2000, sr=sr // 2, frame_length=2048)
    midi = 69 + 12 * np.log2(f0[voiced & np.isfinite(f0)] / 440.0)
    assert len(midi) > 20
    scale = {tonic + s for s, _ in TUNE}
    assert np.mean([min(abs(m - n) for n in scale) < 0.5 for m in midi]) > 0.6
