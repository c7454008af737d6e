"""rt_synth.eval.mel_cepstrum and the timbre-distance command (rt_synth.eval.timbre_distance).

The MCD is 0 from a signal to itself and to a louder copy of it (c0, the level, is left out),
and larger to the same MIDI played by another instrument. The command runs on a short render
of the shipped violin-live-ddsp and prints finite numbers for every row. Needs fluidsynth,
FluidR3_GM and MuseScore General: scripts/setup.sh installs them (no skip)."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
from rt_synth.eval.timbre_distance import ROWS, find_other_soundfont


def _render_same_midi(program: int, tmp_path, name: str) -> np.ndarray:
    from rt_synth.data.instruments import instrument_style
    from rt_synth.data.phrases import generate_phrase
    from rt_synth.data.render import render_phrases

    rng = np.random.default_rng(9137)
    phrase = generate_phrase(rng, 40, instrument_style(40), 4.0, 48000, 192)  # a violin line
    # the same notes, bends and dynamics on `program`
    return render_phrases([phrase.with_program(program)], sample_rate=48000, work_dir=tmp_path)[0]


def test_mcd_is_zero_to_itself_and_larger_to_another_instrument(tmp_path):
    violin = _render_same_midi(40, tmp_path, "violin")
    trumpet = _render_same_midi(56, tmp_path, "trumpet")
    assert np.sqrt(np.mean(violin ** 2)) > 1e-3 and np.sqrt(np.mean(trumpet ** 2)) > 1e-3
    self_d, frames = mel_cepstral_distance(violin, violin, 48000)
    assert self_d == 0.0 and frames > 100
    louder, _ = mel_cepstral_distance(violin, 2.0 * violin, 48000)
    assert louder < 1e-6, louder  # level is c0, which the MCD leaves out
    other, frames = mel_cepstral_distance(violin, trumpet, 48000)
    print("violin->trumpet MCD", other, frames)
    assert math.isfinite(other) and frames > 100 and other > 5.0, other


def test_mcd_of_silence_is_zero_and_stereo_is_refused():
    d, frames = mel_cepstral_distance(np.zeros(48000, np.float32), np.zeros(48000, np.float32), 48000)
    # all-zero frames are all "within 40 dB of the loudest": equal cepstra, distance 0
    assert frames > 0 and d == 0.0
    with pytest.raises(ValueError, match="mono"):
        mel_cepstral_distance(np.zeros((2, 4800)), np.zeros((2, 4800)), 48000)


def test_timbre_distance_command_on_a_short_render(tmp_path):
    assert find_other_soundfont(None).is_file()
    r = subprocess.run([sys.executable, "-m", "rt_synth.eval.timbre_distance", "violin-live-ddsp",
                        "--instrument", "violin", "--seconds", "4", "--json", "--keep", str(tmp_path / "k")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["phrases"] == 1 and res["instrument"] == "violin"
    for k in ROWS:
        row = res[k]
        print(k, row)
        assert row["mcd_frames"] > 100, row
        for key in ("mcd_db", "f0_median_cents", "loudness_mean_abs_db"):
            assert math.isfinite(row[key]) and row[key] >= 0.0, (k, key, row)
        assert row["mcd_db"] > 0.0, row  # no model or other soundfont reproduces FluidR3 exactly
    assert (tmp_path / "k" / "other" / "phrase_0000.wav").is_file()
    assert (tmp_path / "k" / "phrase_0000.model_transfer.wav").is_file()
