"""Whole encoder / decoder / timbre transfer, streamed block by block == offline, the
latency arithmetic, causality and the parameter budget."""
import numpy as np
import pytest
import torch

from rt_synth.kinds.rave.model.config import CONFIGS, RaveConfig
from rt_synth.kinds.rave.model.model import RaveModel
from rt_synth.kinds.rave.model.pitch_source import loudness_frames
from rt_synth.kinds.rave.model.streaming import RaveStreaming, band_noise
from rave_test_models import pitched_model  # noqa: E402


def stream(model, audio, noise_flat, sizes):
    s = RaveStreaming(model)
    es = [t.double() for t in s.initial_encoder_state(audio.shape[0])]
    ds = [t.double() for t in s.initial_decoder_state(audio.shape[0])]
    us, ys, pos, noise_pos = [], [], 0, 0
    m, re = model.config.n_bands, model.config.encoder_ratio
    with torch.no_grad():
        for n in sizes:
            u, es = s.encode_step(audio[..., pos:pos + n], es)
            pos += n
            k = u.shape[-1] * re * m  # noise values for this many band frames
            noise = band_noise(noise_flat[:, noise_pos:noise_pos + k], m)
            noise_pos += k
            y, ds = s.decode_step(u, noise, ds)
            us.append(u)
            ys.append(y)
    return torch.cat(us, -1), torch.cat(ys, -1)


@pytest.mark.parametrize("fixed", [False, True])
def test_streaming_equals_offline(tiny_rave, fixed):
    c = tiny_rave.config
    t = 64 * c.ratio
    torch.manual_seed(1)
    audio = torch.randn(2, 1, t, dtype=torch.float64) * 0.3
    noise_flat = torch.rand(2, t, dtype=torch.float64) * 2 - 1
    rng = np.random.default_rng(0)
    if fixed:
        sizes = [c.ratio] * 64
    else:
        sizes, left = [], t
        while left:
            n = int(min(left, rng.choice([0, 1, 3, 17, 31, 64, 200])))
            sizes.append(n)
            left -= n
    u, y = stream(tiny_rave, audio, noise_flat, sizes)
    with torch.no_grad():
        u_ref = tiny_rave.encode(audio)
        y_ref = tiny_rave.decode(u_ref, band_noise(noise_flat, c.n_bands))
    assert u.shape == u_ref.shape and y.shape == y_ref.shape == audio.shape
    assert torch.abs(u_ref).max() > 1e-2 and torch.abs(y_ref).max() > 1e-2
    assert torch.abs(u - u_ref).max() <= 1e-4
    assert torch.abs(y - y_ref).max() <= 1e-4


def test_offline_forward_matches_encode_decode(tiny_rave):
    c = tiny_rave.config
    audio = torch.randn(1, 1, 8 * c.ratio, dtype=torch.float64)
    noise = torch.rand(1, c.n_bands, 8 * c.encoder_ratio, dtype=torch.float64) * 2 - 1
    with torch.no_grad():
        g = tiny_rave.input_gain
        a = tiny_rave(audio * g, noise, deterministic=True)["audio"] / g
        b = tiny_rave.reconstruct(audio, noise)
    # the PCA rotation and its inverse cancel (up to the float32 rounding of the stored P)
    assert torch.abs(a - b).max() <= 1e-5 * torch.abs(a).max()


