"""The RAVE harmonic head (harmonic_head.py) and its synthesis in the pitch source
(pitch_source.excitation_step with amps): the maths on known amplitudes, the harmonic limit,
the gate, the ramp between frames, and that the head's audio reaches the model's output."""

import numpy as np
import pytest
import torch

from rt_synth.kinds.rave.model.config import CONFIGS, RaveConfig
from rt_synth.kinds.rave.model.harmonic_head import HarmonicHead
from rt_synth.kinds.rave.model.pitch_source import CONSTANTS, excitation_step
from rave_test_models import pitched_model  # noqa: E402

C = CONFIGS["tiny-harmonic"]


def synth(f0, per, amps, prev_amps=None, config=C):
    b, h, f = amps.shape
    if prev_amps is None:
        prev_amps = torch.zeros(b, h, dtype=torch.float64)
    z = torch.zeros(b, dtype=torch.float64)
    e, y, _, _, phase, last = excitation_step(
        f0, per, f0[:, 0].double(), per[:, 0].double(), z, float(config.sample_rate), config.ratio,
        float(config.pitch_f0_min), float(config.pitch_f0_max), *CONSTANTS, amps=amps,
        previous_amps=prev_amps)
    return e, y, last


def test_one_harmonic_is_a_sine_at_its_amplitude():
    frames, h = 20, C.harmonics
    f0 = torch.full((1, frames), 440.0)
    per = torch.ones(1, frames)
    amps = torch.zeros(1, h, frames)
    amps[0, 2] = 0.25  # the third harmonic, 1320 Hz
    _, y, last = synth(f0, per, amps, prev_amps=amps[:, :, 0].double())
    y = y[0, 0].numpy()
    n = np.arange(1, y.size + 1)
    ref = 0.25 * np.sin(3 * (2 * np.pi * 440.0 * n / C.sample_rate))
    assert np.abs(y - ref).max() < 1e-5
    assert torch.equal(last, amps[:, :, -1].double())


def test_harmonics_above_the_limit_are_silent():
    """At f0 = 8 kHz only two harmonics fit under 0.45*SR (21.6 kHz): the third is dropped."""
    frames, h = 8, C.harmonics
    cfg = RaveConfig(**{**C.to_dict(), "pitch_f0_max": 9000.0,
                        "encoder_channels": C.encoder_channels,
                        "decoder_channels": C.decoder_channels})
    f0 = torch.full((1, frames), 8000.0)
    per = torch.ones(1, frames)
    amps = torch.zeros(1, h, frames)
    amps[0, 2] = 1.0
    _, y, _ = synth(f0, per, amps, amps[:, :, 0].double(), config=cfg)
    assert float(y.abs().max()) == 0.0
    amps[0, 1] = 1.0
    _, y, _ = synth(f0, per, amps, amps[:, :, 0].double(), config=cfg)
    assert float(y.abs().max()) > 0.8  # sin(2*phi) sampled at phi = n*pi/3: 0.866


def test_unvoiced_frames_are_silent_and_amplitudes_ramp():
    frames, h, r = 6, C.harmonics, C.ratio
    f0 = torch.full((1, frames), 300.0)
    per = torch.ones(1, frames)
    per[0, 3:] = 0.0  # gate 0 from frame 3 on (the ramp reaches 0 on frame 3's last sample)
    amps = torch.zeros(1, h, frames)
    amps[0, 0] = torch.tensor([0.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    _, y, _ = synth(f0, per, amps)
    y = y[0, 0].numpy()
    assert np.abs(y[:r]).max() == 0.0  # frame 0: amplitude 0
    env = np.abs(y[r:2 * r])  # frame 1: the amplitude ramps 0 -> 1
    assert env[: r // 4].max() < env[-r // 4:].max()
    assert np.abs(y[4 * r:]).max() == 0.0  # unvoiced


def test_head_amplitudes_are_positive_and_bounded():
    torch.manual_seed(0)
    head = HarmonicHead(C)
    z = torch.randn(2, C.latent_size, 30) * 5
    f0 = torch.rand(2, 30) * 3000
    per = torch.rand(2, 30)
    with torch.no_grad():
        a = head(z, f0, per)
        other = head(z, f0 * 0.5, per)
    assert a.shape == (2, C.harmonics, 30)
    assert bool((a >= 0).all()) and float(a.sum(1).max()) <= 2.0 + 1e-5
    assert float((a - other).abs().max()) > 1e-4  # harmonic_f0: the head reads the f0
    with pytest.raises(ValueError, match="f0"):
        head(z)


def test_head_audio_reaches_the_output():
    model = pitched_model("tiny-harmonic").double()
    c = model.config
    torch.manual_seed(3)
    z = torch.randn(1, c.latent_size, 40, dtype=torch.float64)
    f0 = torch.full((1, 40), 220.0)
    per = torch.ones(1, 40)
    noise = torch.zeros(1, c.n_bands, 40 * c.encoder_ratio, dtype=torch.float64)
    with torch.no_grad():
        full = model.decode_bands(z, noise, f0, per)
        exc, harm = model.excitation_bands(f0, per, None, model.decoder.harmonic_head(z, f0, per))
        alone = model.decoder(z, noise, exc)
    assert harm is not None and float(harm.abs().max()) > 1e-2
    assert torch.allclose(full, alone + harm)


def test_head_needs_the_pitch_source():
    with pytest.raises(ValueError, match="pitch source"):
        RaveConfig(harmonics=8).validate()
