import numpy as np
import torch

from rt_synth.dsp.spectral_loss import MultiScaleSpectralLoss

SR = 48000


def _tone(freq, seconds=0.5, dtype=torch.float32):
    t = torch.arange(int(SR * seconds), dtype=torch.float64) / SR
    y = sum(torch.sin(2 * np.pi * k * freq * t) / k for k in range(1, 6))
    return (0.3 * y).to(dtype)[None]


def test_zero_for_identical_signals():
    loss = MultiScaleSpectralLoss()
    x = _tone(220.0)
    assert loss(x, x.clone()).item() == 0.0


def test_positive_and_larger_for_detuned_than_for_a_small_gain_change():
    loss = MultiScaleSpectralLoss()
    x = _tone(220.0)
    small = loss(x, 1.01 * x).item()
    detuned = loss(x, _tone(220.0 * 2 ** (1 / 12))).item()  # one semitone
    assert small > 0
    assert detuned > 5 * small
    assert abs(loss(x, _tone(233.0)).item() - loss(_tone(233.0), x).item()) < 1e-5  # symmetric


def test_float64_batched_short_input_and_gradient():
    loss = MultiScaleSpectralLoss()
    torch.manual_seed(0)
    target = torch.randn(3, 1000, dtype=torch.float64)  # shorter than the largest FFT
    pred = torch.randn(3, 1000, dtype=torch.float64, requires_grad=True)
    value = loss(pred, target)
    assert value.dtype == torch.float64 and value.item() > 0
    value.backward()
    assert torch.isfinite(pred.grad).all()
    assert loss(target[0], target[0]).item() == 0.0  # 1-D input


def test_log_weight_term():
    x, y = _tone(220.0), _tone(330.0)
    lin = MultiScaleSpectralLoss(log_weight=0.0)(x, y).item()
    both = MultiScaleSpectralLoss(log_weight=1.0)(x, y).item()
    double = MultiScaleSpectralLoss(log_weight=2.0)(x, y).item()
    assert both > lin
    assert abs((double - both) - (both - lin)) < 1e-3 * both
