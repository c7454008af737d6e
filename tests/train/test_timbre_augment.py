"""Timbre augmentation of the RAVE encoder's input (rt_synth/train/timbre_augment.py): the
spectral envelope changes, the level and the pitch do not, the target stays clean."""
import numpy as np
import torch

from rt_synth.eval.signals import violin_like
from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.pitch_source import track_frames
from rt_synth.kinds.rave.trainer import training_window
from rt_synth.train.timbre_augment import augment_timbre

SR = 48_000


def _band_db(x, lo, hi):
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / SR)
    return 10 * np.log10(spec[(f >= lo) & (f < hi)].sum() + 1e-20)


def test_envelope_changes_level_and_pitch_do_not():
    x = violin_like(1.0, seed=0).astype(np.float32)
    rng = np.random.default_rng(1)
    changes = []
    for _ in range(8):
        y = augment_timbre(x, SR, 12.0, rng)
        assert y.shape == x.shape and y.dtype == np.float32 and np.isfinite(y).all()
        assert abs(np.sqrt(np.mean(y ** 2)) / np.sqrt(np.mean(x ** 2)) - 1) < 1e-4
        changes.append(abs((_band_db(y, 2000, 6000) - _band_db(y, 200, 1000))
                           - (_band_db(x, 2000, 6000) - _band_db(x, 200, 1000))))
    assert max(changes) > 6.0  # the spectral balance moves by several dB
    c = CONFIGS["harmonic"]
    f_x, p_x = track_frames(x, c)
    f_y, p_y = track_frames(augment_timbre(x, SR, 12.0, np.random.default_rng(2)), c)
    voiced = (p_x > 0.85) & (p_y > 0.85)
    assert voiced.mean() > 0.5
    cents = 1200 * np.abs(np.log2(f_y[voiced] / f_x[voiced]))
    assert np.median(cents) < 5


def test_silence_and_zero_amount_pass_through():
    rng = np.random.default_rng(0)
    z = np.zeros(4096, dtype=np.float32)
    assert np.array_equal(augment_timbre(z, SR, 12.0, rng), z)
    x = violin_like(0.2, seed=1).astype(np.float32)
    assert np.array_equal(augment_timbre(x, SR, 0.0, rng), x)


def test_training_window_gives_a_clean_target_and_an_augmented_input():
    c = CONFIGS["tiny-harmonic"].with_overrides(timbre_augment=12.0)
    audio = torch.from_numpy(np.stack([violin_like(0.5, seed=s)[:24_000] for s in (0, 1)]))
    torch.manual_seed(0)
    crops, pitch = training_window(audio.float(), 4096, c)
    assert crops.shape == pitch["input"].shape == (2, 1, 4096)
    starts = [int(np.argmin([float((audio[i, s:s + 4096] - crops[i, 0]).abs().max())
                             for s in range(0, 24_000 - 4096 + 1, c.ratio)])) * c.ratio
              for i in range(2)]
    for i, s in enumerate(starts):  # the target is a clean crop of the example
        assert torch.equal(crops[i, 0], audio[i, s:s + 4096].float())
    assert float((pitch["input"] - crops).abs().max()) > 1e-3
    assert pitch["f0"].shape == (2, 4096 // c.ratio)
    plain, p2 = training_window(audio.float(), 4096, CONFIGS["tiny-harmonic"])
    assert "input" not in p2
