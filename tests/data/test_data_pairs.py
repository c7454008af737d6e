"""Pairs for effect models (rt_synth.data.pairs): the reamp signal, alignment of a recording
(delay, gain, polarity), the refusals of bad recordings, rendered pairs and the CLI."""
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from rt_synth.data import pairs
from rt_synth.errors import UserError

SR = 48000


@pytest.fixture(scope="module")
def tones():
    return pairs.reamp_signal(SR, seed=0, guitar_seconds=0)


def test_the_reamp_signal_has_its_parts_below_full_scale(tones):
    assert 20 * SR < len(tones) < 40 * SR
    assert np.all(np.isfinite(tones)) and 0.5 < np.max(np.abs(tones)) < 0.9
    assert np.max(np.abs(tones[: SR // 2])) == 0  # leading silence
    spec = np.abs(np.fft.rfft(tones[SR // 2: SR // 2 + 4 * SR]))  # the first sweep
    f = np.fft.rfftfreq(4 * SR, 1 / SR)
    band = lambda lo, hi: spec[(f >= lo) & (f < hi)].mean()  # noqa: E731
    assert band(100, 200) > 0.1 * band(1000, 2000) and band(8000, 16000) > 0.05 * band(1000, 2000)


@pytest.mark.parametrize("chain", sorted(pairs.CHAINS))
@pytest.mark.parametrize("delay,gain,polarity", [(0, 1.0, 1), (1234, 0.5, -1), (48, 1.4, 1)])
def test_alignment_finds_the_latency_gain_and_polarity(tones, chain, delay, gain, polarity):
    y = pairs.apply_sox_chain(tones, SR, chain)
    wet = np.concatenate([np.zeros(delay, np.float32), polarity * gain * y, np.zeros(999, np.float32)])
    al = pairs.find_alignment(tones, wet, SR)
    # never after the true latency (a causal model could not follow), at most a few samples before
    assert delay - 4 <= al.delay_samples <= delay <= al.peak_samples <= delay + 4
    assert al.polarity == polarity
    ref = pairs._rms_db(y) - pairs._rms_db(tones)
    assert al.gain_db == pytest.approx(ref + 20 * np.log10(gain), abs=0.2)
    dry, aligned, _ = pairs.aligned_pair(tones, wet, SR)
    assert len(dry) == len(aligned) and 0.9 * len(tones) <= len(dry) <= len(tones)


def test_bad_recordings_are_refused_by_name(tones):
    with pytest.raises(UserError, match="rec.wav is silent"):
        pairs.aligned_pair(tones, np.zeros_like(tones) + 1e-5, SR, ("dry.wav", "rec.wav"))
    clipped = np.clip(tones * 4, -1, 1)
    with pytest.raises(UserError, match=r"rec.wav clips: \d+ samples"):
        pairs.aligned_pair(tones, clipped, SR, ("dry.wav", "rec.wav"))
    nan = tones.copy()
    nan[100] = np.nan
    with pytest.raises(UserError, match="rec.wav has NaN"):
        pairs.aligned_pair(tones, nan, SR, ("dry.wav", "rec.wav"))
    noise = np.random.default_rng(1).uniform(-0.3, 0.3, len(tones)).astype(np.float32)
    with pytest.raises(UserError, match="rec.wav does not match dry.wav"):
        pairs.aligned_pair(tones, noise, SR, ("dry.wav", "rec.wav"))
    with pytest.raises(UserError, match="rec.wav ends .* before dry.wav"):
        pairs.aligned_pair(tones, tones[: len(tones) // 2], SR, ("dry.wav", "rec.wav"))


def test_align_recording_writes_aligned_pairs_and_refuses_other_rates(tmp_path, tones):
    wet = np.concatenate([np.zeros(480, np.float32), 0.7 * tones, np.zeros(SR, np.float32)])
    sf.write(tmp_path / "dry.wav", tones, SR, subtype="FLOAT")
    sf.write(tmp_path / "rec.wav", wet, SR, subtype="FLOAT")
    sf.write(tmp_path / "rec44.wav", wet, 44100, subtype="FLOAT")
    with pytest.raises(UserError, match="rec44.wav is at 44100 Hz but .*dry.wav is at 48000 Hz"):
        pairs.align_recording(tmp_path / "dry.wav", tmp_path / "rec44.wav", tmp_path / "p44")
    assert not (tmp_path / "p44").exists()
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "data", "pairs", "align",
                        str(tmp_path / "dry.wav"), str(tmp_path / "rec.wav"), "--out",
                        str(tmp_path / "p")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "delay 480 samples" in r.stdout and "gain -3.1 dB" in r.stdout
    x, y, sr = pairs.load_pairs(tmp_path / "p", "train")
    assert sr == SR and len(x) == len(y)
    np.testing.assert_allclose(y, 0.7 * x, atol=1e-6)
    info = json.loads((tmp_path / "p" / "pairs.json").read_text())
    assert info["delay_samples"] == 480 and info["source"] == "recording"


def test_rendered_pairs_and_their_errors(tmp_path):
    out = pairs.render_effect_pairs(tmp_path / "p", seconds=4, seed=3)
    tr = pairs.load_pairs(out, "train")
    va = pairs.load_pairs(out, "valid")
    assert len(tr[0]) > 8 * len(va[0]) > 0
    assert not np.allclose(tr[0], tr[1][: len(tr[0])], atol=1e-2)  # the chain changed it
    assert np.max(np.abs(tr[1])) < 1
    with pytest.raises(UserError, match="not a pairs folder"):
        pairs.load_pairs(tmp_path, "train")
    sf.write(out / "valid" / "target.wav", va[1][:-5], SR, subtype="FLOAT")
    with pytest.raises(UserError, match="input and target differ in length"):
        pairs.load_pairs(out, "valid")
    with pytest.raises(UserError, match="unknown effect chain 'fuzz'"):
        pairs.render_effect_pairs(tmp_path / "q", seconds=1, chain="fuzz")
