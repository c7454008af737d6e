import math

import numpy as np
import torch

from rt_synth.dsp.scaling import exp_sigmoid, hz_to_midi, midi_to_hz
from rt_synth.dsp.upsample import causal_frame_upsample


def test_exp_sigmoid_formula_and_range():
    x = torch.linspace(-30, 30, 101, dtype=torch.float64)
    y = exp_sigmoid(x)
    ref = 2.0 * torch.sigmoid(x) ** math.log(10.0) + 1e-7
    assert torch.allclose(y, ref, rtol=0, atol=1e-15)
    assert y.min() > 1e-7 - 1e-20 and y.max() <= 2.0 + 1e-7
    assert torch.all(y[1:] >= y[:-1])  # monotone
    assert abs(exp_sigmoid(torch.tensor(0.0)).item() - (2 * 0.5 ** math.log(10) + 1e-7)) < 1e-7
    assert np.allclose(exp_sigmoid(x.numpy()), ref.numpy(), rtol=1e-12, atol=1e-15)
    assert exp_sigmoid(x.float()).dtype == torch.float32


def test_midi_conversions_torch_numpy_float():
    assert hz_to_midi(440.0) == 69.0
    assert abs(hz_to_midi(261.6255653) - 60.0) < 1e-6
    assert abs(midi_to_hz(81.0) - 880.0) < 1e-9
    f = np.array([55.0, 440.0, 1760.0])
    assert np.allclose(hz_to_midi(f), [33.0, 69.0, 93.0])
    t = torch.tensor([55.0, 440.0], dtype=torch.float64)
    assert isinstance(hz_to_midi(t), torch.Tensor)
    assert torch.allclose(midi_to_hz(hz_to_midi(t)), t)


def test_upsample_ramp_values():
    frames = torch.tensor([[[1.0, 10.0], [3.0, 2.0]]], dtype=torch.float64)  # [1, 2, 2]
    out = causal_frame_upsample(frames, 4)
    assert out.shape == (1, 8, 2)
    assert torch.allclose(out[0, :, 0], torch.tensor([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0],
                                                      dtype=torch.float64))
    assert torch.allclose(out[0, :, 1], torch.tensor([2.5, 5.0, 7.5, 10.0, 8.0, 6.0, 4.0, 2.0],
                                                      dtype=torch.float64))
    init = torch.tensor([[1.0, 10.0]], dtype=torch.float64)
    out = causal_frame_upsample(frames, 4, initial=init)
    assert torch.allclose(out[0, :4, 0], torch.ones(4, dtype=torch.float64))
    assert torch.allclose(out[0, :4, 1], torch.full((4,), 10.0, dtype=torch.float64))


def test_upsample_is_causal_and_reaches_frame_value():
    torch.manual_seed(0)
    frames = torch.randn(3, 20, 5)
    hop = 7
    out = causal_frame_upsample(frames, hop)
    # last sample of each frame is the frame value
    assert torch.allclose(out[:, hop - 1::hop], frames)
    # changing frame 10 does not change samples before frame 10
    f2 = frames.clone()
    f2[:, 10] += 1.0
    out2 = causal_frame_upsample(f2, hop)
    assert torch.equal(out[:, :10 * hop], out2[:, :10 * hop])
    assert not torch.equal(out[:, 10 * hop], out2[:, 10 * hop])