def test_output_never_looks_ahead(tiny_rave):
    """An impulse at input sample i changes no output before ceil(i/R)*R: the model has no
    look-ahead; its latency is the learned delay config.latency (docs/rave.md)."""
    c = tiny_rave.config
    t = 16 * c.ratio
    noise = torch.zeros(1, c.n_bands, t // c.n_bands, dtype=torch.float64)
    base = torch.zeros(1, 1, t, dtype=torch.float64)
    with torch.no_grad():
        y0 = tiny_rave.reconstruct(base, noise)
        for i in (5 * c.ratio, 5 * c.ratio + 1, 6 * c.ratio - 1):
            x = base.clone()
            x[..., i] = 1.0
            diff = (tiny_rave.reconstruct(x, noise) - y0).abs()[0, 0]
            first = -(-i // c.ratio) * c.ratio
            assert diff[:first].max() == 0
            assert diff[first:].max() > 0


def test_latency_arithmetic():
    for name, cfg in CONFIGS.items():
        assert cfg.latency == cfg.pqmf_taps - 1 + (cfg.encoder_ratio - 1) * cfg.n_bands
    base = CONFIGS["base"]
    assert base.ratio == 256 and base.n_bands == 16
    assert base.latency == 447 <= 512
    assert base.sample_rate == 48_000


def test_base_parameter_budget():
    assert RaveModel(CONFIGS["base"]).n_parameters <= 5_000_000


def test_config_round_trip_and_checks():
    c = CONFIGS["tiny"]
    assert RaveConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError):
        RaveModel(c.with_overrides(decoder_strides=(2, 4)))


def test_payload_round_trip(tiny_rave):
    m2 = RaveModel.from_payload(tiny_rave.float().payload())
    for k, v in tiny_rave.state_dict().items():
        assert torch.equal(v, m2.state_dict()[k])


# ---- pitch source ----

_pitched_model = pitched_model


@pytest.fixture(scope="module", params=["tiny-pitched", "pitched", "tiny-harmonic", "harmonic",
                                        "tiny-harmonic-ddsp", "tiny-harmonic-ddsp-latent",
                                        "tiny-harmonic-ddsp-nonoise", "tiny-harmonic-ddsp-dc",
                                        "harmonic-ddsp"])
def pitched(request):
    return _pitched_model(request.param)


def _sizes(total, choices, seed):
    rng = np.random.default_rng(seed)
    sizes, left = [], total
    while left:
        n = int(min(left, rng.choice(choices)))
        sizes.append(n)
        left -= n
    return sizes


def test_pitched_decode_streams_block_by_block(pitched):
    """decode_step with f0/periodicity per latent frame, chunks of 0.. frames == decode()."""
    c = pitched.config
    frames = 48
    torch.manual_seed(2)
    u = torch.randn(2, c.latent_size, frames)
    t = torch.linspace(0, 1, frames)
    f0 = torch.stack([150 * 2 ** (2.5 * t), 900 - 500 * t])
    f0[0, 5], f0[1, 9] = 20.0, 5000.0  # out of range: clamped like any frame
    per = torch.rand(2, frames)
    per[:, 20:26] = 0.0
    loud = torch.rand(2, frames) * 1.2  # the head's loudness input (read with harmonic_loudness)
    noise_flat = torch.rand(2, frames * c.ratio) * 2 - 1
    s = RaveStreaming(pitched)
    ds = s.initial_decoder_state(2)
    ys, pos = [], 0
    with torch.no_grad():
        for n in _sizes(frames, [0, 1, 2, 3, 7], 1):
            k = n * c.ratio
            noise = band_noise(noise_flat[:, pos * c.ratio:pos * c.ratio + k], c.n_bands)
            y, ds = s.decode_step(u[..., pos:pos + n], noise, ds, f0[:, pos:pos + n],
                                  per[:, pos:pos + n], loud[:, pos:pos + n])
            ys.append(y)
            pos += n
        ref = pitched.decode(u, band_noise(noise_flat, c.n_bands), f0, per, loud)
        no_pitch = pitched.decode(u, band_noise(noise_flat, c.n_bands), f0 * 0.5, per, loud)
    y = torch.cat(ys, -1)
    assert y.shape == ref.shape == (2, 1, frames * c.ratio)
    assert (ref - no_pitch).abs().max() > 1e-3  # the excitation reaches the output
    print(f"max |stream - offline| = {float(torch.abs(y - ref).max()):.2e}")
    assert torch.abs(y - ref).max() <= 1e-4


def test_pitched_timbre_transfer_streams_at_any_block_size(pitched):
    """track_step + encode_step + decode_step at odd block sizes == reconstruct(), whose
    tracker is the numba YIN (the torch one agrees on this signal)."""
    from rt_synth.eval.signals import violin_like

    c = pitched.config
    frames = 400 if c.ratio <= 64 else 64
    t = frames * c.ratio
    x = torch.from_numpy(np.stack([violin_like(t / c.sample_rate, seed=s)[:t] for s in (0, 1)]))
    x = x[:, None]
    noise_flat = torch.rand(2, t) * 2 - 1
    s = RaveStreaming(pitched)
    es, ds, ts = (s.initial_encoder_state(2), s.initial_decoder_state(2),
                  s.initial_tracker_state(2))
    ys, fs, ls, pos, npos = [], [], [], 0, 0
    with torch.no_grad():
        for n in _sizes(t, [0, 1, c.ratio - 1, c.ratio, 3 * c.ratio + 5, 2000, 4096], 3):
            blk = x[..., pos:pos + n]
            f0, per, loud, ts = s.track_features(blk, ts)
            u, es = s.encode_step(blk, es)
            assert f0.shape == per.shape == loud.shape == (2, u.shape[-1])
            k = u.shape[-1] * c.ratio
            y, ds = s.decode_step(u, band_noise(noise_flat[:, npos:npos + k], c.n_bands), ds,
                                  f0, per, loud)
            ys.append(y)
            fs.append(f0)
            ls.append(loud)
            pos += n
            npos += k
        ref = pitched.reconstruct(x, band_noise(noise_flat, c.n_bands))
        f_ref, p_ref = pitched.track(x)
    assert torch.equal(torch.cat(fs, -1), f_ref)
    # the loudness of the same frames: pitch_source.loudness_frames, to float32 rounding
    l_ref = np.stack([loudness_frames(a, c) for a in x[:, 0].numpy()])
    assert np.abs(torch.cat(ls, -1).numpy() - l_ref).max() <= 1e-6
    y = torch.cat(ys, -1)
    assert y.shape == ref.shape and ref.abs().max() > 1e-2
    print(f"max |stream - offline| = {float(torch.abs(y - ref).max()):.2e}")
    assert torch.abs(y - ref).max() <= 1e-4
