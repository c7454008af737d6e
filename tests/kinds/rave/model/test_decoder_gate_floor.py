"""config.decoder_gate_floor: the decoder's output gates cannot shut below the floor, so a
decoder pushed quiet keeps a gradient through its waveform (docs/rave.md section 14)."""
from dataclasses import replace

import pytest
import torch

from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.decoder import Decoder


def _shut_decoder(floor: float) -> Decoder:
    torch.manual_seed(0)
    c = replace(CONFIGS["tiny"], decoder_gate_floor=floor, noise=False)
    dec = Decoder(c)
    with torch.no_grad():  # the amplitude gates shut hard: sigmoid(-60) ~ 1e-26
        dec.conv_out.conv.bias[c.n_bands:2 * c.n_bands].fill_(-60.0)
    return dec


def test_a_shut_gate_keeps_the_floor_and_its_gradient():
    z = torch.randn(1, CONFIGS["tiny"].latent_size, 16)
    outs, grads = {}, {}
    for floor in (0.0, 0.1):
        dec = _shut_decoder(floor)
        y = dec(z)
        y.pow(2).sum().backward()
        outs[floor] = float(y.detach().abs().max())
        grads[floor] = float(dec.conv_in.conv.weight.grad.abs().max())
    assert outs[0.0] < 1e-20 and grads[0.0] < 1e-20  # the plain gate: silent and no gradient
    assert outs[0.1] > 1e-4 and grads[0.1] > 1e-6


def test_the_floor_scales_the_gate_between_floor_and_one():
    a, b = _shut_decoder(0.25), _shut_decoder(0.0)
    with torch.no_grad():  # gates wide open: both pass the waveform whole
        for d in (a, b):
            d.conv_out.conv.bias[8:16].fill_(60.0)
    z = torch.randn(1, CONFIGS["tiny"].latent_size, 8)
    with torch.no_grad():
        assert torch.allclose(a(z), b(z), atol=1e-6)


def test_a_floor_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="decoder_gate_floor"):
        replace(CONFIGS["tiny"], decoder_gate_floor=1.0).validate()
