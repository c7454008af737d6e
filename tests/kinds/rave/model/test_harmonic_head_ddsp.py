"""The DDSP-style harmonic head (config tiny-harmonic-ddsp: harmonic_latent=False,
harmonic_loudness, harmonic_layers, harmonic_noise): the loudness feature's alignment with the
tracker's window, that the head's harmonics do not depend on the latent, that its noise
reaches the output bands, that the streaming form plays it as the offline model does (the
loudness tracked block by block, the noise gains ramped across block boundaries, reset), and
that the native format carries it (its keys; the core's parity is tests/core/test_rave_core_pitch.py)."""

import numpy as np
import pytest
import torch

from rt_synth.dsp.yin import yin_params
from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.model import RaveModel
from rt_synth.kinds.rave.model.pitch_source import loudness_feature, loudness_frames

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


def _stream_transfer(model, x, noise_flat, sizes):
    """track_features + encode_step + decode_step over x [B, 1, T] in blocks of the given sizes."""
    from rt_synth.kinds.rave.model.streaming import RaveStreaming, band_noise

    c = model.config
    s = RaveStreaming(model)
    b = x.shape[0]
    es, ds, ts = s.initial_encoder_state(b), s.initial_decoder_state(b), s.initial_tracker_state(b)
    ys, pos, npos = [], 0, 0
    with torch.no_grad():
        for n in sizes:
            blk = x[..., pos:pos + n]
            f0, per, loud, ts = s.track_features(blk, ts)
            u, es = s.encode_step(blk, es)
            k = u.shape[-1] * c.ratio
            y, ds = s.decode_step(u, band_noise(noise_flat[:, npos:npos + k], c.n_bands), ds,
                                  f0, per, loud)
            ys.append(y)
            pos += n
            npos += k
    return torch.cat(ys, -1)


@pytest.mark.parametrize("name", ["tiny-harmonic-ddsp", "tiny-harmonic-ddsp-latent"])
def test_streaming_plays_it_as_offline(name):
    """Odd block sizes (0, 1, R-1, R+5, ...): the stream equals reconstruct() (numba YIN, the
    numpy loudness); a fresh state plays it again identically; the head's noise is audible."""
    from rave_test_models import pitched_model
    from rt_synth.eval.signals import violin_like
    from rt_synth.kinds.rave.model.streaming import band_noise

    model = pitched_model(name)
    c = model.config
    t = 120 * c.ratio
    x = torch.from_numpy(violin_like(t / c.sample_rate, seed=4)[:t])[None, None]
    x[..., t // 2:t // 2 + 3 * c.ratio] = 0.0  # a silence: loudness 0, the held f0
    noise_flat = torch.rand(1, t) * 2 - 1
    rng = np.random.default_rng(5)
    sizes, left = [], t
    while left:
        n = int(min(left, rng.choice([0, 1, c.ratio - 1, c.ratio + 5, 3 * c.ratio, 777])))
        sizes.append(n)
        left -= n
    y = _stream_transfer(model, x, noise_flat, sizes)
    with torch.no_grad():
        ref = model.reconstruct(x, band_noise(noise_flat, c.n_bands))
        quiet = model.reconstruct(x, band_noise(noise_flat * 0.0, c.n_bands))
    assert y.shape == ref.shape and ref.abs().max() > 1e-2
    assert float((y - ref).abs().max()) <= 1e-4
    assert float((ref - quiet).abs().max()) > 1e-3  # the noise (head's and decoder's) is there
    again = _stream_transfer(model, x, noise_flat, [c.ratio] * (t // c.ratio))
    assert float((again - y).abs().max()) <= 1e-5


def test_native_export_carries_the_head(tmp_path):
    import gguf

    from rt_synth.kinds.rave.export.native import write_rave
    from rt_synth.kinds.rave.model import pitch_source as ps

    model = RaveModel(C)
    path = write_rave(model, tmp_path / "m.rtsynth", "m")
    r = gguf.GGUFReader(str(path))

    def value(key):
        f = r.fields[key]
        return f.parts[f.data[0]][0]

    assert value("rt_synth.rave.harmonic_latent") == 0
    assert value("rt_synth.rave.harmonic_loudness") == 1
    assert value("rt_synth.rave.harmonic_layers") == C.harmonic_layers
    assert value("rt_synth.rave.harmonic_noise") == 1
    assert value("rt_synth.rave.loudness_floor_db") == ps.LOUDNESS_FLOOR_DB
    assert value("rt_synth.rave.loudness_max") == ps.LOUDNESS_MAX
    shapes = {t.name: tuple(int(v) for v in t.shape) for t in r.tensors}
    h, m, ch = C.harmonics, C.n_bands, C.harmonic_channels
    # gguf lists shapes innermost first
    assert shapes["decoder.harmonic_head.conv.conv.weight"] == (C.kernel, 3, ch)  # q, p, loudness
    assert shapes["decoder.harmonic_head.hidden.0.conv.weight"] == (1, ch, ch)
    assert shapes["decoder.harmonic_head.out.conv.weight"] == (1, ch, 1 + h + m)
