"""The DDSP-style harmonic head (config tiny-harmonic-ddsp: harmonic_latent=False,
harmonic_loudness, harmonic_layers, harmonic_noise): the loudness feature's alignment with the
tracker's window, that the head's harmonics do not depend on the latent, that its noise
reaches the output bands, and that the streaming form and the native format refuse such a
model with a clear error (the core does not run it yet: docs/rave.md section 13)."""

import numpy as np
import pytest
import torch

from rt_synth.dsp.yin import yin_params
from rt_synth.errors import UserError
from rt_synth.models.rave.config import CONFIGS
from rt_synth.models.rave.model import RaveModel
from rt_synth.models.rave.pitch_source import loudness_feature, loudness_frames

C = CONFIGS["tiny-harmonic-ddsp"]


def test_loudness_frame_is_the_mean_square_of_the_window_ending_before_the_frame():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(20 * C.ratio) * 0.05).astype(np.float32)
    w = yin_params(C.sample_rate, C.pitch_f0_min, C.pitch_f0_max)[0]
    got = loudness_frames(x, C)
    assert got.shape == (20,) and got.dtype == np.float32
    assert got[0] == 0.0  # frame 0: nothing heard yet, as the tracker's (f0_min, 0)
    for t in (1, 5, 19):
        end = t * C.ratio
        win = np.concatenate([np.zeros(max(w - end, 0)), x[max(end - w, 0):end]])
        want = loudness_feature(torch.tensor(np.mean(win.astype(np.float64) ** 2))).item()
        assert got[t] == pytest.approx(want, abs=1e-6)
    # -20 dBFS RMS is 0.8 on the 0..1 scale (floor -100 dB); silence and NaN are 0
    assert loudness_feature(torch.tensor(0.01)).item() == pytest.approx(0.8, abs=1e-6)
    assert loudness_frames(np.zeros(4 * C.ratio), C).max() == 0.0
    assert np.isfinite(loudness_frames(np.full(4 * C.ratio, np.nan), C)).all()


def test_a_louder_input_gives_a_larger_loudness_feature():
    t = np.arange(10 * C.ratio) / C.sample_rate
    quiet = loudness_frames(0.01 * np.sin(2 * np.pi * 440 * t), C)[-1]
    loud = loudness_frames(0.3 * np.sin(2 * np.pi * 440 * t), C)[-1]
    assert loud - quiet == pytest.approx(20 * np.log10(30) / 100, abs=1e-3)


def _pitch_inputs(frames, seed=0):
    g = torch.Generator().manual_seed(seed)
    f0 = 200 + 300 * torch.rand(1, frames, generator=g)
    per = torch.ones(1, frames)
    loud = 0.5 + 0.3 * torch.rand(1, frames, generator=g)
    return f0, per, loud


def test_the_head_ignores_the_latent_and_follows_f0_and_loudness():
    torch.manual_seed(0)
    head = RaveModel(C).decoder.harmonic_head
    f0, per, loud = _pitch_inputs(12)
    z1, z2 = torch.randn(1, C.latent_size, 12), torch.randn(1, C.latent_size, 12)
    a1, n1 = head.with_noise(z1, f0, per, loud)
    a2, n2 = head.with_noise(z2, f0, per, loud)
    assert torch.equal(a1, a2) and torch.equal(n1, n2)
    assert a1.shape == (1, C.harmonics, 12) and n1.shape == (1, C.n_bands, 12)
    assert (n1 > 0).all() and (n1 <= 2.0 + 1e-6).all()
    a3, _ = head.with_noise(z1, f0, per, loud + 0.2)
    assert not torch.allclose(a1, a3)
    with pytest.raises(ValueError, match="loudness"):
        head.with_noise(z1, f0, per, None)


def test_the_heads_noise_reaches_the_output_bands():
    torch.manual_seed(1)
    model = RaveModel(C)
    frames = 8
    f0, per, loud = _pitch_inputs(frames)
    per = torch.zeros_like(per)  # unvoiced: no harmonics, the noise remains
    z = torch.zeros(1, C.latent_size, frames)
    r_e = C.ratio // C.n_bands
    noise = torch.rand(1, C.n_bands, frames * r_e) * 2 - 1
    head = model.decoder.harmonic_head
    with torch.no_grad():
        bands = model.decode_bands(z, noise, f0, per, None, loud)
        _, gains = head.with_noise(z, f0, per, loud)
        head.noise_gains = lambda r: torch.zeros_like(r[:, 1 + head.harmonics:])
        without = model.decode_bands(z, noise, f0, per, None, loud)
    added = bands - without  # the head's noise: its gain ramped from the frame before, x noise
    assert torch.allclose(added[:, :, -1], gains[:, :, -1] * noise[:, :, -1], atol=1e-6)
    mid = (frames - 1) * r_e - 1 + r_e // 2  # halfway through the last frame's ramp
    half = gains[:, :, -2] + (gains[:, :, -1] - gains[:, :, -2]) * (r_e // 2) / r_e
    assert torch.allclose(added[:, :, mid], half * noise[:, :, mid], atol=1e-6)
    assert float(added.abs().max()) > 1e-3


def test_offline_forward_is_finite_on_bad_input():
    model = RaveModel(C).eval()
    x = torch.randn(1, 1, 8 * C.ratio) * 1e6
    x[0, 0, 100] = float("nan")
    with torch.no_grad():
        out = model(torch.nan_to_num(x, nan=0.0), deterministic=True)
    assert torch.isfinite(out["audio"]).all()


def test_streaming_and_native_export_refuse_it_clearly(tmp_path):
    from rt_synth.export.rave_native import write_rave
    from rt_synth.models.rave.streaming import RaveStreaming

    model = RaveModel(C)
    with pytest.raises(UserError, match="loudness"):
        RaveStreaming(model)
    with pytest.raises(UserError, match="native format"):
        write_rave(model, tmp_path / "m.rtsynth", "m")
    assert not (tmp_path / "m.rtsynth").exists()
