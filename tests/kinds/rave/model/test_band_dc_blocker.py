"""band_dc_blocker.py: the closed form equals the one-pole recursion the core runs, any block
split gives the same output, a constant in a band dies away, and the decoder uses it
(config.decoder_dc_block_hz; docs/rave.md section 14)."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from rt_synth.kinds.rave.model.band_dc_blocker import dc_block, dc_block_coefficient
from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.decoder import Decoder


def _recursion(x: np.ndarray, a: float, m0: np.ndarray) -> np.ndarray:
    """The core's loop, in float64."""
    y = np.empty_like(x)
    m = m0.copy()
    for n in range(x.shape[-1]):
        m = a * m + (1.0 - a) * x[..., n]
        y[..., n] = x[..., n] - m
    return y


@pytest.mark.parametrize("t", [1, 7, 64, 65, 500, 4097])
def test_closed_form_equals_the_recursion(t):
    g = torch.Generator().manual_seed(t)
    x = torch.randn(2, 3, t, generator=g, dtype=torch.float64) + 0.7
    m0 = torch.randn(2, 3, 1, generator=g, dtype=torch.float64)
    a = dc_block_coefficient(10.0, 48_000, 16)
    y, last = dc_block(x, m0, a)
    ref = _recursion(x.numpy(), a, m0[..., 0].numpy())
    assert np.abs(y.numpy() - ref).max() < 1e-10
    assert abs(float(last[0, 0, 0]) - float((x - y)[0, 0, -1])) < 1e-12


def test_any_block_split_gives_the_same_output():
    x = torch.randn(1, 4, 1000) + 0.3
    a = dc_block_coefficient(10.0, 48_000, 16)
    whole, _ = dc_block(x, torch.zeros(1, 4, 1), a)
    state, parts, i = torch.zeros(1, 4, 1), [], 0
    for n in [1, 0, 3, 250, 64, 682]:
        y, state = dc_block(x[..., i:i + n], state, a)
        parts.append(y)
        i += n
    assert i == 1000
    assert torch.allclose(torch.cat(parts, -1), whole, atol=2e-6)


def test_a_constant_dies_away_and_a_tone_passes():
    sr_b = 3000.0
    a = dc_block_coefficient(10.0, 48_000, 16)
    t = torch.arange(3000, dtype=torch.float64) / sr_b
    const, _ = dc_block(torch.full((1, 1, 3000), 0.5, dtype=torch.float64),
                        torch.zeros(1, 1, 1, dtype=torch.float64), a)
    assert abs(float(const[0, 0, -1])) < 1e-6  # 1 s = 60 time constants
    assert float(const.abs().max()) <= 0.5 + 1e-12  # no overshoot past the step
    tone = torch.sin(2 * np.pi * 200.0 * t).view(1, 1, -1)
    y, _ = dc_block(tone, torch.zeros(1, 1, 1, dtype=torch.float64), a)
    ratio = float(y[..., 1500:].pow(2).mean() / tone[..., 1500:].pow(2).mean())
    # 200 Hz at the band rate, 20x the cutoff: the pass band's gain is about a (-0.1 dB)
    assert 0.96 < ratio < 1.0


def test_the_decoder_output_has_no_band_offset_and_streams_as_offline():
    torch.manual_seed(0)
    c = replace(CONFIGS["tiny"], decoder_dc_block_hz=20.0, noise=False)
    dec = Decoder(c)
    with torch.no_grad():  # a decoder that outputs a large constant per band
        dec.conv_out.conv.bias[: c.n_bands].fill_(3.0)
        dec.conv_out.conv.bias[c.n_bands:].fill_(10.0)
    z = torch.zeros(1, c.latent_size, 200)
    with torch.no_grad():
        y = dec(z)
        plain = Decoder(replace(c, decoder_dc_block_hz=0.0))
        plain.load_state_dict(dec.state_dict())
        y0 = plain(z)
    assert float(y0[..., -100:].mean(-1).abs().min()) > 1.0  # without it: the offset stays
    assert float(y[..., -100:].mean(-1).abs().max()) < 1e-3
    states = dec.initial_state(1)
    assert len(states) == len(plain.initial_state(1)) + 1
    outs, i = [], 0
    with torch.no_grad():
        for n in [1, 3, 0, 60, 136]:
            o, states = dec.step(z[..., i:i + n], None, states)
            outs.append(o)
            i += n
    assert torch.allclose(torch.cat(outs, -1), y, atol=1e-5)


def test_a_cutoff_out_of_range_is_refused():
    with pytest.raises(ValueError, match="decoder_dc_block_hz"):
        replace(CONFIGS["tiny"], decoder_dc_block_hz=-1.0).validate()
    with pytest.raises(ValueError, match="decoder_dc_block_hz"):
        replace(CONFIGS["tiny"], decoder_dc_block_hz=5000.0).validate()
